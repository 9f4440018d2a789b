import { describe, expect, it } from 'vitest';
import { isoTime } from '../../src/infected/iso-time.js';

describe('isoTime', () => {
  it('matches Date#toISOString', () => {
    const samples = [
      0,
      1,
      -1,
      59_999,
      60_000,
      Date.parse('2026-11-18T10:00:00Z'),
      Date.parse('2026-11-18T23:59:59.999Z'),
      Date.parse('1969-12-31T23:59:59.001Z'),
      Date.parse('0000-01-01T00:00:00Z'),
      Date.parse('9999-12-31T23:59:59.999Z'),
      Date.parse('+010000-01-01T00:00:00Z'),
      Date.parse('-000001-01-01T00:00:00Z'),
      1.5,
    ];
    let x = 1_700_000_000_000;
    for (let i = 0; i < 2000; i++) {
      x = (x * 1103515245 + 12345) % 4_102_444_800_000;
      samples.push(Math.floor(x));
    }
    for (const ms of samples) expect(isoTime(ms), String(ms)).toBe(new Date(ms).toISOString());
  });

  it('throws like Date for times it cannot write', () => {
    expect(() => isoTime(NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });
});
