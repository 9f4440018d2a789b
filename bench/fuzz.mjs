#!/usr/bin/env node
// sinkd fuzzer, the long run: `npm run fuzz` (builds, then runs this file).
//
// Starts the built server (`node dist/cli/main.js serve --config ...`) as a child process with a
// temp config whose only upstream is a fake one started here on loopback, then for --seconds
// feeds it rounds of hostile input, the same generators and clients as test/fuzz/*.test.ts
// (test/fuzz/hostile.mjs, test/fuzz/net-scenarios.mjs):
//   - UDP datagrams of every category (random bytes, truncated and mutated queries, pointer
//     loops, labels over 63 and names over 255 octets, QDCOUNT != 1, bogus OPT records,
//     garbage after a query, odd header flags, responses, runts); every answerable one must get
//     exactly one reply, runts and responses none;
//   - TCP conversations: hostile messages then a good query on the same connection, zero-length
//     frames, length prefixes longer and shorter than the payload, garbage after a query, 64 KiB
//     frames, byte-by-byte writes, pipelines, resets, half-closes;
//   - three slowloris clients trickling one octet a second the whole time;
//   - every 3rd round the UDP datagrams again from source port 0 (needs root for a raw socket;
//     left out, with a note, otherwise); every 4th round more idle TCP connections from as many
//     /24s of 127.0.0.0/8 than there are slots (a new client must still be served); every 2nd
//     round 3x upstream.maxInflightPerClient names the upstream never answers, from one client
//     (past the cap SERVFAIL with the in-flight EDE, and another client answered meanwhile);
// and after every round a blocked and a forwarded name must be answered over UDP and TCP
// within 1 s. Connections with lying length prefixes must be closed by the idle timeout.
// Then two resource checks (skip with --skip-dos-checks): a TCP client that sends queries and
// never reads the replies must not grow the server's memory without bound, and a flood of
// slowloris connections must not lock every other TCP client out.
// At the end: a final liveness probe and a graceful stop (SIGTERM, exit 0 within 10 s).
//
// Prints inputs tried per category, crashes (must be 0) and the final liveness result; exits 1
// on any failure. Loopback only; the child gets no SINKD_REDIS_URL and an embedded store in the
// temp dir. Every process started here is stopped by its own pid at the end and on SIGINT.

import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { mulberry32, pick, simpleQuery } from '../test/fuzz/hostile.mjs';
import { FuzzStats, frame, fuzzRound, portZeroSkipReason, probe, slowloris } from '../test/fuzz/net-scenarios.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');

const USAGE = `usage: node bench/fuzz.mjs [options]        (or: npm run fuzz -- [options])

  --seconds N          how long to fuzz (default 120)
  --seed N             PRNG seed (default: random, printed); the same seed replays the same inputs
  --sinkd FILE         sinkd entry point (default dist/cli/main.js)
  --udp-per-category N datagrams of each category per round (default 40)
  --skip-dos-checks    skip the non-reading-client memory check and the slowloris flood
  --keep               keep the temp dir (config, logs)
  --help
`;

function die(msg) {
  process.stderr.write(`fuzz: ${msg}\n`);
  process.exit(2);
}

let opts;
try {
  opts = parseArgs({
    options: {
      seconds: { type: 'string', default: '120' },
      seed: { type: 'string' },
      sinkd: { type: 'string' },
      'udp-per-category': { type: 'string', default: '40' },
      'skip-dos-checks': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  }).values;
} catch (err) {
  die(`${err.message}\n\n${USAGE}`);
}
if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const SECONDS = Number(opts.seconds);
if (!Number.isFinite(SECONDS) || SECONDS < 1 || SECONDS > 86_400) die('--seconds must be a number in 1..86400');
const SEED = opts.seed !== undefined ? Number(opts.seed) >>> 0 : Math.floor(Math.random() * 0x100000000);
if (opts.seed !== undefined && !Number.isInteger(Number(opts.seed))) die('--seed must be an integer');
const UDP_PER_CATEGORY = Number(opts['udp-per-category']);
if (!Number.isInteger(UDP_PER_CATEGORY) || UDP_PER_CATEGORY < 1 || UDP_PER_CATEGORY > 1000) die('--udp-per-category must be an integer in 1..1000');
const SINKD_MAIN = path.resolve(opts.sinkd ?? path.join(ROOT, 'dist', 'cli', 'main.js'));
if (!fs.existsSync(SINKD_MAIN)) die(`${SINKD_MAIN} does not exist: run "npm run build" first (npm run fuzz does)`);
const WIRE = path.resolve(path.dirname(SINKD_MAIN), '..', 'wire', 'index.js');
const { parseQuery } = await import(pathToFileURL(WIRE).href);

const IDLE_MS = 2000;
const MAX_CONNECTIONS = 256;
const BLOCKED = 'blocked.fuzz.test';
const FORWARDED = 'fwd.fuzz.test';
const BIG = 'big.fuzz.test';
/** Names below it are never answered by the fake upstream (the in-flight floods ask them). */
const SLOW = 'slow.fuzz.test';
const UPSTREAM_TIMEOUT_MS = 300;
const INFLIGHT_PER_CLIENT = 16;
const HOST = '127.0.0.1';

const log = (s) => process.stdout.write(`${s}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// the fake upstream: loopback UDP + TCP; A 192.0.2.1 for any name, NXDOMAIN under nx.*, a ~4 KB
// TXT answer for big.fuzz.test; packets it cannot read, and names under slow.*, get no answer
// (sinkd times out: SERVFAIL)

function upstreamAnswer(msg) {
  if (msg.length < 12 || msg[2] & 0x80 || msg.readUInt16BE(4) !== 1) return null;
  let off = 12;
  const labels = [];
  for (;;) {
    if (off >= msg.length) return null;
    const len = msg[off];
    if (len === 0) break;
    if (len > 63 || off + 1 + len > msg.length) return null;
    labels.push(msg.toString('latin1', off + 1, off + 1 + len).toLowerCase());
    off += len + 1;
  }
  const qEnd = off + 5;
  if (qEnd > msg.length) return null;
  const name = labels.join('.');
  const qtype = msg.readUInt16BE(off + 1);
  const records = [];
  let rcode = 0;
  const rr = (type, rdata) => {
    const b = Buffer.alloc(12 + rdata.length);
    b.writeUInt16BE(0xc00c, 0);
    b.writeUInt16BE(type, 2);
    b.writeUInt16BE(1, 4);
    b.writeUInt32BE(60, 6);
    b.writeUInt16BE(rdata.length, 10);
    rdata.copy(b, 12);
    return b;
  };
  if (labels.includes('slow')) return null;
  if (labels.includes('nx')) rcode = 3;
  else if (name === BIG && qtype === 16) for (let i = 0; i < 15; i++) records.push(rr(16, Buffer.concat([Buffer.from([250]), Buffer.alloc(250, 0x78)])));
  else if (qtype === 1) records.push(rr(1, Buffer.from([192, 0, 2, 1])));
  const head = Buffer.alloc(12);
  head.writeUInt16BE(msg.readUInt16BE(0), 0);
  head.writeUInt16BE(0x8000 | (msg.readUInt16BE(2) & 0x0100) | 0x0080 | rcode, 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(records.length, 6);
  return Buffer.concat([head, msg.subarray(12, qEnd), ...records]);
}

async function startUpstream(attempt = 0) {
  const seen = { udp: 0, tcp: 0 };
  const udp = dgram.createSocket('udp4');
  udp.on('error', () => {});
  udp.on('message', (msg, rinfo) => {
    seen.udp++;
    const out = upstreamAnswer(msg);
    if (out) udp.send(out, rinfo.port, rinfo.address);
  });
  await new Promise((r) => udp.bind(0, HOST, r));
  // sinkd asks one endpoint over UDP and, for TC=1 answers, TCP: the same port for both
  const port = udp.address().port;
  const sockets = new Set();
  const tcp = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = Buffer.alloc(0);
    s.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= buf.readUInt16BE(0) + 2) {
        const msg = buf.subarray(2, buf.readUInt16BE(0) + 2);
        buf = buf.subarray(buf.readUInt16BE(0) + 2);
        seen.tcp++;
        const out = upstreamAnswer(msg);
        if (out && !s.destroyed) s.write(frame(out));
      }
    });
  });
  try {
    await new Promise((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, HOST, resolve);
    });
  } catch (err) {
    udp.close();
    if (attempt < 10) return startUpstream(attempt + 1);
    throw err;
  }
  return {
    port,
    seen,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => udp.close(r));
      await new Promise((r) => tcp.close(r));
    },
  };
}

async function freePort() {
  for (let i = 0; i < 20; i++) {
    const udp = dgram.createSocket('udp4');
    const port = await new Promise((r) => udp.bind(0, HOST, () => r(udp.address().port)));
    const free = await new Promise((r) => {
      const srv = net.createServer();
      srv.once('error', () => r(false));
      srv.listen(port, HOST, () => srv.close(() => r(true)));
    });
    udp.close();
    if (free) return port;
  }
  throw new Error('no free loopback port');
}

// ---------------------------------------------------------------------------------------------
// the server under test

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sinkd-fuzz-'));
let child = null;
let stoppingChild = false;
const crashes = [];
const errorLogs = [];
let stdoutTail = [];
let stderrTail = [];

function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function writeConfig(port, upstreamPort) {
  fs.writeFileSync(path.join(dir, 'block.txt'), `${BLOCKED}\n`);
  const file = path.join(dir, 'sinkd.yaml');
  fs.writeFileSync(
    file,
    [
      `listen: ["${HOST}:${port}"]`,
      `upstreams: ["${HOST}:${upstreamPort}"]`,
      `upstream: { timeoutMs: ${UPSTREAM_TIMEOUT_MS}, tcpTimeoutMs: 1000, maxInflight: 256, maxInflightPerClient: ${INFLIGHT_PER_CLIENT} }`,
      'blocklists: [{ path: block.txt, source: fuzz-block }]',
      `store: { path: ${JSON.stringify(path.join(dir, 'store.jsonl'))} }`,
      'redis: { url: "" }',
      // every fuzz client is on loopback, so the per-address and per-/24 caps are lifted to the total here
      `tcp: { idleTimeoutMs: ${IDLE_MS}, maxConnections: ${MAX_CONNECTIONS}, maxConnectionsPerClient: ${MAX_CONNECTIONS}, maxConnectionsPerPrefix: ${MAX_CONNECTIONS} }`,
      'log: { level: warn }',
      'admin: { listen: "" }',
      '',
    ].join('\n'),
  );
  return file;
}

function keepTail(tail, text) {
  const lines = [...tail, ...text.split('\n').filter(Boolean)];
  return lines.slice(-40);
}

async function startChild(configFile, port) {
  const env = { ...process.env };
  delete env.SINKD_REDIS_URL; // never a shared Redis: the embedded store in the temp dir
  child = spawn(process.execPath, [SINKD_MAIN, 'serve', '--config', configFile], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const me = child;
  me.stdout.setEncoding('utf8');
  me.stderr.setEncoding('utf8');
  let partial = '';
  me.stdout.on('data', (text) => {
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop();
    for (const line of lines) {
      if (!line) continue;
      stdoutTail = keepTail(stdoutTail, line);
      try {
        if (JSON.parse(line).level >= 50) errorLogs.push(line);
      } catch {
        errorLogs.push(`(not JSON) ${line}`);
      }
    }
  });
  me.stderr.on('data', (text) => (stderrTail = keepTail(stderrTail, text)));
  me.on('exit', (code, signal) => {
    if (me !== child || stoppingChild) return;
    crashes.push({ code, signal, at: new Date().toISOString(), stderr: stderrTail.slice(-15), stdout: stdoutTail.slice(-5) });
    child = null;
  });
  // ready when a query is answered
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child !== me) throw new Error(`sinkd exited at start:\n${stderrTail.join('\n')}`);
    const r = await probe(port, `ready.${BLOCKED}`, 'udp', () => null, { timeoutMs: 300 });
    if (r.failure === null) return;
  }
  throw new Error('sinkd did not answer within 15 s of starting');
}

async function stopChild() {
  if (!child) return { code: null, ms: 0, hung: false };
  stoppingChild = true;
  const me = child;
  const started = Date.now();
  const exited = new Promise((r) => me.once('exit', (code, signal) => r({ code, signal })));
  me.kill('SIGTERM');
  const res = await Promise.race([exited, sleep(10_000).then(() => null)]);
  if (res === null) {
    me.kill('SIGKILL');
    await exited;
    return { code: null, ms: Date.now() - started, hung: true };
  }
  return { ...res, ms: Date.now() - started, hung: false };
}

let upstream = null;
let interrupted = false;
async function cleanup() {
  if (child) {
    stoppingChild = true;
    child.kill('SIGKILL');
  }
  await upstream?.stop().catch(() => {});
  if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`\nfuzz: ${sig}: stopping`);
  });
}

// ---------------------------------------------------------------------------------------------
// the resource checks

/** A TCP client that sends queries for a ~4 KB cached answer and never reads: server RSS growth. */
async function noReadCheck(port, pid) {
  const before = rssMb(pid);
  if (before === null) return { skipped: 'no /proc/<pid>/status on this system' };
  const q = frame(simpleQuery(BIG, { type: 16 }));
  await probe(port, BIG, 'tcp', () => null); // cache the big answer
  const chunk = Buffer.concat(Array.from({ length: 500 }, () => q));
  const socket = net.connect({ port, host: HOST });
  socket.on('error', () => {});
  socket.pause(); // never read
  await new Promise((r) => socket.once('connect', r));
  let sent = 0;
  let peak = before;
  const started = Date.now();
  while (Date.now() - started < 4000 && !socket.destroyed) {
    if (socket.writableLength < 1_000_000) {
      socket.write(chunk);
      sent += chunk.length;
    }
    await sleep(10);
    peak = Math.max(peak, rssMb(pid) ?? peak);
    if (peak - before > 512) break; // enough to show it; do not take the machine down
  }
  socket.destroy();
  await sleep(500);
  return { before, peak, growth: peak - before, sentMb: sent / 1e6, ms: Date.now() - started };
}

/** MAX_CONNECTIONS slowloris connections from one client, then a fresh TCP client. */
async function slowlorisFlood(port) {
  const lorises = Array.from({ length: MAX_CONNECTIONS }, (_, i) => slowloris(port, `flood${i}.${BLOCKED}`, { intervalMs: 1000 }));
  await sleep(3000);
  const tcp = await probe(port, `during-flood.${BLOCKED}`, 'tcp', (s) => (s.addresses.includes('0.0.0.0') ? null : JSON.stringify(s)));
  const udp = await probe(port, `during-flood.${BLOCKED}`, 'udp', (s) => (s.addresses.includes('0.0.0.0') ? null : JSON.stringify(s)));
  const ends = await Promise.all(lorises.map((l) => l.stop(300)));
  return { tcp, udp, closedByServer: ends.filter((e) => e.closedByServer).length };
}

// ---------------------------------------------------------------------------------------------
// main

const stats = new FuzzStats();
const failures = [];
const rand = mulberry32(SEED);
/** Datagrams from source port 0 need a raw socket (root); without one that input is left out. */
const PORT_ZERO_SKIP = portZeroSkipReason();
if (PORT_ZERO_SKIP) stats.note(`no datagrams from source port 0: ${PORT_ZERO_SKIP}`);
const udpLimit = (q) => {
  const r = parseQuery(q);
  return r.ok && r.query.edns ? Math.min(Math.max(r.query.edns.udpSize, 512), 1232) : 512;
};
const probes = (round) => [
  { name: `r${round}.${BLOCKED}`, check: (r) => (r.rcode === 0 && r.addresses.includes('0.0.0.0') ? null : `not sinkholed: ${JSON.stringify(r)}`) },
  { name: `r${round}-${SEED}.nx.${FORWARDED}`, check: (r) => (r.rcode === 3 ? null : `expected the upstream's NXDOMAIN: ${JSON.stringify(r)}`) },
  { name: `r${round}-${SEED}.${FORWARDED}`, check: (r) => (r.rcode === 0 && r.addresses.includes('192.0.2.1') ? null : `expected 192.0.2.1: ${JSON.stringify(r)}`) },
];

let exitCode = 0;
try {
  upstream = await startUpstream();
  const port = await freePort();
  const configFile = writeConfig(port, upstream.port);
  await startChild(configFile, port);
  log(`fuzz: seed ${SEED} (--seed ${SEED} replays), ${SECONDS} s against ${path.relative(process.cwd(), SINKD_MAIN).startsWith('..') ? SINKD_MAIN : path.relative(process.cwd(), SINKD_MAIN)} on ${HOST}:${port}, upstream ${HOST}:${upstream.port}, work dir ${dir}`);

  const lying = [];
  const lyingDone = { closed: 0, late: 0 };
  const onLyingPrefix = (c) => {
    const p = c.then((r) => {
      if (r.why === 'closed' && r.closedByServer && r.sinceLastWrite <= IDLE_MS + 2000) lyingDone.closed++;
      else {
        lyingDone.late++;
        failures.push(`lying length prefix: connection not closed by the idle timeout (${r.why} after ${r.sinceLastWrite} ms idle, closed by server: ${r.closedByServer})`);
      }
    });
    lying.push(p);
  };
  let lorises = [0, 1, 2].map((i) => slowloris(port, `loris${i}.${BLOCKED}`, { intervalMs: 1000 }));
  let lorisStarted = Date.now();
  const lorisResults = [];
  const started = Date.now();
  let round = 0;
  let slowest = 0;
  let maxRss = 0;
  let lastReport = started;
  while (!interrupted && Date.now() - started < SECONDS * 1000) {
    if (!child) {
      // crashed: recorded by the exit handler; start it again and go on fuzzing
      log(`fuzz: sinkd exited during round ${round} (seed ${SEED}); restarting`);
      await startChild(configFile, port);
    }
    const r = await fuzzRound({
      port,
      rand,
      stats,
      round,
      udpPerCategory: UDP_PER_CATEGORY,
      tcpPerKind: 2,
      probes,
      udpLimit,
      onLyingPrefix,
      goodName: (rnd) => pick(rnd, [`g.${BLOCKED}`, `g${round}.${FORWARDED}`, `g${round}.nx.${FORWARDED}`]),
      portZero: PORT_ZERO_SKIP === null && round % 3 === 2,
      slotHogs: round % 4 === 1 ? { connections: MAX_CONNECTIONS + 8, maxConnections: MAX_CONNECTIONS } : null,
      inflight: round % 2 === 0 ? { perClient: INFLIGHT_PER_CLIENT, slowZone: SLOW, source: '127.0.0.200', timeoutMs: UPSTREAM_TIMEOUT_MS + 2000 } : null,
    });
    slowest = Math.max(slowest, r.slowestProbeMs);
    if (child) maxRss = Math.max(maxRss, rssMb(child.pid) ?? 0);
    for (const f of stats.failures.splice(0)) failures.push(f);
    // slowloris clients live ~40 s (40 octets at 1/s, nearly a whole query), then finish and start again
    if (Date.now() - lorisStarted > 40_000) {
      for (const e of await Promise.all(lorises.map((l) => l.stop(1000)))) lorisResults.push(e);
      lorises = [0, 1, 2].map((i) => slowloris(port, `loris${i}-${round}.${BLOCKED}`, { intervalMs: 1000 }));
      lorisStarted = Date.now();
    }
    round++;
    if (Date.now() - lastReport > 15_000) {
      lastReport = Date.now();
      log(`fuzz: ${Math.round((Date.now() - started) / 1000)} s, ${round} rounds, ${stats.total} inputs, ${failures.length} failures, ${crashes.length} crashes, rss ${maxRss.toFixed(0)} MB`);
    }
  }
  for (const e of await Promise.all(lorises.map((l) => l.stop(1000)))) lorisResults.push(e);
  stats.count('tcp-slowloris (1 octet/s)', lorisResults.length);
  for (const e of lorisResults) if (!e.closedByServer && !e.answered) failures.push(`slowloris: after ${e.trickled} octets at 1/s the rest was sent, but no answer within 1 s`);
  await Promise.all(lying);

  const dos = {};
  if (!opts['skip-dos-checks'] && child && !interrupted) {
    stats.count('tcp-no-read (client never reads)');
    dos.noRead = await noReadCheck(port, child.pid);
    if (dos.noRead.growth !== undefined && dos.noRead.growth > 64) {
      failures.push(
        `tcp-no-read: a client that sent ${dos.noRead.sentMb.toFixed(1)} MB of queries in ${(dos.noRead.ms / 1000).toFixed(1)} s and never read made the server grow by ${dos.noRead.growth.toFixed(0)} MB (${dos.noRead.before.toFixed(0)} -> ${dos.noRead.peak.toFixed(0)} MB RSS): replies are queued without bound`,
      );
    }
    if (child) {
      stats.count('tcp-slowloris-flood (maxConnections connections)');
      dos.flood = await slowlorisFlood(port);
      if (dos.flood.tcp.failure) failures.push(`slowloris flood: with ${MAX_CONNECTIONS} connections trickling 1 octet/s from one client, a new TCP client is not served (${dos.flood.tcp.failure})`);
      if (dos.flood.udp.failure) failures.push(`slowloris flood: UDP not served meanwhile (${dos.flood.udp.failure})`);
    }
  }

  // final liveness, then a graceful stop
  const finalResults = [];
  if (!child) {
    failures.push('sinkd is not running at the end');
  } else {
    for (const p of probes(round)) {
      for (const transport of ['udp', 'tcp']) {
        const r = await probe(port, p.name, transport, p.check);
        finalResults.push(r.failure ?? `${transport} ${p.name}: ok (${r.ms} ms)`);
        if (r.failure) failures.push(`final liveness: ${r.failure}`);
      }
    }
  }
  const stop = await stopChild();
  if (stop.hung) failures.push('graceful stop: SIGTERM did not stop sinkd within 10 s');
  else if (stop.code !== null && stop.code !== 0) failures.push(`graceful stop: exit code ${stop.code}`);
  for (const c of crashes) failures.push(`crash: sinkd exited (code ${c.code}, signal ${c.signal}) at ${c.at}\n    ${c.stderr.join('\n    ')}`);
  for (const e of errorLogs.slice(0, 5)) failures.push(`error log: ${e}`);
  if (errorLogs.length > 5) failures.push(`${errorLogs.length - 5} more error-level log lines`);

  log('');
  log(`fuzz: seed ${SEED}, ${Math.round((Date.now() - started) / 1000)} s, ${round} rounds, ${stats.total} inputs tried`);
  log(stats.table());
  for (const [what, n] of stats.notes) log(`note: ${what}: ${n}`);
  log(`lying length prefixes: ${lyingDone.closed} closed by the idle timeout, ${lyingDone.late} not`);
  log(`slowloris (3 at a time, 1 octet/s): ${lorisResults.filter((e) => e.answered).length} answered after finishing, ${lorisResults.filter((e) => e.closedByServer).length} closed by the server`);
  log(`upstream saw ${upstream.seen.udp} UDP and ${upstream.seen.tcp} TCP queries; slowest liveness probe ${slowest} ms; peak server RSS ${maxRss.toFixed(0)} MB`);
  if (dos.noRead) log(dos.noRead.skipped ? `tcp-no-read: skipped (${dos.noRead.skipped})` : `tcp-no-read: ${dos.noRead.sentMb.toFixed(1)} MB of queries never read -> server RSS +${dos.noRead.growth.toFixed(0)} MB`);
  if (dos.flood) log(`slowloris flood (${MAX_CONNECTIONS} connections): new TCP client ${dos.flood.tcp.failure ? 'NOT served' : 'served'}, UDP ${dos.flood.udp.failure ? 'NOT served' : 'served'}, ${dos.flood.closedByServer} flood connections closed by the server`);
  log(`crashes: ${crashes.length}`);
  log(`final liveness: ${finalResults.every((r) => r.includes(': ok')) ? 'ok' : 'FAILED'}\n  ${finalResults.join('\n  ')}`);
  log(`graceful stop: ${stop.hung ? 'HUNG' : `exit ${stop.code ?? stop.signal} in ${stop.ms} ms`}`);
  if (failures.length > 0) {
    exitCode = 1;
    // the same failure in many rounds is listed once, with its count and first round
    const grouped = new Map();
    for (const f of failures) {
      const m = /^round (\d+) (.*)$/s.exec(f);
      const key = m ? m[2] : f;
      const g = grouped.get(key) ?? { n: 0, firstRound: m ? Number(m[1]) : null };
      g.n++;
      grouped.set(key, g);
    }
    log(`\nFAILED: ${failures.length} failure(s), ${grouped.size} distinct (seed ${SEED}):`);
    let shown = 0;
    for (const [f, g] of grouped) {
      if (shown++ >= 30) break;
      log(`  - ${g.n > 1 ? `[x${g.n}${g.firstRound !== null ? `, first in round ${g.firstRound}` : ''}] ` : g.firstRound !== null ? `[round ${g.firstRound}] ` : ''}${f}`);
    }
    if (grouped.size > 30) log(`  ... and ${grouped.size - 30} more`);
  } else {
    log('\nPASSED');
  }
} catch (err) {
  exitCode = 1;
  log(`fuzz: ${err.stack ?? err}`);
  if (stderrTail.length) log(`sinkd stderr:\n${stderrTail.join('\n')}`);
} finally {
  await cleanup();
}
process.exit(exitCode);
