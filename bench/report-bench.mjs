// Report at scale (issue: infected-host report): fills a fresh Redis with CLIENTS clients and
// HITS hits through the real hit store, then times `sinkd report --format json|html` over it.
// Usage: npm run build && node bench/report-bench.mjs [clients=100000] [hits=10000000]
// FORMATS=json (default json,html) picks the formats timed; FILL_ONLY=SECONDS fills, prints the
// Redis URL and keeps it up that long instead.
// Starts its own redis-server on a free loopback port; never touches 6379.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLIENTS = Number(process.argv[2] ?? 100_000);
const HITS = Number(process.argv[3] ?? 10_000_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sinkd-report-bench-'));
const port = await new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
process.on('exit', () => {
  redis.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});
for (let i = 0; i < 100; i++) {
  try {
    execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'pipe' });
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 50));
  }
}
const url = `redis://127.0.0.1:${port}/0`;
const { openHitStore } = await import(path.join(ROOT, 'dist/infected/open-hit-store.js'));
const config = {
  redis: { url, mode: 'standalone', nodes: [], sentinelName: 'mymaster', prefix: 'sinkd:', required: false, connectTimeoutMs: 5000 },
  store: { path: path.join(dir, 'unused.jsonl') },
  infected: { enabled: true, retentionDays: 30, verdict: { minDistinctMinutes: 3, minDistinctNames: 2 }, leases: [], bufferHits: 100000, flushIntervalMs: 1000 },
};
const store = openHitStore(config, 'serve');
const names = ['c2.no-ip.biz', 'rat.hopto.org', 'worm.zapto.org', 'x.servegame.com'];
const families = ['Bladabindi', 'Bladabindi', 'Jenxcus', undefined];
const now = Date.now();
let t0 = Date.now();
const BATCH = 50_000;
let written = 0;
// Hits spread over the last 6 hours, HITS/CLIENTS per client, each client's hits in one run
// (as a recorder's batch would hold them: a few clients per batch, not one hit each).
const perClient = Math.max(1, Math.floor(HITS / CLIENTS));
while (written < HITS) {
  const batch = [];
  for (let k = 0; k < BATCH && written < HITS; k++, written++) {
    const c = Math.floor(written / perClient) % CLIENTS;
    const n = (written >> 3) % 4;
    batch.push({
      time: now - ((written * 7919) % (6 * 3600_000)),
      client: `10.${(c >> 16) & 255}.${(c >> 8) & 255}.${c & 255}`,
      qname: names[n],
      qtype: 'A',
      rule: names[n],
      source: 'bench',
      ...(families[n] ? { family: families[n] } : {}),
      transport: 'udp',
    });
  }
  await store.add(batch);
}
const fillSeconds = (Date.now() - t0) / 1000;
await store.close();
if (process.env.FILL_ONLY) {
  // Leave the filled Redis up for profiling: node dist/cli/main.js report --redis URL
  console.log(url);
  console.error(`filled in ${fillSeconds} s`);
  await new Promise((r) => setTimeout(r, Number(process.env.FILL_ONLY) * 1000));
  process.exit(0);
}
const cli = path.join(ROOT, 'dist/cli/main.js');
const figures = { clients: CLIENTS, hits: HITS, fillSeconds };
for (const format of (process.env.FORMATS ?? 'json,html').split(',')) {
  t0 = Date.now();
  // In the temp directory: a config/sinkd.yaml where the bench was started must not change the run.
  const out = execFileSync(process.execPath, [cli, 'report', '--format', format, '--redis', url, '--output', path.join(dir, `report.${format}`)], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });
  figures[`report_${format}_seconds`] = (Date.now() - t0) / 1000;
  figures[`report_${format}_bytes`] = fs.statSync(path.join(dir, `report.${format}`)).size;
  void out;
}
if (fs.existsSync(path.join(dir, 'report.json'))) {
  const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
  figures.reportedClients = report.clients.length;
  figures.reportedHits = report.summary.hits;
}
console.log(JSON.stringify(figures, null, 2));
process.exit(0);
