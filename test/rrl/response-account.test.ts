// Which RRL account a seized zone's reply is debited to (src/rrl/response-account.ts): whatever a
// flood varies per question (the name under a wildcard, the label under a listed host, the type)
// must land in one account, while distinct real hostnames keep one account each.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  accountFor,
  answerFingerprint,
  NO_WILDCARD,
  NO_WILDCARDS,
  UNKNOWN,
  WILDCARD,
  type ReplyOrigin,
  type WildcardKnowledge,
} from '../../src/rrl/response-account.js';
import { encodeName } from '../../src/wire/reply.js';

const ZONE = 'no-ip.biz';
const T = { A: 1, NS: 2, CNAME: 5, SOA: 6, TXT: 16, AAAA: 28, RRSIG: 46, ANY: 255 } as const;

interface Rec {
  owner?: string | 'question';
  type: number;
  ttl?: number;
  /** Raw RDATA, or a name (written uncompressed, or as a pointer to the question with `pointer`). */
  rdata: Buffer | { name: string; pointer?: boolean };
}

interface Built {
  bytes: Buffer;
  questionEnd: number;
}

/** A reply by hand, so that compression and layout are the test's to choose. */
function reply(qname: string, qtype: number, o: { rcode?: number; aa?: boolean; answers?: Rec[]; authority?: Rec[] } = {}): Built {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(0x4242, 0);
  header.writeUInt16BE(0x8000 | (o.aa === false ? 0 : 0x0400) | (o.rcode ?? 0), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(o.answers?.length ?? 0, 6);
  header.writeUInt16BE(o.authority?.length ?? 0, 8);
  const question = Buffer.concat([encodeName(qname), Buffer.from([qtype >> 8, qtype & 255, 0, 1])]);
  const record = (r: Rec) => {
    const owner = r.owner === undefined || r.owner === 'question' ? Buffer.from([0xc0, 12]) : encodeName(r.owner);
    const rdata = Buffer.isBuffer(r.rdata) ? r.rdata : r.rdata.pointer ? Buffer.from([0xc0, 12]) : encodeName(r.rdata.name);
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(r.type, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(r.ttl ?? 300, 4);
    fixed.writeUInt16BE(rdata.length, 8);
    return Buffer.concat([owner, fixed, rdata]);
  };
  const bytes = Buffer.concat([header, question, ...(o.answers ?? []).map(record), ...(o.authority ?? []).map(record)]);
  return { bytes, questionEnd: 12 + question.length };
}

const a = (ip: string, extra: Partial<Rec> = {}): Rec => ({ type: T.A, rdata: Buffer.from(ip.split('.').map(Number)), ...extra });
const soa: Rec = { owner: ZONE, type: T.SOA, rdata: Buffer.concat([encodeName('ns1.no-ip.biz'), encodeName('hostmaster.no-ip.biz'), Buffer.alloc(20)]) };

/** Knowledge as a table, recording every ancestor it is asked about. */
function knowledge(table: Record<string, { state: number; fp?: Record<number, number> }>): WildcardKnowledge & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    wildcardAt(ancestor) {
      asked.push(ancestor);
      return table[ancestor]?.state ?? UNKNOWN;
    },
    fingerprint(ancestor, qtype) {
      return table[ancestor]?.fp?.[qtype] ?? UNKNOWN;
    },
  };
}

function account(b: Built, qname: string, qtype: number, origin: ReplyOrigin = 'relayed', w: WildcardKnowledge = NO_WILDCARDS) {
  return accountFor(b.bytes, b.questionEnd, qname, qtype, ZONE, origin, w, 1_750_000_000_000);
}

/** A provider with `*.dyn.no-ip.biz A 192.0.2.77` and nothing at the apex. */
const wildcardAnswer = (name: string) => reply(name, T.A, { answers: [a('192.0.2.77')] });
const dynFp = answerFingerprint(wildcardAnswer(`probe.dyn.${ZONE}`).bytes, wildcardAnswer(`probe.dyn.${ZONE}`).questionEnd)!;
const DYN = { [ZONE]: { state: NO_WILDCARD }, [`dyn.${ZONE}`]: { state: WILDCARD, fp: { [T.A]: dynFp } } };

describe('accountFor: BIND\'s identical responses', () => {
  it('keys a positive answer by its name and type: distinct real hostnames never share an account', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const name = `host${i}.${ZONE}`;
      const acc = account(reply(name, T.A, { answers: [a(`10.0.${i >> 8}.${i & 255}`)] }), name, T.A, 'relayed', knowledge({ [ZONE]: { state: NO_WILDCARD } }));
      expect(acc.kind).toBe('answer');
      keys.add(acc.key);
    }
    expect(keys.size).toBe(1000);
    expect(account(reply(`host1.${ZONE}`, T.AAAA, { answers: [{ type: T.AAAA, rdata: Buffer.alloc(16) }] }), `host1.${ZONE}`, T.AAAA).key).toBe(`host1.${ZONE}/28`);
  });

  it('keys NODATA by the name, whatever the type: random types for one name share one account', () => {
    const name = `host10.${ZONE}`;
    const keys = new Set(Array.from({ length: 500 }, (_, i) => account(reply(name, 1000 + i, { authority: [soa] }), name, 1000 + i).key));
    expect([...keys]).toEqual([`${name}/nodata`]);
  });

  it('keys a CNAME answer by the name alone: a CNAME answers every type the same', () => {
    const name = `alias.${ZONE}`;
    const cname: Rec = { type: T.CNAME, rdata: { name: `host1.${ZONE}` } };
    const keys = new Set(Array.from({ length: 300 }, (_, i) => account(reply(name, 2000 + i, { answers: [cname] }), name, 2000 + i).key));
    expect([...keys]).toEqual([`${name}/cname`]);
    expect(account(reply(name, T.CNAME, { answers: [cname] }), name, T.CNAME).key).toBe(`${name}/5`);
  });

  it('keys NXDOMAIN by the zone, and every error of a prefix together', () => {
    for (let i = 0; i < 50; i++) {
      const name = `nx${randomBytes(4).toString('hex')}.${ZONE}`;
      expect(account(reply(name, T.A, { rcode: 3, authority: [soa] }), name, T.A)).toEqual({ kind: 'nxdomain', key: ZONE });
    }
    for (const rcode of [1, 2, 4, 5, 9]) expect(account(reply(`x.${ZONE}`, T.A, { rcode }), `x.${ZONE}`, T.A)).toEqual({ kind: 'error', key: '' });
  });

  it('keys a referral by the delegation point, whatever the name below it', () => {
    const ns = (owner: string): Rec => ({ owner, type: T.NS, rdata: { name: `ns.sub.${ZONE}` } });
    for (const name of [`sub.${ZONE}`, `www.sub.${ZONE}`, `a.b.c.sub.${ZONE}`]) {
      expect(account(reply(name, T.A, { aa: false, authority: [ns(`sub.${ZONE}`)] }), name, T.A).key).toBe(`sub.${ZONE}/referral`);
    }
    // An NS owner that is not above the question, or not below the apex, cannot pick the key.
    expect(account(reply(`www.sub.${ZONE}`, T.A, { aa: false, authority: [ns(`other.${ZONE}`)] }), `www.sub.${ZONE}`, T.A).key).toBe(`${ZONE}/referral`);
    expect(account(reply(`www.sub.${ZONE}`, T.A, { aa: false, authority: [ns('example.com')] }), `www.sub.${ZONE}`, T.A).key).toBe(`${ZONE}/referral`);
    expect(account(reply(`www.sub.${ZONE}`, T.A, { aa: false, authority: [ns(ZONE)] }), `www.sub.${ZONE}`, T.A).key).toBe(`${ZONE}/referral`);
  });

  it('keys a sinkhole answer by the listed entry, whatever the label below it and the type', () => {
    const rule = `host5.${ZONE}`;
    const keys = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const name = `r${i}.${rule}`;
      const qtype = i % 3 === 0 ? T.A : i % 3 === 1 ? T.AAAA : 3000 + i;
      keys.add(JSON.stringify(account(reply(name, qtype, { answers: [a('192.0.2.66')] }), name, qtype, { sinkholed: rule })));
    }
    expect([...keys]).toEqual([JSON.stringify({ kind: 'answer', key: `${rule}/sinkhole` })]);
    // Sinkhole in NXDOMAIN mode: an NXDOMAIN account of its own per entry.
    expect(account(reply(`x.${rule}`, T.A, { rcode: 3 }), `x.${rule}`, T.A, { sinkholed: rule })).toEqual({ kind: 'nxdomain', key: rule });
  });

  it('keys sinkd\'s own RFC 8482 answer to ANY by the zone', () => {
    const hinfo: Rec = { type: 13, rdata: Buffer.from([7, ...Buffer.from('RFC8482'), 0]) };
    for (const name of [`a.${ZONE}`, `b.${ZONE}`, ZONE]) expect(account(reply(name, T.ANY, { answers: [hinfo] }), name, T.ANY, 'local').key).toBe(`${ZONE}/any`);
  });
});

describe('accountFor: answers a provider wildcard synthesises', () => {
  it('keys every name the wildcard makes by the wildcard, however deep and random', () => {
    const w = knowledge(DYN);
    const keys = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const labels = Array.from({ length: 1 + (i % 4) }, () => randomBytes(5).toString('hex'));
      const name = `${labels.join('.')}.dyn.${ZONE}`;
      keys.add(account(wildcardAnswer(name), name, T.A, 'relayed', w).key);
    }
    expect([...keys]).toEqual([`*.dyn.${ZONE}/1`]);
    // The provider was only ever asked about real names: the apex and dyn, never a random one.
    expect(new Set(w.asked)).toEqual(new Set([ZONE, `dyn.${ZONE}`]));
  });

  it('counts a wildcard\'s NODATA (a type it lacks) with it, whatever the type and name', () => {
    const keys = new Set(Array.from({ length: 100 }, (_, i) => {
      const name = `n${i}.dyn.${ZONE}`;
      return account(reply(name, 4000 + i, { authority: [soa] }), name, 4000 + i, 'relayed', knowledge(DYN)).key;
    }));
    expect([...keys]).toEqual([`*.dyn.${ZONE}/nodata`]);
  });

  it('keeps a real name with its own data below a wildcard apart, and an identical one with the wildcard', () => {
    const real = `real.dyn.${ZONE}`;
    expect(account(reply(real, T.A, { answers: [a('198.51.100.9')] }), real, T.A, 'relayed', knowledge(DYN)).key).toBe(`${real}/1`);
    const same = `same.dyn.${ZONE}`;
    expect(account(wildcardAnswer(same), same, T.A, 'relayed', knowledge(DYN)).key).toBe(`*.dyn.${ZONE}/1`);
  });

  it('while the wildcards of an ancestor are being learned, counts the answer as that ancestor\'s wildcard\'s', () => {
    const name = `x.dyn.${ZONE}`;
    expect(account(wildcardAnswer(name), name, T.A, 'relayed', knowledge({})).key).toBe(`*.${ZONE}/1`);
    // The very account it will have once learned: a flood gets no second one meanwhile.
    expect(account(wildcardAnswer(name), name, T.A, 'relayed', knowledge({ [ZONE]: { state: NO_WILDCARD } })).key).toBe(`*.dyn.${ZONE}/1`);
    expect(account(wildcardAnswer(name), name, T.A, 'relayed', knowledge({ [ZONE]: { state: NO_WILDCARD }, [`dyn.${ZONE}`]: { state: WILDCARD } })).key).toBe(`*.dyn.${ZONE}/1`);
    // Real names two labels down, each below its own real host, are counted per host meanwhile.
    const keys = new Set(Array.from({ length: 100 }, (_, i) => {
      const www = `www.host${i}.${ZONE}`;
      return account(reply(www, T.A, { answers: [a('10.1.0.1')] }), www, T.A, 'relayed', knowledge({ [ZONE]: { state: NO_WILDCARD } })).key;
    }));
    expect(keys.size).toBe(100);
    // Real hostnames straight below a known apex never wait for anything.
    const host = `host1.${ZONE}`;
    const w = knowledge({ [ZONE]: { state: NO_WILDCARD } });
    expect(account(reply(host, T.A, { answers: [a('10.0.0.1')] }), host, T.A, 'relayed', w).key).toBe(`${host}/1`);
    expect(w.asked).toEqual([ZONE]);
  });

  it('names with an escaped dot share the zone\'s unreadable account', () => {
    const name = `a\\.b.dyn.${ZONE}`;
    expect(account(wildcardAnswer(name), name, T.A, 'relayed', knowledge(DYN)).key).toBe(`${ZONE}/unreadable`);
  });

  it('never throws on a malformed or truncated reply, and debits the zone for it', () => {
    const good = wildcardAnswer(`x.dyn.${ZONE}`);
    for (let cut = 0; cut < good.bytes.length; cut++) {
      const acc = account({ bytes: good.bytes.subarray(0, cut), questionEnd: good.questionEnd }, `x.dyn.${ZONE}`, T.A, 'relayed', knowledge(DYN));
      expect(typeof acc.key).toBe('string');
    }
    for (let i = 0; i < 2000; i++) {
      const junk = randomBytes(12 + (i % 200));
      junk[3] = junk[3]! & 0xf0; // NOERROR, the path that reads records
      expect(() => account({ bytes: junk, questionEnd: 12 + (i % 40) }, `x.dyn.${ZONE}`, T.A, 'relayed', knowledge(DYN))).not.toThrow();
    }
  });
});

describe('answerFingerprint', () => {
  const name = `x.dyn.${ZONE}`;
  const fp = (r: Built) => answerFingerprint(r.bytes, r.questionEnd);

  it('is the same for two names given the same records, in any order, with any TTL', () => {
    const one = reply(name, T.A, { answers: [a('192.0.2.1', { ttl: 300 }), a('192.0.2.2', { ttl: 300 })] });
    const two = reply(`other.dyn.${ZONE}`, T.A, { answers: [a('192.0.2.2', { ttl: 12 }), a('192.0.2.1', { ttl: 12 })] });
    expect(fp(one)).toBe(fp(two));
    expect(fp(one)).not.toBe(fp(reply(name, T.A, { answers: [a('192.0.2.1'), a('192.0.2.3')] })));
    expect(fp(one)).not.toBe(fp(reply(name, T.A, { answers: [a('192.0.2.1')] })));
  });

  it('reads names in the data through compression, and leaves RRSIGs out', () => {
    const target = `host1.${ZONE}`;
    const plain = reply(target, T.CNAME, { answers: [{ type: T.CNAME, rdata: { name: target } }] });
    const pointer = reply(target, T.CNAME, { answers: [{ type: T.CNAME, rdata: { name: target, pointer: true } }] });
    expect(fp(plain)).toBe(fp(pointer));
    const signed = reply(target, T.CNAME, { answers: [{ type: T.CNAME, rdata: { name: target } }, { type: T.RRSIG, rdata: randomBytes(40) }] });
    expect(fp(signed)).toBe(fp(plain));
  });

  it('is null for an answer section that does not parse', () => {
    const good = reply(name, T.A, { answers: [a('192.0.2.1')] });
    expect(fp({ bytes: good.bytes.subarray(0, good.bytes.length - 1), questionEnd: good.questionEnd })).toBeNull();
  });
});
