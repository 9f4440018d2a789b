// `sinkd report` over a Redis with more clients than a pretty-printed report holds: the JSON it
// streams to --output (or stdout) is the document renderJson makes, and the HTML page lists the
// most urgent clients with a note on the rest. Runs the built CLI (npm test builds first).

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hit } from '../../src/infected/model.js';
import { openHitStore } from '../../src/infected/open-hit-store.js';
import { produceReport } from '../../src/infected/report-source.js';
import { PRETTY_MAX_CLIENTS, renderJson } from '../../src/report/render-json.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const execFileP = promisify(execFile);
const BIN = join(import.meta.dirname, '../../dist/cli/main.js');
const CLIENTS = PRETTY_MAX_CLIENTS + 1500;
const MIN = 60_000;

function config(url: string): Parameters<typeof openHitStore>[0] & Parameters<typeof produceReport>[0] {
  return {
    redis: { url, mode: 'standalone', nodes: [], sentinelName: 'mymaster', prefix: 'sinkd:', required: false, connectTimeoutMs: 5000 },
    store: { path: '/nonexistent/unused.jsonl' },
    infected: { enabled: true, retentionDays: 30, verdict: { minDistinctMinutes: 3, minDistinctNames: 2 }, leases: [], bufferHits: 1000, flushIntervalMs: 1000 },
  } as unknown as Parameters<typeof openHitStore>[0] & Parameters<typeof produceReport>[0];
}

describe('sinkd report over a big Redis', () => {
  let redis: TestRedis;
  let dir: string;
  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'sinkd-report-cli-'));
    const store = openHitStore(config(redis.url), 'serve');
    const now = Date.now();
    const hits: Hit[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const n = 1 + (i % 5);
      for (let k = 0; k < n; k++) {
        hits.push({
          time: now - 3600_000 + ((i * 7 + k * 13) % 60) * MIN + k,
          client: `10.7.${i >> 8}.${i & 255}`,
          qname: k % 2 === 0 ? 'c2.no-ip.biz' : `x${k}."quoted"\\.hopto.org`,
          qtype: 'A',
          rule: k % 2 === 0 ? 'c2.no-ip.biz' : 'hopto.org',
          source: 'test',
          ...(k % 2 === 0 ? { family: 'Bladabindi' } : {}),
          transport: 'udp',
        });
      }
    }
    await store.add(hits);
    await store.close();
  }, 60_000);
  afterAll(async () => {
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const withoutTime = (text: string) => text.replace(/^\{"generatedAt":"[^"]*"/, '{"generatedAt":""');

  it('writes the same JSON document to --output and to stdout as renderJson', async () => {
    const out = join(dir, 'r.json');
    const r = await execFileP(process.execPath, [BIN, 'report', '--format', 'json', '--redis', redis.url, '--output', out], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toContain(`report written to ${out}: ${CLIENTS} clients`);
    const file = readFileSync(out, 'utf8');
    const stdout = (await execFileP(process.execPath, [BIN, 'report', '--format', 'json', '--redis', redis.url], { cwd: dir, encoding: 'utf8', timeout: 30_000, maxBuffer: 1 << 28 })).stdout;
    const store = openHitStore(config(redis.url), 'cli');
    let expected: string;
    try {
      expected = renderJson((await produceReport(config(redis.url), store, { since: null })).report);
    } finally {
      await store.close();
    }
    expect(withoutTime(file)).toBe(withoutTime(expected));
    expect(withoutTime(stdout)).toBe(withoutTime(expected));
    const doc = JSON.parse(file) as { clients: { names: { name: string }[] }[]; summary: { clients: number } };
    expect(doc.summary.clients).toBe(CLIENTS);
    expect(doc.clients).toHaveLength(CLIENTS);
    expect(doc.clients.some((c) => c.names.some((n) => n.name === 'x1."quoted"\\.hopto.org'))).toBe(true);
  });

  it('writes an HTML page of the most urgent clients, with a note on the rest', async () => {
    const out = join(dir, 'r.html');
    await execFileP(process.execPath, [BIN, 'report', '--format', 'html', '--redis', redis.url, '--output', out], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    const page = readFileSync(out, 'utf8');
    expect(page).toContain('id="truncated"');
    expect(page).toContain(`<b>${CLIENTS}</b>clients`);
    expect(page).toContain(`most urgent of ${CLIENTS} clients`);
  });
});
