// A minimal test DNS client over real sockets: build a query with dns2, send it over UDP or TCP
// (optionally from a chosen loopback source address), decode the reply with dns2.

import dgram from 'node:dgram';
import net from 'node:net';
import dns2 from 'dns2';

const { Packet } = dns2;
export { Packet };
export type DnsPacket = InstanceType<typeof Packet>;

export interface QueryOptions {
  type?: keyof typeof Packet.TYPE | number;
  id?: number;
  edns?: boolean | { udpSize?: number; do?: boolean };
  rd?: boolean;
  source?: string;
  timeoutMs?: number;
}

export function buildQuery(name: string, opts: QueryOptions = {}): Buffer {
  const p = new Packet();
  p.header.id = opts.id ?? Math.floor(Math.random() * 65536);
  p.header.rd = opts.rd === false ? 0 : 1;
  const type = typeof opts.type === 'number' ? opts.type : Packet.TYPE[opts.type ?? 'A'];
  p.questions.push({ name, type, class: Packet.CLASS.IN } as never);
  if (opts.edns) {
    const e = typeof opts.edns === 'object' ? opts.edns : {};
    p.additionals.push(Packet.Resource.EDNS([], { udpPayloadSize: e.udpSize ?? 1232, doFlag: e.do ?? false }) as never);
  }
  return p.toBuffer();
}

export function sendUdpRaw(port: number, bytes: Buffer, opts: { source?: string; timeoutMs?: number; host?: string } = {}): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const host = opts.host ?? '127.0.0.1';
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(null);
    }, opts.timeoutMs ?? 2000);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg);
    });
    socket.bind(0, opts.source, () => socket.send(bytes, port, host));
  });
}

export async function queryUdp(port: number, name: string, opts: QueryOptions & { host?: string } = {}): Promise<DnsPacket> {
  const reply = await sendUdpRaw(port, buildQuery(name, opts), { source: opts.source, timeoutMs: opts.timeoutMs, host: opts.host });
  if (reply === null) throw new Error(`no UDP reply for ${name}`);
  return Packet.parse(reply);
}

/** Sends every query on one TCP connection at once; resolves with the replies in arrival order. */
export function queryTcpMany(port: number, queries: Buffer[], opts: { timeoutMs?: number; host?: string } = {}): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: opts.host ?? '127.0.0.1' });
    const replies: Buffer[] = [];
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`TCP: ${replies.length} of ${queries.length} replies before the timeout`));
    }, opts.timeoutMs ?? 3000);
    socket.on('error', reject);
    socket.on('connect', () => {
      socket.write(Buffer.concat(queries.map((q) => Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]))));
    });
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= buf.readUInt16BE(0) + 2) {
        replies.push(Buffer.from(buf.subarray(2, buf.readUInt16BE(0) + 2)));
        buf = buf.subarray(buf.readUInt16BE(0) + 2);
      }
      if (replies.length === queries.length) {
        clearTimeout(timer);
        socket.end();
        resolve(replies);
      }
    });
  });
}

export async function queryTcp(port: number, name: string, opts: QueryOptions = {}): Promise<DnsPacket> {
  const [reply] = await queryTcpMany(port, [buildQuery(name, opts)]);
  return Packet.parse(reply!);
}
