// Shared test helpers for the wire fast path: dns2 as the oracle that builds queries and decodes
// sinkd's replies, plus a few hand-built byte layouts dns2 cannot produce.

import dns2 from 'dns2';

export const { Packet } = dns2;
export type Packet = InstanceType<typeof Packet>;
export type Resource = dns2.Packet.Resource;

export interface QueryOptions {
  readonly id?: number;
  readonly type?: number;
  readonly cls?: number;
  readonly rd?: boolean;
  readonly cd?: boolean;
  readonly opcode?: number;
  /** Adds an OPT record when present. */
  readonly edns?: {
    readonly udpSize?: number;
    readonly dnssecOk?: boolean;
    readonly version?: number;
    readonly options?: object[];
  };
}

/** A query for `name` built by dns2 (its letter case is kept on the wire). */
export function buildQuery(name: string, opts: QueryOptions = {}): Buffer {
  const p = new Packet();
  p.header.id = opts.id ?? 0x1234;
  p.header.rd = opts.rd === false ? 0 : 1;
  p.header.opcode = opts.opcode ?? 0;
  if (opts.cd) (p.header as unknown as { cd: number }).cd = 1;
  p.questions.push({ name, type: opts.type ?? Packet.TYPE.A, class: opts.cls ?? Packet.CLASS.IN } as dns2.Packet.Question);
  if (opts.edns) {
    p.additionals.push(
      Packet.Resource.EDNS(opts.edns.options ?? [], {
        udpPayloadSize: opts.edns.udpSize ?? 1232,
        doFlag: opts.edns.dnssecOk ?? false,
        version: opts.edns.version ?? 0,
      }),
    );
  }
  return p.toBuffer();
}

/** Wire form of a list of raw labels (each a string of latin1 bytes or a Buffer), root-terminated. */
export function wireName(labels: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = typeof l === 'string' ? Buffer.from(l, 'latin1') : l;
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export interface RawHeader {
  readonly id?: number;
  readonly flags?: number;
  readonly qd?: number;
  readonly an?: number;
  readonly ns?: number;
  readonly ar?: number;
}

export function header(h: RawHeader = {}): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(h.id ?? 0xbeef, 0);
  b.writeUInt16BE(h.flags ?? 0x0100, 2);
  b.writeUInt16BE(h.qd ?? 1, 4);
  b.writeUInt16BE(h.an ?? 0, 6);
  b.writeUInt16BE(h.ns ?? 0, 8);
  b.writeUInt16BE(h.ar ?? 0, 10);
  return b;
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** Header + name bytes + QTYPE/QCLASS + whatever follows. */
export function rawQuery(name: Buffer, type = 1, cls = 1, h: RawHeader = {}, ...rest: Buffer[]): Buffer {
  return Buffer.concat([header(h), name, u16(type), u16(cls), ...rest]);
}

/** An OPT record written by hand: owner bytes, UDP size, extended rcode, version, flags, RDATA. */
export function rawOpt(o: { owner?: Buffer; udpSize?: number; extRcode?: number; version?: number; flags?: number; rdata?: Buffer } = {}): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(41, 0);
  fixed.writeUInt16BE(o.udpSize ?? 1232, 2);
  fixed[4] = o.extRcode ?? 0;
  fixed[5] = o.version ?? 0;
  fixed.writeUInt16BE(o.flags ?? 0, 6);
  const rdata = o.rdata ?? Buffer.alloc(0);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([o.owner ?? Buffer.from([0]), fixed, rdata]);
}

/** One EDNS option: code, length, data. */
export function ednsOption(code: number, data: Buffer): Buffer {
  return Buffer.concat([u16(code), u16(data.length), data]);
}

/** dns2's decode of `buf`, asserting nothing. */
export function decode(buf: Buffer): Packet {
  return Packet.parse(buf);
}

/** The OPT record of a decoded packet, if any. */
export function optOf(p: Packet): Resource | undefined {
  return p.additionals.find((r) => r.type === Packet.TYPE.EDNS);
}

/** Small, fast, seedable PRNG (mulberry32): the property loops must be reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}
