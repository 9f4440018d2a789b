// The in-memory hit aggregate: hostile names, and the per-client bounds (names, minutes) that keep
// one client from growing the store without end.
import { describe, expect, it } from 'vitest';
import { MemoryHitStore } from '../../src/infected/memory-hit-store.js';
import { boundMinutes } from '../../src/infected/client-bounds.js';
import type { Hit } from '../../src/infected/model.js';

const MIN = 60_000;
const hit = (qname: string, time: number, extra: Partial<Hit> = {}): Hit => ({ time, client: '192.168.1.9', qname, qtype: 'A', rule: qname, source: 't', transport: 'udp', ...extra });

describe('MemoryHitStore', () => {
  it('counts names such as __proto__ and constructor like any other', async () => {
    const now = Date.now();
    const store = new MemoryHitStore(86_400_000);
    await store.add([hit('__proto__', now), hit('__proto__', now), hit('constructor', now), hit('evil.example', now)]);
    const [c] = await store.clients({ since: null });
    expect(c!.names.map((n) => [n.name, n.hits]).sort()).toEqual([['__proto__', 2], ['constructor', 1], ['evil.example', 1]]);
    expect(({} as Record<string, unknown>).hits).toBeUndefined();
  });

  it('keeps at most maxNamesPerClient names; hits on further names still count, as unnamed hits', async () => {
    const now = Date.now();
    const store = new MemoryHitStore(86_400_000, { bounds: { maxNamesPerClient: 50, maxMinutesPerClient: 4096 } });
    // A client asking 10,000 random names (a DGA, or an attacker filling the store).
    for (let b = 0; b < 10; b++) await store.add(Array.from({ length: 1000 }, (_, i) => hit(`r${b}-${i}.evil.example`, now)));
    const [c] = await store.clients({ since: null });
    expect(c!.names).toHaveLength(50);
    expect(c!.hits).toBe(10_000);
    expect(c!.unnamedHits).toBe(10_000 - 50);
  });

  it('a host beaconing every minute for 30 days stays within maxMinutesPerClient: old minutes merge into hours', async () => {
    const now = Date.now();
    const start = now - (now % MIN) - 30 * 86_400_000 + 10 * MIN;
    const store = new MemoryHitStore(31 * 86_400_000, { bounds: { maxNamesPerClient: 1000, maxMinutesPerClient: 4096 } });
    const day = 1440;
    for (let d = 0; d < 30; d++) {
      await store.add(Array.from({ length: day }, (_, i) => hit('c2.no-ip.biz', start + (d * day + i) * MIN + 1000)));
    }
    const [c] = await store.clients({ since: null });
    expect(c!.minutes.length).toBeLessThanOrEqual(4096);
    expect(c!.minutes.reduce((s, [, k]) => s + k, 0)).toBe(30 * day);
    expect(c!.hits).toBe(30 * day);
    // The newest day keeps per-minute detail.
    const lastDay = c!.minutes.filter(([m]) => m >= start + 29 * day * MIN);
    expect(lastDay.length).toBe(day);
    // A window over the last hour still counts exactly.
    const since = start + (30 * day - 60) * MIN;
    const [w] = await store.clients({ since });
    expect(w!.hits).toBe(60);
  });

  it('boundMinutes: expired first, then hours, then days, then the oldest dropped; `other` follows', () => {
    const all = new Map<number, number>();
    const other = new Map<number, number>();
    const H = 3_600_000;
    for (let i = 0; i < 100; i++) {
      all.set(i * MIN, 1);
      if (i % 2 === 0) other.set(i * MIN, 1);
    }
    boundMinutes(all, other, 40, 0);
    expect(all.size).toBeLessThanOrEqual(30);
    expect([...all.values()].reduce((a, b) => a + b, 0)).toBe(100);
    expect([...other.values()].reduce((a, b) => a + b, 0)).toBe(50);
    expect(all.get(0)).toBe(60); // the first hour merged
    expect(all.has(H)).toBe(true);
    for (const k of other.keys()) expect(all.has(k)).toBe(true);
  });

  it('forgets the least recently seen clients past maxClients', async () => {
    const now = Date.now();
    const store = new MemoryHitStore(86_400_000, { maxClients: 100 });
    for (let i = 0; i < 150; i++) await store.add([{ ...hit('x.evil.example', now - 150_000 + i * 1000), client: `10.0.${i >> 8}.${i & 255}` }]);
    expect(store.size).toBeLessThanOrEqual(100);
    const clients = (await store.clients({ since: null })).map((c) => c.client);
    expect(clients).toContain('10.0.0.149');
    expect(clients).not.toContain('10.0.0.0');
    expect(store.evicted).toBeGreaterThanOrEqual(50);
  });
});
