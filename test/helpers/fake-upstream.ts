// A fake upstream DNS server for integration tests: real UDP and TCP sockets on loopback, a small
// record table, and per-name behaviours (delay, drop, truncate, SERVFAIL, forged replies). It
// counts every query it receives so tests can assert what reached an upstream.

import dgram from 'node:dgram';
import net from 'node:net';
import dns2 from 'dns2';
import { parseQuery } from '../../src/wire/query.js';

const { Packet } = dns2;

export interface FakeRecord {
  type: 'A' | 'AAAA' | 'CNAME' | 'MX' | 'TXT';
  ttl: number;
  value: string;
}

export interface Behaviour {
  delayMs?: number;
  /** Never answer. */
  drop?: boolean;
  /** Over UDP answer TC=1 with no records; over TCP answer in full. */
  truncate?: boolean;
  rcode?: number;
  /** Send a reply with a different ID first (must be ignored), then the real one. */
  forgeFirst?: 'id' | 'question';
  /**
   * EDNS Client Subnet (RFC 7871) as an ECS-aware authority does it: the A answer is
   * `answers[subnet]` for a query whose ECS subnet is listed, and the reply's OPT echoes the
   * query's ECS option with this scope prefix. `always`: echo one (for 198.51.100.0/24) even
   * when the query had none, as a broken server might.
   */
  ecs?: { scope: number; answers: Record<string, string>; always?: boolean };
}

export interface SeenQuery {
  name: string;
  type: number;
  transport: 'udp' | 'tcp';
  id: number;
  sourcePort: number;
  /** The query as it arrived. */
  raw: Buffer;
}

const SOA = { primary: 'ns1.test.', admin: 'hostmaster.test.', serial: 1, refresh: 3600, retry: 600, expiration: 86400, minimum: 30 };

export class FakeUpstream {
  readonly seen: SeenQuery[] = [];
  readonly records = new Map<string, FakeRecord[]>();
  /** Per name; a key `*.zone` applies to every name below zone without its own. */
  readonly behaviours = new Map<string, Behaviour>();
  /** Behaviour for every name without its own. */
  defaultBehaviour: Behaviour = {};
  /** TTL of the SOA in negative answers (its MINIMUM is 30). */
  soaTtl = 300;
  private udp!: dgram.Socket;
  private tcp!: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  static async start(host = '127.0.0.1'): Promise<FakeUpstream> {
    const f = new FakeUpstream();
    await f.listen(host);
    return f;
  }

  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  add(name: string, ...records: FakeRecord[]): this {
    this.records.set(name.toLowerCase(), [...(this.records.get(name.toLowerCase()) ?? []), ...records]);
    return this;
  }

  count(name?: string): number {
    return name === undefined ? this.seen.length : this.seen.filter((q) => q.name === name.toLowerCase()).length;
  }

  private async listen(host: string, attempt = 0): Promise<void> {
    this.udp = dgram.createSocket('udp4');
    this.udp.on('message', (msg, rinfo) => {
      void this.respond(msg, 'udp', rinfo.port, (out) => this.udp.send(out, rinfo.port, rinfo.address));
    });
    await new Promise<void>((resolve) => this.udp.bind(0, host, resolve));
    this.port = this.udp.address().port;
    this.tcp = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {});
      let buf = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2 && buf.length >= buf.readUInt16BE(0) + 2) {
          const msg = buf.subarray(2, buf.readUInt16BE(0) + 2);
          buf = buf.subarray(buf.readUInt16BE(0) + 2);
          void this.respond(Buffer.from(msg), 'tcp', socket.remotePort ?? 0, (out) => {
            const len = Buffer.alloc(2);
            len.writeUInt16BE(out.length);
            if (!socket.destroyed) socket.write(Buffer.concat([len, out]));
          });
        }
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        this.tcp.once('error', reject);
        this.tcp.listen(this.port, host, resolve);
      });
    } catch (err) {
      this.udp.close();
      if (attempt < 10) return this.listen(host, attempt + 1);
      throw err;
    }
  }

  private async respond(msg: Buffer, transport: 'udp' | 'tcp', sourcePort: number, send: (b: Buffer) => void): Promise<void> {
    let req: InstanceType<typeof Packet>;
    try {
      req = Packet.parse(msg);
    } catch {
      return;
    }
    const q = req.questions[0];
    if (!q) return;
    const name = q.name.toLowerCase();
    this.seen.push({ name, type: q.type, transport, id: req.header.id, sourcePort, raw: Buffer.from(msg) });
    const b = this.behaviourOf(name);
    if (b.drop) return;
    if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs));
    const real = b.ecs ? withEcs(msg, this.build(req, transport, b), b.ecs) : this.build(req, transport, b).toBuffer();
    if (b.forgeFirst) {
      const forged = this.build(Packet.parse(msg), transport, b);
      if (b.forgeFirst === 'id') forged.header.id = (req.header.id + 1) & 0xffff;
      else forged.questions[0]!.name = `forged-${q.name}`;
      forged.answers = [{ name: q.name, type: Packet.TYPE.A, class: 1, ttl: 3600, address: '6.6.6.6' } as never];
      send(forged.toBuffer());
    }
    send(real);
  }

  private behaviourOf(name: string): Behaviour {
    const own = this.behaviours.get(name);
    if (own !== undefined) return own;
    for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
      const b = this.behaviours.get(`*${name.slice(dot)}`);
      if (b !== undefined) return b;
    }
    return this.defaultBehaviour;
  }

  private build(req: InstanceType<typeof Packet>, transport: 'udp' | 'tcp', b: Behaviour): InstanceType<typeof Packet> {
    const res = new Packet(req);
    res.header.qr = 1;
    res.header.ra = 1;
    res.answers = [];
    res.authorities = [];
    // A fresh OPT: echoing the client's would need dns2 to encode options it has no codec for (cookies).
    res.additionals = req.additionals.some((r) => r.type === Packet.TYPE.EDNS) ? [Packet.Resource.EDNS([], { udpPayloadSize: 1232 }) as never] : [];
    const q = req.questions[0]!;
    const name = q.name.toLowerCase();
    if (b.rcode !== undefined) {
      res.header.rcode = b.rcode;
      return res;
    }
    if (b.truncate && transport === 'udp') {
      res.header.tc = 1;
      return res;
    }
    const recs = this.records.get(name);
    if (!recs) {
      res.header.rcode = Packet.RCODE.NXDOMAIN;
      res.authorities = [{ name: 'test', type: Packet.TYPE.SOA, class: 1, ttl: this.soaTtl, ...SOA } as never];
      return res;
    }
    const typeName = Object.entries(Packet.TYPE).find(([, v]) => v === q.type)?.[0];
    const matching = recs.filter((r) => r.type === typeName || r.type === 'CNAME');
    if (matching.length === 0) {
      res.authorities = [{ name: 'test', type: Packet.TYPE.SOA, class: 1, ttl: this.soaTtl, ...SOA } as never];
      return res;
    }
    res.answers = matching.map((r) => {
      const base = { name: q.name, class: 1, ttl: r.ttl, type: Packet.TYPE[r.type] };
      switch (r.type) {
        case 'A':
        case 'AAAA':
          return { ...base, address: r.value } as never;
        case 'CNAME':
          return { ...base, domain: r.value } as never;
        case 'MX':
          return { ...base, exchange: r.value, priority: 10 } as never;
        case 'TXT':
          return { ...base, data: r.value } as never;
      }
    });
    return res;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.udp.close(() => r()));
    await new Promise<void>((r) => this.tcp.close(() => r()));
  }
}

/** The reply with the A answer chosen by the query's ECS subnet and the ECS option echoed with a scope. */
function withEcs(query: Buffer, res: InstanceType<typeof Packet>, ecs: NonNullable<Behaviour['ecs']>): Buffer {
  const parsed = parseQuery(query);
  const edns = parsed.ok ? parsed.query.edns : null;
  const subnet = edns?.clientSubnet;
  const address = subnet !== undefined ? ecs.answers[subnet] : undefined;
  if (address !== undefined) for (const a of res.answers as { address?: string }[]) if (a.address !== undefined) a.address = address;
  let option: Buffer | null = null;
  if (edns && subnet !== undefined) {
    // The query's own option 8, scope set.
    for (let off = edns.offset + 11; off + 4 <= edns.offset + edns.length; off += 4 + query.readUInt16BE(off + 2)) {
      if (query.readUInt16BE(off) === 8) option = Buffer.from(query.subarray(off, off + 4 + query.readUInt16BE(off + 2)));
    }
  } else if (ecs.always) option = Buffer.from([0, 8, 0, 7, 0, 1, 24, 0, 198, 51, 100]);
  if (option === null) return res.toBuffer();
  option[7] = ecs.scope;
  if (!res.additionals.some((r) => r.type === Packet.TYPE.EDNS)) res.additionals.push(Packet.Resource.EDNS([], { udpPayloadSize: 1232 }) as never);
  const bytes = res.toBuffer();
  // The OPT, with no options, is the last record: its RDLENGTH (0) is the last two octets.
  if (bytes.readUInt16BE(bytes.length - 2) !== 0) throw new Error('fake upstream: expected an empty OPT last');
  const out = Buffer.concat([bytes, option]);
  out.writeUInt16BE(option.length, bytes.length - 2);
  return out;
}
