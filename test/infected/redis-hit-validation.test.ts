// What the report reads from Redis is input like any other: malformed records (written by hand, by
// another tool, or damaged) are left out and counted while the report goes on; a client flooded
// with names and minutes is read page by page, so Redis keeps answering everyone else meanwhile;
// and the add script bounds every client as the embedded store does (same records for the same
// hits, categories included).

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryHitStore } from '../../src/infected/memory-hit-store.js';
import type { Hit } from '../../src/infected/model.js';
import { openHitStore } from '../../src/infected/open-hit-store.js';
import { produceReport } from '../../src/infected/report-source.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const execFileP = promisify(execFile);
const BIN = join(import.meta.dirname, '../../dist/cli/main.js');
const MIN = 60_000;
const NOW = Date.now();
const T = NOW - (NOW % MIN) - 3 * 3600_000;
let prefixes = 0;

function config(url: string, prefix: string, infected: Record<string, unknown> = {}) {
  return {
    redis: { url, mode: 'standalone', nodes: [], sentinelName: 'mymaster', prefix, required: false, connectTimeoutMs: 5000 },
    store: { path: '/nonexistent/unused.jsonl' },
    infected: { enabled: true, retentionDays: 30, verdict: { minDistinctMinutes: 3, minDistinctNames: 2 }, leases: [], bufferHits: 1000, flushIntervalMs: 1000, maxNamesPerClient: 1000, maxMinutesPerClient: 4096, ...infected },
    zones: [],
  } as unknown as Parameters<typeof openHitStore>[0] & Parameters<typeof produceReport>[0];
}

function hit(time: number, client: string, qname: string, extra: Partial<Hit> = {}): Hit {
  return { time, client, qname, qtype: 'A', rule: qname, source: 'test', transport: 'udp', ...extra };
}

describe('the Redis hit store reads defensively and stays bounded', () => {
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

  it('leaves out malformed hit records, counts them, and reports on the rest (library and CLI)', async () => {
    const prefix = `bad${++prefixes}:`;
    const store = openHitStore(config(redis.url, prefix), 'cli');
    await store.add([hit(T, '10.5.0.1', 'good.no-ip.biz'), hit(T + MIN, '10.5.0.1', 'good.no-ip.biz'), hit(T, '10.5.0.2', 'half.no-ip.biz')]);
    const idx = `${prefix}hits:clients`;
    const agg = (ip: string) => `${prefix}hits:{${ip}}:agg`;
    // Times that are not times: the record cannot be placed.
    await direct.hset(agg('10.5.0.3'), 'first', 'yesterday', 'last', String(T), 'hits', '1', 'n:x.no-ip.biz', '1');
    // A first-seen missing: was a RangeError from Date for every report.
    await direct.hset(agg('10.5.0.4'), 'last', String(T), 'hits', '1', 'n:x.no-ip.biz', '1');
    // The agg key is not a hash at all.
    await direct.set(agg('10.5.0.5'), 'garbage');
    // Bad parts of a good record: a hit count that is not a number, a name of 5,000 characters,
    // an unknown category, sources that are not a list, a minute that is not a minute.
    await direct.hset(agg('10.5.0.2'), 'n:nan.no-ip.biz', 'lots', `n:${'a'.repeat(5000)}.example`, '1', 'nc:half.no-ip.biz', 'evil', 'ns:half.no-ip.biz', '{nope');
    await direct.hset(`${prefix}hits:{10.5.0.2}:min`, 'soon', '1');
    // Index members that are not addresses.
    await direct.zadd(idx, T, '10.5.0.3', T, '10.5.0.4', T, '10.5.0.5', T, 'x}{y', T, '');

    const seen: string[] = [];
    const records = await store.clients({ since: null, onMalformed: (client, why) => seen.push(`${client}: ${why}`) });
    expect(records.map((r) => r.client).sort()).toEqual(['10.5.0.1', '10.5.0.2']);
    const half = records.find((r) => r.client === '10.5.0.2')!;
    expect(half.names.map((n) => n.name)).toEqual(['half.no-ip.biz']);
    expect(half.names[0]!.category).toBeUndefined();
    expect(seen.some((s) => s.startsWith('10.5.0.3:'))).toBe(true);
    expect(seen.some((s) => s.startsWith('10.5.0.4:'))).toBe(true);
    expect(seen.some((s) => s.startsWith('10.5.0.5:'))).toBe(true);
    expect(seen.some((s) => s.startsWith('10.5.0.2:') && s.includes('unusable field'))).toBe(true);
    expect(seen.some((s) => s.startsWith('x}{y'))).toBe(true);

    const { report, malformed } = await produceReport(config(redis.url, prefix), store, { since: null });
    expect(report.clients.map((c) => c.client)).toEqual(['10.5.0.1', '10.5.0.2']);
    expect(report.summary.malformedRecords).toBe(seen.length);
    expect(malformed.length).toBeGreaterThan(0);
    await store.close();

    // The CLI: exit 0, the report, one warning per malformed record.
    const dir = mkdtempSync(join(tmpdir(), 'sinkd-badredis-'));
    writeFileSync(join(dir, 'sinkd.yaml'), `redis: { url: "${redis.url}", prefix: "${prefix}" }\nblocklists: []\nupstreams: ["127.0.0.1:53"]\n`);
    const r = await execFileP(process.execPath, [BIN, 'report', '--format', 'json', '--config', join(dir, 'sinkd.yaml')], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    const doc = JSON.parse(r.stdout) as { clients: { client: string }[]; summary: { malformedRecords?: number } };
    expect(doc.clients.map((c) => c.client)).toEqual(['10.5.0.1', '10.5.0.2']);
    expect(doc.summary.malformedRecords).toBe(seen.length);
    expect(r.stderr).toContain('sinkd: warning: left out a malformed hit record of 10.5.0.3');
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a flooded client page by page: Redis keeps answering others, the record is bounded', async () => {
    const prefix = `flood${++prefixes}:`;
    const ip = '10.6.0.1';
    const agg = `${prefix}hits:{${ip}}:agg`;
    const min = `${prefix}hits:{${ip}}:min`;
    // As an earlier version (no bounds) would have left a client asking random names for weeks.
    const NAMES = 300_000;
    const MINUTES = 40_000;
    for (let i = 0; i < NAMES; i += 10_000) {
      const args: string[] = [];
      for (let k = i; k < i + 10_000; k++) args.push(`n:r${k}.dga.example`, String(1 + (k % 7)), `nf:r${k}.dga.example`, 'Dga');
      await direct.hset(agg, ...args);
    }
    let total = 0;
    for (let k = 0; k < NAMES; k++) total += 1 + (k % 7);
    await direct.hset(agg, 'first', String(T - MINUTES * MIN), 'last', String(T), 'hits', String(total));
    for (let i = 0; i < MINUTES; i += 10_000) {
      const args: string[] = [];
      for (let k = i; k < i + 10_000; k++) args.push(String(T - k * MIN), '1');
      await direct.hset(min, ...args);
    }
    await direct.zadd(`${prefix}hits:clients`, T, ip);
    const store = openHitStore(config(redis.url, prefix, { retentionDays: 60 }), 'cli');
    // Redis's own account of how long each command held it (client-side timings here would
    // include this test process's own work).
    await direct.config('SET', 'slowlog-log-slower-than', '0');
    await direct.config('SET', 'slowlog-max-len', '100000');
    await direct.slowlog('RESET');
    // Another client of Redis, asking every 5 ms while the report reads.
    const other = new Redis(redis.port, '127.0.0.1');
    await other.ping();
    let worst = 0;
    let reading = true;
    const pinger = (async () => {
      while (reading) {
        const t0 = performance.now();
        await other.ping();
        worst = Math.max(worst, performance.now() - t0);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const t0 = performance.now();
    const [r] = await store.clients({ since: null });
    const took = performance.now() - t0;
    reading = false;
    await pinger;
    other.disconnect();
    await store.close();
    const log = (await direct.slowlog('GET', 100_000)) as [number, number, number, string[]][];
    const longest = log.reduce((a, e) => (e[2] > a[2] ? e : a), [0, 0, 0, ['-']] as [number, number, number, string[]]);
    // What one script call reading the client whole (as before) costs on this machine right now.
    await direct.slowlog('RESET');
    await direct.eval("return string.len(cjson.encode(redis.call('HGETALL', KEYS[1])))", 1, agg);
    const whole = ((await direct.slowlog('GET', 10)) as [number, number, number, string[]][]).find((e) => e[3][0] === 'eval')![2];
    await direct.config('SET', 'slowlog-log-slower-than', '10000');
    console.log(
      `flooded client (${NAMES} names, ${MINUTES} minutes) read in ${took.toFixed(0)} ms with ${log.length} commands; ` +
        `longest command ${(longest[2] / 1000).toFixed(2)} ms (${longest[3][0]}); reading it in one call: ${(whole / 1000).toFixed(0)} ms; ` +
        `worst PING seen by another client ${worst.toFixed(1)} ms`,
    );
    expect(r!.names).toHaveLength(1000);
    expect(r!.names.every((n) => n.hits === 7)).toBe(true); // the most hit kept
    expect(r!.names.reduce((a, n) => a + n.hits, 0) + r!.unnamedHits!).toBe(total);
    expect(r!.minutes.length).toBeLessThanOrEqual(4096);
    expect(r!.minutes.reduce((a, [, k]) => a + k, 0)).toBe(MINUTES);
    // One HGETALL + cjson.encode of 600,000 fields holds Redis for half a second or more; a page
    // takes a few ms (the bound leaves room for a busy machine's scheduling, and still fails a
    // read in one call).
    expect(longest[2]).toBeLessThan(Math.max(50_000, whole / 4));
  }, 60_000);

  it('walks a large client index in pages: every client once, the window by score', async () => {
    const prefix = `index${++prefixes}:`;
    const N = 25_000;
    const p = direct.pipeline();
    for (let i = 0; i < N; i++) {
      const ip = `10.9.${i >> 8}.${i & 255}`;
      const t = T - N * 1000 + i * 1000;
      p.hset(`${prefix}hits:{${ip}}:agg`, 'first', String(t), 'last', String(t), 'hits', '1', 'n:x.no-ip.biz', '1');
      p.zadd(`${prefix}hits:clients`, t, ip);
    }
    await p.exec();
    const store = openHitStore(config(redis.url, prefix), 'cli');
    try {
      const all = await store.clients({ since: null });
      expect(all).toHaveLength(N);
      expect(new Set(all.map((r) => r.client)).size).toBe(N);
      const since = T - 5_000 * 1000;
      expect(await store.clients({ since })).toHaveLength(5_000);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('bounds each client in Redis as the embedded store does: names, minutes merged into hours, categories', async () => {
    const prefix = `bound${++prefixes}:`;
    const bounds = { maxNamesPerClient: 50, maxMinutesPerClient: 64 };
    const store = openHitStore(config(redis.url, prefix, bounds), 'cli');
    const memory = new MemoryHitStore(30 * 86_400_000, { bounds });
    const start = T - 3 * 86_400_000;
    try {
      // Three days of a beacon every 5 minutes, in batches of 6 hours, with a new random name
      // every time and ads hits in between: both bounds are passed many times.
      for (let b = 0; b < 12; b++) {
        const batch: Hit[] = [];
        for (let i = 0; i < 72; i++) {
          const t = start + (b * 72 + i) * 5 * MIN + 1000;
          batch.push(hit(t, '10.7.0.1', `c2-${b}-${i}.no-ip.biz`, { category: 'malware', family: 'njRAT', source: i % 2 ? 'feed-a' : 'feed-b' }));
          if (i % 3 === 0) batch.push(hit(t + 1000, '10.7.0.1', 'ads.example', { category: 'ads', source: 'easylist' }));
          if (i % 9 === 0) batch.push(hit(t + 2000, '10.7.0.1', 'ads.example', { category: 'tracking', source: 'easyprivacy' }));
        }
        await store.add(batch);
        await memory.add(batch);
      }
      expect(await direct.hlen(`${prefix}hits:{10.7.0.1}:min`)).toBeLessThanOrEqual(64);
      expect(Number(await direct.hget(`${prefix}hits:{10.7.0.1}:agg`, 'nn'))).toBe(50);
      const [fromRedis] = await store.clients({ since: null });
      const [fromMemory] = await memory.clients({ since: null });
      expect(fromRedis).toEqual(fromMemory);
      expect(fromRedis!.names).toHaveLength(50);
      expect(fromRedis!.unnamedHits).toBeGreaterThan(0);
      expect(fromRedis!.names.find((n) => n.name === 'ads.example')).toMatchObject({ category: 'tracking', sources: ['easylist', 'easyprivacy'] });
      expect(fromRedis!.otherMinutes!.length).toBeGreaterThan(0);
      for (const since of [start + 86_400_000, T - 3600_000]) expect(await store.clients({ since })).toEqual(await memory.clients({ since }));
    } finally {
      await store.close();
    }
  });
});
