// Recognises an HTTP/1.x request head in the first bytes of a connection (pure: bytes in,
// fields out). It reads only what a sinkhole report needs (method, target, Host, User-Agent)
// and is lenient where malware is sloppy (bare LF line ends, raw bytes in the target, header
// lines it cannot parse are skipped), but the request line itself must be well formed: that is
// what tells HTTP from anything else. Strings are binary strings (one character per byte).

export interface HttpRequestHead {
  readonly method: string;
  readonly target: string;
  /** "1.1", "1.0". */
  readonly version: string;
  readonly host: string | null;
  readonly userAgent: string | null;
  /** The empty line that ends the head has arrived (else: the head was cut off). */
  readonly complete: boolean;
}

/** Not HTTP, or the bytes so far could still become a request line. */
export type HttpRecognition = HttpRequestHead | 'need-more' | null;

// RFC 9110 token characters; a method longer than 20 is no method anyone sends.
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}) ([^\x00-\x20\x7f]+) HTTP\/([0-9])\.([0-9])\r?$/;
// What a request line can look like before its line end has arrived.
const REQUEST_LINE_PREFIX = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{0,20}(?: [^\x00-\x20\x7f]*(?: (?:H(?:T(?:T(?:P(?:\/(?:[0-9](?:\.(?:[0-9]\r?)?)?)?)?)?)?)?)?)?)?$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function recognizeHttp(bytes: Buffer): HttpRecognition {
  const text = bytes.toString('latin1');
  const lineEnd = text.indexOf('\n');
  if (lineEnd < 0) return REQUEST_LINE_PREFIX.test(text) ? 'need-more' : null;
  const m = REQUEST_LINE.exec(text.slice(0, lineEnd));
  if (!m) return null;
  let host: string | null = null;
  let userAgent: string | null = null;
  let complete = false;
  let start = lineEnd + 1;
  for (;;) {
    const end = text.indexOf('\n', start);
    if (end < 0) break; // the rest is a header line still arriving
    const line = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    start = end + 1;
    if (line === '') {
      complete = true;
      break;
    }
    const colon = line.indexOf(':');
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) continue;
    const name = line.slice(0, colon).toLowerCase();
    if (name === 'host' && host === null) host = trimOws(line.slice(colon + 1));
    else if (name === 'user-agent' && userAgent === null) userAgent = trimOws(line.slice(colon + 1));
  }
  return { method: m[1]!, target: m[2]!, version: `${m[3]}.${m[4]}`, host, userAgent, complete };
}

/** Spaces and tabs off both ends, without a regex that backtracks over long runs of them. */
function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return s.slice(a, b);
}

/** The whole answer to any request: nothing to fetch, nothing to keep the connection for. */
export const HTTP_EMPTY_OK = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n', 'latin1');
