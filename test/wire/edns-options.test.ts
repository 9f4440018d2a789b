// Finding and removing EDNS options in a client's OPT (src/wire/edns-options.ts), as the ECS step
// uses them: hand-built cases, then 5,000 seeded random queries whose result must parse and keep
// every other option octet for octet.

import { describe, expect, it } from 'vitest';
import { hasEdnsOption, withoutEdnsOption } from '../../src/wire/edns-options.js';
import { parseQuery } from '../../src/wire/query.js';
import { ecsData, ednsOption, encodeName, header, mulberry32, optRecord, u16, validQuery } from '../fuzz/hostile.mjs';

function query(rdata: Buffer, extra: Buffer = Buffer.alloc(0), ar = 1): Buffer {
  return Buffer.concat([header({ ar }), encodeName('example.com'), u16(1), u16(1), optRecord({ rdata }), extra]);
}

function opt(buf: Buffer) {
  const r = parseQuery(buf);
  if (!r.ok || r.query.edns === null) throw new Error('expected a query with OPT');
  return r.query.edns;
}

const ECS = ednsOption(8, ecsData(1, 24, Buffer.from([198, 51, 100])));
const COOKIE = ednsOption(10, Buffer.from('0123456789abcdef', 'hex'));

describe('withoutEdnsOption', () => {
  it('removes ECS and keeps the other options, and the result parses', () => {
    const q = query(Buffer.concat([COOKIE, ECS, ednsOption(12, Buffer.alloc(5))]));
    const e = opt(q);
    expect(e.clientSubnet).toBe('198.51.100.0/24');
    expect(hasEdnsOption(q, e.offset, e.length, 8)).toBe(true);
    const out = withoutEdnsOption(q, e.offset, e.length, 8)!;
    const e2 = opt(out);
    expect(e2.clientSubnet).toBeUndefined();
    expect(e2.length).toBe(e.length - ECS.length);
    expect(out.subarray(e2.offset + 11, e2.offset + e2.length)).toEqual(Buffer.concat([COOKIE, ednsOption(12, Buffer.alloc(5))]));
    expect(hasEdnsOption(out, e2.offset, e2.length, 8)).toBe(false);
  });

  it('is null when there is no such option', () => {
    const q = query(COOKIE);
    const e = opt(q);
    expect(withoutEdnsOption(q, e.offset, e.length, 8)).toBeNull();
  });

  it('keeps what follows the OPT record (a record after it)', () => {
    const tail = Buffer.concat([Buffer.from([0]), u16(16), u16(1), Buffer.alloc(4), u16(3), Buffer.from('abc')]);
    const q = query(Buffer.concat([ECS, COOKIE]), tail, 2);
    const e = opt(q);
    const out = withoutEdnsOption(q, e.offset, e.length, 8)!;
    expect(out.subarray(out.length - tail.length)).toEqual(tail);
    expect(parseQuery(out).ok).toBe(true);
  });

  it('drops an option list that runs off its record, even when no ECS was read', () => {
    const broken = Buffer.concat([COOKIE, u16(8), u16(40), Buffer.from([0, 1, 24, 0])]); // says 40 octets, has 4
    const q = query(broken);
    const e = opt(q);
    expect(e.clientSubnet).toBeUndefined();
    const out = withoutEdnsOption(q, e.offset, e.length, 8)!;
    expect(out.subarray(opt(out).offset + 11, opt(out).offset + opt(out).length)).toEqual(COOKIE);
  });

  it('on 5,000 random queries: no ECS left, everything else kept, still a valid query', () => {
    const rand = mulberry32(0xec5);
    let stripped = 0;
    for (let i = 0; i < 5000; i++) {
      const q: Buffer = validQuery(rand);
      const r = parseQuery(q);
      if (!r.ok || r.query.edns === null) continue;
      const e = r.query.edns;
      const out = withoutEdnsOption(q, e.offset, e.length, 8);
      expect(out === null).toBe(!hasEdnsOption(q, e.offset, e.length, 8));
      if (out === null) continue;
      stripped++;
      const r2 = parseQuery(out);
      expect(r2.ok).toBe(true);
      if (!r2.ok) continue;
      expect(r2.query.edns!.clientSubnet).toBeUndefined();
      expect(hasEdnsOption(out, r2.query.edns!.offset, r2.query.edns!.length, 8)).toBe(false);
      expect(out.subarray(0, e.offset + 9)).toEqual(q.subarray(0, e.offset + 9));
      expect(r2.query.qname).toBe(r.query.qname);
    }
    expect(stripped).toBeGreaterThan(100);
  });
});
