import { describe, it, expect } from 'vitest';
import { parseQuery, type ParsedQuery, type ParseResult } from '../../src/wire/query.js';
import { Packet, buildQuery, ednsOption, header, rawOpt, rawQuery, u16, wireName } from './helpers.js';

function ok(r: ParseResult): ParsedQuery {
  if (!r.ok) throw new Error(`expected a parsed query, got ${JSON.stringify(r)}`);
  return r.query;
}

describe('parseQuery: well-formed queries', () => {
  it('lowercases a mixed-case name and reads id, flags, type and class', () => {
    const buf = buildQuery('WwW.ExAmPlE.CoM', { id: 0xabcd, type: Packet.TYPE.AAAA, cd: true });
    const q = ok(parseQuery(buf));
    expect(q.qname).toBe('www.example.com');
    expect(q.qtype).toBe(28);
    expect(q.qclass).toBe(1);
    expect(q.id).toBe(0xabcd);
    expect(q.recursionDesired).toBe(true);
    expect(q.checkingDisabled).toBe(true);
    expect(q.flags).toBe(buf.readUInt16BE(2));
    expect(q.edns).toBeNull();
  });

  it('reports RD=0 and keeps non-IN classes', () => {
    const q = ok(parseQuery(buildQuery('version.bind', { rd: false, type: Packet.TYPE.TXT, cls: Packet.CLASS.CH })));
    expect(q.recursionDesired).toBe(false);
    expect(q.checkingDisabled).toBe(false);
    expect(q.qtype).toBe(16);
    expect(q.qclass).toBe(3);
  });

  it('gives nameEnd and questionEnd as offsets into the packet', () => {
    // 12 header + [3]www[7]example[3]com[0] = 17 octets of name
    const buf = buildQuery('www.example.com', { type: 65 });
    const q = ok(parseQuery(buf));
    expect(q.nameEnd).toBe(12 + 17);
    expect(q.questionEnd).toBe(12 + 17 + 4);
    expect(q.questionEnd).toBe(buf.length);
    expect(buf.readUInt16BE(q.nameEnd)).toBe(65);
    expect(buf.readUInt16BE(q.nameEnd + 2)).toBe(1);
  });

  it('reads the root name as ""', () => {
    const q = ok(parseQuery(buildQuery('', { type: Packet.TYPE.NS })));
    expect(q.qname).toBe('');
    expect(q.nameEnd).toBe(13);
    expect(q.questionEnd).toBe(17);
    expect(q.qtype).toBe(2);
  });

  it('reads EDNS: UDP size, DO bit, version, OPT offset and length', () => {
    const buf = buildQuery('example.org', { edns: { udpSize: 4096, dnssecOk: true } });
    const q = ok(parseQuery(buf));
    expect(q.edns).not.toBeNull();
    expect(q.edns!.udpSize).toBe(4096);
    expect(q.edns!.dnssecOk).toBe(true);
    expect(q.edns!.version).toBe(0);
    expect(q.edns!.offset).toBe(q.questionEnd);
    expect(q.edns!.length).toBe(11);
    expect(q.edns!.offset + q.edns!.length).toBe(buf.length);
    expect(q.edns!.clientSubnet).toBeUndefined();
  });

  it('keeps a UDP size below 512 as sent, and DO=0', () => {
    const q = ok(parseQuery(buildQuery('example.org', { edns: { udpSize: 100, dnssecOk: false } })));
    expect(q.edns!.udpSize).toBe(100);
    expect(q.edns!.dnssecOk).toBe(false);
  });

  it('reads an IPv4 ECS option built by dns2', () => {
    const buf = buildQuery('example.org', { edns: { options: [Packet.Resource.EDNS.ECS('192.0.2.0/24')] } });
    const q = ok(parseQuery(buf));
    expect(q.edns!.clientSubnet).toBe('192.0.2.0/24');
    expect(q.edns!.length).toBe(11 + 4 + 4 + 3);
  });

  it('reads an IPv6 ECS option built by dns2', () => {
    const ecs = { ednsCode: 8, family: 2, sourcePrefixLength: 56, scopePrefixLength: 0, ip: '2001:db8:1:2ff::' };
    const q = ok(parseQuery(buildQuery('example.org', { edns: { options: [ecs] } })));
    expect(q.edns!.clientSubnet).toBe('2001:db8:1:200:0:0:0:0/56'); // only ceil(56/8) = 7 address octets travel
  });

  it('finds ECS after another option, from hand-built OPT RDATA', () => {
    const cookie = ednsOption(10, Buffer.alloc(8, 0xaa));
    const ecs = ednsOption(8, Buffer.from([0, 1, 32, 0, 10, 1, 2, 3]));
    const buf = rawQuery(wireName(['example', 'org']), 1, 1, { ar: 1 }, rawOpt({ rdata: Buffer.concat([cookie, ecs]) }));
    const q = ok(parseQuery(buf));
    expect(q.edns!.clientSubnet).toBe('10.1.2.3/32');
  });

  it('ignores a malformed ECS option instead of failing the query', () => {
    // family 1 with prefix 33, then an option whose length runs past the RDATA
    const bad1 = rawQuery(wireName(['a']), 1, 1, { ar: 1 }, rawOpt({ rdata: ednsOption(8, Buffer.from([0, 1, 33, 0, 1, 2, 3, 4])) }));
    expect(ok(parseQuery(bad1)).edns!.clientSubnet).toBeUndefined();
    const overrun = Buffer.concat([u16(8), u16(40), Buffer.from([0, 1, 24, 0, 1, 2, 3])]);
    const bad2 = rawQuery(wireName(['a']), 1, 1, { ar: 1 }, rawOpt({ rdata: overrun }));
    expect(ok(parseQuery(bad2)).edns!.clientSubnet).toBeUndefined();
  });

  it('finds the OPT record after other additional records', () => {
    const other = Buffer.concat([wireName(['x']), u16(1), u16(1), Buffer.from([0, 0, 0, 60]), u16(4), Buffer.from([1, 2, 3, 4])]);
    const opt = rawOpt({ udpSize: 1400, flags: 0x8000 });
    const buf = rawQuery(wireName(['a', 'b']), 1, 1, { ar: 2 }, other, opt);
    const q = ok(parseQuery(buf));
    expect(q.edns!.udpSize).toBe(1400);
    expect(q.edns!.dnssecOk).toBe(true);
    expect(q.edns!.offset).toBe(buf.length - opt.length);
    expect(q.edns!.length).toBe(opt.length);
  });

  it('escapes a "." byte inside a label so it is not a label boundary', () => {
    const buf = rawQuery(wireName(['A.b', 'Example', 'COM']));
    const q = ok(parseQuery(buf));
    expect(q.qname).toBe('a\\.b.example.com');
    // Not the same as the three-label name a.b.example.com
    expect(q.qname).not.toBe(ok(parseQuery(buildQuery('a.b.example.com'))).qname);
  });
});

describe('parseQuery: problems', () => {
  it('drops runts shorter than a header', () => {
    for (let n = 0; n < 12; n++) expect(parseQuery(Buffer.alloc(n))).toEqual({ ok: false, kind: 'drop' });
  });

  it('drops responses (QR=1)', () => {
    const buf = buildQuery('example.com');
    buf[2]! |= 0x80;
    expect(parseQuery(buf)).toEqual({ ok: false, kind: 'drop' });
  });

  it('answers STATUS (2) and NOTIFY (4) with notimp, echoing a well-formed question', () => {
    for (const opcode of [2, 4]) {
      const buf = buildQuery('example.com', { opcode, type: Packet.TYPE.SOA });
      expect((buf.readUInt16BE(2) >> 11) & 0xf).toBe(opcode);
      expect(parseQuery(buf)).toEqual({ ok: false, kind: 'notimp', questionEnd: buf.length });
    }
  });

  it('gives notimp without a question to echo when there is none or it is broken', () => {
    const noQuestion = header({ flags: 4 << 11, qd: 0 });
    expect(parseQuery(noQuestion)).toEqual({ ok: false, kind: 'notimp', questionEnd: -1 });
    const cut = buildQuery('example.com', { opcode: 4 }).subarray(0, 20);
    expect(parseQuery(cut)).toEqual({ ok: false, kind: 'notimp', questionEnd: -1 });
  });

  it('rejects QDCOUNT 0 and 2 with formerr', () => {
    const zero = header({ qd: 0 });
    const r0 = parseQuery(zero);
    expect(r0).toMatchObject({ ok: false, kind: 'formerr', questionEnd: -1 });
    const name = wireName(['a', 'com']);
    const two = Buffer.concat([header({ qd: 2 }), name, u16(1), u16(1), name, u16(28), u16(1)]);
    expect(parseQuery(two)).toMatchObject({ ok: false, kind: 'formerr', questionEnd: -1 });
  });

  it('rejects a compression pointer in the question name', () => {
    const name = Buffer.concat([Buffer.from([3]), Buffer.from('foo'), Buffer.from([0xc0, 0x0c])]);
    expect(parseQuery(rawQuery(name))).toMatchObject({ ok: false, kind: 'formerr' });
    expect(parseQuery(rawQuery(Buffer.from([0xc0, 0x0c])))).toMatchObject({ ok: false, kind: 'formerr' });
  });

  it('rejects labels over 63 octets and the reserved label types', () => {
    expect(ok(parseQuery(rawQuery(wireName(['a'.repeat(63), 'com'])))).qname).toBe(`${'a'.repeat(63)}.com`);
    expect(parseQuery(rawQuery(wireName(['a'.repeat(64), 'com'])))).toMatchObject({ ok: false, kind: 'formerr' });
    // 0x40 and 0x80 label types (RFC 6891 5): not lengths
    expect(parseQuery(rawQuery(Buffer.from([0x41, 0x61, 0])))).toMatchObject({ ok: false, kind: 'formerr' });
    expect(parseQuery(rawQuery(Buffer.from([0x81, 0x61, 0])))).toMatchObject({ ok: false, kind: 'formerr' });
  });

  it('accepts a 255-octet name and rejects 256 and 257 octets', () => {
    const l63 = 'a'.repeat(63);
    const n255 = wireName([l63, l63, l63, 'b'.repeat(61)]);
    expect(n255.length).toBe(255);
    const q = ok(parseQuery(rawQuery(n255)));
    expect(q.qname.length).toBe(253);
    expect(q.nameEnd).toBe(12 + 255);
    const n256 = wireName([l63, l63, l63, 'b'.repeat(62)]);
    expect(n256.length).toBe(256);
    expect(parseQuery(rawQuery(n256))).toMatchObject({ ok: false, kind: 'formerr' });
    const n257 = wireName([l63, l63, l63, l63]);
    expect(n257.length).toBe(257);
    expect(parseQuery(rawQuery(n257))).toMatchObject({ ok: false, kind: 'formerr' });
    // many short labels: 128 x "a" = 256 octets with the root
    const many = wireName(Array<string>(128).fill('a'));
    expect(many.length).toBe(257);
    expect(parseQuery(rawQuery(many))).toMatchObject({ ok: false, kind: 'formerr' });
    const fits = wireName(Array<string>(127).fill('a'));
    expect(fits.length).toBe(255);
    expect(ok(parseQuery(rawQuery(fits))).qname).toBe(Array<string>(127).fill('a').join('.'));
  });

  it('rejects a truncated question at every cut point', () => {
    const full = buildQuery('www.example.com');
    for (let n = 12; n < full.length; n++) {
      expect(parseQuery(full.subarray(0, n))).toMatchObject({ ok: false, kind: 'formerr', questionEnd: -1 });
    }
  });

  it('rejects additional records that run off the packet', () => {
    const full = buildQuery('example.com', { edns: { options: [Packet.Resource.EDNS.ECS('192.0.2.0/24')] } });
    const questionEnd = ok(parseQuery(full)).questionEnd;
    for (let n = questionEnd; n < full.length; n++) {
      expect(parseQuery(full.subarray(0, n))).toMatchObject({ ok: false, kind: 'formerr', questionEnd });
    }
  });

  it('rejects two OPT records', () => {
    const buf = rawQuery(wireName(['example', 'com']), 1, 1, { ar: 2 }, rawOpt(), rawOpt());
    const r = parseQuery(buf);
    expect(r).toMatchObject({ ok: false, kind: 'formerr', questionEnd: 12 + 13 + 4 });
    expect(r.ok === false && r.kind === 'formerr' && r.reason).toMatch(/OPT/);
  });

  it('rejects an OPT record whose owner is not the root', () => {
    const named = rawQuery(wireName(['a']), 1, 1, { ar: 1 }, rawOpt({ owner: wireName(['x']) }));
    expect(parseQuery(named)).toMatchObject({ ok: false, kind: 'formerr', questionEnd: 12 + 3 + 4 });
    const pointer = rawQuery(wireName(['a']), 1, 1, { ar: 1 }, rawOpt({ owner: Buffer.from([0xc0, 0x0c]) }));
    expect(parseQuery(pointer)).toMatchObject({ ok: false, kind: 'formerr' });
  });

  it('answers EDNS version 1 with badvers, carrying the parsed query', () => {
    const buf = buildQuery('Example.COM', { edns: { version: 1, dnssecOk: true } });
    const r = parseQuery(buf);
    expect(r.ok).toBe(false);
    if (r.ok || r.kind !== 'badvers') throw new Error(`expected badvers, got ${JSON.stringify(r)}`);
    expect(r.query.qname).toBe('example.com');
    expect(r.query.edns!.version).toBe(1);
    expect(r.query.edns!.dnssecOk).toBe(true);
    expect(r.query.questionEnd).toBe(12 + 13 + 4);
  });
});
