// Scale check, not a timed unit test: skipped unless SINKD_BENCH=1. Imports 1,000,000 names into
// an empty Redis (and into the file store), reads them back, and prints the figures.
//   SINKD_BENCH=1 npx vitest run test/store/store-bench.test.ts

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { NewEntry } from '../../src/store/blocklist-store.js';
import { FileStore } from '../../src/store/file-store.js';
import { openStore } from '../../src/store/open-store.js';
import { startRedis } from '../helpers/redis.js';

const N = Number(process.env.SINKD_BENCH_NAMES ?? 1_000_000);

function* names(n: number): Generator<NewEntry> {
  for (let i = 0; i < n; i++) {
    const e: NewEntry = { name: `h${i.toString(36)}-c2.zone${i % 211}.no-ip.biz`, kind: 'block', source: 'bench' };
    yield i % 10 === 0 ? { ...e, family: 'njrat' } : e;
  }
}

async function usedMemory(r: Redis): Promise<number> {
  const info = await r.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

const secs = (t0: number) => ((performance.now() - t0) / 1000).toFixed(2);

describe.skipIf(process.env.SINKD_BENCH !== '1')(`store scale: ${N.toLocaleString('en')} names`, () => {
  it('RedisStore: replaceSource into an empty Redis <= 30 s, snapshot <= 10 s', async () => {
    const server = await startRedis();
    const admin = new Redis(server.url);
    const store = openStore(
      { redis: { url: server.url, mode: 'standalone', nodes: [], sentinelName: 'mymaster', prefix: 'sinkd:', required: false, connectTimeoutMs: 2000, tls: { ca: '', cert: '', key: '' } }, store: { path: '' } },
      'serve',
    );
    try {
      await store.version();
      const mem0 = await usedMemory(admin);
      let t0 = performance.now();
      const sum = await store.replaceSource('bench', names(N));
      const importS = secs(t0);
      expect(sum.added).toBe(N);
      const mem1 = await usedMemory(admin);
      t0 = performance.now();
      const snap = await store.snapshot();
      const snapS = secs(t0);
      expect(snap.entries).toHaveLength(N);
      t0 = performance.now();
      const again = await store.replaceSource('bench', names(N));
      const againS = secs(t0);
      expect(again.unchanged).toBe(N);
      t0 = performance.now();
      const stats = await store.stats();
      const statsS = secs(t0);
      expect(stats.total).toBe(N);
      const perName = ((mem1 - mem0) / N).toFixed(1);
      console.log(
        `[bench] RedisStore ${N} names: import ${importS} s, snapshot ${snapS} s, re-import unchanged ${againS} s, stats ${statsS} s, ` +
          `used_memory +${((mem1 - mem0) / 2 ** 20).toFixed(1)} MiB = ${perName} bytes/name`,
      );
      expect(Number(importS)).toBeLessThanOrEqual(30);
      expect(Number(snapS)).toBeLessThanOrEqual(10);
    } finally {
      await store.close();
      admin.disconnect();
      await server.stop();
    }
  }, 300_000);

  it('FileStore: the same import and snapshot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sinkd-bench-'));
    const path = join(dir, 'store.jsonl');
    try {
      const store = new FileStore(path);
      let t0 = performance.now();
      const sum = await store.replaceSource('bench', names(N));
      const importS = secs(t0);
      expect(sum.added).toBe(N);
      t0 = performance.now();
      const reader = new FileStore(path);
      const snap = await reader.snapshot();
      const loadS = secs(t0);
      expect(snap.entries).toHaveLength(N);
      console.log(`[bench] FileStore ${N} names: import ${importS} s, cold load + snapshot ${loadS} s, log ${(statSync(path).size / 2 ** 20).toFixed(1)} MiB`);
      await store.close();
      await reader.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
