import { describe, it, expect } from 'vitest';
import { parseQuery } from '../../src/wire/query.js';
import { answersQuestion, inspectResponse, truncateReply } from '../../src/wire/response.js';
import { Packet, buildQuery, decode, optOf, type Resource } from './helpers.js';

interface ReplyOptions {
  readonly id?: number;
  readonly name?: string;
  readonly type?: number;
  readonly cls?: number;
  readonly rcode?: number;
  readonly tc?: boolean;
  readonly answers?: object[];
  readonly authorities?: object[];
  readonly additionals?: object[];
  readonly edns?: boolean;
}

/** A reply built by dns2, the way an upstream would send it. */
function buildReply(o: ReplyOptions = {}): Buffer {
  const p = new Packet();
  p.header.id = o.id ?? 0x1234;
  p.header.qr = 1;
  p.header.rd = 1;
  p.header.ra = 1;
  p.header.rcode = o.rcode ?? 0;
  if (o.tc) p.header.tc = 1;
  p.questions.push({ name: o.name ?? 'www.example.com', type: o.type ?? 1, class: o.cls ?? 1 } as Packet['questions'][number]);
  p.answers = (o.answers ?? []) as Resource[];
  p.authorities = (o.authorities ?? []) as Resource[];
  p.additionals = (o.additionals ?? []) as Resource[];
  if (o.edns) p.additionals.push(Packet.Resource.EDNS([], { udpPayloadSize: 1232, doFlag: true }));
  return p.toBuffer();
}

const A = (name: string, address: string, ttl: number) => ({ name, type: 1, class: 1, ttl, address });
const AAAA = (name: string, address: string, ttl: number) => ({ name, type: 28, class: 1, ttl, address });
const CNAME = (name: string, domain: string, ttl: number) => ({ name, type: 5, class: 1, ttl, domain });
const NS = (name: string, ns: string, ttl: number) => ({ name, type: 2, class: 1, ttl, ns });
const SOA = (name: string, ttl: number, minimum: number) => ({
  name,
  type: 6,
  class: 1,
  ttl,
  primary: 'ns1.example.com',
  admin: 'hostmaster.example.com',
  serial: 2024010101,
  refresh: 7200,
  retry: 900,
  expiration: 1209600,
  minimum,
});

/** TTLs of every non-OPT record in packet order, as dns2 decodes them. */
function decodedTtls(buf: Buffer): number[] {
  const p = decode(buf);
  expect(p.errors).toEqual([]);
  return [...p.answers, ...p.authorities, ...p.additionals].filter((r) => r.type !== 41).map((r) => r.ttl);
}

describe('inspectResponse', () => {
  const positive = () =>
    buildReply({
      answers: [CNAME('www.example.com', 'web.example.com', 3600), A('web.example.com', '192.0.2.1', 300), A('web.example.com', '192.0.2.2', 299)],
      authorities: [NS('example.com', 'ns1.example.com', 86400)],
      additionals: [A('ns1.example.com', '192.0.2.53', 86400), AAAA('ns1.example.com', '2001:db8::53', 7200)],
      edns: true,
    });

  it('finds every TTL (not the OPT one) with its value', () => {
    const buf = positive();
    const info = inspectResponse(buf)!;
    expect(info).not.toBeNull();
    expect(info.rcode).toBe(0);
    expect(info.truncated).toBe(false);
    expect(info.answerCount).toBe(3);
    expect(info.questionEnd).toBe(12 + 17 + 4);
    expect(info.ttls).toEqual([3600, 300, 299, 86400, 86400, 7200]);
    expect(info.ttls).toEqual(decodedTtls(buf));
    expect(info.ttlOffsets).toHaveLength(6);
    for (let i = 0; i < info.ttlOffsets.length; i++) expect(buf.readUInt32BE(info.ttlOffsets[i]!)).toBe(info.ttls[i]);
    expect(info.negativeTtl).toBeNull();
  });

  it('TTL offsets are the real TTL fields: patching one changes what dns2 decodes, and only that one', () => {
    const buf = positive();
    const info = inspectResponse(buf)!;
    for (let i = 0; i < info.ttlOffsets.length; i++) {
      const copy = Buffer.from(buf);
      copy.writeUInt32BE(12345 + i, info.ttlOffsets[i]!);
      const expected = [...info.ttls];
      expected[i] = 12345 + i;
      expect(decodedTtls(copy)).toEqual(expected);
      // and the records still decode to the same data
      const p = decode(copy);
      expect(p.answers[1]!.address).toBe('192.0.2.1');
      expect(p.additionals[1]!.address).toBe('2001:db8::53');
    }
  });

  it('finds the OPT record, its offset and length', () => {
    const buf = positive();
    const info = inspectResponse(buf)!;
    expect(info.optLength).toBe(11);
    expect(info.optOffset).toBe(buf.length - 11);
    expect(buf[info.optOffset]).toBe(0);
    expect(buf.readUInt16BE(info.optOffset + 1)).toBe(41);
    const none = inspectResponse(buildReply({ answers: [A('www.example.com', '192.0.2.1', 60)] }))!;
    expect(none.optOffset).toBe(-1);
    expect(none.optLength).toBe(0);
  });

  it('reports rcode and TC', () => {
    const info = inspectResponse(buildReply({ rcode: 2, tc: true }))!;
    expect(info.rcode).toBe(2);
    expect(info.truncated).toBe(true);
    expect(info.ttlOffsets).toEqual([]);
  });

  it('gives negativeTtl = min(SOA TTL, SOA MINIMUM) for NXDOMAIN', () => {
    const a = inspectResponse(buildReply({ rcode: 3, authorities: [SOA('example.com', 900, 300)], edns: true }))!;
    expect(a.rcode).toBe(3);
    expect(a.answerCount).toBe(0);
    expect(a.negativeTtl).toBe(300);
    expect(a.ttls).toEqual([900]);
    const b = inspectResponse(buildReply({ rcode: 3, authorities: [SOA('example.com', 60, 3600)] }))!;
    expect(b.negativeTtl).toBe(60);
  });

  it('gives negativeTtl for NODATA, after a CNAME, from the first SOA', () => {
    const buf = buildReply({
      type: 28,
      answers: [CNAME('www.example.com', 'web.example.com', 3600)],
      authorities: [SOA('example.com', 1800, 450), SOA('example.net', 10, 10)],
    });
    const info = inspectResponse(buf)!;
    expect(info.negativeTtl).toBe(450);
    expect(info.answerCount).toBe(1);
    const p = decode(buf);
    expect(p.authorities[0]!.minimum).toBe(450);
  });

  it('ignores a SOA in the answer or additional section for negativeTtl', () => {
    expect(inspectResponse(buildReply({ type: 6, answers: [SOA('www.example.com', 100, 50)] }))!.negativeTtl).toBeNull();
    expect(inspectResponse(buildReply({ rcode: 3, additionals: [SOA('example.com', 100, 50)] }))!.negativeTtl).toBeNull();
  });

  it('treats a TTL with the top bit set as 0 (RFC 2181 8)', () => {
    const buf = buildReply({ answers: [A('www.example.com', '192.0.2.1', 300)] });
    const info = inspectResponse(buf)!;
    buf.writeUInt32BE(0x80000e10, info.ttlOffsets[0]!);
    expect(inspectResponse(buf)!.ttls).toEqual([0]);
  });

  it('is null for every truncated copy of a reply', () => {
    const buf = positive();
    for (let n = 0; n < buf.length; n++) expect(inspectResponse(buf.subarray(0, n))).toBeNull();
    expect(inspectResponse(buf)).not.toBeNull();
  });

  it('is null for malformed records', () => {
    const buf = positive();
    const info = inspectResponse(buf)!;
    // RDLENGTH of the first answer made larger than the packet
    const rdlen = Buffer.from(buf);
    rdlen.writeUInt16BE(0xffff, info.ttlOffsets[0]! + 4);
    expect(inspectResponse(rdlen)).toBeNull();
    // a reserved label type in the question
    const label = Buffer.from(buf);
    label[12] = 0x43;
    expect(inspectResponse(label)).toBeNull();
    // more records announced than present
    const counts = Buffer.from(buf);
    counts.writeUInt16BE(counts.readUInt16BE(10) + 1, 10);
    expect(inspectResponse(counts)).toBeNull();
    // a header alone with counts of zero is fine
    expect(inspectResponse(Buffer.from([0, 1, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0]))).toMatchObject({ questionEnd: 12, ttlOffsets: [] });
  });
});

describe('answersQuestion', () => {
  const query = buildQuery('WwW.Example.COM', { id: 0x2222, type: 1 });
  const qEnd = (() => {
    const r = parseQuery(query);
    if (!r.ok) throw new Error('bad query');
    return r.query.questionEnd;
  })();
  const answer = [A('www.example.com', '192.0.2.1', 60)];

  it('accepts the same ID and question in a different letter case', () => {
    expect(answersQuestion(buildReply({ id: 0x2222, name: 'www.EXAMPLE.com', answers: answer }), 0x2222, query, qEnd)).toBe(true);
    expect(answersQuestion(buildReply({ id: 0x2222, name: 'WwW.Example.COM' }), 0x2222, query, qEnd)).toBe(true);
  });

  it('rejects a wrong ID', () => {
    expect(answersQuestion(buildReply({ id: 0x2223, name: 'www.example.com' }), 0x2222, query, qEnd)).toBe(false);
  });

  it('rejects a wrong name, even one of the same length', () => {
    expect(answersQuestion(buildReply({ id: 0x2222, name: 'www.example.org' }), 0x2222, query, qEnd)).toBe(false);
    expect(answersQuestion(buildReply({ id: 0x2222, name: 'www.example.co' }), 0x2222, query, qEnd)).toBe(false);
    expect(answersQuestion(buildReply({ id: 0x2222, name: 'example.com' }), 0x2222, query, qEnd)).toBe(false);
  });

  it('rejects a wrong type or class, including ones that differ only by a letter-case bit', () => {
    expect(answersQuestion(buildReply({ id: 0x2222, name: 'www.example.com', type: 28 }), 0x2222, query, qEnd)).toBe(false);
    expect(answersQuestion(buildReply({ id: 0x2222, name: 'www.example.com', cls: 3 }), 0x2222, query, qEnd)).toBe(false);
    // HTTPS is 0x0041 ("A"); 0x0061 ("a") is type 97: not the same question
    const https = buildQuery('www.example.com', { id: 7, type: 65 });
    const httpsEnd = https.length;
    expect(answersQuestion(buildReply({ id: 7, name: 'www.example.com', type: 65 }), 7, https, httpsEnd)).toBe(true);
    expect(answersQuestion(buildReply({ id: 7, name: 'www.example.com', type: 97 }), 7, https, httpsEnd)).toBe(false);
    const cls = buildQuery('www.example.com', { id: 7, type: 1, cls: 0x45 });
    expect(answersQuestion(buildReply({ id: 7, name: 'www.example.com', type: 1, cls: 0x65 }), 7, cls, cls.length)).toBe(false);
  });

  it('rejects a packet with QR=0', () => {
    const reply = buildReply({ id: 0x2222, name: 'www.example.com' });
    reply[2]! &= 0x7f;
    expect(answersQuestion(reply, 0x2222, query, qEnd)).toBe(false);
    expect(answersQuestion(query, 0x2222, query, qEnd)).toBe(false); // our own query reflected back
  });

  it('rejects QDCOUNT 0 and a reply shorter than the question', () => {
    const reply = buildReply({ id: 0x2222, name: 'www.example.com' });
    const noQuestion = Buffer.from(reply);
    noQuestion.writeUInt16BE(0, 4);
    expect(answersQuestion(noQuestion, 0x2222, query, qEnd)).toBe(false);
    expect(answersQuestion(reply.subarray(0, 12), 0x2222, query, qEnd)).toBe(false);
    expect(answersQuestion(reply.subarray(0, qEnd - 1), 0x2222, query, qEnd)).toBe(false);
    expect(answersQuestion(Buffer.alloc(0), 0x2222, query, qEnd)).toBe(false);
  });
});

describe('truncateReply', () => {
  const many = Array.from({ length: 60 }, (_, i) => A('big.example.com', `192.0.2.${i}`, 300));

  it('cuts to header + question + OPT with TC=1 within the limit', () => {
    const buf = buildReply({ name: 'Big.Example.com', answers: many, edns: true });
    expect(buf.length).toBeGreaterThan(512);
    const info = inspectResponse(buf)!;
    const out = truncateReply(buf, info, 512);
    expect(out.length).toBeLessThanOrEqual(512);
    expect(out.subarray(12, info.questionEnd).equals(buf.subarray(12, info.questionEnd))).toBe(true);
    const p = decode(out);
    expect(p.errors).toEqual([]);
    expect(p.header).toMatchObject({ id: 0x1234, qr: 1, tc: 1, rd: 1, ra: 1, rcode: 0, qdcount: 1, ancount: 0, nscount: 0, arcount: 1 });
    expect(p.questions[0]).toMatchObject({ name: 'Big.Example.com', type: 1, class: 1 });
    expect(p.answers).toEqual([]);
    expect(optOf(p)).toMatchObject({ class: 1232, doFlag: true });
    expect(out.subarray(info.questionEnd).equals(buf.subarray(info.optOffset, info.optOffset + info.optLength))).toBe(true);
    // and what is left is itself a well-formed reply
    expect(inspectResponse(out)).toMatchObject({ truncated: true, answerCount: 0, ttlOffsets: [], optOffset: info.questionEnd });
  });

  it('keeps the rcode and drops authority and additional records', () => {
    const buf = buildReply({ rcode: 3, authorities: [SOA('example.com', 900, 300)], additionals: many.slice(0, 40) });
    const info = inspectResponse(buf)!;
    const out = truncateReply(buf, info, 512);
    const p = decode(out);
    expect(p.errors).toEqual([]);
    expect(p.header).toMatchObject({ tc: 1, rcode: 3, ancount: 0, nscount: 0, arcount: 0 });
    expect(out.length).toBe(info.questionEnd);
  });

  it('drops the OPT when even it would not fit', () => {
    const buf = buildReply({ answers: many, edns: true });
    const info = inspectResponse(buf)!;
    const limit = info.questionEnd + info.optLength - 1;
    const out = truncateReply(buf, info, limit);
    expect(out.length).toBeLessThanOrEqual(limit);
    const p = decode(out);
    expect(p.errors).toEqual([]);
    expect(p.header).toMatchObject({ tc: 1, arcount: 0 });
    expect(optOf(p)).toBeUndefined();
  });
});
