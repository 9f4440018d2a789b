// Two sinkd nodes on one Redis: a change made through the CLI reaches both within a second,
// both keep answering from their lists while Redis is down, and catch up when it is back.

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../helpers/fake-upstream.js';
import { queryUdp } from '../helpers/dns-client.js';
import { startSinkd, type TestSinkd } from '../helpers/sinkd.js';
import { startRedis } from '../helpers/redis.js';

const execFileP = promisify(execFile);
const BIN = join(import.meta.dirname, '../../dist/cli/main.js');

type Redis = Awaited<ReturnType<typeof startRedis>>;

async function cli(redisUrl: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await execFileP(process.execPath, [BIN, 'blocklist', ...args, '--redis', redisUrl], { encoding: 'utf8', timeout: 15_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function addressOf(port: number, name: string): Promise<string | undefined> {
  const r = await queryUdp(port, name, { timeoutMs: 1500 });
  return (r.answers[0] as { address?: string } | undefined)?.address;
}

/** Polls until `check` holds; returns how long it took (ms), or throws after `limitMs`. */
async function within(limitMs: number, check: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > limitMs) throw new Error(`not within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - t0;
}

describe('two nodes sharing one Redis', () => {
  let redis: Redis;
  let up: FakeUpstream;
  let a: TestSinkd;
  let b: TestSinkd;

  beforeAll(async () => {
    redis = await startRedis();
    up = await FakeUpstream.start();
    up.add('later-blocked.example', { type: 'A', ttl: 3600, value: '192.0.2.1' });
    up.add('during-outage.example', { type: 'A', ttl: 3600, value: '192.0.2.2' });
    const yaml = `redis: { url: "${redis.url}" }`;
    a = await startSinkd({ upstreams: [up.endpoint], blocklist: 'evil.no-ip.biz\n', yaml });
    b = await startSinkd({ upstreams: [up.endpoint], blocklist: 'evil.no-ip.biz\n', yaml });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await up?.stop();
    await redis?.stop();
  });

  it('both sinkhole the config list, which each imported into Redis', async () => {
    expect(await addressOf(a.port, 'x.evil.no-ip.biz')).toBe('0.0.0.0');
    expect(await addressOf(b.port, 'x.evil.no-ip.biz')).toBe('0.0.0.0');
  });

  it('a name added with the CLI is sinkholed by both within 1 s', async () => {
    // Cached on both first, so the test also shows the policy step sits above the cache.
    expect(await addressOf(a.port, 'later-blocked.example')).toBe('192.0.2.1');
    expect(await addressOf(b.port, 'later-blocked.example')).toBe('192.0.2.1');
    const added = await cli(redis.url, 'add', 'later-blocked.example', '--family', 'Jenxcus');
    expect(added.code).toBe(0);
    const t0 = Date.now();
    await within(1000, async () => (await addressOf(a.port, 'later-blocked.example')) === '0.0.0.0');
    await within(1000 - (Date.now() - t0), async () => (await addressOf(b.port, 'later-blocked.example')) === '0.0.0.0');
  });

  it('a re-import that drops names removes them on both nodes', async () => {
    const dir = a.dir;
    writeFileSync(join(dir, 'feed.txt'), 'one.hopto.org\ntwo.hopto.org\nthree.hopto.org\n');
    expect((await cli(redis.url, 'import', join(dir, 'feed.txt'), '--source', 'feed')).code).toBe(0);
    await within(1000, async () => (await addressOf(b.port, 'two.hopto.org')) === '0.0.0.0');
    writeFileSync(join(dir, 'feed.txt'), 'one.hopto.org\nthree.hopto.org\n');
    const again = await cli(redis.url, 'import', join(dir, 'feed.txt'), '--source', 'feed');
    expect(again.stdout).toMatch(/removed 1/);
    await within(1000, async () => (await addressOf(a.port, 'two.hopto.org')) !== '0.0.0.0');
    await within(1000, async () => (await addressOf(b.port, 'two.hopto.org')) !== '0.0.0.0');
    expect(await addressOf(b.port, 'one.hopto.org')).toBe('0.0.0.0');
  });

  it('keeps answering from its list while Redis is down, and catches up when it is back', async () => {
    await redis.kill();
    // Blocked names still sinkholed, clean names still forwarded, on both nodes.
    for (const node of [a, b]) {
      expect(await addressOf(node.port, 'x.evil.no-ip.biz')).toBe('0.0.0.0');
      expect(await addressOf(node.port, 'during-outage.example')).toBe('192.0.2.2');
    }
    await within(3000, async () => a.logs.some((l) => l.event === 'store-degraded'));
    expect(a.logs.filter((l) => l.event === 'store-degraded')).toHaveLength(1); // logged once, not per retry
    await redis.restart();
    // Redis came back empty (no persistence): a change made now must still reach both nodes.
    expect((await cli(redis.url, 'add', 'after-restart.zapto.org')).code).toBe(0);
    await within(8000, async () => (await addressOf(a.port, 'after-restart.zapto.org')) === '0.0.0.0');
    await within(8000, async () => (await addressOf(b.port, 'after-restart.zapto.org')) === '0.0.0.0');
    expect(a.logs.some((l) => l.event === 'store-synced')).toBe(true);
    // The config lists were put back into the emptied Redis, so they still apply everywhere.
    await within(3000, async () => (await addressOf(b.port, 'y.evil.no-ip.biz')) === '0.0.0.0');
  });
});

describe('url lists in the config', () => {
  it('are fetched at start, refreshed with conditional requests, and kept when a refresh fails', async () => {
    const http = await import('node:http');
    let body = 'feed-one.ddns.net\nfeed-two.ddns.net\n';
    let status = 200;
    const seen: (string | undefined)[] = [];
    const srv = http.createServer((req, res) => {
      seen.push(req.headers['if-none-match'] as string | undefined);
      if (status !== 200) return res.writeHead(status).end();
      if (req.headers['if-none-match'] === `"${body.length}"`) return res.writeHead(304).end();
      res.writeHead(200, { etag: `"${body.length}"`, 'content-type': 'text/plain' }).end(body);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    const up = await FakeUpstream.start();
    const s = await startSinkd({
      upstreams: [up.endpoint],
      yaml: `blocklists: [{ url: "http://127.0.0.1:${port}/ddns-feed.txt", refreshSeconds: 60 }]`,
    });
    try {
      await within(3000, async () => (await addressOf(s.port, 'feed-two.ddns.net')) === '0.0.0.0');
      await within(2000, async () => s.logs.some((l) => l.event === 'list-refresh'));
      expect(s.logs.find((l) => l.event === 'list-refresh')).toMatchObject({ source: 'ddns-feed', added: 2 });
      // A refresh that fails keeps what was stored.
      status = 503;
      await s.server.refreshUrlLists();
      expect(s.logs.some((l) => l.event === 'list-refresh-failed')).toBe(true);
      expect(await addressOf(s.port, 'feed-one.ddns.net')).toBe('0.0.0.0');
      // The next fetch sends the ETag and gets 304: nothing changes.
      status = 200;
      await s.server.refreshUrlLists();
      expect(seen.at(-1)).toBe(`"${body.length}"`);
    } finally {
      await s.stop();
      await up.stop();
      srv.close();
    }
  });
});

describe('redis.required', () => {
  it('refuses to start without Redis when required, and serves the config lists when not', async () => {
    const up = await FakeUpstream.start();
    try {
      const refused = await startSinkd({
        upstreams: [up.endpoint],
        blocklist: 'evil.no-ip.biz\n',
        yaml: 'redis: { url: "redis://127.0.0.1:1", required: true, connectTimeoutMs: 500 }',
      }).catch((err: Error) => err);
      expect(refused).toBeInstanceOf(Error);
      expect((refused as Error).message).toMatch(/unreachable.*redis\.required is true/);
      const degraded = await startSinkd({
        upstreams: [up.endpoint],
        blocklist: 'evil.no-ip.biz\n',
        yaml: 'redis: { url: "redis://127.0.0.1:1", connectTimeoutMs: 500 }',
      });
      try {
        expect(await addressOf(degraded.port, 'x.evil.no-ip.biz')).toBe('0.0.0.0');
        expect(degraded.logs.filter((l) => l.event === 'store-degraded')).toHaveLength(1);
      } finally {
        await degraded.stop();
      }
    } finally {
      await up.stop();
    }
  });
});
