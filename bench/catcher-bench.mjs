#!/usr/bin/env node
// The sinkhole catcher's figures: `npm run bench -- --only catcher` (bench/run.mjs hands over
// to this file), or `node bench/catcher-bench.mjs` after `npm run build`.
//
//   1. starts sinkd pinned to CPU 0, with the catcher on a loopback port, its sinkhole address
//      the catcher's, its admin listener (for /metrics), and a blocklist of 200 names;
//   2. measures, each for --seconds:
//        bare-node-tcp     the ceiling: a bare Node TCP server answering every connection the
//                          same way, with nothing parsed or logged ("catches/s" = connections/s)
//        dns-alone         dnsperf (blocked names: sinkhole answers) with the catcher idle
//        catcher-alone     connections as fast as the catcher takes them: catches/s
//        dns+catcher@RATE  dnsperf while connections arrive at a fixed --catch-rate
//        dns+catcher-max   dnsperf while connections arrive as fast as they are taken
//      The load (dnsperf, and a Node connection generator that is this file in --load mode)
//      runs pinned to CPU 1. A connection is one of three check-ins in turn: H-worm over HTTP,
//      a TLS ClientHello (Node's own), njRAT over raw TCP; from 100 loopback source addresses.
//   3. prints a table and one JSON line. catches/s counts what sinkd recorded
//      (sinkd_catches_total from /metrics), not what the generator sent.
//
// Plain Node ESM, no dependencies. Loopback only; every run is bounded in time, and every
// process started here is stopped by its own id at the end, on errors and on SIGINT/SIGTERM.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');

const USAGE = `usage: node bench/catcher-bench.mjs [options]   (or: npm run bench -- --only catcher [options])

  --seconds N        measured seconds per row (default 10)
  --catch-rate N     connections per second in the dns+catcher@RATE row (default 1000)
  --concurrency N    connections the generator keeps open at once (default 64)
  --server-cpu N     CPU for sinkd (default 0)
  --load-cpu N       CPU for dnsperf and the connection generator (default 1)
  --sinkd FILE       sinkd entry point (default dist/cli/main.js)
  --help
`;

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    'catch-rate': { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '64' },
    'server-cpu': { type: 'string', default: '0' },
    'load-cpu': { type: 'string', default: '1' },
    sinkd: { type: 'string' },
    // internal: the connection generator
    load: { type: 'boolean', default: false },
    port: { type: 'string' },
    rate: { type: 'string', default: '0' },
    payloads: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
function int(name, min, max) {
  const v = Number(opts[name]);
  if (!Number.isInteger(v) || v < min || v > max) {
    process.stderr.write(`catcher-bench: --${name} must be a whole number in ${min}..${max}\n`);
    process.exit(2);
  }
  return v;
}
const SECONDS = int('seconds', 1, 600);
const CONCURRENCY = int('concurrency', 1, 2000);

/** 100 loopback sources: the catcher holds at most 16 connections per client by default. */
const SOURCES = Array.from({ length: 100 }, (_, i) => `127.0.1.${i + 1}`);

if (opts.load) {
  await runLoad();
  process.exit(0);
}

// ---------------------------------------------------------------------------------
// the connection generator (--load): runs pinned on the load CPU, prints one JSON line

async function runLoad() {
  const port = Number(opts.port);
  const rate = Number(opts.rate);
  const payloads = JSON.parse(fs.readFileSync(opts.payloads, 'utf8')).map((b64) => Buffer.from(b64, 'base64'));
  const end = Date.now() + SECONDS * 1000;
  let started = 0;
  let closed = 0;
  let failed = 0;
  let inflight = 0;
  const one = () =>
    new Promise((resolve) => {
      const i = started++;
      inflight++;
      const s = net.connect({ host: '127.0.0.1', port, localAddress: SOURCES[i % SOURCES.length] });
      const done = (ok) => {
        inflight--;
        if (ok) closed++;
        else failed++;
        resolve();
      };
      s.setTimeout(10_000, () => s.destroy(new Error('timeout')));
      s.on('connect', () => s.write(payloads[i % payloads.length]));
      s.on('data', () => {});
      s.on('error', () => {});
      s.on('close', (hadError) => done(!hadError));
    });
  if (rate === 0) {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (Date.now() < end) await one();
      }),
    );
  } else {
    // Start connections on a 10 ms tick at the given rate, never more than CONCURRENCY open.
    const t0 = Date.now();
    await new Promise((resolve) => {
      const tick = setInterval(() => {
        const due = Math.floor(((Date.now() - t0) / 1000) * rate);
        while (started < due && inflight < CONCURRENCY && Date.now() < end) void one();
        if (Date.now() >= end) {
          clearInterval(tick);
          resolve();
        }
      }, 10);
    });
    const drain = Date.now() + 10_000;
    while (inflight > 0 && Date.now() < drain) await new Promise((r) => setTimeout(r, 20));
  }
  process.stdout.write(JSON.stringify({ started, closed, failed }) + '\n');
}

// ---------------------------------------------------------------------------------
// process bookkeeping

const children = new Set();
const log = (m) => process.stderr.write(`[catcher-bench] ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const SERVER_CPU = int('server-cpu', 0, 1023);
const LOAD_CPU = int('load-cpu', 0, 1023);
const CPUS = os.availableParallelism();
const CAN_PIN = spawnSync('sh', ['-c', 'command -v taskset']).status === 0 && CPUS > Math.max(SERVER_CPU, LOAD_CPU) && SERVER_CPU !== LOAD_CPU;
const pinned = (cpu, cmd, args) => (CAN_PIN ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args]);

function start(cmd, args, { stdout = 'ignore', stderr = 'ignore', cwd } = {}) {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', stdout, stderr], detached: true });
  const rec = { child, out: '' };
  if (stdout === 'pipe') child.stdout.on('data', (d) => (rec.out += d));
  rec.done = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  children.add(rec);
  rec.done.then(() => children.delete(rec));
  return rec;
}

/** SIGTERM to the process by its id, SIGKILL to its group if it lingers. */
async function stop(rec) {
  if (!children.has(rec)) return;
  try {
    rec.child.kill('SIGTERM');
  } catch {
    /* gone */
  }
  const t = setTimeout(() => {
    try {
      process.kill(-rec.child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 3000);
  await rec.done;
  clearTimeout(t);
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    interrupted = true;
    for (const rec of children) rec.child.kill('SIGTERM');
    setTimeout(() => process.exit(130), 5000).unref();
  });
}
process.on('exit', () => {
  for (const rec of children) {
    try {
      process.kill(-rec.child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

async function freePort() {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    const ok = await new Promise((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port');
}

// ---------------------------------------------------------------------------------
// data: check-ins, a blocklist and a dnsperf query file

/** Node's own ClientHello, captured from a connection to a plain TCP socket. */
async function nodeClientHello() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const got = new Promise((resolve) => server.once('connection', (s) => s.once('data', (d) => (s.destroy(), resolve(d)))));
  const c = tls.connect({ host: '127.0.0.1', port: server.address().port, servername: 'c2.no-ip.biz', ALPNProtocols: ['http/1.1'] });
  c.on('error', () => {});
  const hello = await got;
  c.destroy();
  server.close();
  return hello;
}

function buildData(dir, hello) {
  const names = Array.from({ length: 200 }, (_, i) => `c2-${i}.no-ip.biz`);
  fs.writeFileSync(path.join(dir, 'blocked.txt'), '# family: Bladabindi\n' + names.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'queries.txt'), names.map((n) => `${n} A`).join('\n') + '\n');
  const hworm = Buffer.from('POST /is-ready HTTP/1.1\r\nUser-Agent: C4BA3647<|>USER-PC<|>admin<|>Microsoft Windows 7 Professional <|>+<|>undefined<|>false\r\nHost: c2-1.no-ip.biz:8885\r\nContent-Length: 0\r\n\r\n');
  const njrat = Buffer.from("149\x00ll|'|'|SGFjS2VkXzc2MTNBMTJG|'|'|SERVERPC|'|'|ser|'|'|14-05-27|'|'||'|'|Win 8.1 ProSP0 x86|'|'|No|'|'|0.7d|'|'|..|'|'|UHJvZ3JhbSBNYW5hZ2VyAA==|'|'|", 'latin1');
  fs.writeFileSync(path.join(dir, 'payloads.json'), JSON.stringify([hworm, hello, njrat].map((b) => b.toString('base64'))));
}

// ---------------------------------------------------------------------------------
// measurements

async function metrics(adminPort) {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  let catches = 0;
  for (const m of text.matchAll(/^sinkd_catches_total\{[^}]*\} (\d+)/gm)) catches += Number(m[1]);
  return { catches };
}

function dnsperf(dir, dnsPort) {
  const [cmd, args] = pinned(LOAD_CPU, 'dnsperf', ['-s', '127.0.0.1', '-p', String(dnsPort), '-d', path.join(dir, 'queries.txt'), '-l', String(SECONDS), '-c', '20', '-q', '100', '-t', '2']);
  return start(cmd, args, { stdout: 'pipe' });
}
const qpsOf = (rec) => Number(/Queries per second:\s+([\d.]+)/.exec(rec.out)?.[1] ?? NaN);
const lostOf = (rec) => Number(/Queries lost:\s+(\d+)/.exec(rec.out)?.[1] ?? NaN);

function loader(dir, catcherPort, rate) {
  const [cmd, args] = pinned(LOAD_CPU, process.execPath, [
    fileURLToPath(import.meta.url),
    '--load',
    '--port',
    String(catcherPort),
    '--rate',
    String(rate),
    '--seconds',
    String(SECONDS),
    '--concurrency',
    String(CONCURRENCY),
    '--payloads',
    path.join(dir, 'payloads.json'),
  ]);
  return start(cmd, args, { stdout: 'pipe' });
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;
/** CPU seconds sinkd has used (user + system), from /proc: on a shared machine, work per CPU
 *  second says more about sinkd than work per wall second. */
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** The ceiling: a bare Node TCP server on the server CPU that answers every connection's first
 *  bytes with the catcher's empty 200 and closes (no parsing, no log). */
const BARE_TCP = `const net = require('net');
net.createServer((s) => { s.on('error', () => {}); s.once('data', () => s.end('HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n')); })
  .listen(Number(process.argv[1]), '127.0.0.1');`;

async function bareRow(dir) {
  if (interrupted) return null;
  const port = await freePort();
  const [cmd, args] = pinned(SERVER_CPU, process.execPath, ['-e', BARE_TCP, String(port)]);
  const bare = start(cmd, args);
  try {
    for (let i = 0; i < 50; i++) {
      const up = await new Promise((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port }, () => (s.destroy(), resolve(true)));
        s.on('error', () => resolve(false));
      });
      if (up) break;
      await sleep(100);
    }
    const cpu0 = cpuSeconds(bare.child.pid);
    const wall0 = Date.now();
    const l = loader(dir, port, 0);
    await l.done;
    const cpu = cpu0 === null ? null : cpuSeconds(bare.child.pid) - cpu0;
    const load = JSON.parse(l.out.trim().split('\n').pop() || '{}');
    const r = {
      row: 'bare-node-tcp',
      qps: null,
      lost: null,
      catchesPerSecond: Math.round(load.closed / SECONDS),
      catches: load.closed,
      sinkdCpuPct: cpu === null ? null : Math.round((cpu / ((Date.now() - wall0) / 1000)) * 100),
      catchesPerCpuSecond: cpu ? Math.round(load.closed / cpu) : null,
      qpsPerCpuSecond: null,
      generator: load,
    };
    log(`bare-node-tcp: ${JSON.stringify(r)}`);
    return r;
  } finally {
    await stop(bare);
  }
}

async function row(name, ctx, { dns, rate }) {
  if (interrupted) return null;
  const before = await metrics(ctx.adminPort);
  const cpu0 = cpuSeconds(ctx.pid);
  const wall0 = Date.now();
  const d = dns ? dnsperf(ctx.dir, ctx.dnsPort) : null;
  const l = rate === undefined ? null : loader(ctx.dir, ctx.catcherPort, rate);
  await Promise.all([d?.done, l?.done]);
  const after = await metrics(ctx.adminPort);
  const cpu = cpu0 === null ? null : cpuSeconds(ctx.pid) - cpu0;
  const wall = (Date.now() - wall0) / 1000;
  const load = l ? JSON.parse(l.out.trim().split('\n').pop() || '{}') : null;
  const r = {
    row: name,
    qps: d ? Math.round(qpsOf(d)) : null,
    lost: d ? lostOf(d) : null,
    catchesPerSecond: l ? Math.round((after.catches - before.catches) / SECONDS) : null,
    catches: after.catches - before.catches,
    sinkdCpuPct: cpu === null ? null : Math.round((cpu / wall) * 100),
    // Per CPU second of sinkd: what one core would do if sinkd had it to itself.
    // Only for rows with one job: with both, the CPU second is shared and cannot be split.
    catchesPerCpuSecond: l && cpu && !d ? Math.round((after.catches - before.catches) / cpu) : null,
    qpsPerCpuSecond: d && cpu && !l ? Math.round((qpsOf(d) * SECONDS) / cpu) : null,
    generator: load,
  };
  log(`${name}: ${JSON.stringify(r)}`);
  await sleep(1000); // let TIME_WAIT and the log settle between rows
  return r;
}

async function main() {
  for (const tool of ['dnsperf']) if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} not found in PATH`);
  const entry = path.resolve(opts.sinkd ?? path.join(ROOT, 'dist/cli/main.js'));
  if (!fs.existsSync(entry)) throw new Error(`${entry} not found (npm run build)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sinkd-catcher-bench-'));
  try {
    buildData(dir, await nodeClientHello());
    const [dnsPort, catcherPort, adminPort] = [await freePort(), await freePort(), await freePort()];
    const q = JSON.stringify;
    fs.writeFileSync(
      path.join(dir, 'sinkd.yaml'),
      [
        `listen: [${q(`127.0.0.1:${dnsPort}`)}]`,
        'upstreams: ["127.0.0.1:9"]',
        `blocklists: [${q(path.join(dir, 'blocked.txt'))}]`,
        `store: { path: ${q(path.join(dir, 'store.jsonl'))} }`,
        'sinkhole: { ipv4: 127.0.0.1 }',
        `catcher: { listen: [${q(`127.0.0.1:${catcherPort}`)}] }`,
        `admin: { listen: ${q(`127.0.0.1:${adminPort}`)} }`,
        // Level info: every catch and every sinkholed query writes its line (to /dev/null).
        'log: { level: info }',
      ].join('\n') + '\n',
    );
    const errFile = path.join(dir, 'sinkd.stderr');
    const errFd = fs.openSync(errFile, 'w');
    const [cmd, args] = pinned(SERVER_CPU, process.execPath, [entry, 'serve', '--config', path.join(dir, 'sinkd.yaml')]);
    const sinkd = start(cmd, args, { cwd: dir, stderr: errFd });
    fs.closeSync(errFd);
    const ready = Date.now() + 15_000;
    for (;;) {
      try {
        await metrics(adminPort);
        break;
      } catch {
        if (Date.now() > ready || !children.has(sinkd)) throw new Error(`sinkd did not start:\n${fs.readFileSync(errFile, 'utf8').slice(-2000)}`);
        await sleep(200);
      }
    }
    const ctx = { dir, dnsPort, catcherPort, adminPort, pid: sinkd.child.pid };
    const rate = int('catch-rate', 1, 1_000_000);
    const results = [await bareRow(dir)];
    try {
      results.push(await row('dns-alone', ctx, { dns: true }));
      results.push(await row('catcher-alone', ctx, { dns: false, rate: 0 }));
      results.push(await row(`dns+catcher@${rate}/s`, ctx, { dns: true, rate }));
      results.push(await row('dns+catcher-max', ctx, { dns: true, rate: 0 }));
    } finally {
      await stop(sinkd);
    }
    const done = results.filter(Boolean);
    console.log(`\nsinkhole catcher bench: ${SECONDS} s per row; sinkd on CPU ${CAN_PIN ? SERVER_CPU : 'any'}, dnsperf (-c 20 -q 100) and the connection generator (${CONCURRENCY} at once) on CPU ${CAN_PIN ? LOAD_CPU : 'any'}; ${os.cpus()[0]?.model ?? 'cpu?'} x${CPUS}, Node ${process.version}\n`);
    console.log(`load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
    console.log('row                   DNS qps   lost   catches/s   sinkd cpu   qps/cpu-s   catches/cpu-s');
    const cell = (v, w) => String(v ?? '-').padStart(w);
    for (const r of done) {
      console.log(`${r.row.padEnd(20)} ${cell(r.qps, 8)} ${cell(r.lost, 6)} ${cell(r.catchesPerSecond, 11)} ${cell(r.sinkdCpuPct === null ? null : `${r.sinkdCpuPct}%`, 11)} ${cell(r.qpsPerCpuSecond, 11)} ${cell(r.catchesPerCpuSecond, 15)}`);
    }
    console.log(JSON.stringify({ bench: 'catcher', date: new Date().toISOString(), node: process.version, cpus: CPUS, pinned: CAN_PIN, secondsPerRow: SECONDS, concurrency: CONCURRENCY, results: done }));
    return interrupted ? 130 : 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  async (err) => {
    process.stderr.write(`catcher-bench: ${err?.stack ?? err}\n`);
    await Promise.all([...children].map(stop));
    process.exit(1);
  },
);
