// End to end through both stores and the built `sinkd report`: hits recorded with their list's
// category and source. A host that only asks ads and tracking names, every minute for an hour, is
// never likely-infected; a malware beacon is, with its ads hits shown apart; hits recorded without
// a category (before lists had one) count as malware, as they always did.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hit } from '../../src/infected/model.js';
import { openHitStore } from '../../src/infected/open-hit-store.js';
import { loadConfig } from '../../src/config/load.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const execFileP = promisify(execFile);
const BIN = join(import.meta.dirname, '../../dist/cli/main.js');
const MIN = 60_000;
const NOW = Date.now();
const T = NOW - (NOW % MIN) - 2 * 3600_000;

function hits(): Hit[] {
  const out: Hit[] = [];
  const h = (time: number, client: string, qname: string, extra: Partial<Hit>): Hit => ({ time, client, qname, qtype: 'A', rule: qname, source: 'x', transport: 'udp', ...extra });
  for (let m = 0; m < 60; m++) {
    // An ordinary browser: ads and trackers, every minute.
    out.push(h(T + m * MIN + 5, '192.168.7.10', 'ads.example', { category: 'ads', source: 'easylist' }));
    out.push(h(T + m * MIN + 9, '192.168.7.10', 'pixel.tracker.example', { category: 'tracking', source: 'easyprivacy' }));
    // A beacon, and the same host's ads.
    if (m % 5 === 0) out.push(h(T + m * MIN + 7, '192.168.7.20', 'c2.no-ip.biz', { category: 'malware', source: 'threatfox', family: 'njRAT' }));
    out.push(h(T + m * MIN + 8, '192.168.7.20', 'ads.example', { category: 'ads', source: 'easylist' }));
    // Recorded before lists had a category.
    if (m % 10 === 0) out.push(h(T + m * MIN + 3, '192.168.7.30', 'old.hopto.org', {}));
  }
  return out;
}

interface Doc {
  clients: { client: string; verdict: string; hits: number; otherHits?: number; reason: string; names: { name: string; category?: string; sources?: string[] }[] }[];
}

async function report(config: string): Promise<Doc> {
  const r = await execFileP(process.execPath, [BIN, 'report', '--format', 'json', '--config', config], { encoding: 'utf8', timeout: 20_000 });
  return JSON.parse(r.stdout) as Doc;
}

function expectVerdicts(doc: Doc): void {
  const by = new Map(doc.clients.map((c) => [c.client, c]));
  const browser = by.get('192.168.7.10')!;
  expect(browser).toMatchObject({ verdict: 'single-contact', hits: 120, otherHits: 120 });
  expect(browser.reason).toContain('only ads/tracking/other lists');
  const beacon = by.get('192.168.7.20')!;
  expect(beacon).toMatchObject({ verdict: 'likely-infected', hits: 72, otherHits: 60 });
  expect(beacon.names.find((n) => n.name === 'c2.no-ip.biz')).toMatchObject({ category: 'malware', sources: ['threatfox'] });
  expect(beacon.names.find((n) => n.name === 'ads.example')).toMatchObject({ category: 'ads', sources: ['easylist'] });
  expect(by.get('192.168.7.30')).toMatchObject({ verdict: 'likely-infected', hits: 6 });
  expect(doc.clients[0]!.verdict).toBe('likely-infected');
}

describe('list categories through the stores and sinkd report', () => {
  let redis: TestRedis;
  let dir: string;
  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), 'sinkd-category-'));
  });
  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const kind of ['embedded', 'redis'] as const) {
    it(`${kind}: an ads-and-tracking-only host is never likely-infected; a beacon is, its ads shown apart`, async () => {
      const config = join(dir, `${kind}.yaml`);
      writeFileSync(
        config,
        ['upstreams: ["127.0.0.1:53"]', 'blocklists: []', `store: { path: ${JSON.stringify(join(dir, kind, 'store.jsonl'))} }`, ...(kind === 'redis' ? [`redis: { url: "${redis.url}", prefix: "cat:" }`] : [])].join('\n') + '\n',
      );
      const store = openHitStore(loadConfig({ config }), 'serve');
      try {
        await store.add(hits());
      } finally {
        await store.close();
      }
      expectVerdicts(await report(config));
    });
  }
});
