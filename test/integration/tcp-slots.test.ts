// Issue 10, finding 6: DNS-over-TCP connection slots. Before, 8 addresses (or one IPv6 host with
// its /64) could hold all 256 slots for as long as they liked. Now connections are counted per
// address and per /24 (IPv4; /56 for IPv6, see test/server/tcp-connection-table.test.ts, as
// loopback IPv6 is only ::1), and when every slot is taken the connection idle longest gives its
// slot to a newcomer; connections waiting for an answer are never reclaimed. Over real sockets
// from many addresses of 127.0.0.0/8.

import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../helpers/fake-upstream.js';
import { buildQuery, Packet } from '../helpers/dns-client.js';
import { startSinkd, type TestSinkd } from '../helpers/sinkd.js';
import { frame } from '../fuzz/net-scenarios.mjs';

let upstream: FakeUpstream;
let sinkd: TestSinkd;

beforeAll(async () => {
  upstream = await FakeUpstream.start();
  upstream.add('www.example.com', { type: 'A', ttl: 300, value: '192.0.2.10' });
  upstream.behaviours.set('slow.example', { drop: true });
  sinkd = await startSinkd({
    upstreams: [upstream.endpoint],
    yaml: [
      'upstream: { timeoutMs: 3000, tcpTimeoutMs: 3000 }',
      'tcp: { idleTimeoutMs: 10000, maxConnections: 16, maxConnectionsPerClient: 4, maxConnectionsPerPrefix: 8 }',
    ].join('\n'),
  });
});
afterAll(async () => {
  await sinkd?.stop();
  await upstream?.stop();
});

interface Held {
  socket: net.Socket;
  closed: () => boolean;
  /** Framed replies received so far. */
  replies: Buffer[];
}

/** A TCP connection from `source`, open once connected (or closed by the server at once). */
function connect(source: string): Promise<Held> {
  return new Promise((resolve) => {
    const socket = net.connect({ port: sinkd.port, host: '127.0.0.1', localAddress: source });
    let closed = false;
    let buf = Buffer.alloc(0);
    const replies: Buffer[] = [];
    socket.on('error', () => {});
    socket.on('close', () => (closed = true));
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= buf.readUInt16BE(0) + 2) {
        replies.push(buf.subarray(2, buf.readUInt16BE(0) + 2));
        buf = buf.subarray(buf.readUInt16BE(0) + 2);
      }
    });
    socket.on('connect', () => resolve({ socket, closed: () => closed, replies }));
  });
}

const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));
const counts = () => sinkd.server.handler.listenerCounts;

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await settle(20);
}

describe('TCP connection slots', () => {
  it('caps one /24 as a whole, not only each address in it', async () => {
    const refusedBefore = counts().tcpRefused.prefix;
    const held: Held[] = [];
    for (const source of ['127.0.5.1', '127.0.5.2']) for (let i = 0; i < 4; i++) held.push(await connect(source));
    const third = await connect('127.0.5.3'); // same /24: its 9th connection
    const other = await connect('127.0.6.1'); // another /24
    await settle();
    expect(held.map((h) => h.closed())).toEqual(Array(8).fill(false));
    expect(third.closed()).toBe(true);
    expect(other.closed()).toBe(false);
    expect(counts().tcpRefused.prefix - refusedBefore).toBe(1);
    for (const h of [...held, third, other]) h.socket.destroy();
    await settle();
  });

  it('when every slot is held by idle connections, closes the one idle longest and serves the newcomer', async () => {
    const reclaimedBefore = counts().tcpReclaimed;
    // 16 idle connections, 2 from each of 8 addresses in 4 different /24s: within every cap.
    const held: Held[] = [];
    for (let p = 0; p < 4; p++) for (const host of [1, 2]) for (let i = 0; i < 2; i++) held.push(await connect(`127.0.${10 + p}.${host}`));
    // Keep the others busy-looking recently: the second connection onwards asks one query each.
    for (const h of held.slice(1)) h.socket.write(frame(buildQuery('www.example.com')));
    await until(() => held.slice(1).every((h) => h.replies.length === 1));
    const newcomer = await connect('127.0.20.1');
    newcomer.socket.write(frame(buildQuery('www.example.com', { id: 4242 })));
    await until(() => newcomer.replies.length === 1 || newcomer.closed());
    expect(newcomer.replies).toHaveLength(1);
    expect(Packet.parse(newcomer.replies[0]!).answers[0]).toMatchObject({ address: '192.0.2.10' });
    await settle();
    // The one idle longest (never asked anything) made room; every other stayed.
    expect(held.map((h) => h.closed())).toEqual([true, ...Array(15).fill(false)]);
    expect(counts().tcpReclaimed - reclaimedBefore).toBe(1);
    for (const h of [...held, newcomer]) h.socket.destroy();
    await settle();
  });

  it('never reclaims a connection that waits for an answer: a newcomer is refused instead', async () => {
    const fullBefore = counts().tcpRefused.full;
    const held: Held[] = [];
    for (let p = 0; p < 4; p++) for (const host of [1, 2]) for (let i = 0; i < 2; i++) held.push(await connect(`127.0.${30 + p}.${host}`));
    // Every connection waits for an upstream that never answers (within the 3 s timeout).
    for (const h of held) h.socket.write(frame(buildQuery('slow.example')));
    await settle(500);
    const newcomer = await connect('127.0.40.1');
    await settle();
    expect(newcomer.closed()).toBe(true);
    expect(held.map((h) => h.closed())).toEqual(Array(16).fill(false));
    expect(counts().tcpRefused.full - fullBefore).toBe(1);
    for (const h of [...held, newcomer]) h.socket.destroy();
  });
});
