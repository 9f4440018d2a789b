// Abuse on the resolver side, over real sockets: a client flooding from one address is held to
// the per-client rate while another client is still answered, and ANY gets the RFC 8482
// minimal answer without an upstream query.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../helpers/fake-upstream.js';
import { Packet, buildQuery, queryUdp, sendUdpRaw } from '../helpers/dns-client.js';
import { startSinkd, type TestSinkd } from '../helpers/sinkd.js';
import net from 'node:net';

let upstream: FakeUpstream;
let sinkd: TestSinkd;

beforeAll(async () => {
  upstream = await FakeUpstream.start();
  upstream.add('www.example.com', { type: 'A', ttl: 300, value: '192.0.2.10' });
  sinkd = await startSinkd({
    upstreams: [upstream.endpoint],
    blocklist: 'evil.example\n',
    yaml: 'clientLimit: { queriesPerSecond: 20, action: refused, exempt: [] }\ntcp: { idleTimeoutMs: 5000, maxConnections: 256, maxConnectionsPerClient: 4 }',
  });
});
afterAll(async () => {
  await sinkd?.stop();
  await upstream?.stop();
});

describe('per-client rate limit', () => {
  it('refuses a flooding client beyond its rate, keeps answering another, and logs the flooder once', async () => {
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) => sendUdpRaw(sinkd.port, buildQuery('www.example.com', { id: i }), { source: '127.0.0.31' })),
    );
    const rcodes = replies.map((r) => (r === null ? 'lost' : Packet.parse(r).header.rcode));
    const answered = rcodes.filter((c) => c === 0).length;
    const refused = rcodes.filter((c) => c === 5).length;
    // 200 queries within a second or two: about 20 a second get through, the rest REFUSED.
    expect(answered).toBeGreaterThanOrEqual(20);
    expect(answered).toBeLessThanOrEqual(60);
    expect(refused).toBe(200 - answered);
    // Another client, meanwhile, is served normally.
    const other = await queryUdp(sinkd.port, 'www.example.com', { source: '127.0.0.32' });
    expect(other.header.rcode).toBe(0);
    expect(other.answers[0]).toMatchObject({ address: '192.0.2.10' });
    const lines = sinkd.logs.filter((l) => l.event === 'client-limit');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ client: '127.0.0.31', limit: 20, action: 'refused' });
  });
});

describe('ANY (RFC 8482)', () => {
  it('answers ANY with one synthesized HINFO and never asks the upstream', async () => {
    const before = upstream.count('www.example.com');
    const reply = await queryUdp(sinkd.port, 'www.example.com', { type: 'ANY', source: '127.0.0.33' });
    expect(reply.header.rcode).toBe(0);
    expect(reply.answers).toHaveLength(1);
    expect(reply.answers[0]!.type).toBe(13);
    expect(upstream.count('www.example.com')).toBe(before);
  });
  it('still sinkholes ANY for a listed name', async () => {
    const reply = await queryUdp(sinkd.port, 'x.evil.example', { type: 'ANY', source: '127.0.0.33' });
    expect(reply.answers.map((a) => a.type).sort()).toEqual([1, 28]);
  });
});

/** A TCP connection from `source`; resolves with whether the server closed it within 300 ms. */
function connect(port: number, source: string): Promise<{ socket: net.Socket; closedAtOnce: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: source });
    let closed = false;
    socket.on('error', () => {});
    socket.on('close', () => (closed = true));
    socket.on('connect', () => setTimeout(() => resolve({ socket, closedAtOnce: closed }), 300));
  });
}

describe('TCP connections per client address', () => {
  it('closes connections beyond the per-address cap, and still serves another address', async () => {
    const held = await Promise.all(Array.from({ length: 4 }, () => connect(sinkd.port, '127.0.0.34')));
    expect(held.map((c) => c.closedAtOnce)).toEqual([false, false, false, false]);
    const fifth = await connect(sinkd.port, '127.0.0.34');
    expect(fifth.closedAtOnce).toBe(true);
    const other = await connect(sinkd.port, '127.0.0.35');
    expect(other.closedAtOnce).toBe(false);
    for (const c of [...held, fifth, other]) c.socket.destroy();
  });
});
