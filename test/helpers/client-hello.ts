// Builds TLS ClientHello records byte by byte for the catcher's parser tests: cipher suites and
// extensions as given (GREASE and all), wrapped in one handshake record or split over several.

export interface HelloSpec {
  legacyVersion?: number;
  ciphers: number[];
  /** [type, data] in the order sent. */
  extensions?: [number, Buffer][];
  /** Leave the extensions block out entirely (pre-TLS-1.3 style). */
  noExtensions?: boolean;
  sessionId?: Buffer;
}

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);

export function helloBody(spec: HelloSpec): Buffer {
  const sid = spec.sessionId ?? Buffer.alloc(32, 7);
  const ciphers = Buffer.concat(spec.ciphers.map(u16));
  const parts = [u16(spec.legacyVersion ?? 0x0303), Buffer.alloc(32, 1), Buffer.from([sid.length]), sid, u16(ciphers.length), ciphers, Buffer.from([1, 0])];
  if (!spec.noExtensions) {
    const exts = Buffer.concat((spec.extensions ?? []).map(([t, d]) => Buffer.concat([u16(t), u16(d.length), d])));
    parts.push(u16(exts.length), exts);
  }
  return Buffer.concat(parts);
}

/** The hello as TLS records: one record, or `split` records of the handshake bytes. */
export function clientHello(spec: HelloSpec, split = 1): Buffer {
  const body = helloBody(spec);
  const handshake = Buffer.concat([Buffer.from([1]), u24(body.length), body]);
  const size = Math.ceil(handshake.length / split);
  const records: Buffer[] = [];
  for (let off = 0; off < handshake.length; off += size) {
    const frag = handshake.subarray(off, off + size);
    records.push(Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), u16(frag.length), frag]));
  }
  return Buffer.concat(records);
}

export const ext = {
  sni: (name: string): [number, Buffer] => {
    const n = Buffer.from(name, 'latin1');
    const entry = Buffer.concat([Buffer.from([0]), u16(n.length), n]);
    return [0x0000, Buffer.concat([u16(entry.length), entry])];
  },
  alpn: (protos: (string | Buffer)[]): [number, Buffer] => {
    const list = Buffer.concat(protos.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)).map((p) => Buffer.concat([Buffer.from([p.length]), p])));
    return [0x0010, Buffer.concat([u16(list.length), list])];
  },
  versions: (vs: number[]): [number, Buffer] => [0x002b, Buffer.concat([Buffer.from([vs.length * 2]), ...vs.map(u16)])],
  sigalgs: (algs: number[]): [number, Buffer] => [0x000d, Buffer.concat([u16(algs.length * 2), ...algs.map(u16)])],
  empty: (type: number): [number, Buffer] => [type, Buffer.alloc(0)],
};
