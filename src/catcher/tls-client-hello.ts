// Recognises a TLS ClientHello in the first bytes of a connection (pure: bytes in, fields out):
// the record layer (handshake records, reassembled when the hello spans several), then the
// hello's cipher suites, extensions, server name, ALPN protocols, supported versions and
// signature algorithms: what the catch log shows and what JA4 is computed from (ja4.ts). Every
// length is checked against its container; anything that does not add up is not a ClientHello.
// SSL 2.0-format hellos are not recognised (nothing current sends one).

export interface ClientHello {
  /** The hello's legacy_version (0x0303 for TLS 1.2 and 1.3). */
  readonly legacyVersion: number;
  /** In the order sent, GREASE values included (JA4 drops them). */
  readonly ciphers: readonly number[];
  readonly extensions: readonly number[];
  /** The first host_name of the server_name extension, as a binary string; null without one. */
  readonly sni: string | null;
  /** The ALPN protocol names offered, in order, as binary strings. */
  readonly alpn: readonly string[];
  readonly supportedVersions: readonly number[];
  readonly signatureAlgorithms: readonly number[];
}

export type TlsRecognition = ClientHello | 'need-more' | null;

const HANDSHAKE = 0x16;
const CLIENT_HELLO = 1;
/** RFC 8446 5.1: a record's plaintext is at most 2^14 bytes. */
const MAX_RECORD = 16_384;
/** A hello larger than this is not one (real ones are under 2 KB, 8 KB with every post-quantum key share). */
const MAX_HELLO = 65_536;

export const EXT_SERVER_NAME = 0x0000;
export const EXT_ALPN = 0x0010;
const EXT_SIGNATURE_ALGORITHMS = 0x000d;
const EXT_SUPPORTED_VERSIONS = 0x002b;

/** RFC 8701 GREASE: 0x0a0a, 0x1a1a, ... 0xfafa. */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
}

export function recognizeTls(bytes: Buffer): TlsRecognition {
  // The first handshake message starts right after the first record header.
  if (bytes.length > 5 && bytes[5] !== CLIENT_HELLO) return null;
  // The handshake bytes, gathered from consecutive handshake records.
  const fragments: Buffer[] = [];
  let have = 0;
  let off = 0;
  while (off < bytes.length) {
    if (bytes[off] !== HANDSHAKE) return null;
    if (off + 1 < bytes.length && bytes[off + 1] !== 0x03) return null;
    if (off + 2 < bytes.length && bytes[off + 2]! > 0x04) return null;
    if (off + 5 > bytes.length) return 'need-more';
    const len = bytes.readUInt16BE(off + 3);
    if (len === 0 || len > MAX_RECORD) return null;
    const fragment = bytes.subarray(off + 5, Math.min(off + 5 + len, bytes.length));
    fragments.push(fragment);
    have += fragment.length;
    off += 5 + len;
    if (have < 4) continue;
    const handshake = fragments.length === 1 ? fragment : Buffer.concat(fragments);
    const helloLength = handshake.readUIntBE(1, 3);
    if (helloLength > MAX_HELLO) return null;
    if (have >= helloLength + 4) return parseClientHello(handshake.subarray(4, helloLength + 4));
  }
  return 'need-more';
}

/** Reads a ClientHello body; null when any length does not add up. */
export function parseClientHello(body: Buffer): ClientHello | null {
  const r = new Reader(body);
  const legacyVersion = r.u16();
  r.skip(32); // random
  r.skip(r.u8()); // legacy_session_id
  const cipherBytes = r.u16();
  if (cipherBytes === 0 || cipherBytes % 2 !== 0) return null;
  const ciphers = r.u16List(cipherBytes);
  const compression = r.u8();
  if (compression === 0) return null;
  r.skip(compression);
  const extensions: number[] = [];
  let sni: string | null = null;
  let alpn: string[] = [];
  let supportedVersions: number[] = [];
  let signatureAlgorithms: number[] = [];
  // Extensions are optional before TLS 1.3: a hello may end after the compression methods.
  if (r.ok && r.left > 0) {
    const extBytes = r.u16();
    if (extBytes !== r.left) return null;
    while (r.ok && r.left > 0) {
      const type = r.u16();
      const data = r.bytes(r.u16());
      if (!r.ok) return null;
      extensions.push(type);
      const d = new Reader(data);
      if (type === EXT_SERVER_NAME && sni === null) sni = serverName(d);
      else if (type === EXT_ALPN) alpn = alpnNames(d);
      else if (type === EXT_SUPPORTED_VERSIONS) supportedVersions = d.u16List(d.u8());
      else if (type === EXT_SIGNATURE_ALGORITHMS) signatureAlgorithms = d.u16List(d.u16());
      // A malformed inner list leaves its field empty; the extension still counts (JA4 counts it).
      if (!d.ok) {
        if (type === EXT_ALPN) alpn = [];
        if (type === EXT_SUPPORTED_VERSIONS) supportedVersions = [];
        if (type === EXT_SIGNATURE_ALGORITHMS) signatureAlgorithms = [];
      }
    }
  }
  if (!r.ok) return null;
  return { legacyVersion, ciphers, extensions, sni, alpn, supportedVersions, signatureAlgorithms };
}

function serverName(d: Reader): string | null {
  const end = d.u16();
  if (end !== d.left) return null;
  while (d.ok && d.left > 0) {
    const type = d.u8();
    const name = d.bytes(d.u16());
    if (d.ok && type === 0) return name.toString('latin1');
  }
  return null;
}

function alpnNames(d: Reader): string[] {
  const listBytes = d.u16();
  if (listBytes !== d.left) return [];
  const names: string[] = [];
  while (d.ok && d.left > 0) {
    const name = d.bytes(d.u8());
    if (d.ok) names.push(name.toString('latin1'));
  }
  return names;
}

/** Bounds-checked big-endian reads; a read past the end sets ok = false and returns zeros. */
class Reader {
  private off = 0;
  ok = true;

  constructor(private readonly buf: Buffer) {}

  get left(): number {
    return this.buf.length - this.off;
  }

  private take(n: number): number {
    if (!this.ok || n > this.left) {
      this.ok = false;
      return -1;
    }
    const at = this.off;
    this.off += n;
    return at;
  }

  u8(): number {
    const at = this.take(1);
    return at < 0 ? 0 : this.buf[at]!;
  }

  u16(): number {
    const at = this.take(2);
    return at < 0 ? 0 : this.buf.readUInt16BE(at);
  }

  skip(n: number): void {
    this.take(n);
  }

  bytes(n: number): Buffer {
    const at = this.take(n);
    return at < 0 ? Buffer.alloc(0) : this.buf.subarray(at, at + n);
  }

  u16List(byteLength: number): number[] {
    if (byteLength % 2 !== 0) {
      this.ok = false;
      return [];
    }
    const at = this.take(byteLength);
    if (at < 0) return [];
    const out: number[] = [];
    for (let i = at; i < at + byteLength; i += 2) out.push(this.buf.readUInt16BE(i));
    return out;
  }
}

/** A fatal handshake_failure alert: the whole answer to a hello (the catcher has no certificate to offer). */
export const TLS_HANDSHAKE_FAILURE = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);
