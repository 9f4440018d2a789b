// The Redis hit store against the embedded one: the same hits give the same client records, also
// with hostile names, a report window, acks, data laid out by hand as older versions wrote it
// (big hashes come back in any order), a flushed script cache, and on a Redis Cluster.

import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HitStore } from '../../src/infected/hit-store.js';
import { MemoryHitStore } from '../../src/infected/memory-hit-store.js';
import type { ClientRecord, Hit } from '../../src/infected/model.js';
import { openHitStore } from '../../src/infected/open-hit-store.js';
import { parseMinutes, unpackRecord } from '../../src/infected/redis-hit-store.js';
import { startRedis, startRedisCluster, type TestRedis, type TestRedisCluster } from '../helpers/redis.js';

const MIN = 60_000;
const RETENTION_DAYS = 30;
const NOW = Date.now();
// Minute-aligned, so a window boundary is exact.
const T = NOW - (NOW % MIN) - 3 * 3600_000;

let prefixCount = 0;
function nextPrefix(): string {
  return `t${process.pid}-${++prefixCount}:`;
}

function config(redis: { url: string; mode?: 'standalone' | 'cluster'; nodes?: string[] }, prefix: string): Parameters<typeof openHitStore>[0] {
  return {
    redis: { url: redis.url, mode: redis.mode ?? 'standalone', nodes: redis.nodes ?? [], sentinelName: 'mymaster', prefix, required: false, connectTimeoutMs: 5000 },
    store: { path: '/nonexistent/unused.jsonl' },
    infected: { enabled: true, retentionDays: RETENTION_DAYS, verdict: { minDistinctMinutes: 3, minDistinctNames: 2 }, leases: [], bufferHits: 1000, flushIntervalMs: 1000 },
  } as unknown as Parameters<typeof openHitStore>[0];
}

const HOSTILE = [
  'a"b\\c/d.evil.example',
  'line\nbreak.evil.example',
  'nul\u0000byte.evil.example',
  'comma,and;semicolon.evil.example',
  'n:looks-like-a-field.evil.example',
  'caf\u00e9.latin1.example',
  '\u65e5\u672c.evil.example',
  '\u{1F600}.emoji.example',
  'red\u001b[31m.zapto.org',
];

function hit(time: number, client: string, qname: string, extra: Partial<Hit> = {}): Hit {
  return { time, client, qname, qtype: 'A', rule: qname.replace(/^x\./, ''), source: 'test', transport: 'udp', ...extra };
}

/** A mix of clients: a beacon, one with every hostile name, a resolver with ECS, one-offs, IPv6. */
function sampleHits(): Hit[][] {
  const batches: Hit[][] = [];
  const a: Hit[] = [];
  for (let m = 0; m < 40; m++) a.push(hit(T + m * 5 * MIN + 1234, '10.0.0.1', m % 3 === 0 ? 'x.c2.no-ip.biz' : 'c2.no-ip.biz', { family: 'Bladabindi' }));
  for (const [i, name] of HOSTILE.entries()) a.push(hit(T + i * MIN + 7, '10.0.0.2', name, i % 2 === 0 ? { family: `Fam "${i}" \\ /` } : {}));
  a.push(hit(T + 30 * MIN, '10.0.0.3', 'worm.zapto.org', { family: 'Jenxcus', clientSubnet: '192.0.2.0/24' }));
  a.push(hit(T + 31 * MIN, '10.0.0.3', 'worm.zapto.org', { family: 'Jenxcus', clientSubnet: '198.51.100.0/24' }));
  batches.push(a);
  const b: Hit[] = [];
  for (let i = 0; i < 30; i++) b.push(hit(T + (i % 7) * 20 * MIN + i, `192.168.0.${i}`, `tie${i % 4}.example`));
  // Ties in hits between names (sorted by name), and a second batch for an existing client.
  b.push(hit(T + 100 * MIN, '10.0.0.1', 'backup.hopto.org'), hit(T + 101 * MIN, '10.0.0.1', 'backup.hopto.org'));
  b.push(hit(T + 170 * MIN, '2001:db8::7', 'v6.no-ip.biz'), hit(T + 170 * MIN + 5, '2001:db8::7', 'v6.no-ip.biz'));
  batches.push(b);
  return batches;
}

function normalize(records: ClientRecord[]): ClientRecord[] {
  return records
    .map((r) => ({ ...r, subnets: [...r.subnets].sort() }))
    .sort((x, y) => (x.client < y.client ? -1 : x.client > y.client ? 1 : 0));
}

async function fill(stores: HitStore[]): Promise<void> {
  for (const batch of sampleHits()) for (const s of stores) await s.add(batch);
}

async function expectSameAsMemory(store: HitStore, memory: HitStore): Promise<void> {
  for (const since of [null, T + 25 * MIN, T + 100 * MIN + 30_000, NOW + MIN]) {
    expect(normalize(await store.clients({ since })), `since ${since}`).toEqual(normalize(await memory.clients({ since })));
  }
  for (const client of ['10.0.0.2', '2001:db8::7', '10.9.9.9']) {
    expect(await store.clients({ since: null, client })).toEqual(await memory.clients({ since: null, client }));
    expect(await store.clients({ since: T + 150 * MIN, client })).toEqual(await memory.clients({ since: T + 150 * MIN, client }));
  }
}

describe('RedisHitStore (standalone)', () => {
  let redis: TestRedis;
  let direct: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    direct = new Redis(redis.port, '127.0.0.1');
  });
  afterAll(async () => {
    direct?.disconnect();
    await redis?.stop();
  });

  it('reads back what the embedded store holds for the same hits: names, families, rules, minutes, windows, acks', async () => {
    const store = openHitStore(config(redis, nextPrefix()), 'cli');
    const memory = new MemoryHitStore(RETENTION_DAYS * 86_400_000);
    try {
      await fill([store, memory]);
      const hostile = (await store.clients({ since: null, client: '10.0.0.2' }))[0]!;
      expect(hostile.names.map((n) => n.name).sort()).toEqual([...HOSTILE].sort());
      expect(hostile.names.find((n) => n.name === HOSTILE[0])).toMatchObject({ family: 'Fam "0" \\ /', rule: HOSTILE[0] });
      await expectSameAsMemory(store, memory);
      for (const s of [store, memory]) {
        await s.ack('10.0.0.3', 'reimaged, ticket "7"\nby ana', T + 200 * MIN);
        await s.ack('192.168.0.4', undefined, T + 200 * MIN);
      }
      await expectSameAsMemory(store, memory);
      expect((await store.clients({ since: null, client: '10.0.0.3' }))[0]!.ack).toEqual({ at: T + 200 * MIN, note: 'reimaged, ticket "7"\nby ana' });
    } finally {
      await store.close();
    }
  });

  it('keeps names that are special to JavaScript objects', async () => {
    const store = openHitStore(config(redis, nextPrefix()), 'cli');
    try {
      const names = ['__proto__', 'constructor', 'hasOwnProperty', 'toString'];
      await store.add(names.map((n, i) => hit(T + i * MIN, '10.0.0.9', n, { family: n })));
      const r = (await store.clients({ since: null }))[0]!;
      expect(r.names.map((n) => [n.name, n.hits, n.family])).toEqual([...names].sort((a, b) => a.localeCompare(b)).map((n) => [n, 1, n]));
      expect(r.families).toEqual([...names].sort());
      expect(Object.getPrototypeOf(r.names[0])).toBe(Object.prototype);
    } finally {
      await store.close();
    }
  });

  it('reads hashes laid out by hand as older versions wrote them, in any field order, skipping expired clients', async () => {
    const prefix = nextPrefix();
    const ip = '10.1.2.3';
    const agg = `${prefix}hits:{${ip}}:agg`;
    const min = `${prefix}hits:{${ip}}:min`;
    // More fields than hash-max-listpack-entries (128 by default, 512 in some builds): a real hash
    // table, so HGETALL order is not the order written (an nf: field can come before its n:
    // field, minutes in any order).
    const B = T - 8 * 3600_000;
    const fields: (string | number)[] = ['last', B + 599 * MIN + 59_000, 'hits', 0];
    let hits = 0;
    for (let i = 0; i < 200; i++) {
      fields.push(`nf:name${i}.example`, `fam${i % 5}`, `nr:name${i}.example`, `rule${i}`, `n:name${i}.example`, i % 10);
      hits += i % 10;
    }
    fields.push('f:fam0', 1, 's:203.0.113.0/24', 1, 'first', B + 12_345, 'ack_at', B - MIN, 'ack_note', '');
    fields[3] = hits;
    await direct.hset(agg, ...fields);
    const minutes: [number, number][] = [];
    for (let m = 599; m >= 0; m--) minutes.push([B + m * MIN, 1 + (m % 4)]);
    await direct.hset(min, ...minutes.flat());
    await direct.zadd(`${prefix}hits:clients`, B + 599 * MIN, ip, B, '10.1.2.4', B, '10.1.2.5');
    // 10.1.2.4: its agg hash has expired (only the minutes are left); 10.1.2.5: nothing left.
    await direct.hset(`${prefix}hits:{10.1.2.4}:min`, String(B), 3);
    expect(await direct.object('ENCODING', agg)).toBe('hashtable');
    expect(await direct.object('ENCODING', min)).toBe('hashtable');

    const store = openHitStore(config(redis, prefix), 'cli');
    try {
      const all = await store.clients({ since: null });
      expect(all.map((r) => r.client)).toEqual([ip]);
      const r = all[0]!;
      expect(r).toMatchObject({ client: ip, firstSeen: B + 12_345, lastSeen: B + 599 * MIN + 59_000, hits, families: ['fam0'], subnets: ['203.0.113.0/24'], ack: { at: B - MIN } });
      expect(r.names).toHaveLength(200);
      expect(r.names[0]).toEqual({ name: 'name109.example', hits: 9, family: 'fam4', rule: 'rule109' });
      expect(r.names.every((n) => n.rule === `rule${n.name.slice(4, -8)}` && n.family === `fam${Number(n.name.slice(4, -8)) % 5}`)).toBe(true);
      for (let k = 1; k < r.names.length; k++) {
        const [p, q] = [r.names[k - 1]!, r.names[k]!];
        expect(p.hits > q.hits || (p.hits === q.hits && p.name.localeCompare(q.name) < 0)).toBe(true);
      }
      expect(r.minutes).toEqual([...minutes].reverse());
      // A window: only the minutes overlapping it (the one holding `since` included), their hits.
      const since = B + 550 * MIN + 30_000;
      const w = (await store.clients({ since }))[0]!;
      expect(w.minutes).toEqual(minutes.filter(([m]) => m + MIN > since).reverse());
      expect(w.hits).toBe(w.minutes.reduce((a, [, k]) => a + k, 0));
      expect(w.minutes).toHaveLength(50);
      expect(w.firstSeen).toBe(B + 550 * MIN);
    } finally {
      await store.close();
    }
  });

  it('keeps reading when the server loses its script cache (SCRIPT FLUSH, a failover)', async () => {
    const store = openHitStore(config(redis, nextPrefix()), 'cli');
    const memory = new MemoryHitStore(RETENTION_DAYS * 86_400_000);
    try {
      await fill([store, memory]);
      expect(normalize(await store.clients({ since: null }))).toEqual(normalize(await memory.clients({ since: null })));
      await direct.script('FLUSH');
      expect(normalize(await store.clients({ since: null }))).toEqual(normalize(await memory.clients({ since: null })));
    } finally {
      await store.close();
    }
  });

  it('reads thousands of clients in pipelined batches, in index order', async () => {
    const store = openHitStore(config(redis, nextPrefix()), 'cli');
    try {
      const batch: Hit[] = [];
      for (let i = 0; i < 4500; i++) batch.push(hit(T + (i % 180) * MIN, `10.2.${i >> 8}.${i & 255}`, `n${i % 3}.example`));
      await store.add(batch);
      const all = await store.clients({ since: null });
      expect(all).toHaveLength(4500);
      expect(new Set(all.map((r) => r.client)).size).toBe(4500);
      expect(all.reduce((a, r) => a + r.hits, 0)).toBe(4500);
      // Every batch in flight loses its script at once: all of them are read again.
      await direct.script('FLUSH');
      expect(await store.clients({ since: null })).toEqual(all);
    } finally {
      await store.close();
    }
  });
});

describe('RedisHitStore (3-master cluster)', () => {
  let cluster: TestRedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('reads every client, each from the node that holds its hash slot', async () => {
    const prefix = nextPrefix();
    const store = openHitStore(config({ url: 'redis://127.0.0.1:1', mode: 'cluster', nodes: cluster.nodes }, prefix), 'cli');
    const memory = new MemoryHitStore(RETENTION_DAYS * 86_400_000);
    const admin = new Cluster(cluster.nodes.map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })));
    try {
      await fill([store, memory]);
      await expectSameAsMemory(store, memory);
      // The clients really are spread over the nodes, and each client's two keys share a slot.
      const slots = new Set<number>();
      for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '192.168.0.1', '192.168.0.2', '2001:db8::7']) {
        const a = Number(await admin.cluster('KEYSLOT', `${prefix}hits:{${ip}}:agg`));
        expect(Number(await admin.cluster('KEYSLOT', `${prefix}hits:{${ip}}:min`))).toBe(a);
        slots.add(a);
      }
      expect(slots.size).toBeGreaterThan(1);
      await Promise.all(admin.nodes('master').map((n) => n.script('FLUSH')));
      expect(normalize(await store.clients({ since: null }))).toEqual(normalize(await memory.clients({ since: null })));
    } finally {
      admin.disconnect();
      await store.close();
    }
  });
});

describe('unpacking the read script reply', () => {
  it('parses minute lists: sorted or not, with signs or exponents via Number', () => {
    expect(parseMinutes('x\n120000,2,60000,1', 2)).toEqual([[60000, 1], [120000, 2]]);
    expect(parseMinutes('\n', 1)).toEqual([]);
    expect(parseMinutes('\n-60000,1,6e4,2', 1)).toEqual([[-60000, 1], [60000, 2]]);
    const many = Array.from({ length: 100 }, (_, i) => [(99 - i) * MIN, i] as const);
    expect(parseMinutes(`\n${many.flat().join(',')}`, 1)).toEqual([...many].reverse());
  });

  it('gives nothing for a hash without a last-seen time', () => {
    expect(unpackRecord('10.0.0.1', '["ack_at","5"]\n', null)).toBeUndefined();
  });
});
