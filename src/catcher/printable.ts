// Turns bytes from the wire into a string that is safe to log, store and show: decoded as
// UTF-8 (invalid sequences become U+FFFD), every control character (C0, DEL, C1) and every
// invisible or text-reordering format character written out as a visible escape (`\x1b`,
// `\u202e`), and capped in length. A log line, a terminal table or a CSV cell built from a catch
// can then never carry an escape sequence, a line break or a spoofed right-to-left name.

const decoder = new TextDecoder('utf-8', { fatal: false });

/** Controls, and format characters that hide or reorder text: written as escapes. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/;
const ALL_PLAIN = /^[\u0020-\u007e]*$/;

const ELLIPSIS = '…';

/**
 * `raw`: a Buffer, or a binary string (one character per byte, as the parsers keep what they
 * read). At most `max` characters come back (max >= 2); a cut string ends in "…".
 */
export function printable(raw: Buffer | string, max: number): string {
  if (typeof raw === 'string' && ALL_PLAIN.test(raw)) return raw.length <= max ? raw : raw.slice(0, max - 1) + ELLIPSIS;
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw;
  // Decoding more than could ever be shown is wasted work: a character is at most 4 bytes.
  const text = decoder.decode(bytes.length > max * 4 ? bytes.subarray(0, max * 4) : bytes);
  let out = '';
  // Iterating by code point keeps surrogate pairs whole; each piece is added only if it fits.
  const pieces = [...text];
  for (let i = 0; i < pieces.length; i++) {
    const c = pieces[i]!;
    const piece = UNSAFE.test(c) ? escape(c) : c;
    const last = i === pieces.length - 1;
    if (out.length + piece.length > (last ? max : max - 1)) return out + ELLIPSIS;
    out += piece;
  }
  return out;
}

function escape(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}
