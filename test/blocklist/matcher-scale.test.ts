import { describe, it, expect } from 'vitest';
import { DomainMatcher } from '../../src/blocklist/matcher.js';

// Not a benchmark (see `npm run bench`): a generous bound that catches an accidental
// O(rules) lookup or an allocation storm, and prints the figures for the record. Names are
// all distinct, so nearly every lookup is cold in the CPU caches: a worst case, where a
// listed name costs a few cache misses inside the 1,000,000-entry Map.
describe('DomainMatcher at 1,000,000 rules', () => {
  it('answers 1,000,000 lookups of 5-label names well under 2 s', () => {
    const N = 1_000_000;
    const zones = ['no-ip.biz', 'hopto.org', 'zapto.org', 'ddns.net', 'sytes.net'];
    const m = new DomainMatcher();
    for (let i = 0; i < N; i++) {
      m.add({ name: `h${i}.${zones[i % zones.length]}`, kind: 'block', source: 'gen' });
    }
    // A few allow rules, so every suffix of every query has to be looked at.
    for (let i = 0; i < 10; i++) m.add({ name: `ok${i}.ddns.net`, kind: 'allow', source: 'gen' });
    expect(m.counts()).toEqual({ block: N, allow: 10 });

    // Like resolver traffic, mostly clean: 1 query in 10 is under a listed name.
    const queries: string[] = [];
    for (let i = 0; i < N; i++) {
      const n = (i * 7919) % N;
      queries.push(`a.b.${i % 10 === 0 ? 'h' : 'x'}${n}.${zones[n % zones.length]}`);
    }

    for (let i = 0; i < 50_000; i++) m.match(queries[i] as string); // let the JIT settle
    let hits = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) if (m.match(queries[i] as string) !== undefined) hits++;
    const ns = Number(process.hrtime.bigint() - t0);
    expect(hits).toBe(N / 10);

    // The same names again, split by outcome.
    const perLookup = (listed: boolean): number => {
      let count = 0;
      let found = 0;
      const start = process.hrtime.bigint();
      for (let i = 0; i < N; i++) {
        if ((i % 10 === 0) !== listed) continue;
        count++;
        if (m.match(queries[i] as string) !== undefined) found++;
      }
      const elapsed = Number(process.hrtime.bigint() - start);
      expect(found).toBe(listed ? count : 0);
      return elapsed / count;
    };
    const cleanNs = perLookup(false);
    const listedNs = perLookup(true);
    console.log(
      `DomainMatcher: ${(ns / N).toFixed(0)} ns/lookup over ${N} lookups ` +
        `(${m.size} rules, 5-label names, 10% listed); ` +
        `clean names ${cleanNs.toFixed(0)} ns, listed names ${listedNs.toFixed(0)} ns`,
    );
    expect(ns).toBeLessThan(2e9);
  });
});
