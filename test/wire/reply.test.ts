import { describe, it, expect } from 'vitest';
import { Ede, Rcode } from '../../src/wire/constants.js';
import { optSize, writeOpt } from '../../src/wire/opt.js';
import { parseQuery, type ParsedQuery } from '../../src/wire/query.js';
import { labelOffsets } from '../../src/wire/names.js';
import { errorReply, sinkholeReply, soaRdata, type SinkholeMode, type SinkholeSpec } from '../../src/wire/reply.js';
import { Packet, buildQuery, decode, optOf, rawQuery, wireName } from './helpers.js';

function parsed(buf: Buffer): ParsedQuery {
  const r = parseQuery(buf);
  if (r.ok) return r.query;
  if (r.kind === 'badvers') return r.query;
  throw new Error(`query did not parse: ${JSON.stringify(r)}`);
}

interface EdeOpt {
  ednsCode: number;
  infoCode: number;
  extraText: string;
}

function edeOf(p: ReturnType<typeof decode>): EdeOpt | undefined {
  const opt = optOf(p);
  return (opt?.rdata as unknown as EdeOpt[] | undefined)?.find((o) => o.ednsCode === 15);
}

describe('errorReply', () => {
  it('sets QR, copies ID, opcode and RD, sets RA and the rcode, echoes the question byte for byte', () => {
    const query = buildQuery('MiXeD.ExAmPlE.com', { id: 0x7e57, type: Packet.TYPE.MX });
    const q = parsed(query);
    const reply = errorReply(query, q.questionEnd, Rcode.REFUSED, null);
    expect(reply.subarray(12, q.questionEnd).equals(query.subarray(12, q.questionEnd))).toBe(true);
    expect(reply.length).toBe(q.questionEnd);
    const p = decode(reply);
    expect(p.errors).toEqual([]);
    expect(p.header).toMatchObject({ id: 0x7e57, qr: 1, opcode: 0, aa: 0, tc: 0, rd: 1, ra: 1, rcode: 5 });
    expect(p.header).toMatchObject({ qdcount: 1, ancount: 0, nscount: 0, arcount: 0 });
    expect(p.questions[0]).toMatchObject({ name: 'MiXeD.ExAmPlE.com', type: 15, class: 1 });
    expect(optOf(p)).toBeUndefined();
  });

  it('copies RD=0 and CD, and leaves RA off for an authority', () => {
    const query = buildQuery('a.example', { rd: false, cd: true });
    const reply = errorReply(query, parsed(query).questionEnd, Rcode.SERVFAIL, null, { recursionAvailable: false, authoritative: true });
    const p = decode(reply);
    expect(p.header).toMatchObject({ rd: 0, ra: 0, aa: 1, rcode: 2 });
    expect((p.header as unknown as { cd: number }).cd).toBe(1);
  });

  it('answers without a question when there is none to echo', () => {
    const query = buildQuery('example.com', { id: 99 });
    const reply = errorReply(query, -1, Rcode.FORMERR, null);
    expect(reply.length).toBe(12);
    const p = decode(reply);
    expect(p.header).toMatchObject({ id: 99, qr: 1, rcode: 1, qdcount: 0 });
  });

  it('keeps the opcode for NOTIMP', () => {
    const query = buildQuery('example.com', { opcode: 4, type: Packet.TYPE.SOA });
    const r = parseQuery(query);
    expect(r).toMatchObject({ kind: 'notimp' });
    const reply = errorReply(query, r.ok ? -1 : r.kind === 'notimp' ? r.questionEnd : -1, Rcode.NOTIMP, null);
    const p = decode(reply);
    expect(p.header).toMatchObject({ qr: 1, opcode: 4, rcode: 4, qdcount: 1 });
    expect(p.questions[0]!.name).toBe('example.com');
  });

  it('adds an OPT only when asked, with our UDP size, DO echoed and an EDE dns2 can read', () => {
    const query = buildQuery('Blocked.Example', { edns: { udpSize: 4096, dnssecOk: true } });
    const q = parsed(query);
    const text = 'sinkd: client not allowed ✓';
    const reply = errorReply(query, q.questionEnd, Rcode.REFUSED, { dnssecOk: true, ede: { code: Ede.PROHIBITED, text } });
    const p = decode(reply);
    expect(p.errors).toEqual([]);
    expect(p.header.arcount).toBe(1);
    const opt = optOf(p)!;
    expect(opt.name).toBe('');
    expect(opt.class).toBe(1232);
    expect(opt.doFlag).toBe(true);
    expect(opt.version).toBe(0);
    expect(opt.extendedRcode).toBe(0);
    expect(edeOf(p)).toEqual({ ednsCode: 15, infoCode: 18, extraText: text });
    expect(reply.length).toBe(q.questionEnd + optSize({ dnssecOk: true, ede: { code: 18, text } }));
  });

  it('writes an OPT with no options and DO=0 when no EDE is given', () => {
    const query = buildQuery('example.com', { edns: {} });
    const q = parsed(query);
    const reply = errorReply(query, q.questionEnd, Rcode.SERVFAIL, { dnssecOk: false });
    expect(reply.length).toBe(q.questionEnd + 11);
    expect(reply.subarray(q.questionEnd).equals(Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]))).toBe(true);
    const opt = optOf(decode(reply))!;
    expect(opt.doFlag).toBe(false);
    expect(opt.rdata).toEqual([]);
  });

  it('carries BADVERS (16) as extended rcode 1 in the OPT TTL and 0 in the header', () => {
    const query = buildQuery('example.com', { edns: { version: 1, dnssecOk: true } });
    const r = parseQuery(query);
    if (r.ok || r.kind !== 'badvers') throw new Error('expected badvers');
    const reply = errorReply(query, r.query.questionEnd, Rcode.BADVERS, { dnssecOk: true });
    expect(reply[3]! & 0x0f).toBe(0);
    const optAt = r.query.questionEnd;
    expect(reply[optAt + 5]).toBe(1); // extended rcode: high byte of the OPT TTL
    expect(reply[optAt + 6]).toBe(0); // our version: 0
    expect(reply.readUInt32BE(optAt + 5)).toBe(0x01008000);
    const p = decode(reply);
    expect(p.errors).toEqual([]);
    expect(p.header.rcode).toBe(16); // dns2 merges the 12-bit rcode
    expect(optOf(p)!.extendedRcode).toBe(1);
    expect(optOf(p)!.version).toBe(0);
  });
});

describe('writeOpt / optSize', () => {
  it('agree on the size, with and without EDE, for multi-byte text', () => {
    for (const spec of [{ dnssecOk: false }, { dnssecOk: true, ede: { code: 15, text: '' } }, { dnssecOk: false, ede: { code: 3, text: 'ünïcödé 🙂' } }]) {
      const out = Buffer.alloc(optSize(spec) + 4, 0xee);
      expect(writeOpt(out, 2, spec)).toBe(2 + optSize(spec));
      expect(out[out.length - 1]).toBe(0xee);
    }
  });
});

const SOA = { mname: 'sinkhole.sinkd.invalid.', rname: 'hostmaster.sinkd.invalid.', serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 120 };

function spec(mode: SinkholeMode): SinkholeSpec {
  return {
    mode,
    ipv4: Buffer.from([0, 0, 0, 0]),
    ipv6: Buffer.from('00000000000000000000000000000001', 'hex'),
    ttl: 120,
    soaRdata: soaRdata(SOA),
  };
}

const QNAME = 'WWW.Tracker.Evil.EXAMPLE';
const RULE = 'evil.example';

/** Offset of the rule's first label inside the question name, as the policy step computes it. */
function zoneOffsetFor(query: Buffer, ruleName: string): number {
  const offsets = labelOffsets(query, 12);
  return offsets[offsets.length - ruleName.split('.').length]!;
}

describe('sinkholeReply', () => {
  const types = { A: 1, AAAA: 28, MX: 15, TXT: 16, HTTPS: 65, ANY: 255 } as const;

  for (const mode of ['sinkhole', 'nxdomain', 'nodata'] as const) {
    for (const [typeName, qtype] of Object.entries(types)) {
      for (const withEdns of [false, true]) {
        it(`${mode} ${typeName}${withEdns ? ' with EDNS' : ''}`, () => {
          const query = buildQuery(QNAME, { id: 0x4242, type: qtype, edns: withEdns ? { dnssecOk: true } : undefined });
          const q = parsed(query);
          const zoneOffset = zoneOffsetFor(query, RULE);
          const opt = withEdns ? { dnssecOk: true, ede: { code: Ede.BLOCKED, text: `sinkd: ${RULE} (test)` } } : null;
          const reply = sinkholeReply(query, q.questionEnd, q.qtype, zoneOffset, spec(mode), opt);
          const p = decode(reply);

          expect(p.errors).toEqual([]);
          expect(p.header).toMatchObject({ id: 0x4242, qr: 1, opcode: 0, aa: 0, tc: 0, rd: 1, ra: 1 });
          // question: the client's own letter case, byte for byte
          expect(reply.subarray(12, q.questionEnd).equals(query.subarray(12, q.questionEnd))).toBe(true);
          expect(p.questions).toHaveLength(1);
          expect(p.questions[0]).toMatchObject({ name: QNAME, type: qtype, class: 1 });

          const addressTypes = mode === 'sinkhole' ? (qtype === 1 ? [1] : qtype === 28 ? [28] : qtype === 255 ? [1, 28] : []) : [];
          expect(p.header.rcode).toBe(mode === 'nxdomain' ? 3 : 0);
          expect(p.answers.map((a) => a.type)).toEqual(addressTypes);
          for (const a of p.answers) {
            expect(a.name).toBe(QNAME); // owner: a pointer to the question name
            expect(a.class).toBe(1);
            expect(a.ttl).toBe(120);
            expect(a.address).toBe(a.type === 1 ? '0.0.0.0' : '::1');
          }
          if (addressTypes.length > 0) {
            expect(reply.readUInt16BE(q.questionEnd)).toBe(0xc00c);
            expect(p.authorities).toEqual([]);
          } else {
            expect(p.authorities).toHaveLength(1);
            const soa = p.authorities[0]!;
            expect(soa.type).toBe(6);
            expect(soa.name).toBe('Evil.EXAMPLE'); // the rule's name, spelled as in the question
            expect(soa.name.toLowerCase()).toBe(RULE);
            expect(soa.ttl).toBe(120);
            expect(soa).toMatchObject({ primary: 'sinkhole.sinkd.invalid', admin: 'hostmaster.sinkd.invalid', serial: 1, refresh: 3600, retry: 600, expiration: 86400, minimum: 120 });
            const soaAt = q.questionEnd;
            expect(reply.readUInt16BE(soaAt)).toBe(0xc000 | zoneOffset);
            expect(zoneOffset).toBeGreaterThan(12);
            expect(zoneOffset).toBeLessThan(q.nameEnd);
          }

          const o = optOf(p);
          if (!withEdns) {
            expect(o).toBeUndefined();
            expect(p.header.arcount).toBe(0);
          } else {
            expect(p.header.arcount).toBe(1);
            expect(o!.doFlag).toBe(true);
            expect(o!.class).toBe(1232);
            expect(edeOf(p)).toEqual({ ednsCode: 15, infoCode: 15, extraText: `sinkd: ${RULE} (test)` });
          }
        });
      }
    }
  }

  it('owns the SOA by the whole question name when the rule is the name itself', () => {
    const query = buildQuery('Evil.Example', { type: Packet.TYPE.TXT });
    const q = parsed(query);
    const p = decode(sinkholeReply(query, q.questionEnd, q.qtype, 12, spec('sinkhole'), null));
    expect(p.errors).toEqual([]);
    expect(p.authorities[0]!.name).toBe('Evil.Example');
  });

  it('works for a question name holding an escaped dot', () => {
    const query = rawQuery(wireName(['a.B', 'Evil', 'example']), 1, 1, { id: 5 });
    const q = parsed(query);
    expect(q.qname).toBe('a\\.b.evil.example');
    const p = decode(sinkholeReply(query, q.questionEnd, q.qtype, zoneOffsetFor(query, RULE), spec('nxdomain'), null));
    expect(p.errors).toEqual([]);
    expect(p.header.rcode).toBe(3);
    expect(p.authorities[0]!.name).toBe('Evil.example');
  });

  it('sets AA and clears RA when asked (seized zones)', () => {
    const query = buildQuery('x.evil.example');
    const q = parsed(query);
    const p = decode(sinkholeReply(query, q.questionEnd, q.qtype, 12, spec('sinkhole'), null, { authoritative: true, recursionAvailable: false }));
    expect(p.header).toMatchObject({ aa: 1, ra: 0 });
    expect(p.answers[0]!.address).toBe('0.0.0.0');
  });
});
