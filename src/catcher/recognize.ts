// Decides what a connection is from its first bytes (pure): a TLS ClientHello, an HTTP request,
// or other TCP; what it said (the fields a catch records); which signature it matches; and the
// minimal answer owed to it. Called again as bytes arrive until it decides, and once more,
// `final`, when the connection ends or a limit is reached, to make the best of what came.

import { HTTP_EMPTY_OK, recognizeHttp } from './http-request.js';
import { ja4 } from './ja4.js';
import type { SignatureMatch, SignatureTable } from './signatures.js';
import { recognizeTls, TLS_HANDSHAKE_FAILURE } from './tls-client-hello.js';

/** Strings are binary strings (one character per byte), not yet made printable. */
export interface Recognition {
  readonly protocol: 'http' | 'tls' | 'tcp';
  readonly method: string | null;
  readonly host: string | null;
  readonly path: string | null;
  readonly userAgent: string | null;
  readonly sni: string | null;
  readonly alpn: readonly string[] | null;
  readonly ja4: string | null;
  readonly match: SignatureMatch | null;
  /** Written before closing; null: close without a word. */
  readonly reply: Buffer | null;
}

const NOTHING = { method: null, host: null, path: null, userAgent: null, sni: null, alpn: null, ja4: null } as const;

/** Null: not decided yet, wait for more bytes (never when `final`). */
export function recognize(bytes: Buffer, final: true, signatures: SignatureTable): Recognition;
export function recognize(bytes: Buffer, final: boolean, signatures: SignatureTable): Recognition | null;
export function recognize(bytes: Buffer, final: boolean, signatures: SignatureTable): Recognition | null {
  if (bytes.length === 0) return final ? tcp(null) : null;
  const payload = bytes.toString('latin1');

  if (bytes[0] === 0x16) {
    const hello = recognizeTls(bytes);
    if (hello !== null && hello !== 'need-more') {
      const fingerprint = ja4(hello);
      const match = signatures.match({ protocol: 'tls', payload, sni: hello.sni, ja4: fingerprint });
      return { ...NOTHING, protocol: 'tls', sni: hello.sni, alpn: hello.alpn, ja4: fingerprint, match, reply: TLS_HANDSHAKE_FAILURE };
    }
    if (hello === 'need-more') {
      if (!final) return null;
      // A hello cut off by a limit: TLS once its record header and handshake type have arrived.
      if (bytes.length >= 6) return { ...NOTHING, protocol: 'tls', match: signatures.match({ protocol: 'tls', payload }), reply: null };
    }
  } else {
    const head = recognizeHttp(bytes);
    if (head !== null && head !== 'need-more' && (head.complete || final)) {
      const fields = { method: head.method, host: head.host, path: head.target, userAgent: head.userAgent };
      const match = signatures.match({ protocol: 'http', payload, ...fields });
      // A head cut off by a limit gets no answer: the connection is being closed for abuse.
      return { ...NOTHING, protocol: 'http', ...fields, match, reply: head.complete ? HTTP_EMPTY_OK : null };
    }
    if (head !== null && !final) return null;
  }

  // Anything else: a signature on the raw bytes decides now; otherwise wait for the end.
  const match = signatures.match({ protocol: 'tcp', payload });
  if (match !== null || final) return tcp(match);
  return null;
}

function tcp(match: SignatureMatch | null): Recognition {
  return { ...NOTHING, protocol: 'tcp', match, reply: null };
}
