// Bounded, seeded property loops: the fast path against dns2 on random input.

import { describe, it, expect } from 'vitest';
import { parseQuery } from '../../src/wire/query.js';
import { errorReply, sinkholeReply, soaRdata } from '../../src/wire/reply.js';
import { inspectResponse } from '../../src/wire/response.js';
import { Packet, buildQuery, decode, prng, randInt } from './helpers.js';

const LABEL_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_';
const TYPES = [1, 2, 5, 6, 12, 15, 16, 28, 33, 43, 48, 64, 65, 255, 0, 0x41, 0xff00, 0xffff];
const CLASSES = [1, 1, 1, 3, 4, 255, 0x41];

function randomName(rand: () => number): string {
  if (rand() < 0.02) return '';
  const labels: string[] = [];
  let wire = 1;
  const count = randInt(rand, 1, 8);
  for (let i = 0; i < count; i++) {
    const len = rand() < 0.05 ? 63 : randInt(rand, 1, 20);
    if (wire + len + 1 > 255) break;
    wire += len + 1;
    let l = '';
    for (let j = 0; j < len; j++) l += LABEL_CHARS[randInt(rand, 0, LABEL_CHARS.length - 1)];
    labels.push(l);
  }
  return labels.join('.');
}

function randomQuery(rand: () => number): { buf: Buffer; name: string; type: number; cls: number; edns: { udpSize: number; dnssecOk: boolean } | null } {
  const name = randomName(rand);
  const type = rand() < 0.5 ? TYPES[randInt(rand, 0, TYPES.length - 1)]! : randInt(rand, 1, 0xffff);
  const cls = CLASSES[randInt(rand, 0, CLASSES.length - 1)]!;
  const edns = rand() < 0.5 ? { udpSize: randInt(rand, 1, 0xffff), dnssecOk: rand() < 0.5 } : null;
  const buf = buildQuery(name, {
    id: randInt(rand, 0, 0xffff),
    type,
    cls,
    rd: rand() < 0.8,
    cd: rand() < 0.2,
    edns: edns ?? undefined,
  });
  return { buf, name, type, cls, edns };
}

function mutate(rand: () => number, src: Buffer): Buffer {
  let buf = Buffer.from(src);
  const steps = randInt(rand, 1, 4);
  for (let s = 0; s < steps; s++) {
    const op = randInt(rand, 0, 6);
    if (op === 0 && buf.length > 0) {
      buf[randInt(rand, 0, buf.length - 1)] = randInt(rand, 0, 255); // overwrite one octet
    } else if (op === 1 && buf.length > 0) {
      buf[randInt(rand, 0, buf.length - 1)]! ^= 1 << randInt(rand, 0, 7); // flip one bit
    } else if (op === 2) {
      buf = buf.subarray(0, randInt(rand, 0, buf.length)); // truncate
    } else if (op === 3) {
      const extra = Buffer.alloc(randInt(rand, 1, 16));
      for (let i = 0; i < extra.length; i++) extra[i] = randInt(rand, 0, 255);
      buf = Buffer.concat([buf, extra]); // trailing junk
    } else if (op === 4 && buf.length >= 12) {
      buf.writeUInt16BE(randInt(rand, 0, 3) === 0 ? randInt(rand, 0, 0xffff) : randInt(rand, 0, 3), 4 + 2 * randInt(rand, 0, 3)); // counts
    } else if (op === 5 && buf.length > 13) {
      // a length octet inside the question name set to something hostile
      const at = randInt(rand, 12, Math.min(buf.length - 1, 40));
      buf[at] = [0, 1, 63, 64, 0x40, 0x80, 0xc0, 0xff][randInt(rand, 0, 7)]!;
    } else if (op === 6 && buf.length > 2) {
      buf[randInt(rand, 2, 3)] = randInt(rand, 0, 255); // flags
    }
  }
  return buf;
}

const SPEC = {
  mode: 'sinkhole' as const,
  ipv4: Buffer.from([0, 0, 0, 0]),
  ipv6: Buffer.alloc(16),
  ttl: 60,
  soaRdata: soaRdata({ mname: 'sinkhole.sinkd.invalid', rname: 'hostmaster.sinkd.invalid', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60 }),
};

describe('parseQuery properties', () => {
  it('never throws on 20,000 random mutations of valid queries, and what it accepts is consistent', () => {
    const rand = prng(0x5eed);
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const { buf: base } = randomQuery(rand);
      const buf = mutate(rand, base);
      let r: ReturnType<typeof parseQuery>;
      try {
        r = parseQuery(buf);
      } catch (err) {
        throw new Error(`parseQuery threw on iteration ${i}, input ${buf.toString('hex')}: ${String(err)}`);
      }
      if (r.ok) {
        accepted++;
        const q = r.query;
        expect(q.nameEnd + 4).toBe(q.questionEnd);
        expect(q.questionEnd).toBeLessThanOrEqual(buf.length);
        expect(q.qtype).toBe(buf.readUInt16BE(q.nameEnd));
        expect(q.qclass).toBe(buf.readUInt16BE(q.nameEnd + 2));
        if (q.edns) expect(q.edns.offset + q.edns.length).toBeLessThanOrEqual(buf.length);
        // Whatever parseQuery accepts, the replies built from it decode cleanly.
        const p = decode(sinkholeReply(buf, q.questionEnd, q.qtype, 12, SPEC, q.edns ? { dnssecOk: q.edns.dnssecOk } : null));
        expect(p.errors).toEqual([]);
        expect(p.questions).toHaveLength(1);
      } else if (r.kind === 'formerr' || r.kind === 'notimp') {
        expect(r.questionEnd === -1 || (r.questionEnd > 12 && r.questionEnd <= buf.length)).toBe(true);
        const reply = errorReply(buf, r.questionEnd, r.kind === 'formerr' ? 1 : 4, null);
        const p = decode(reply);
        expect(p.errors).toEqual([]);
        expect(p.header.qr).toBe(1);
      }
    }
    // the mutations must not be so destructive that nothing parses
    expect(accepted).toBeGreaterThan(2000);
  }, 120_000);

  it('agrees with dns2 on qname/qtype/qclass for 20,000 random valid queries', () => {
    const rand = prng(0xd152);
    for (let i = 0; i < 20_000; i++) {
      const { buf, name, type, cls, edns } = randomQuery(rand);
      const r = parseQuery(buf);
      if (!r.ok) throw new Error(`rejected valid query ${buf.toString('hex')}: ${JSON.stringify(r)}`);
      const oracle = decode(buf);
      expect(oracle.errors).toEqual([]);
      const oq = oracle.questions[0]!;
      expect(oq.name).toBe(name);
      expect(r.query.qname).toBe(oq.name.toLowerCase());
      expect(r.query.qtype).toBe(oq.type);
      expect(r.query.qclass).toBe(oq.class);
      expect(r.query.qtype).toBe(type);
      expect(r.query.qclass).toBe(cls);
      expect(r.query.id).toBe(oracle.header.id);
      expect(r.query.recursionDesired).toBe(oracle.header.rd === 1);
      expect(r.query.questionEnd).toBe(edns ? buf.length - 11 : buf.length);
      if (edns) {
        const opt = oracle.additionals[0]!;
        expect(r.query.edns).toMatchObject({ udpSize: opt.class, dnssecOk: opt.doFlag, version: 0 });
        expect(r.query.edns!.udpSize).toBe(edns.udpSize);
      } else {
        expect(r.query.edns).toBeNull();
      }
    }
  }, 120_000);

  it('inspectResponse never throws on mutated replies and its TTL offsets stay inside the packet', () => {
    const rand = prng(0x77);
    for (let i = 0; i < 5_000; i++) {
      const { buf: qbuf } = randomQuery(rand);
      const r = parseQuery(qbuf);
      if (!r.ok) continue;
      const q = r.query;
      const reply = sinkholeReply(qbuf, q.questionEnd, q.qtype, 12, { ...SPEC, mode: rand() < 0.5 ? 'sinkhole' : 'nxdomain' }, q.edns ? { dnssecOk: false, ede: { code: 15, text: 'x' } } : null);
      const clean = inspectResponse(reply);
      expect(clean).not.toBeNull();
      expect(clean!.ttls.every((t) => t === 60)).toBe(true);
      const bad = mutate(rand, reply);
      const info = inspectResponse(bad);
      if (info) for (const off of info.ttlOffsets) expect(off + 4).toBeLessThanOrEqual(bad.length);
    }
  }, 120_000);
});

// dns2's name encoder keeps letter case, so the oracle really sees mixed case on the wire.
describe('oracle sanity', () => {
  it('dns2 keeps the letter case of a question name', () => {
    const buf = buildQuery('MiXeD.CaSe');
    expect(buf.subarray(12, 24).toString('latin1')).toContain('MiXeD');
    expect(Packet.parse(buf).questions[0]!.name).toBe('MiXeD.CaSe');
  });
});
