// The Redis store: the shared suite on a standalone redis-server and on a 3-master Cluster (each
// started by the test on free ports), plus what is particular to Redis: key names, losing the
// server while a follower waits, the CLI's fail-fast connection, concurrent writers.

import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SinkdConfig } from '../../src/config/types.js';
import type { BlocklistStore, NewEntry } from '../../src/store/blocklist-store.js';
import { openStore, type StoreMode } from '../../src/store/open-store.js';
import { RedisStore, redisKeys } from '../../src/store/redis-store.js';
import { freePort } from '../helpers/free-port.js';
import { startRedis, startRedisCluster, startRedisSentinel, type TestRedis, type TestRedisCluster, type TestRedisSentinel } from '../helpers/redis.js';
import { storeSuite } from './store-suite.js';

function redisConfig(over: Partial<SinkdConfig['redis']>): { redis: SinkdConfig['redis']; store: SinkdConfig['store'] } {
  return {
    redis: { url: '', mode: 'standalone', nodes: [], sentinelName: 'mymaster', prefix: 'sinkd:', required: false, connectTimeoutMs: 2000, tls: { ca: '', cert: '', key: '' }, ...over },
    store: { path: '/nonexistent/never-used.jsonl' },
  };
}

function sets<T>(r: readonly T[] | 'reset'): readonly T[] {
  if (r === 'reset') throw new Error('expected change sets, got reset');
  return r;
}

let prefixes = 0;
const nextPrefix = () => `t${process.pid}-${++prefixes}:`;

function fixtureOn(admin: () => Redis | Cluster, config: (prefix: string) => ReturnType<typeof redisConfig>) {
  return async () => {
    const prefix = nextPrefix();
    const opened: BlocklistStore[] = [];
    const open = (mode: StoreMode = 'serve') => {
      const s = openStore(config(prefix), mode);
      opened.push(s);
      return s;
    };
    const keys = redisKeys(prefix);
    return {
      store: open(),
      another: async () => open(),
      trimFeed: async () => {
        await admin().xtrim(keys.feed, 'MAXLEN', 1);
      },
      cleanup: async () => {
        for (const s of opened) await s.close();
        await admin().del(keys.entries, keys.version, keys.feed, keys.sources, keys.epoch);
      },
    };
  };
}

describe('standalone', () => {
  let server: TestRedis;
  let admin: Redis;
  beforeAll(async () => {
    server = await startRedis();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  storeSuite(
    'RedisStore (standalone)',
    fixtureOn(
      () => admin,
      (prefix) => redisConfig({ url: server.url, prefix }),
    ),
  );

  it('every key holds the prefix and the {bl} hash tag', async () => {
    const prefix = nextPrefix();
    const store = openStore(redisConfig({ url: server.url, prefix }), 'cli');
    await store.apply([{ op: 'put', entry: { name: 'a.no-ip.biz', kind: 'block', source: 'cli' } }]);
    await store.setSourceInfo({ source: 'cli', importedAt: 1 });
    await store.close();
    const keys = (await admin.keys(`${prefix}*`)).sort();
    expect(keys).toEqual([`${prefix}{bl}:entries`, `${prefix}{bl}:epoch`, `${prefix}{bl}:feed`, `${prefix}{bl}:sources`, `${prefix}{bl}:version`]);
    for (const k of Object.values(redisKeys('sinkd:'))) expect(k).toMatch(/^sinkd:\{bl\}:/);
    // The stored forms documented in docs/redis-keys.md.
    const value = await admin.hget(`${prefix}{bl}:entries`, 'block:a.no-ip.biz');
    expect(value).toMatch(/^\{"t":\d+,"s":"cli"\}$/);
    const [[id, fields]] = (await admin.xrange(`${prefix}{bl}:feed`, '-', '+')) as [string, string[]][];
    expect(id).toBe('1-0');
    expect(fields[0]).toBe('set');
    expect(JSON.parse(fields[1]!)).toEqual([['block:a.no-ip.biz', value]]);
    // A second source's entry of the same name: a second line in the same field.
    await admin.del(...keys);
    const two = openStore(redisConfig({ url: server.url, prefix }), 'cli');
    await two.apply([{ op: 'put', entry: { name: 'a.no-ip.biz', kind: 'block', source: 'cli' } }, { op: 'put', entry: { name: 'a.no-ip.biz', kind: 'block', source: 'feed', family: 'njrat' } }]);
    await two.close();
    expect(await admin.hget(`${prefix}{bl}:entries`, 'block:a.no-ip.biz')).toMatch(/^\{"t":\d+,"s":"cli"\}\n\{"t":\d+,"s":"feed","f":"njrat"\}$/);
    expect(await admin.get(`${prefix}{bl}:version`)).toBe('1');
    await admin.del(...keys);
  });

  it('reads a Redis written by a sinkd from before entries were kept per source, and writes on top of it', async () => {
    const prefix = nextPrefix();
    const k = redisKeys(prefix);
    // What the old layout held: one value per name and kind, a feed of "ops" entries.
    await admin.hset(k.entries, {
      'block:evil.no-ip.biz': '{"t":1404086400000,"s":"feed","f":"njrat"}',
      'allow:ok.no-ip.biz': '{"t":1404086400001,"s":"cli"}',
      'block:x.hopto.org': '{"t":1404086400002,"s":"rpz","a":"nxdomain"}',
    });
    await admin.set(k.version, '3');
    await admin.set(k.epoch, 'e1');
    await admin.xadd(k.feed, '3-0', 'ops', JSON.stringify([['+', 'block:x.hopto.org', '{"t":1404086400002,"s":"rpz","a":"nxdomain"}']]), 'e', 'e1');
    await admin.hset(k.sources, 'feed', JSON.stringify({ source: 'feed', fromConfig: true, importedAt: 5 }));
    const store = openStore(redisConfig({ url: server.url, prefix }), 'serve');
    const snap = await store.snapshot();
    expect(snap.version).toBe(3);
    expect(snap.entries.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'evil.no-ip.biz', kind: 'block', source: 'feed', family: 'njrat', addedAt: 1404086400000 },
      { name: 'ok.no-ip.biz', kind: 'allow', source: 'cli', addedAt: 1404086400001 },
      { name: 'x.hopto.org', kind: 'block', source: 'rpz', action: 'nxdomain', addedAt: 1404086400002 },
    ]);
    expect(await store.getSourceInfo('feed')).toEqual({ source: 'feed', fromConfig: true, importedAt: 5 });
    // An old-format feed entry: a follower from before it reloads.
    expect(await store.changesSince(2, 0)).toEqual([{ version: 3, changes: [], reset: true }]);
    // New writes go beside the old values, per source.
    await store.apply([{ op: 'put', entry: { name: 'evil.no-ip.biz', kind: 'block', source: 'cli' } }]);
    expect((await store.replaceSource('feed', [])).removed).toBe(1);
    expect(await store.get('evil.no-ip.biz')).toEqual([expect.objectContaining({ source: 'cli' })]);
    expect(sets(await store.changesSince(3, 0)).map((cs) => cs.changes.map((c) => `${c.name}=${c.entries.map((e) => e.source).join(',')}`))).toEqual([
      ['evil.no-ip.biz=feed,cli'],
      ['evil.no-ip.biz=cli'],
    ]);
    await store.close();
    await admin.del(...Object.values(k));
  });

  it('an import racing other writers starts over instead of overwriting them', async () => {
    const prefix = nextPrefix();
    const a = openStore(redisConfig({ url: server.url, prefix }), 'serve');
    const b = openStore(redisConfig({ url: server.url, prefix }), 'serve');
    const bulk: NewEntry[] = Array.from({ length: 30_000 }, (_, i) => ({ name: `n${i}.ddns.net`, kind: 'block', source: 'bulk' }));
    const importing = a.replaceSource('bulk', bulk);
    const writes: Promise<number>[] = [];
    for (let i = 0; i < 20; i++) {
      writes.push(b.apply([{ op: 'put', entry: { name: `w${i}.ddns.net`, kind: 'block', source: 'cli' } }]));
      await new Promise((r) => setTimeout(r, 2));
    }
    const [sum] = await Promise.all([importing, Promise.all(writes)]);
    expect(sum.added).toBe(30_000);
    const stats = await b.stats();
    expect(stats.bySource).toMatchObject({ bulk: 30_000, cli: 20 });
    expect(stats.version).toBe(21);
    await a.close();
    await b.close();
    await admin.del(...Object.values(redisKeys(prefix)));
  });
});

describe('losing the server', () => {
  let server: TestRedis;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a follower waiting in changesSince is told promptly when Redis dies, and sees changes after it is back', async () => {
    const config = redisConfig({ url: server.url, prefix: nextPrefix() });
    const follower = openStore(config, 'serve') as RedisStore;
    const writer = openStore(config, 'serve');
    const states: string[] = [];
    follower.onStateChange = (state) => states.push(state);
    await writer.apply([{ op: 'put', entry: { name: 'before.no-ip.biz', kind: 'block', source: 'cli' } }]);
    const snap = await follower.snapshot();
    expect(snap.version).toBe(1);

    const waiting = follower.changesSince(1, 30_000).then(
      (r) => ({ ok: true as const, r, at: Date.now() }),
      (err: Error) => ({ ok: false as const, err, at: Date.now() }),
    );
    await new Promise((r) => setTimeout(r, 200));
    const killedAt = Date.now();
    await server.kill();
    const outcome = await waiting;
    expect(outcome.at - killedAt).toBeLessThan(2500);
    if (!outcome.ok) {
      expect(outcome.err.message).toMatch(/^cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: /);
      expect(outcome.err.message).not.toContain('\n');
    }
    // While it is down, calls fail at once instead of queueing.
    const t0 = Date.now();
    await expect(follower.version()).rejects.toThrow(/cannot reach Redis/);
    expect(Date.now() - t0).toBeLessThan(1000);

    await server.restart(); // empty again: no persistence
    const deadline = Date.now() + 10_000;
    let written = false;
    while (!written) {
      try {
        await writer.apply([{ op: 'put', entry: { name: 'after.no-ip.biz', kind: 'block', source: 'cli' } }]);
        written = true;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // The follower notices: its version 1 was another history (Redis came back empty).
    let seen = false;
    while (!seen) {
      try {
        const r = await follower.changesSince(1, 500);
        if (r === 'reset') {
          const s = await follower.snapshot();
          seen = s.entries.some((e) => e.name === 'after.no-ip.biz');
        } else {
          seen = r.some((cs) => cs.changes.some((c) => c.name === 'after.no-ip.biz' && c.entries.length > 0));
        }
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
      if (!seen && Date.now() > deadline) throw new Error('the change after the restart was never seen');
    }
    expect(states[0]).toBe('up');
    expect(states).toContain('down');
    expect(states[states.length - 1]).toBe('up');
    // One report per transition, not one per reconnect attempt.
    for (let i = 1; i < states.length; i++) expect(states[i]).not.toBe(states[i - 1]);
    await follower.close();
    await writer.close();
  }, 30_000);

  it("in 'cli' mode a closed port fails within ~2 s with one line", async () => {
    const port = await freePort();
    const store = openStore(redisConfig({ url: `redis://127.0.0.1:${port}/0`, connectTimeoutMs: 2000 }), 'cli');
    const t0 = Date.now();
    const err = (await store.version().then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe(`cannot reach Redis at redis://127.0.0.1:${port}: ECONNREFUSED`);
    expect(String(err.stack)).not.toContain('\n');
    // Later calls fail the same way, at once.
    await expect(store.snapshot()).rejects.toThrow(`cannot reach Redis at redis://127.0.0.1:${port}: ECONNREFUSED`);
    await store.close();
  });

  it("in 'serve' mode the first connection failure is reported at once, and once", async () => {
    const port = await freePort();
    const store = openStore(redisConfig({ url: `redis://127.0.0.1:${port}` }), 'serve') as RedisStore;
    const states: string[] = [];
    store.onStateChange = (state, reason) => states.push(`${state} ${reason}`);
    const t0 = Date.now();
    await expect(store.snapshot()).rejects.toThrow(`cannot reach Redis at redis://127.0.0.1:${port}: ECONNREFUSED`);
    await expect(store.changesSince(0, 5000)).rejects.toThrow(/cannot reach Redis/);
    expect(Date.now() - t0).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 700)); // a few reconnect attempts
    expect(states).toEqual(['down ECONNREFUSED']);
    await store.close();
  });

  it("in 'cli' mode a reachable Redis just works, and the password never shows in the description", async () => {
    const store = openStore(redisConfig({ url: `redis://user:secret@127.0.0.1:${server.port}/0` }), 'cli');
    expect(store.description).toBe(`redis redis://127.0.0.1:${server.port}/0 (standalone)`);
    // The server has no ACL user "user": the failure is one line and names the problem.
    await expect(store.version()).rejects.toThrow(/^cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: WRONGPASS/);
    await store.close();
    const ok = openStore(redisConfig({ url: `redis://127.0.0.1:${server.port}/3` }), 'cli');
    expect(await ok.version()).toBe(0);
    await ok.close();
  });
});

describe('sentinel', () => {
  let master: TestRedis;
  let sentinel: TestRedisSentinel;
  beforeAll(async () => {
    master = await startRedis();
    sentinel = await startRedisSentinel(master.port, 'sinkdmaster');
  }, 30_000);
  afterAll(async () => {
    await sentinel?.stop();
    await master?.stop();
  });

  it('finds the master through the sentinel and works on it', async () => {
    const prefix = nextPrefix();
    const config = redisConfig({ url: 'redis://ignored.invalid:6379/2', mode: 'sentinel', nodes: [sentinel.node], sentinelName: 'sinkdmaster', prefix });
    const store = openStore(config, 'cli');
    expect(store.description).toBe(`redis sentinel sinkdmaster@${sentinel.node}/2 (sentinel)`);
    expect(await store.apply([{ op: 'put', entry: { name: 'a.no-ip.biz', kind: 'block', source: 'cli' } }])).toBe(1);
    const follower = openStore(config, 'serve');
    const waiting = follower.changesSince(1, 5000);
    await new Promise((r) => setTimeout(r, 100));
    await store.apply([{ op: 'put', entry: { name: 'b.no-ip.biz', kind: 'block', source: 'cli' } }]);
    expect(await waiting).toEqual([{ version: 2, changes: [{ name: 'b.no-ip.biz', kind: 'block', entries: [expect.objectContaining({ name: 'b.no-ip.biz' })] }] }]);
    await store.close();
    await follower.close();
    const direct = new Redis(master.url, { db: 2 });
    expect(await direct.hlen(`${prefix}{bl}:entries`)).toBe(2);
    direct.disconnect();
  });
});

describe('cluster', () => {
  let cluster: TestRedisCluster;
  let admin: Cluster;
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    admin = new Cluster(cluster.nodes.map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })));
  }, 60_000);
  afterAll(async () => {
    admin?.disconnect();
    await cluster?.stop();
  });

  it("in 'cli' mode unreachable seed nodes fail fast with one line", async () => {
    const ports = [await freePort(), await freePort()];
    const store = openStore(redisConfig({ url: 'redis://127.0.0.1:1', mode: 'cluster', nodes: ports.map((p) => `127.0.0.1:${p}`) }), 'cli');
    const t0 = Date.now();
    const err = (await store.version().catch((e: unknown) => e)) as Error;
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(err.message).toBe(`cannot reach Redis at cluster 127.0.0.1:${ports[0]},127.0.0.1:${ports[1]}: ECONNREFUSED`);
    await store.close();
  });

  it('all keys of the store hash to one slot', async () => {
    const prefix = nextPrefix();
    const slots = new Set<number>();
    for (const k of Object.values(redisKeys(prefix))) slots.add(Number(await admin.cluster('KEYSLOT', k)));
    expect(slots.size).toBe(1);
  });

  storeSuite(
    'RedisStore (3-master cluster)',
    fixtureOn(
      () => admin,
      (prefix) => redisConfig({ url: 'redis://127.0.0.1:1', mode: 'cluster', nodes: cluster.nodes, prefix }),
    ),
  );
});
