// Micro-benchmark of ResponseRateLimiter.check(): prints ns per call. Not a timed test (see
// DESIGN.md, "How we test"): figures depend on the machine and its load, so it asserts only
// that the work was done. Each figure is the best of several rounds, beside a calibration
// line (node:net isIP on the same addresses) to compare machines by.
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ResponseRateLimiter } from '../../src/rrl/rate-limiter.js';

const T0 = 1_750_000_000_000;
const ROUNDS = 5;
const N = 200_000;

function measure(label: string, run: (i: number) => void): number {
  for (let i = 0; i < N; i++) run(i); // warm up: let the JIT settle
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < N; i++) run(i);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / N);
  }
  console.log(`rrl bench: ${label.padEnd(52)} ${best.toFixed(0).padStart(5)} ns per call`);
  return best;
}

/** A sequential (flat) string, as a socket's rinfo.address and a qname decoded from a Buffer are. */
const flat = (s: string): string => Buffer.from(s, 'latin1').toString('latin1');

describe('ResponseRateLimiter micro-benchmark', () => {
  it('prints ns per check()', () => {
    const v4 = Array.from({ length: 4096 }, (_, i) => flat(`198.${51 + (i >>> 12)}.${(i >>> 4) & 255}.${(i * 7) & 255}`));
    const v6 = Array.from({ length: 4096 }, (_, i) => flat(`2001:db8:${(i >>> 8).toString(16)}:${(i & 255).toString(16)}00::${(i * 13).toString(16)}`));
    const names = Array.from({ length: 256 }, (_, i) => flat(`host${i}.no-ip.biz/A`));
    const qnames = names.map((n) => flat(n.slice(0, -2)));
    let sink = 0;

    const figures = [
      measure('calibration: net.isIP(), IPv4', (i) => {
        sink += isIP(v4[i & 4095]!);
      }),
      measure('flood: one address, one name', (() => {
        const rrl = new ResponseRateLimiter();
        return (i: number) => rrl.check('203.0.113.7', 'victim.no-ip.biz/ANY', 'answer', T0 + (i >>> 10));
      })()),
      measure('4096 IPv4 clients x 256 names', (() => {
        const rrl = new ResponseRateLimiter();
        return (i: number) => rrl.check(v4[i & 4095]!, names[(i >>> 3) & 255]!, 'answer', T0 + (i >>> 10));
      })()),
      measure('4096 IPv6 clients x 256 names', (() => {
        const rrl = new ResponseRateLimiter();
        return (i: number) => rrl.check(v6[i & 4095]!, names[(i >>> 3) & 255]!, 'answer', T0 + (i >>> 10));
      })()),
      measure('IPv4, key built per call (qname + "/A")', (() => {
        const rrl = new ResponseRateLimiter();
        return (i: number) => rrl.check(v4[i & 4095]!, `${qnames[(i >>> 3) & 255]!}/A`, 'answer', T0 + (i >>> 10));
      })()),
      measure('table full (10,000): every check evicts', (() => {
        const rrl = new ResponseRateLimiter({ maxTableSize: 10_000 });
        return (i: number) => rrl.check(v4[i & 4095]!, names[(i >>> 12) & 255]!, 'answer', T0 + (i >>> 10));
      })()),
    ];
    expect(sink).toBeGreaterThan(0);
    for (const ns of figures) expect(ns).toBeGreaterThan(0);
  });
});
