// Hostile data in the shared Redis: whoever can write to it (a compromised node, a script gone
// wrong, an old tool) must not cost a node its list or its feed. Each test writes the bad
// records straight into a real redis-server and watches what a RedisStore and a serving node's
// BlocklistMirror make of them: a bad record is skipped and reported, everything else loads,
// and the node keeps following the feed.

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlocklistMirror } from '../../src/blocklist/mirror.js';
import type { SinkdConfig } from '../../src/config/types.js';
import type { BlocklistStore, InvalidRecord } from '../../src/store/blocklist-store.js';
import { openStore } from '../../src/store/open-store.js';
import { redisKeys } from '../../src/store/redis-store.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

let prefixes = 0;
function config(url: string): { redis: SinkdConfig['redis']; store: SinkdConfig['store'] } {
  return {
    redis: { url, mode: 'standalone', nodes: [], sentinelName: 'mymaster', prefix: `hostile${process.pid}-${++prefixes}:`, required: false, connectTimeoutMs: 2000, tls: { ca: '', cert: '', key: '' } },
    store: { path: '/nonexistent/never-used.jsonl' },
  };
}

const put = (name: string, source = 'feed') => ({ op: 'put' as const, entry: { name, kind: 'block' as const, source } });

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('hostile records in the shared Redis', () => {
  let server: TestRedis;
  let admin: Redis;
  const opened: BlocklistStore[] = [];
  const mirrors: BlocklistMirror[] = [];
  beforeAll(async () => {
    server = await startRedis();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    for (const m of mirrors) await m.stop();
    for (const s of opened) await s.close();
    admin?.disconnect();
    await server?.stop();
  });

  function open(cfg: ReturnType<typeof config>, seen: InvalidRecord[] = []): BlocklistStore {
    const s = openStore(cfg, 'serve');
    s.onInvalidRecord = (r) => seen.push(r);
    opened.push(s);
    return s;
  }
  async function startMirror(store: BlocklistStore): Promise<BlocklistMirror> {
    const m = new BlocklistMirror(store, { state: () => {}, loaded: () => {}, regressed: () => {} });
    mirrors.push(m);
    await m.start();
    return m;
  }

  it('one field with an invalid name, or a 4 MB source, does not stop a node loading the list: skipped, reported, the rest served', async () => {
    const cfg = config(server.url);
    const keys = redisKeys(cfg.redis.prefix);
    const seen: InvalidRecord[] = [];
    const store = open(cfg, seen);
    await store.apply([put('a.no-ip.biz'), put('b.no-ip.biz')]);
    const huge = 'x'.repeat(4 << 20);
    await admin.hset(keys.entries, {
      'block:Not A Name!': '{"t":1,"s":"x"}',
      'block:big.no-ip.biz': `{"t":1,"s":"${huge}"}`,
      'block:fam.no-ip.biz': `{"t":1,"s":"ok","f":"${huge}"}`,
      weird: 'junk',
      'block:c.no-ip.biz': 'not json',
      // One good line and one bad one: the good one counts.
      'block:d.no-ip.biz': '{"t":1,"s":"ok"}\n{"t":"soon","s":"bad"}',
      'block:e.no-ip.biz': '{"t":1,"s":"ok","name":"evil.example","kind":"allow"}',
    });
    const mirror = await startMirror(store);
    expect(mirror.state).toBe('synced');
    for (const n of ['a.no-ip.biz', 'b.no-ip.biz', 'x.d.no-ip.biz', 'e.no-ip.biz']) expect(mirror.matcher.match(n)?.source, n).toBeDefined();
    for (const n of ['big.no-ip.biz', 'fam.no-ip.biz', 'c.no-ip.biz', 'evil.example']) expect(mirror.matcher.match(n), n).toBeUndefined();
    expect(seen.map((r) => r.reason).sort()).toEqual(
      [
        'addedAt is not a time',
        'family longer than 100 characters (4194304)',
        'not JSON',
        'not a KIND:NAME field',
        'not a normalized DNS name: "Not A Name!"',
        'source longer than 200 characters (4194304)',
      ].sort(),
    );
    for (const r of seen) expect(JSON.stringify(r).length).toBeLessThan(300);
    // And the CLI's view is the same.
    expect((await store.stats()).total).toBe(4);
  }, 30_000);

  it('a change set with a bad change: the good changes apply, the node goes on following (it stopped for good before)', async () => {
    const cfg = config(server.url);
    const keys = redisKeys(cfg.redis.prefix);
    const seen: InvalidRecord[] = [];
    const store = open(cfg, seen);
    await store.apply([put('a.no-ip.biz')]);
    const mirror = await startMirror(store);
    const epoch = await admin.get(keys.epoch);
    // A writer that is not sinkd: bumps the version and adds a feed entry of its own making.
    const v = await admin.incr(keys.version);
    const set = JSON.stringify([
      ['block:Not A Name!', '{"t":1,"s":"x"}'],
      ['block:ok.no-ip.biz', '{"t":1,"s":"x"}'],
      ['block:big.no-ip.biz', `{"t":1,"s":"${'y'.repeat(5000)}"}`],
      'junk',
    ]);
    await admin.xadd(keys.feed, `${v}-0`, 'set', set, 'e', epoch!);
    await mirror.waitFor(v, 5000);
    expect(mirror.matcher.match('ok.no-ip.biz')).toBeDefined();
    expect(mirror.matcher.match('big.no-ip.biz')).toBeUndefined();
    // A feed entry that is not JSON at all, then one that is not even a change set (in one step,
    // as a sinkd writes: the version and its feed entry together).
    await admin.multi().set(keys.version, v + 2).xadd(keys.feed, `${v + 1}-0`, 'set', '{{{', 'e', epoch!).xadd(keys.feed, `${v + 2}-0`, 'something', 'else', 'e', epoch!).exec();
    // A real change after them still arrives.
    const after = await store.apply([put('later.no-ip.biz')]);
    expect(await mirror.waitFor(after, 5000)).toBe(true);
    expect(mirror.matcher.match('later.no-ip.biz')).toBeDefined();
    expect(mirror.state).toBe('synced');
    expect(seen.map((r) => `${r.where}: ${r.reason}`)).toEqual([
      'feed: not a normalized DNS name: "Not A Name!"',
      'feed: source longer than 200 characters (5000)',
      'feed: a change that is not [field, value]',
      'feed: a feed entry that is not JSON',
      'feed: a feed entry without changes',
    ]);
  });

  it('an entry in the old feed format whose change names an invalid entry: the node reloads and follows on', async () => {
    // What an older sinkd (or someone imitating one) writes: "ops" instead of "set".
    const cfg = config(server.url);
    const keys = redisKeys(cfg.redis.prefix);
    const store = open(cfg);
    await store.apply([put('a.no-ip.biz')]);
    const mirror = await startMirror(store);
    const epoch = await admin.get(keys.epoch);
    const v = await admin.incr(keys.version);
    await admin.xadd(keys.feed, `${v}-0`, 'ops', JSON.stringify([['+', 'block:Not A Name!', '{"t":1,"s":"x"}']]), 'e', epoch!);
    const after = await store.apply([put('later.no-ip.biz')]);
    expect(await mirror.waitFor(after, 5000)).toBe(true);
    expect(mirror.matcher.match('later.no-ip.biz')).toBeDefined();
    expect(mirror.matcher.match('a.no-ip.biz')).toBeDefined();
  });

  it('a feed entry from beyond the version is reported once, does not make the node spin, and does not hide the next change', async () => {
    const cfg = config(server.url);
    const keys = redisKeys(cfg.redis.prefix);
    const seen: InvalidRecord[] = [];
    const store = open(cfg, seen);
    const v = await store.apply([put('a.no-ip.biz')]);
    await admin.xadd(keys.feed, '999999-0', 'set', JSON.stringify([['block:planted.no-ip.biz', '{"t":1,"s":"x"}']]));
    expect(await store.changesSince(v, 2000)).toEqual([]);
    expect(seen.map((r) => r.reason)).toEqual([`a feed entry beyond the list's version ${v}`]);
    // The next wait really waits (it does not return the same entry at once, over and over).
    const t0 = Date.now();
    expect(await store.changesSince(v, 400)).toEqual([]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    expect(seen).toHaveLength(1);
    const mirror = await startMirror(store);
    const after = await store.apply([put('later.no-ip.biz')]);
    expect(after).toBe(v + 1);
    expect(await mirror.waitFor(after, 5000)).toBe(true);
    expect(mirror.matcher.match('later.no-ip.biz')).toBeDefined();
    expect(mirror.matcher.match('planted.no-ip.biz')).toBeUndefined();
  });

  it('bulk changes landing while a node reads its snapshot, again and again: it reads again a few times, then serves (it looped for ever before)', async () => {
    const cfg = config(server.url);
    const keys = redisKeys(cfg.redis.prefix);
    const store = open(cfg);
    await store.apply([put('a.no-ip.biz')]);
    const epoch = (await admin.get(keys.epoch))!;
    // Every time the node has read the snapshot, another bulk change (a reset marker) lands.
    let snapshots = 0;
    const racing: BlocklistStore = Object.create(store, {
      snapshot: {
        value: async () => {
          const snap = await store.snapshot();
          snapshots++;
          const v = await admin.incr(keys.version);
          await admin.xadd(keys.feed, `${v}-0`, 'reset', '1', 'e', epoch);
          return snap;
        },
      },
    });
    const mirror = new BlocklistMirror(racing, { state: () => {}, loaded: () => {}, regressed: () => {} });
    mirrors.push(mirror);
    const started = await Promise.race([mirror.start().then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
    expect(started).toBe(true);
    expect(snapshots).toBe(3);
    expect(mirror.matcher.match('a.no-ip.biz')).toBeDefined();
  });
});
