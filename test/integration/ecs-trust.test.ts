// Issue 10, finding 9: EDNS Client Subnet (RFC 7871) is a claim any client can make about who is
// behind it. It is taken only from the resolvers in `ecs.trustFrom` (default: nobody): from anyone
// else it neither names the subnet a hit is recorded for (the report and the sinkhole log) nor is
// forwarded upstream. An answer to a query with a (trusted) ECS is cached for that subnet only, so
// an answer tailored to one subnet never reaches another, nor a client that sent no ECS; a reply
// with an ECS option to a query without one is not cached at all. Over real sockets, the upstream
// an ECS-aware fake.

import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../helpers/fake-upstream.js';
import { Packet } from '../helpers/dns-client.js';
import { startSinkd, type TestSinkd } from '../helpers/sinkd.js';
import { buildQuery } from '../wire/helpers.js';
import { parseQuery } from '../../src/wire/query.js';
import { inspectResponse } from '../../src/wire/response.js';
import { produceReport } from '../../src/infected/report-source.js';

const TRUSTED = '127.0.0.77';
const UNTRUSTED = '127.0.0.78';
const OTHER = '127.0.0.79';

let upstream: FakeUpstream;
let sinkd: TestSinkd;

beforeAll(async () => {
  upstream = await FakeUpstream.start();
  for (const name of ['geo.example', 'geo2.example', 'rogue.example', 'plain.example']) upstream.add(name, { type: 'A', ttl: 300, value: '192.0.2.1' });
  const ecs = { scope: 24, answers: { '198.51.100.0/24': '192.0.2.51', '203.0.113.0/24': '192.0.2.113' } };
  upstream.behaviours.set('geo.example', { ecs });
  upstream.behaviours.set('geo2.example', { ecs });
  upstream.behaviours.set('rogue.example', { ecs: { ...ecs, always: true } });
  sinkd = await startSinkd({ upstreams: [upstream.endpoint], blocklist: 'evil.example\n', yaml: `ecs: { trustFrom: ["${TRUSTED}/32"] }` });
});
afterAll(async () => {
  await sinkd?.stop();
  await upstream?.stop();
});

/** A query with an ECS option for `subnet` (or none), sent from `source`; the reply's bytes. */
function ask(source: string, name: string, subnet?: string): Promise<Buffer> {
  const q = buildQuery(name, { id: Math.floor(Math.random() * 65536), edns: { options: subnet ? [Packet.Resource.EDNS.ECS(subnet)] : [] } });
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no reply for ${name}`));
    }, 3000);
    socket.on('message', (m) => {
      clearTimeout(timer);
      socket.close();
      resolve(m);
    });
    socket.bind(0, source, () => socket.send(q, sinkd.port, '127.0.0.1'));
  });
}

const address = (reply: Buffer) => (Packet.parse(reply).answers[0] as { address?: string } | undefined)?.address;
/** The IPv4 ECS subnet a reply's OPT carries, if any. */
function replySubnet(reply: Buffer): string | undefined {
  const info = inspectResponse(reply);
  if (info === null || info.optOffset < 0) return undefined;
  for (let off = info.optOffset + 11; off + 4 <= info.optOffset + info.optLength; off += 4 + reply.readUInt16BE(off + 2)) {
    if (reply.readUInt16BE(off) !== 8) continue;
    const prefix = reply[off + 6]!;
    const octets = [0, 1, 2, 3].map((i) => (i < reply.readUInt16BE(off + 2) - 4 ? reply[off + 8 + i]! : 0));
    return `${octets.join('.')}/${prefix}`;
  }
  return undefined;
}
/** The ECS subnet of the last query the upstream saw for `name`. */
const forwardedSubnet = (name: string) => {
  const seen = upstream.seen.filter((s) => s.name === name).at(-1);
  const r = seen && parseQuery(seen.raw);
  return r && r.ok ? r.query.edns?.clientSubnet : undefined;
};

describe('EDNS Client Subnet from clients', () => {
  it('records the subnet of a hit only when a trusted resolver sent it, in the report and the sinkhole log', async () => {
    await ask(UNTRUSTED, 'a.evil.example', '198.51.100.0/24');
    await ask(TRUSTED, 'b.evil.example', '203.0.113.0/24');
    await sinkd.server.recorder!.flush();
    const { report } = await produceReport(sinkd.server.config, sinkd.server.hitStore!, { since: null });
    expect(report.clients.find((c) => c.client === UNTRUSTED)?.subnets).toBeUndefined();
    expect(report.clients.find((c) => c.client === TRUSTED)?.subnets).toEqual(['203.0.113.0/24']);
    await new Promise((r) => setTimeout(r, 50)); // the sinkhole log writes once per event-loop turn
    const lines = sinkd.logs.filter((l) => l.event === 'sinkhole');
    expect(lines.find((l) => l.client === UNTRUSTED)).not.toHaveProperty('clientSubnet');
    expect(lines.find((l) => l.client === TRUSTED)).toMatchObject({ clientSubnet: '203.0.113.0/24' });
  });

  it('never forwards the ECS of an untrusted client; forwards a trusted one', async () => {
    expect(address(await ask(UNTRUSTED, 'plain.example', '198.51.100.0/24'))).toBe('192.0.2.1');
    expect(forwardedSubnet('plain.example')).toBeUndefined();
    expect(upstream.seen.filter((s) => s.name === 'plain.example')).toHaveLength(1);
    expect(address(await ask(TRUSTED, 'geo2.example', '198.51.100.0/24'))).toBe('192.0.2.51');
    expect(forwardedSubnet('geo2.example')).toBe('198.51.100.0/24');
  });

  it('caches an answer tailored to one subnet for that subnet only', async () => {
    const first = await ask(TRUSTED, 'geo.example', '198.51.100.0/24');
    expect(address(first)).toBe('192.0.2.51');
    expect(replySubnet(first)).toBe('198.51.100.0/24');
    // Another subnet gets its own answer, not the first one's.
    expect(address(await ask(TRUSTED, 'geo.example', '203.0.113.0/24'))).toBe('192.0.2.113');
    // An untrusted client's claim is ignored: the answer for no subnet, without anyone's subnet in it.
    const untrusted = await ask(UNTRUSTED, 'geo.example', '198.51.100.0/24');
    expect(address(untrusted)).toBe('192.0.2.1');
    expect(replySubnet(untrusted)).toBeUndefined();
    const plain = await ask(OTHER, 'geo.example');
    expect(address(plain)).toBe('192.0.2.1');
    expect(replySubnet(plain)).toBeUndefined();
    // The first subnet asks again: served from the cache, its own answer.
    const before = upstream.count('geo.example');
    expect(address(await ask(TRUSTED, 'geo.example', '198.51.100.0/24'))).toBe('192.0.2.51');
    expect(upstream.count('geo.example')).toBe(before);
  });

  it('does not cache a reply that carries an ECS option the query did not have', async () => {
    await ask(OTHER, 'rogue.example');
    await ask(OTHER, 'rogue.example');
    expect(upstream.count('rogue.example')).toBe(2);
  });
});
