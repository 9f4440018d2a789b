// The seized-zone steps on their own: which zone a name is in, the apex answers, the flags an
// authority sends, the rate-limit slip, and the authority cache that keeps TTLs as given.
import { describe, expect, it } from 'vitest';
import { SeizedZones } from '../../src/zone/seized-zones.js';
import { ApexStep } from '../../src/zone/apex-step.js';
import { authorityFlags } from '../../src/zone/origin-forward-step.js';
import { RateLimitStep, slipReply } from '../../src/zone/rate-limit-step.js';
import { ZoneStep } from '../../src/zone/zone-step.js';
import { AnswerCache } from '../../src/cache/answer-cache.js';
import { PolicyStep } from '../../src/policy/policy-step.js';
import { matcherFromRules } from '../../src/blocklist/matcher.js';
import { ResponseRateLimiter } from '../../src/rrl/index.js';
import { ResultKind, type Reply } from '../../src/chain/result.js';
import type { DnsRequest } from '../../src/chain/request.js';
import type { Next } from '../../src/chain/step.js';
import { parseQuery } from '../../src/wire/query.js';
import { Packet, buildQuery, decode } from '../wire/helpers.js';

const SOA = { mname: 'ns1.sinkhole.example.', rname: 'hostmaster.sinkhole.example.', serial: 2014063001, refresh: 3600, retry: 600, expire: 604800, minimum: 60 };
const ZONE = { name: 'no-ip.biz', soa: SOA, ns: ['ns1.sinkhole.example.', 'ns2.sinkhole.example.'], ttl: 3600 };

function request(name: string, opts: Parameters<typeof buildQuery>[1] = {}, client = '192.0.2.1', transport: 'udp' | 'tcp' = 'udp'): DnsRequest {
  const raw = buildQuery(name, opts);
  const parsed = parseQuery(raw);
  if (!parsed.ok) throw new Error('bad query');
  return { raw, query: parsed.query, client: { address: client, port: 5300 }, transport };
}

const unreachable: Next = () => {
  throw new Error('next must not be called');
};

/** An upstream-style reply to `req` with the given flags and one A record. */
function upstreamReply(req: DnsRequest, flags: number, an: number, ns: number): Buffer {
  const p = new Packet();
  const q = decode(req.raw);
  p.header.id = q.header.id;
  p.questions = q.questions;
  Object.assign(p.header, { qr: 1, aa: (flags >> 10) & 1, ra: (flags >> 7) & 1, rcode: flags & 0x0f });
  for (let i = 0; i < an; i++) p.answers.push({ name: q.questions[0]!.name, type: Packet.TYPE.A, class: 1, ttl: 300, address: '10.0.0.1' } as never);
  for (let i = 0; i < ns; i++) p.authorities.push({ name: 'sub.no-ip.biz', type: Packet.TYPE.NS, class: 1, ttl: 300, ns: 'ns.sub.no-ip.biz' } as never);
  return p.toBuffer();
}

describe('SeizedZones', () => {
  const zones = new SeizedZones([['no-ip.biz', 'biz'], ['no-ip.info', 'info']]);
  it('finds the zone of the apex and of any name below it, and nothing else', () => {
    expect(zones.find('no-ip.biz')).toBe('biz');
    expect(zones.find('a.b.c.no-ip.info')).toBe('info');
    expect(zones.find('notno-ip.biz')).toBeUndefined();
    expect(zones.find('biz')).toBeUndefined();
    expect(zones.find('')).toBeUndefined();
  });
});

describe('ApexStep', () => {
  const step = new ApexStep(ZONE);
  it('answers the apex SOA from the config, with the NS set as authority, AA=1 RA=0, in the client case', () => {
    const reply = step.handle(request('No-IP.biz', { type: Packet.TYPE.SOA }), unreachable) as Reply;
    expect(reply.kind).toBe(ResultKind.AUTHORITATIVE);
    const p = decode(reply.bytes);
    expect(p.header.aa).toBe(1);
    expect(p.header.ra).toBe(0);
    expect(p.questions[0]!.name).toBe('No-IP.biz');
    expect(p.answers).toHaveLength(1);
    expect(p.answers[0]).toMatchObject({ type: Packet.TYPE.SOA, ttl: 3600, primary: 'ns1.sinkhole.example', admin: 'hostmaster.sinkhole.example', serial: 2014063001, minimum: 60 });
    expect(p.authorities.map((r) => (r as { ns: string }).ns)).toEqual(['ns1.sinkhole.example', 'ns2.sinkhole.example']);
  });
  it('answers the apex NS from the config', () => {
    const p = decode((step.handle(request('no-ip.biz', { type: Packet.TYPE.NS }), unreachable) as Reply).bytes);
    expect(p.answers.map((r) => (r as { ns: string }).ns)).toEqual(['ns1.sinkhole.example', 'ns2.sinkhole.example']);
  });
  it('passes other types at the apex, and names below it, down the chain', () => {
    const seen: string[] = [];
    const next: Next = (req) => {
      seen.push(`${req.query.qname}/${req.query.qtype}`);
      return { kind: ResultKind.FORWARDED, bytes: req.raw };
    };
    step.handle(request('no-ip.biz', { type: Packet.TYPE.A }), next);
    step.handle(request('host.no-ip.biz', { type: Packet.TYPE.SOA }), next);
    expect(seen).toEqual(['no-ip.biz/1', 'host.no-ip.biz/6']);
  });
});

describe('authorityFlags', () => {
  const req = request('host.no-ip.biz');
  it('sets AA and clears RA on answers, NODATA and NXDOMAIN', () => {
    for (const [flags, an] of [[0x8180, 1], [0x8180, 0], [0x8183, 0]] as const) {
      const f = authorityFlags(upstreamReply(req, flags, an, 0));
      expect(f & 0x0400).toBe(0x0400);
      expect(f & 0x0080).toBe(0);
    }
  });
  it('leaves a referral (no answer, NS in authority, AA=0) with AA=0', () => {
    const f = authorityFlags(upstreamReply(request('www.sub.no-ip.biz'), 0x8000, 0, 1));
    expect(f & 0x0400).toBe(0);
  });
});

describe('PolicyStep in a seized zone', () => {
  const matcher = matcherFromRules([
    { name: 'no-ip.biz', kind: 'block', source: 'shipped' },
    { name: 'evil.no-ip.biz', kind: 'block', source: 'court-order', family: 'Bladabindi' },
  ]);
  const hits: string[] = [];
  const step = new PolicyStep({ matcher }, { mode: 'sinkhole', ipv4: '192.0.2.66', ipv6: '2001:db8::66', ttl: 60 }, (e) => hits.push(e.rule.name), { apex: 'no-ip.biz', soa: SOA });
  const pass: Next = () => ({ kind: ResultKind.FORWARDED, bytes: Buffer.alloc(0) });

  it('sinkholes a listed host and the names below it with AA=1 RA=0 and the zone sinkhole address', () => {
    const p = decode((step.handle(request('x.Evil.no-ip.biz'), pass) as Reply).bytes);
    expect(p.header.aa).toBe(1);
    expect(p.header.ra).toBe(0);
    expect(p.answers[0]).toMatchObject({ type: Packet.TYPE.A, address: '192.0.2.66' });
    expect(hits).toEqual(['evil.no-ip.biz']);
  });
  it('gives NODATA with the zone SOA owned by the apex', () => {
    const p = decode((step.handle(request('evil.no-ip.biz', { type: Packet.TYPE.TXT }), pass) as Reply).bytes);
    expect(p.answers).toHaveLength(0);
    expect(p.authorities[0]).toMatchObject({ name: 'no-ip.biz', type: Packet.TYPE.SOA, primary: 'ns1.sinkhole.example' });
  });
  it('does not let a rule for the whole zone sinkhole its unlisted hosts', () => {
    expect((step.handle(request('good.no-ip.biz'), pass) as Reply).kind).toBe(ResultKind.FORWARDED);
    expect((step.handle(request('no-ip.biz'), pass) as Reply).kind).toBe(ResultKind.FORWARDED);
  });
});

describe('RateLimitStep', () => {
  const answer: Next = (req) => ({ kind: ResultKind.FORWARDED, bytes: upstreamReply(req, 0x8580, 1, 0) });
  it('sends up to the rate, then slips every 2nd reply as TC=1 with no records and drops the others; logs once', () => {
    const limited: string[] = [];
    const step = new RateLimitStep(new ResponseRateLimiter({ responsesPerSecond: 3, slip: 2 }), 'no-ip.biz', { limited: (prefix, _r, v) => limited.push(`${prefix} ${v}`) });
    const kinds = Array.from({ length: 9 }, () => {
      const r = step.handle(request('host.no-ip.biz', {}, '192.0.2.7'), answer) as Reply;
      return r.bytes.length === 0 ? 'drop' : (r.bytes[2]! & 0x02) !== 0 ? 'slip' : 'send';
    });
    expect(kinds.slice(0, 3)).toEqual(['send', 'send', 'send']);
    expect(kinds.slice(3)).toEqual(['drop', 'slip', 'drop', 'slip', 'drop', 'slip']);
    expect(limited).toEqual(['192.0.2.0/24 drop']);
    // Another /24 has its own account; TCP is never limited.
    expect((step.handle(request('host.no-ip.biz', {}, '198.51.100.7'), answer) as Reply).kind).toBe(ResultKind.FORWARDED);
    expect((step.handle(request('host.no-ip.biz', {}, '192.0.2.7', 'tcp'), answer) as Reply).kind).toBe(ResultKind.FORWARDED);
  });
  it('slipReply keeps header and question only, with TC=1', () => {
    const req = request('host.no-ip.biz');
    const p = decode(slipReply(upstreamReply(req, 0x8580, 2, 1), req.query.questionEnd));
    expect(p.header.tc).toBe(1);
    expect(p.questions[0]!.name).toBe('host.no-ip.biz');
    expect(p.answers.length + p.authorities.length + p.additionals.length).toBe(0);
  });
});

describe('ZoneStep', () => {
  it('sends zone names to their zone chain with RA=0 and the client RD bit, others on', () => {
    const zoneChain: Next = (req) => ({ kind: ResultKind.FORWARDED, bytes: upstreamReply(req, 0x8580, 1, 0) });
    const step = new ZoneStep(new SeizedZones([['no-ip.biz', zoneChain]]));
    const onward: Next = () => ({ kind: ResultKind.REFUSED, bytes: Buffer.alloc(12) });
    for (const rd of [true, false]) {
      const p = decode((step.handle(request('h.no-ip.biz', { rd }), onward) as Reply).bytes);
      expect([p.header.rd, p.header.ra, p.header.aa]).toEqual([rd ? 1 : 0, 0, 1]);
    }
    expect((step.handle(request('example.com'), onward) as Reply).kind).toBe(ResultKind.REFUSED);
  });
});

describe('AnswerCache as a zone authority', () => {
  const settings = { maxEntries: 100, maxBytes: 1 << 20, minTtl: 0, maxTtl: 86400, maxNegativeTtl: 3600, staleAnswerTtl: 30, maxStale: 86400 };
  it('keeps the TTLs the original server gave while fresh, and writes the stale TTL after', () => {
    let now = 1_000_000;
    const cache = new AnswerCache(settings, () => now, 'authority');
    const req = request('host.no-ip.biz');
    expect(cache.store('k', upstreamReply(req, 0x8580, 1, 0))).toBe(true);
    now += 200_000;
    expect(decode(cache.lookup('k', 7, req.raw, req.query.nameEnd, false)!.bytes).answers[0]!.ttl).toBe(300);
    now += 200_000;
    expect(cache.lookup('k', 7, req.raw, req.query.nameEnd, false)).toBeUndefined();
    expect(decode(cache.lookup('k', 7, req.raw, req.query.nameEnd, true)!.bytes).answers[0]!.ttl).toBe(30);
  });
  it('caches a referral for its NS TTL (a resolver cache does not)', () => {
    const req = request('www.sub.no-ip.biz');
    const referral = upstreamReply(req, 0x8000, 0, 1);
    expect(new AnswerCache(settings, Date.now, 'authority').store('k', referral)).toBe(true);
    expect(new AnswerCache(settings).store('k', referral)).toBe(false);
  });
});

describe('readName', () => {
  it('follows compression pointers and refuses loops and forward pointers', async () => {
    const { readName } = await import('../../src/wire/names.js');
    const buf = Buffer.from([3, 0x41, 0x62, 0x63, 2, 0x64, 0x65, 0, 1, 0x78, 0xc0, 0, 0xc0, 12, 0xc0, 16]);
    expect(readName(buf, 0)).toBe('abc.de');
    expect(readName(buf, 8)).toBe('x.abc.de');
    expect(readName(buf, 12)).toBeNull(); // points at itself
    expect(readName(buf, 14)).toBeNull(); // points forward
  });
});

describe('filterRelayed', () => {
  const req = request('host.no-ip.biz');
  function reply(answers: object[], authorities: object[], additionals: object[] = []): Buffer {
    const p = new Packet();
    const q = decode(req.raw);
    p.header.id = q.header.id;
    p.header.qr = 1;
    p.questions = q.questions;
    p.answers = answers as never;
    p.authorities = authorities as never;
    p.additionals = additionals as never;
    return p.toBuffer();
  }
  const ns = { name: 'no-ip.biz', type: Packet.TYPE.NS, class: 1, ttl: 3600, ns: 'ns1.no-ip.biz' };
  const glue = { name: 'ns1.no-ip.biz', type: Packet.TYPE.A, class: 1, ttl: 3600, address: '192.0.2.1' };
  const a = { name: 'host.no-ip.biz', type: Packet.TYPE.A, class: 1, ttl: 300, address: '10.0.0.1' };
  it('drops the provider apex NS set and its glue from a positive answer, keeping the answer', async () => {
    const { filterRelayed } = await import('../../src/zone/relay-filter.js');
    const out = decode(filterRelayed(reply([a], [ns], [glue]), req.query.questionEnd, 'no-ip.biz', () => false));
    expect(out.answers).toHaveLength(1);
    expect(out.authorities.length + out.additionals.length).toBe(0);
  });
  it('leaves a negative answer and a referral as they are', async () => {
    const { filterRelayed } = await import('../../src/zone/relay-filter.js');
    const referral = reply([], [{ ...ns, name: 'sub.no-ip.biz' }], [glue]);
    expect(filterRelayed(referral, req.query.questionEnd, 'no-ip.biz', () => false)).toBe(referral);
  });
  it('cuts a CNAME chain after the CNAME that points at a listed name', async () => {
    const { filterRelayed } = await import('../../src/zone/relay-filter.js');
    const cname = { name: 'host.no-ip.biz', type: Packet.TYPE.CNAME, class: 1, ttl: 300, domain: 'evil.no-ip.biz' };
    const target = { ...a, name: 'evil.no-ip.biz' };
    const out = decode(filterRelayed(reply([cname, target], []), req.query.questionEnd, 'no-ip.biz', (n) => n === 'evil.no-ip.biz'));
    expect(out.answers.map((r) => r.type)).toEqual([Packet.TYPE.CNAME]);
  });
});
