import { describe, it, expect } from 'vitest';
import { labelOffsets, readQuestionName, skipName } from '../../src/wire/names.js';
import { encodeName } from '../../src/wire/reply.js';
import { Packet, prng, randInt, wireName } from './helpers.js';

describe('skipName', () => {
  it('skips an uncompressed name, the root, and a name ending in a pointer', () => {
    const buf = Buffer.concat([Buffer.alloc(12), wireName(['www', 'example', 'com']), Buffer.from([3, 0x66, 0x6f, 0x6f, 0xc0, 0x10])]);
    expect(skipName(buf, 12)).toBe(12 + 17);
    expect(skipName(buf, 12 + 16)).toBe(12 + 17); // the root label
    expect(skipName(buf, 29)).toBe(35);
    expect(skipName(buf, 33)).toBe(35); // a bare pointer
  });

  it('never loops on compression-pointer loops: pointers are not followed', () => {
    const self = Buffer.concat([Buffer.alloc(12), Buffer.from([0xc0, 0x0c])]);
    expect(skipName(self, 12)).toBe(14);
    // two pointers pointing at each other, and a label followed by a pointer back to itself
    const pair = Buffer.concat([Buffer.alloc(12), Buffer.from([0xc0, 0x0e, 0xc0, 0x0c])]);
    expect(skipName(pair, 12)).toBe(14);
    expect(skipName(pair, 14)).toBe(16);
    const back = Buffer.concat([Buffer.alloc(12), Buffer.from([1, 0x61, 0xc0, 0x0c])]);
    expect(skipName(back, 12)).toBe(16);
    // dns2 itself notices the cycle rather than looping
    const msg = Buffer.concat([Buffer.from([0, 1, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0]), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])]);
    expect(Packet.parse(msg).errors.length).toBeGreaterThan(0);
  });

  it('returns -1 for names running off the packet', () => {
    expect(skipName(Buffer.from([]), 0)).toBe(-1);
    expect(skipName(Buffer.from([3, 0x61, 0x62]), 0)).toBe(-1); // label cut short
    expect(skipName(Buffer.from([1, 0x61]), 0)).toBe(-1); // no terminating root
    expect(skipName(Buffer.from([1, 0x61, 0xc0]), 0)).toBe(-1); // half a pointer
    expect(skipName(Buffer.from([0]), 1)).toBe(-1); // starting past the end
  });

  it('returns -1 for reserved label types and over-long names', () => {
    expect(skipName(Buffer.from([0x40, 0]), 0)).toBe(-1);
    expect(skipName(Buffer.from([0x80, 0]), 0)).toBe(-1);
    const huge = wireName(Array<string>(200).fill('ab'));
    expect(skipName(huge, 0)).toBe(-1);
  });

  it('terminates on random bytes with a result inside the packet or -1', () => {
    const rand = prng(7);
    for (let i = 0; i < 5000; i++) {
      const buf = Buffer.alloc(randInt(rand, 0, 64));
      for (let j = 0; j < buf.length; j++) buf[j] = rand() < 0.3 ? randInt(rand, 0, 5) : randInt(rand, 0, 255);
      const off = randInt(rand, 0, buf.length);
      const r = skipName(buf, off);
      expect(r === -1 || (r > off && r <= buf.length)).toBe(true);
    }
  });
});

describe('readQuestionName', () => {
  it('lowercases ASCII only and leaves other octets as they are', () => {
    const buf = wireName(['ABC', Buffer.from([0xc4, 0x5a, 0x7a]), 'Com']);
    const r = readQuestionName(buf, 0);
    expect(r).toEqual({ name: 'abc.\u00c4zz.com', end: buf.length });
  });

  it('escapes dots in labels, and lowercases ASCII only on that path too', () => {
    const withDot = readQuestionName(wireName([Buffer.from([0xc4, 0x2e, 0x58]), 'Org']), 0);
    expect(withDot?.name).toBe('\u00c4\\.x.org');
    // A different name (0xE4 is not the lowercase of 0xC4 in DNS, RFC 4343) must not collide
    const other = readQuestionName(wireName([Buffer.from([0xe4, 0x2e, 0x58]), 'Org']), 0);
    expect(other?.name).not.toBe(withDot?.name);
  });

  it('keeps distinct names distinct when labels hold a backslash or a dot', () => {
    // one label "a.b" vs two labels "a\" "b": both would print as a\.b without escaping "\"
    const dotted = readQuestionName(wireName(['a.b', 'com']), 0)!.name;
    const slashed = readQuestionName(wireName(['a\\', 'b', 'com']), 0)!.name;
    expect(dotted).toBe('a\\.b.com');
    expect(slashed).not.toBe(dotted);
    expect(slashed).toBe('a\\\\.b.com');
    // a backslash alone (no dot anywhere) is escaped too, so it cannot imitate an escaped dot
    expect(readQuestionName(wireName(['x\\y', 'com']), 0)!.name).toBe('x\\\\y.com');
  });

  it('returns the offset past the name', () => {
    const buf = Buffer.concat([Buffer.alloc(5), wireName(['a', 'bc']), Buffer.from([9, 9])]);
    expect(readQuestionName(buf, 5)).toEqual({ name: 'a.bc', end: 5 + 6 });
    expect(readQuestionName(Buffer.from([0]), 0)).toEqual({ name: '', end: 1 });
  });

  it('returns null for pointers, long labels, long names and names off the packet', () => {
    expect(readQuestionName(Buffer.from([0xc0, 0x00]), 0)).toBeNull();
    expect(readQuestionName(wireName(['a'.repeat(64)]), 0)).toBeNull();
    expect(readQuestionName(wireName(Array<string>(64).fill('abc')), 0)).toBeNull(); // 257 octets
    expect(readQuestionName(Buffer.from([2, 0x61]), 0)).toBeNull();
    expect(readQuestionName(Buffer.from([1, 0x61]), 0)).toBeNull();
    expect(readQuestionName(Buffer.alloc(0), 0)).toBeNull();
  });
});

describe('labelOffsets', () => {
  it('gives the packet offset of every label of the name', () => {
    const buf = Buffer.concat([Buffer.alloc(12), wireName(['www', 'Evil', 'com'])]);
    expect(labelOffsets(buf, 12)).toEqual([12, 16, 21]);
    expect(labelOffsets(Buffer.concat([Buffer.alloc(12), Buffer.from([0])]), 12)).toEqual([]);
  });
});

describe('encodeName', () => {
  it('writes the wire form dns2 decodes back', () => {
    for (const name of ['', '.', 'sinkhole.sinkd.invalid.', 'a.b.c']) {
      const wire = encodeName(name);
      expect(Packet.Name.decode(wire)).toBe(name.replace(/\.$/, ''));
    }
    expect(() => encodeName(`${'x'.repeat(64)}.com`)).toThrow();
  });
});
