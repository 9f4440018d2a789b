// Infected-host tracking end to end: sinkholed queries from different client addresses, through
// running servers, end up in the report with the right counts and verdicts; two servers on one
// Redis add up; a Redis outage during a burst loses exactly what the log says it dropped.

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../helpers/fake-upstream.js';
import { queryUdp } from '../helpers/dns-client.js';
import { startSinkd, type TestSinkd } from '../helpers/sinkd.js';
import { startRedis } from '../helpers/redis.js';
import { freePort } from '../helpers/free-port.js';

const execFileP = promisify(execFile);
const BIN = join(import.meta.dirname, '../../dist/cli/main.js');
const LIST = ['# family: Bladabindi', 'c2.no-ip.biz', 'backup-c2.hopto.org', '# family: Jenxcus', 'worm.zapto.org', ''].join('\n');

interface JsonReport {
  clients: { client: string; hits: number; verdict: string; names: { name: string; hits: number; family?: string }[]; handled: boolean; ack?: { note?: string } }[];
  summary: { droppedHits?: number; hits: number };
}

async function report(...args: string[]): Promise<JsonReport> {
  const r = await execFileP(process.execPath, [BIN, 'report', '--format', 'json', ...args], { encoding: 'utf8', timeout: 20_000 });
  return JSON.parse(r.stdout) as JsonReport;
}

async function ask(port: number, source: string, names: string[]): Promise<void> {
  for (const name of names) {
    const r = await queryUdp(port, name, { source, timeoutMs: 1500 });
    expect((r.answers[0] as { address?: string } | undefined)?.address).toBe('0.0.0.0');
  }
}

describe('hits through two servers on one Redis', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let up: FakeUpstream;
  let a: TestSinkd;
  let b: TestSinkd;

  beforeAll(async () => {
    redis = await startRedis();
    up = await FakeUpstream.start();
    const yaml = `redis: { url: "${redis.url}" }\ninfected: { flushIntervalMs: 100 }`;
    a = await startSinkd({ upstreams: [up.endpoint], blocklist: LIST, yaml });
    b = await startSinkd({ upstreams: [up.endpoint], blocklist: LIST, yaml });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await up?.stop();
    await redis?.stop();
  });

  it('adds up hits per client, with names, families and verdicts', async () => {
    // 127.0.0.21 asks for two listed names through both servers: likely infected.
    await ask(a.port, '127.0.0.21', ['c2.no-ip.biz', 'x.c2.no-ip.biz', 'worm.zapto.org']);
    await ask(b.port, '127.0.0.21', ['c2.no-ip.biz', 'c2.no-ip.biz']);
    // 127.0.0.22 asks once: a single contact.
    await ask(b.port, '127.0.0.22', ['backup-c2.hopto.org']);
    await a.server.recorder!.flush();
    await b.server.recorder!.flush();
    const r = await report('--redis', redis.url);
    const infected = r.clients.find((c) => c.client === '127.0.0.21')!;
    const single = r.clients.find((c) => c.client === '127.0.0.22')!;
    expect(infected.hits).toBe(5);
    expect(infected.verdict).toBe('likely-infected');
    expect(infected.names.find((n) => n.name === 'c2.no-ip.biz')).toMatchObject({ hits: 3, family: 'Bladabindi' });
    expect(infected.names.find((n) => n.name === 'worm.zapto.org')).toMatchObject({ hits: 1, family: 'Jenxcus' });
    expect(single).toMatchObject({ hits: 1, verdict: 'single-contact' });
    expect(r.clients[0]!.client).toBe('127.0.0.21'); // likely-infected sorts first
  });

  it('marks a host handled with report ack, until it is seen again', async () => {
    const ack = await execFileP(process.execPath, [BIN, 'report', 'ack', '127.0.0.22', '--note', 'reimaged', '--redis', redis.url], { encoding: 'utf8' });
    expect(ack.stdout).toContain('127.0.0.22 marked handled');
    let single = (await report('--redis', redis.url, '--client', '127.0.0.22')).clients[0]!;
    expect(single.handled).toBe(true);
    expect(single.ack?.note).toBe('reimaged');
    await new Promise((r) => setTimeout(r, 5));
    await ask(a.port, '127.0.0.22', ['backup-c2.hopto.org']);
    await a.server.recorder!.flush();
    single = (await report('--redis', redis.url, '--client', '127.0.0.22')).clients[0]!;
    expect(single.handled).toBe(false);
  });

  it('loses only what it says it dropped when Redis is down during a burst', async () => {
    await redis.kill();
    const s = await startSinkd({
      upstreams: [up.endpoint],
      blocklist: LIST,
      yaml: `redis: { url: "${redis.url}" }\ninfected: { flushIntervalMs: 100, bufferHits: 1000 }`,
    }).catch((err: Error) => err);
    // The store being down at start is not fatal (redis.required is false).
    expect(s).not.toBeInstanceOf(Error);
    const node = s as TestSinkd;
    try {
      const burst = 1500;
      for (let i = 0; i < burst; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, j) => queryUdp(node.port, `h${i + j}.c2.no-ip.biz`, { source: '127.0.0.23', timeoutMs: 2000 })));
      }
      expect(node.server.recorder!.stats.dropped).toBe(burst - 1000);
      await redis.restart();
      for (let i = 0; i < 100 && node.server.recorder!.buffered > 0; i++) await new Promise((r) => setTimeout(r, 100));
      await node.server.recorder!.flush();
      await node.stop(); // the final flush also logs the drop count
      const dropLines = node.logs.filter((l) => l.event === 'hits-dropped');
      const logged = dropLines.reduce((sum, l) => sum + Number(l.count), 0);
      expect(logged).toBe(burst - 1000);
      const r = await report('--redis', redis.url, '--client', '127.0.0.23');
      expect(r.clients[0]!.hits).toBe(1000);
      expect(r.summary.droppedHits).toBe(burst - 1000);
    } finally {
      await node.stop().catch(() => {});
    }
  });
});

describe('embedded store, report command and admin listener', () => {
  let up: FakeUpstream;
  let s: TestSinkd;

  beforeAll(async () => {
    up = await FakeUpstream.start();
    s = await startSinkd({ upstreams: [up.endpoint], blocklist: LIST, yaml: `admin: { listen: "127.0.0.1:${await freePort()}" }\ninfected: { flushIntervalMs: 100 }` });
  });
  afterAll(async () => {
    await s?.stop();
    await up?.stop();
  });

  it('serves the report as JSON and as a self-contained page', async () => {
    await ask(s.port, '127.0.0.31', ['c2.no-ip.biz', 'worm.zapto.org']);
    const base = `http://127.0.0.1:${s.server.adminBound!.port}`;
    const json = (await (await fetch(`${base}/api/report`)).json()) as JsonReport;
    expect(json.clients.find((c) => c.client === '127.0.0.31')).toMatchObject({ hits: 2, verdict: 'likely-infected' });
    const page = await fetch(`${base}/report`);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('127.0.0.31');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // nothing loaded from elsewhere
    expect((await fetch(`${base}/api/report?client=nope`)).status).toBe(400);
  });

  it('counts a listed name and names below it as one listed name', async () => {
    // Same entry (c2.no-ip.biz), one minute: one contact, not "several listed names".
    await ask(s.port, '127.0.0.33', ['c2.no-ip.biz', 'x.c2.no-ip.biz']);
    const base = `http://127.0.0.1:${s.server.adminBound!.port}`;
    const json = (await (await fetch(`${base}/api/report?client=127.0.0.33`)).json()) as JsonReport;
    expect(json.clients[0]).toMatchObject({ client: '127.0.0.33', hits: 2, verdict: 'single-contact' });
  });

  it('sinkd report reads the embedded hit file once the server has saved it', async () => {
    await ask(s.port, '127.0.0.32', ['worm.zapto.org']);
    await s.server.stop(100); // the journal thread closes its files
    writeFileSync(join(s.dir, 'report.yaml'), `store: { path: ${JSON.stringify(join(s.dir, 'store.jsonl'))} }\n`);
    const r = await report('--config', join(s.dir, 'report.yaml'));
    expect(r.clients.map((c) => c.client).sort()).toEqual(['127.0.0.31', '127.0.0.32', '127.0.0.33']);
    const csv = await execFileP(process.execPath, [BIN, 'report', '--format', 'csv', '--config', join(s.dir, 'report.yaml')], { encoding: 'utf8' });
    expect(csv.stdout.split('\r\n')[0]).toMatch(/^client,/);
  });
});
