// sinkd serve end to end over real sockets: a fake upstream behind, a dns2 client in front.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../helpers/fake-upstream.js';
import { Packet, buildQuery, queryTcp, queryTcpMany, queryUdp, sendUdpRaw } from '../helpers/dns-client.js';
import { startSinkd, type TestSinkd } from '../helpers/sinkd.js';

const BLOCKLIST = ['# test list', '# family: Bladabindi', 'evil.no-ip.biz', 'c2.hopto.org', ''].join('\n');
const ALLOWLIST = 'good.c2.hopto.org\n';

let up: FakeUpstream;
let sinkd: TestSinkd;

beforeAll(async () => {
  up = await FakeUpstream.start();
  up.add('clean.example', { type: 'A', ttl: 3600, value: '192.0.2.10' }, { type: 'AAAA', ttl: 3600, value: '2001:db8::10' });
  up.add('good.c2.hopto.org', { type: 'A', ttl: 300, value: '192.0.2.20' });
  sinkd = await startSinkd({ upstreams: [up.endpoint], blocklist: BLOCKLIST, allowlist: ALLOWLIST });
});
afterAll(async () => {
  await sinkd.stop();
  await up.stop();
});

function ede(p: InstanceType<typeof Packet>): { code: number; text: string } | undefined {
  const opt = p.additionals.find((r) => r.type === Packet.TYPE.EDNS) as { rdata?: { ednsCode: number; infoCode: number; extraText: string }[] } | undefined;
  const o = opt?.rdata?.find((r) => r.ednsCode === 15);
  return o ? { code: o.infoCode, text: o.extraText } : undefined;
}

describe('sinkhole', () => {
  it('answers A with the sinkhole address, never asking upstream', async () => {
    const before = up.count();
    const r = await queryUdp(sinkd.port, 'evil.no-ip.biz', { type: 'A' });
    expect(r.header.rcode).toBe(0);
    expect(r.answers).toHaveLength(1);
    expect((r.answers[0] as { address: string }).address).toBe('0.0.0.0');
    expect(r.answers[0]!.ttl).toBe(60);
    expect(up.count()).toBe(before);
  });

  it('answers AAAA with the sinkhole IPv6 and MX/HTTPS/TXT with NODATA + SOA, none reaching upstream', async () => {
    const before = up.count();
    const aaaa = await queryUdp(sinkd.port, 'evil.no-ip.biz', { type: 'AAAA' });
    expect((aaaa.answers[0] as { address: string }).address).toMatch(/^::$|^0:0:0:0:0:0:0:0$/);
    for (const type of ['MX', 'TXT', 65] as const) {
      const r = await queryUdp(sinkd.port, 'evil.no-ip.biz', { type });
      expect(r.header.rcode).toBe(0);
      expect(r.answers).toHaveLength(0);
      expect(r.authorities[0]!.type).toBe(Packet.TYPE.SOA);
      expect(r.authorities[0]!.name).toBe('evil.no-ip.biz');
    }
    expect(up.count()).toBe(before);
  });

  it('blocks every name below a listed one, and echoes the question in the client\'s case', async () => {
    const r = await queryUdp(sinkd.port, 'Deep.Sub.EVIL.no-ip.BIZ', { type: 'A' });
    expect(r.questions[0]!.name).toBe('Deep.Sub.EVIL.no-ip.BIZ');
    expect((r.answers[0] as { address: string }).address).toBe('0.0.0.0');
    const parent = await queryUdp(sinkd.port, 'no-ip.biz', { type: 'A' });
    expect(parent.header.rcode).toBe(3); // not listed: forwarded, fake upstream says NXDOMAIN
  });

  it('owns the NODATA SOA by the matching rule for a name below it', async () => {
    const r = await queryUdp(sinkd.port, 'A.b.Evil.no-ip.biz', { type: 'MX' });
    expect(r.authorities[0]!.name.toLowerCase()).toBe('evil.no-ip.biz');
    expect(r.questions[0]!.name).toBe('A.b.Evil.no-ip.biz');
  });

  it('lets an allow entry win over a block of its parent', async () => {
    const r = await queryUdp(sinkd.port, 'good.c2.hopto.org');
    expect((r.answers[0] as { address: string }).address).toBe('192.0.2.20');
    const blocked = await queryUdp(sinkd.port, 'bad.c2.hopto.org');
    expect((blocked.answers[0] as { address: string }).address).toBe('0.0.0.0');
  });

  it('adds EDE 15 (Blocked) when the query had EDNS, and no OPT when it had none', async () => {
    const withEdns = await queryUdp(sinkd.port, 'evil.no-ip.biz', { edns: true });
    expect(ede(withEdns)?.code).toBe(15);
    expect(ede(withEdns)?.text).toContain('evil.no-ip.biz');
    const plain = await queryUdp(sinkd.port, 'evil.no-ip.biz');
    expect(plain.additionals).toHaveLength(0);
  });

  it('logs one sinkhole line with the DESIGN.md fields per sinkholed query', async () => {
    await queryUdp(sinkd.port, 'x.evil.no-ip.biz', { type: 'AAAA' });
    await queryTcp(sinkd.port, 'y.evil.no-ip.biz', { type: 'A' });
    const lines = sinkd.logs.filter((l) => l.event === 'sinkhole' && String(l.qname).endsWith('.evil.no-ip.biz') && /^[xy]\./.test(String(l.qname)));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ client: '127.0.0.1', qname: 'x.evil.no-ip.biz', qtype: 'AAAA', rule: 'evil.no-ip.biz', source: 'test-block', family: 'Bladabindi', transport: 'udp' });
    expect(lines[1]).toMatchObject({ qname: 'y.evil.no-ip.biz', transport: 'tcp' });
  });

  it('writes no per-query log line for clean names', async () => {
    const before = sinkd.logs.length;
    await queryUdp(sinkd.port, 'clean.example');
    expect(sinkd.logs.length).toBe(before);
  });
});

describe('forwarding and cache', () => {
  it('forwards a clean name, then serves it from cache with a TTL that counts down', async () => {
    up.add('ttl.example', { type: 'A', ttl: 100, value: '192.0.2.30' });
    const first = await queryUdp(sinkd.port, 'ttl.example');
    expect((first.answers[0] as { address: string }).address).toBe('192.0.2.30');
    expect(first.answers[0]!.ttl).toBe(100);
    await new Promise((r) => setTimeout(r, 1100));
    const second = await queryUdp(sinkd.port, 'TTL.example');
    expect(second.questions[0]!.name).toBe('TTL.example');
    expect(second.answers[0]!.ttl).toBeLessThan(100);
    expect(second.answers[0]!.ttl).toBeGreaterThanOrEqual(98);
    expect(up.count('ttl.example')).toBe(1);
  });

  it('caches NXDOMAIN from the SOA (RFC 2308)', async () => {
    const a = await queryUdp(sinkd.port, 'nothing-here.example');
    const b = await queryUdp(sinkd.port, 'nothing-here.example');
    expect(a.header.rcode).toBe(3);
    expect(b.header.rcode).toBe(3);
    expect(b.authorities[0]!.type).toBe(Packet.TYPE.SOA);
    expect(b.authorities[0]!.ttl).toBeLessThanOrEqual(30); // min(SOA TTL 300, MINIMUM 30)
    expect(up.count('nothing-here.example')).toBe(1);
  });

  it('caches NODATA', async () => {
    await queryUdp(sinkd.port, 'clean.example', { type: 'MX' });
    const again = await queryUdp(sinkd.port, 'clean.example', { type: 'MX' });
    expect(again.header.rcode).toBe(0);
    expect(again.answers).toHaveLength(0);
    expect(up.seen.filter((q) => q.name === 'clean.example' && q.type === Packet.TYPE.MX)).toHaveLength(1);
  });

  it('coalesces 100 identical concurrent misses into one upstream query', async () => {
    up.add('burst.example', { type: 'A', ttl: 300, value: '192.0.2.40' });
    up.behaviours.set('burst.example', { delayMs: 100 });
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => queryUdp(sinkd.port, 'burst.example', { id: i + 1 })));
    expect(up.count('burst.example')).toBe(1);
    for (const [i, r] of replies.entries()) {
      expect(r.header.id).toBe(i + 1);
      expect((r.answers[0] as { address: string }).address).toBe('192.0.2.40');
    }
  });

  it('relays with a fresh ID, never the client\'s', async () => {
    up.add('idcheck.example', { type: 'A', ttl: 300, value: '192.0.2.41' });
    const r = await queryUdp(sinkd.port, 'idcheck.example', { id: 4242 });
    expect(r.header.id).toBe(4242);
    const seen = up.seen.find((q) => q.name === 'idcheck.example')!;
    expect(seen.id).not.toBe(4242);
  });

  it('ignores a forged reply (wrong ID or wrong question) and takes the real one', async () => {
    up.add('forged-id.example', { type: 'A', ttl: 300, value: '192.0.2.50' });
    up.behaviours.set('forged-id.example', { forgeFirst: 'id' });
    up.add('forged-q.example', { type: 'A', ttl: 300, value: '192.0.2.51' });
    up.behaviours.set('forged-q.example', { forgeFirst: 'question' });
    const a = await queryUdp(sinkd.port, 'forged-id.example');
    const b = await queryUdp(sinkd.port, 'forged-q.example');
    expect((a.answers[0] as { address: string }).address).toBe('192.0.2.50');
    expect((b.answers[0] as { address: string }).address).toBe('192.0.2.51');
    expect(sinkd.server.upstreams.stats.rejected).toBeGreaterThanOrEqual(2);
  });

  it('retries over TCP when the UDP answer is truncated', async () => {
    up.add('big.example', { type: 'A', ttl: 300, value: '192.0.2.60' });
    up.behaviours.set('big.example', { truncate: true });
    const r = await queryUdp(sinkd.port, 'big.example', { edns: true });
    expect(r.header.tc).toBe(0);
    expect((r.answers[0] as { address: string }).address).toBe('192.0.2.60');
    expect(up.seen.filter((q) => q.name === 'big.example').map((q) => q.transport)).toEqual(['udp', 'tcp']);
  });

  it('answers many pipelined TCP queries on one connection, each with its own ID', async () => {
    up.add('slow.example', { type: 'A', ttl: 300, value: '192.0.2.70' });
    up.behaviours.set('slow.example', { delayMs: 200 });
    const queries = [
      buildQuery('slow.example', { id: 1 }),
      buildQuery('evil.no-ip.biz', { id: 2 }),
      buildQuery('clean.example', { id: 3, type: 'AAAA' }),
      buildQuery('c2.hopto.org', { id: 4 }),
    ];
    const replies = (await queryTcpMany(sinkd.port, queries)).map((b) => Packet.parse(b));
    expect(replies.map((r) => r.header.id).sort()).toEqual([1, 2, 3, 4]);
    // Answered as each is ready: the slow forwarded one comes last.
    expect(replies[replies.length - 1]!.header.id).toBe(1);
  });
});

describe('robustness', () => {
  it('survives malformed packets and still answers a good query after them', async () => {
    const good = buildQuery('evil.no-ip.biz', { id: 777 });
    const junk = [
      Buffer.alloc(0),
      Buffer.from([1, 2, 3]),
      Buffer.alloc(12), // header only, QDCOUNT 0 → FORMERR
      Buffer.concat([good.subarray(0, 12), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]), // pointer loop in question
      Buffer.concat([good.subarray(0, 14), Buffer.alloc(3, 0xff)]), // truncated name
      Buffer.from(good).fill(0xff, 12), // garbage question
      (() => {
        const b = Buffer.from(good);
        b[2]! |= 0x80; // a response sent to us: ignored
        return b;
      })(),
    ];
    for (const j of junk) await sendUdpRaw(sinkd.port, j, { timeoutMs: 100 });
    const formerr = await sendUdpRaw(sinkd.port, Buffer.alloc(12));
    expect(formerr && Packet.parse(formerr).header.rcode).toBe(1);
    const r = await queryUdp(sinkd.port, 'evil.no-ip.biz', { id: 778 });
    expect(r.header.id).toBe(778);
    expect((r.answers[0] as { address: string }).address).toBe('0.0.0.0');
  });

  it('answers NOTIMP to other opcodes', async () => {
    const q = buildQuery('clean.example');
    q[2] = (q[2]! & 0x87) | (4 << 3); // NOTIFY
    const r = await sendUdpRaw(sinkd.port, q);
    expect(r && Packet.parse(r).header.rcode).toBe(4);
  });

  it('truncates an answer larger than a non-EDNS client\'s 512 octets, keeping TC=1', async () => {
    const name = 'many.example';
    for (let i = 0; i < 40; i++) up.add(name, { type: 'A', ttl: 300, value: `192.0.2.${i + 1}` });
    const r = await queryUdp(sinkd.port, name);
    expect(r.header.tc).toBe(1);
    expect(r.answers).toHaveLength(0);
    const tcp = await queryTcp(sinkd.port, name);
    expect(tcp.answers).toHaveLength(40);
  });
});

describe('upstream failures', () => {
  let a: FakeUpstream;
  let b: FakeUpstream;
  let s: TestSinkd;
  beforeAll(async () => {
    a = await FakeUpstream.start();
    b = await FakeUpstream.start();
    for (const f of [a, b]) f.add('fail.example', { type: 'A', ttl: 1, value: '192.0.2.80' });
    s = await startSinkd({ upstreams: [a.endpoint, b.endpoint], yaml: 'cache: { minTtl: 0 }' });
  });
  afterAll(async () => {
    await s.stop();
    await a.stop();
    await b.stop();
  });
  afterEach(() => {
    a.defaultBehaviour = {};
    b.defaultBehaviour = {};
  });

  it('fails over to the second upstream when the first times out', async () => {
    a.defaultBehaviour = { drop: true };
    b.add('failover.example', { type: 'A', ttl: 300, value: '192.0.2.81' });
    const r = await queryUdp(s.port, 'failover.example');
    expect((r.answers[0] as { address: string }).address).toBe('192.0.2.81');
    expect(a.count('failover.example')).toBe(1);
    expect(s.logs.some((l) => l.event === 'upstream-down')).toBe(true);
  });

  it('fails over when the first answers SERVFAIL', async () => {
    a.defaultBehaviour = { rcode: 2 };
    b.add('sf.example', { type: 'A', ttl: 300, value: '192.0.2.82' });
    const r = await queryUdp(s.port, 'sf.example');
    expect((r.answers[0] as { address: string }).address).toBe('192.0.2.82');
  });

  it('serves a stale answer (TTL 30) when every upstream is down, and SERVFAIL for a name never seen', async () => {
    const fresh = await queryUdp(s.port, 'fail.example');
    expect((fresh.answers[0] as { address: string }).address).toBe('192.0.2.80');
    await new Promise((r) => setTimeout(r, 1200)); // TTL 1 has run out
    a.defaultBehaviour = { drop: true };
    b.defaultBehaviour = { drop: true };
    const stale = await queryUdp(s.port, 'fail.example');
    expect((stale.answers[0] as { address: string }).address).toBe('192.0.2.80');
    expect(stale.answers[0]!.ttl).toBe(30);
    const never = await queryUdp(s.port, 'never-seen.example');
    expect(never.header.rcode).toBe(2);
  });
});

describe('access control', () => {
  let s: TestSinkd;
  beforeAll(async () => {
    s = await startSinkd({ upstreams: [up.endpoint], blocklist: 'evil.no-ip.biz\n', yaml: 'acl: { allow: [127.0.0.1/32] }' });
  });
  afterAll(() => s.stop());

  it('refuses clients outside the allowed networks, for clean and blocked names alike', async () => {
    const refused = await queryUdp(s.port, 'clean.example', { source: '127.0.0.2' });
    expect(refused.header.rcode).toBe(5);
    const refusedBlocked = await queryUdp(s.port, 'evil.no-ip.biz', { source: '127.0.0.2' });
    expect(refusedBlocked.header.rcode).toBe(5);
    const allowed = await queryUdp(s.port, 'clean.example', { source: '127.0.0.1' });
    expect(allowed.header.rcode).toBe(0);
  });
});

describe('nxdomain mode', () => {
  let s: TestSinkd;
  beforeAll(async () => {
    s = await startSinkd({ upstreams: [up.endpoint], blocklist: 'evil.no-ip.biz\n', yaml: 'sinkhole: { mode: nxdomain, ttl: 120 }' });
  });
  afterAll(() => s.stop());

  it('answers NXDOMAIN with a SOA whose TTL is the configured one', async () => {
    const r = await queryUdp(s.port, 'a.evil.no-ip.biz');
    expect(r.header.rcode).toBe(3);
    expect(r.authorities[0]!.ttl).toBe(120);
  });
});
