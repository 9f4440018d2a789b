// Config lists in a running sinkd, over real sockets: a name several lists share stays blocked
// while any of them lists it; instances on one Redis with different lists each keep theirs; a
// list file missing at start is a warning while the store holds it; and a store that comes
// back empty never means an empty list.

import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { SinkdServer } from '../../src/server/sinkd-server.js';
import { FakeUpstream } from '../helpers/fake-upstream.js';
import { freePort } from '../helpers/free-port.js';
import { queryUdp } from '../helpers/dns-client.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

interface Node {
  server: SinkdServer;
  port: number;
  logs: Record<string, unknown>[];
  events(name: string): Record<string, unknown>[];
}

/** A sinkd from a config file at a fixed path (so a restart is the same instance), with SINKD_NODE_NAME when given. */
async function startNode(configPath: string, yaml: string, nodeName?: string): Promise<Node> {
  writeFileSync(configPath, yaml);
  const config = loadConfig({ config: configPath });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const before = process.env.SINKD_NODE_NAME;
  if (nodeName !== undefined) process.env.SINKD_NODE_NAME = nodeName;
  let server: SinkdServer;
  try {
    server = await SinkdServer.start(config, pino({ level: 'info' }, sink));
  } finally {
    if (before === undefined) delete process.env.SINKD_NODE_NAME;
    else process.env.SINKD_NODE_NAME = before;
  }
  return { server, port: server.bound[0]!.port, logs, events: (name) => logs.filter((l) => l.event === name) };
}

async function sinkholed(port: number, name: string): Promise<boolean> {
  const r = await queryUdp(port, name, { timeoutMs: 2000 });
  return (r.answers[0] as { address?: string } | undefined)?.address === '0.0.0.0';
}

async function eventually(what: string, check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let up: FakeUpstream;
let dir: string;
beforeAll(async () => {
  up = await FakeUpstream.start();
  dir = mkdtempSync(join(tmpdir(), 'sinkd-config-lists-'));
});
afterAll(async () => {
  await up?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function yaml(port: number, lines: string[]): string {
  return [`listen: ["127.0.0.1:${port}"]`, `upstreams: ["${up.endpoint}"]`, 'infected: { enabled: false }', ...lines, ''].join('\n');
}

describe('a name two config lists share', () => {
  it('stays blocked, with the other list\'s family, when one list is imported again without it; goes when neither has it', async () => {
    const sub = mkdtempSync(join(dir, 'overlap-'));
    writeFileSync(join(sub, 'a.txt'), 'shared.hopto.org\nonly-a.hopto.org\n');
    writeFileSync(join(sub, 'b.txt'), '# family: njRAT\nshared.hopto.org\n');
    const port = await freePort();
    const node = await startNode(join(sub, 'sinkd.yaml'), yaml(port, [`store: { path: ${JSON.stringify(join(sub, 'store.jsonl'))} }`, 'blocklists: [{ path: a.txt, source: feed-a }, { path: b.txt, source: feed-b }]']));
    try {
      expect(await sinkholed(port, 'x.shared.hopto.org')).toBe(true);
      // feed-a imported again without the name, as `sinkd blocklist import` or a feed refresh does.
      const v = (await node.server.store.replaceSource('feed-a', [{ name: 'only-a.hopto.org', kind: 'block', source: 'feed-a' }])).version;
      expect(await node.server.mirror.waitFor(v, 5000)).toBe(true);
      expect(await sinkholed(port, 'x.shared.hopto.org')).toBe(true);
      expect(node.server.mirror.matcher.match('x.shared.hopto.org')).toMatchObject({ source: 'feed-b', family: 'njRAT' });
      const sinkholes = node.events('sinkhole').filter((l) => l.qname === 'x.shared.hopto.org');
      expect(sinkholes[sinkholes.length - 1]).toMatchObject({ source: 'feed-b', family: 'njRAT' });
      // And a SIGHUP with both files changed that way.
      writeFileSync(join(sub, 'a.txt'), 'only-a.hopto.org\n');
      writeFileSync(join(sub, 'b.txt'), 'other.hopto.org\n');
      expect(await node.server.reloadLists()).toBe(true);
      await eventually('dropped', async () => !(await sinkholed(port, 'x.shared.hopto.org')));
    } finally {
      await node.server.stop(100);
    }
  });
});

describe('several instances on one Redis with different lists', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('each keeps blocking its own; one restarted without a list removes only that list, and only once no one lists it', async () => {
    const sub = mkdtempSync(join(dir, 'redis-'));
    writeFileSync(join(sub, 'a.txt'), 'a1.no-ip.biz\na2.no-ip.biz\n');
    writeFileSync(join(sub, 'b.txt'), 'b1.no-ip.biz\n');
    writeFileSync(join(sub, 'shared.txt'), 'common.no-ip.biz\n');
    // Same config path and address on two machines: told apart by their node names.
    const redisLine = `redis: { url: "${redis.url}", prefix: "owners:" }`;
    const [pa, pb] = [await freePort(), await freePort()];
    const cfgA = join(sub, 'a.yaml');
    const cfgB = join(sub, 'b.yaml');
    const a = await startNode(cfgA, yaml(pa, [redisLine, 'blocklists: [a.txt, shared.txt]']), 'node-a');
    let b = await startNode(cfgB, yaml(pb, [redisLine, 'blocklists: [b.txt, shared.txt]']), 'node-b');
    try {
      for (const port of [pa, pb]) {
        await eventually(`all on ${port}`, async () => (await sinkholed(port, 'a1.no-ip.biz')) && (await sinkholed(port, 'b1.no-ip.biz')));
        expect(await sinkholed(port, 'common.no-ip.biz')).toBe(true);
      }
      expect(a.events('list-dropped')).toEqual([]);
      expect(b.events('list-dropped')).toEqual([]);
      // B again, now without shared.txt: A still lists it, so it stays (B only lets go of it).
      await b.server.stop(100);
      b = await startNode(cfgB, yaml(pb, [redisLine, 'blocklists: [b.txt]']), 'node-b');
      expect(b.events('list-released')).toEqual([expect.objectContaining({ source: 'shared', owners: [expect.stringContaining('node-a')] })]);
      expect(await sinkholed(pb, 'common.no-ip.biz')).toBe(true);
      expect(await sinkholed(pa, 'a1.no-ip.biz')).toBe(true);
      // A without shared.txt too: now no one lists it, and it goes, from both.
      await a.server.stop(100);
      const a2 = await startNode(cfgA, yaml(pa, [redisLine, 'blocklists: [a.txt]']), 'node-a');
      try {
        expect(a2.events('list-dropped')).toEqual([expect.objectContaining({ source: 'shared', removed: 1 })]);
        await eventually('gone on b', async () => !(await sinkholed(pb, 'common.no-ip.biz')));
        expect(await sinkholed(pb, 'a2.no-ip.biz')).toBe(true);
        expect(await sinkholed(pa, 'b1.no-ip.biz')).toBe(true);
      } finally {
        await a2.server.stop(100);
      }
    } finally {
      await a.server.stop(100).catch(() => {});
      await b.server.stop(100);
    }
  }, 30_000);

  it('a store down at start and back empty: the config list is served all along, and is in the store before the store\'s list is', async () => {
    const port = await freePort();
    const sub = mkdtempSync(join(dir, 'down-'));
    writeFileSync(join(sub, 'list.txt'), 'evil.no-ip.biz\n');
    const r = await startRedis();
    const url = r.url;
    await r.kill();
    const node = await startNode(join(sub, 'sinkd.yaml'), yaml(port, [`redis: { url: "${url}", prefix: "down:" }`, 'blocklists: [list.txt]']));
    try {
      expect(node.server.mirror.state).toBe('degraded');
      expect(await sinkholed(port, 'x.evil.no-ip.biz')).toBe(true);
      await r.restart(); // empty
      // Until synced and after: never a moment without the name.
      const seen: boolean[] = [];
      const deadline = Date.now() + 10_000;
      while (node.server.mirror.state !== 'synced' && Date.now() < deadline) seen.push(await sinkholed(port, 'x.evil.no-ip.biz'));
      expect(node.server.mirror.state).toBe('synced');
      for (let i = 0; i < 20; i++) seen.push(await sinkholed(port, 'x.evil.no-ip.biz'));
      expect(seen.filter((s) => !s)).toEqual([]);
      expect(node.server.mirror.matcher.counts().block).toBe(1);
    } finally {
      await node.server.stop(100);
      await r.stop();
    }
  }, 30_000);
});

describe('a config list file missing at start', () => {
  it('is a warning while the store still holds its list (still served), and an error when it does not', async () => {
    const sub = mkdtempSync(join(dir, 'missing-'));
    const list = join(sub, 'list.txt');
    writeFileSync(list, 'evil.no-ip.biz\n');
    const port = await freePort();
    const lines = [`store: { path: ${JSON.stringify(join(sub, 'store.jsonl'))} }`, 'blocklists: [list.txt]'];
    const first = await startNode(join(sub, 'sinkd.yaml'), yaml(port, lines));
    await first.server.stop(100);
    unlinkSync(list);
    const second = await startNode(join(sub, 'sinkd.yaml'), yaml(port, lines));
    try {
      expect(second.events('list-missing')).toEqual([expect.objectContaining({ source: 'list', path: list })]);
      expect(await sinkholed(port, 'x.evil.no-ip.biz')).toBe(true);
      // A reload with the file still missing keeps it too.
      expect(await second.server.reloadLists()).toBe(true);
      expect(await sinkholed(port, 'x.evil.no-ip.biz')).toBe(true);
      expect(second.events('list-dropped')).toEqual([]);
    } finally {
      await second.server.stop(100);
    }
    // A fresh store has nothing to serve it from: as before, sinkd does not start.
    await expect(startNode(join(sub, 'sinkd.yaml'), yaml(port, [`store: { path: ${JSON.stringify(join(sub, 'fresh.jsonl'))} }`, 'blocklists: [list.txt]']))).rejects.toThrow(
      `cannot read blocklist ${list}`,
    );
  });
});
