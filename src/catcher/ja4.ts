// The JA4 fingerprint of a ClientHello (FoxIO's JA4, the TLS client fingerprint; BSD-3-Clause,
// technical_details/JA4.md of github.com/FoxIO-LLC/ja4), e.g. `t13d1516h2_8daaf6152771_e5627efa2ab1`:
//
//   a: "t" (TLS over TCP), the version (the highest non-GREASE supported_versions entry, else the
//      hello's legacy_version: 13 12 11 10 s3 s2, 00 when unknown), "d" with a server_name
//      extension or "i" without, the cipher count and the extension count (GREASE left out, two
//      digits, at most 99), and the first and last character of the first ALPN value ("00"
//      without one; the first and last hex digit of its bytes when either end is not a letter
//      or digit);
//   b: the first 12 hex digits of SHA-256 over the non-GREASE cipher suites as 4-digit lower-case
//      hex, sorted, comma-separated ("000000000000" when there are none);
//   c: the same over the sorted extensions without GREASE, server_name (0000) and ALPN (0010),
//      then "_" and the signature algorithms in the order sent (no "_" when there are none;
//      "000000000000" when no extension is left).
//
// Where sinkd's differs from the specification: only TLS over TCP is seen, so the first
// character is always "t" (never "q" or "d"); only the first ClientHello of a connection is
// fingerprinted, and only if it arrives whole within the catcher's byte limit (a cut-off hello
// is logged as tls without a fingerprint); SSL 2.0-format hellos are not fingerprinted. GREASE
// is left out of the signature algorithms too, as the specification's "ignore GREASE values
// anywhere" asks. The raw (`_r`) and original-order (`_o`) variants are not computed.

import { createHash } from 'node:crypto';
import { EXT_ALPN, EXT_SERVER_NAME, isGrease, type ClientHello } from './tls-client-hello.js';

const VERSIONS: Readonly<Record<number, string>> = {
  0x0304: '13',
  0x0303: '12',
  0x0302: '11',
  0x0301: '10',
  0x0300: 's3',
  0x0002: 's2',
  0xfeff: 'd1',
  0xfefd: 'd2',
  0xfefc: 'd3',
};

const EMPTY_HASH = '000000000000';

export function ja4(hello: ClientHello): string {
  const ciphers = hello.ciphers.filter((c) => !isGrease(c));
  const extensions = hello.extensions.filter((e) => !isGrease(e));
  const versions = hello.supportedVersions.filter((v) => !isGrease(v));
  const version = versions.length > 0 ? Math.max(...versions) : hello.legacyVersion;
  const a =
    't' +
    (VERSIONS[version] ?? '00') +
    (extensions.includes(EXT_SERVER_NAME) ? 'd' : 'i') +
    count(ciphers.length) +
    count(extensions.length) +
    alpnChars(hello.alpn[0]);
  const b = ciphers.length === 0 ? EMPTY_HASH : hash12(ciphers.map(hex4).sort().join(','));
  const sorted = extensions.filter((e) => e !== EXT_SERVER_NAME && e !== EXT_ALPN).map(hex4).sort();
  const sigs = hello.signatureAlgorithms.filter((s) => !isGrease(s)).map(hex4);
  const c = sorted.length === 0 ? EMPTY_HASH : hash12(sorted.join(',') + (sigs.length > 0 ? `_${sigs.join(',')}` : ''));
  return `${a}_${b}_${c}`;
}

function count(n: number): string {
  return String(Math.min(n, 99)).padStart(2, '0');
}

function hex4(v: number): string {
  return v.toString(16).padStart(4, '0');
}

function hash12(s: string): string {
  return createHash('sha256').update(s, 'latin1').digest('hex').slice(0, 12);
}

const ALNUM = /^[0-9A-Za-z]$/;

/** `alpn`: a binary string. */
function alpnChars(alpn: string | undefined): string {
  if (alpn === undefined || alpn.length === 0) return '00';
  const first = alpn[0]!;
  const last = alpn[alpn.length - 1]!;
  if (ALNUM.test(first) && ALNUM.test(last)) return first + last;
  const hex = Buffer.from(alpn, 'latin1').toString('hex');
  return hex[0]! + hex[hex.length - 1]!;
}
