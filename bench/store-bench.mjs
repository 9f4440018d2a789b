// List-size figures for the shared blocklist (issue: one blocklist in Redis):
//   import of N names into Redis with the CLI, a node's full load from Redis, the node's
//   memory per listed name, and the matcher's cost per lookup with the list loaded.
// Usage: npm run build && node --expose-gc bench/store-bench.mjs [N=1000000]
// Starts its own redis-server on a free loopback port; never touches 6379.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2] ?? 1_000_000);
if (typeof global.gc !== 'function') {
  process.stderr.write('run with: node --expose-gc bench/store-bench.mjs [N]\n');
  process.exit(2);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sinkd-store-bench-'));
const namesFile = path.join(dir, 'names.txt');
fs.writeFileSync(namesFile, execFileSync(process.execPath, [path.join(ROOT, 'bench/make-names.mjs'), String(N)], { maxBuffer: 1 << 30 }));

const port = await new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
const stopAll = () => {
  redis.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
};
process.on('exit', stopAll);
const url = `redis://127.0.0.1:${port}/0`;
for (let i = 0; i < 100; i++) {
  try {
    execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'pipe' });
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 50));
  }
}

const figures = { names: N };
const cli = path.join(ROOT, 'dist/cli/main.js');
let t0 = Date.now();
const out = execFileSync(process.execPath, [cli, 'blocklist', 'import', namesFile, '--source', 'bulk', '--redis', url], { encoding: 'utf8', maxBuffer: 1 << 26 });
figures.importSeconds = (Date.now() - t0) / 1000;
figures.importSummary = out.trim().split('\n').pop();
figures.redisUsedMemoryPerName = Math.round(Number(/used_memory:(\d+)/.exec(execFileSync('redis-cli', ['-p', String(port), 'info', 'memory'], { encoding: 'utf8' }))[1]) / N);

const { openStore } = await import(path.join(ROOT, 'dist/store/open-store.js'));
const { BlocklistMirror } = await import(path.join(ROOT, 'dist/blocklist/mirror.js'));
const store = openStore({ redis: { url, mode: 'standalone', nodes: [], sentinelName: 'mymaster', prefix: 'sinkd:', required: true, connectTimeoutMs: 2000, tls: { ca: '', cert: '', key: '' } }, store: { path: path.join(dir, 'unused.jsonl') } }, 'serve');
global.gc();
const before = process.memoryUsage();
const mirror = new BlocklistMirror(store, { state() {}, loaded() {}, regressed() {} });
t0 = Date.now();
await mirror.start();
figures.fullLoadSeconds = (Date.now() - t0) / 1000;
global.gc();
const after = process.memoryUsage();
figures.rules = mirror.matcher.size;
figures.heapBytesPerName = Math.round((after.heapUsed - before.heapUsed) / N);
figures.rssBytesPerName = Math.round((after.rss - before.rss) / N);

// Lookup cost: listed names, names below listed ones, and clean names, 1/3 each.
const listed = fs.readFileSync(namesFile, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
const queries = [];
for (let i = 0; i < 300_000; i++) {
  const name = listed[(i * 7919) % listed.length];
  queries.push(i % 3 === 0 ? name : i % 3 === 1 ? `www.${name}` : `clean${i}.example.com`);
}
const m = mirror.matcher;
let hits = 0;
for (const q of queries) if (m.match(q)) hits++;
t0 = process.hrtime.bigint();
for (let round = 0; round < 3; round++) for (const q of queries) if (m.match(q)) hits++;
figures.lookupNs = Math.round(Number(process.hrtime.bigint() - t0) / (3 * queries.length));
figures.hitRatio = Math.round((hits / (4 * queries.length)) * 100) / 100;

await mirror.stop();
await store.close();
console.log(JSON.stringify(figures, null, 2));
// Something (an ioredis handle) can keep the loop alive after close: end here; the exit hook stops redis-server.
process.exit(0);
