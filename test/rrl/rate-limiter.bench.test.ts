// Micro-benchmark of ResponseRateLimiter.check(): prints ns per call. Not a timed test (see
// DESIGN.md, "How we test"): it asserts only that the work was done.
import { describe, expect, it } from 'vitest';
import { ResponseRateLimiter } from '../../src/rrl/rate-limiter.js';

const T0 = 1_750_000_000_000;

function measure(label: string, n: number, run: (i: number) => void): number {
  for (let i = 0; i < Math.min(n, 200_000); i++) run(i); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) run(i);
  const ns = Number(process.hrtime.bigint() - start) / n;
  console.log(`rrl bench: ${label}: ${ns.toFixed(0)} ns per check()`);
  return ns;
}

describe('ResponseRateLimiter micro-benchmark', () => {
  it('prints ns per check()', () => {
    const N = 1_000_000;
    // Client addresses and names made up front, as a server receives them (strings from rinfo and the parsed question).
    const v4 = Array.from({ length: 4096 }, (_, i) => `198.${51 + (i >>> 12)}.${(i >>> 4) & 255}.${(i * 7) & 255}`);
    const v6 = Array.from({ length: 4096 }, (_, i) => `2001:db8:${(i >>> 8).toString(16)}:${(i & 255).toString(16)}00::${(i * 13).toString(16)}`);
    const names = Array.from({ length: 256 }, (_, i) => `host${i}.no-ip.biz/A`);

    const flood = new ResponseRateLimiter();
    const floodNs = measure('flood, one address, one name', N, (i) => {
      flood.check('203.0.113.7', 'victim.no-ip.biz/ANY', 'answer', T0 + (i >>> 10));
    });

    const mixed = new ResponseRateLimiter();
    const mixedNs = measure('4096 IPv4 clients x 256 names', N, (i) => {
      mixed.check(v4[i & 4095]!, names[(i >>> 3) & 255]!, 'answer', T0 + (i >>> 10));
    });

    const mixed6 = new ResponseRateLimiter();
    const mixed6Ns = measure('4096 IPv6 clients x 256 names', N, (i) => {
      mixed6.check(v6[i & 4095]!, names[(i >>> 3) & 255]!, 'answer', T0 + (i >>> 10));
    });

    const churn = new ResponseRateLimiter({ maxTableSize: 10_000 });
    const churnNs = measure('table full, every check evicts', N / 2, (i) => {
      churn.check(v4[i & 4095]!, names[(i >>> 12) & 255]!, 'answer', T0 + (i >>> 10));
    });

    expect(flood.stats().slipped + flood.stats().dropped).toBeGreaterThan(0);
    expect(churn.stats().evicted).toBeGreaterThan(0);
    for (const ns of [floodNs, mixedNs, mixed6Ns, churnNs]) expect(ns).toBeGreaterThan(0);
  });
});
