#!/usr/bin/env node
// sinkd benchmark harness: `npm run bench` (builds, then runs this file).
//
// What it does (see bench/README.md for the why):
//   1. generates test data in a temp dir: 3 DDNS-like zones (no-ip.biz, hopto.org,
//      zapto.org) with a few thousand A/AAAA hostnames, a plain-format blocklist, and
//      one dnsperf query file per mix;
//   2. starts nsd on a free loopback port as the local authoritative upstream;
//   3. starts sinkd pinned to CPU 0 (`taskset -c 0 node dist/cli/main.js serve ...`);
//   4. runs dnsperf pinned to CPU 1 for each mix and prints a table plus one JSON line;
//   5. runs the same load against a bare Node.js UDP echo (bench/bare-udp-responder.mjs)
//      and against nsd directly, as baselines for what this machine can do.
//
// Plain Node ESM, no dependencies. Only loopback traffic. Every load run is bounded in
// count (-n for one-pass files) and time (-l, plus a hard kill timer), and every process
// started here is stopped at the end, on errors and on SIGINT/SIGTERM.

import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
let SINKD_MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const BARE = path.join(HERE, 'bare-udp-responder.mjs');

// ---------------------------------------------------------------------------------
// options

const USAGE = `usage: node bench/run.mjs [options]        (or: npm run bench -- [options])

  --seconds N        measured seconds per mix (default 10; 600 with --soak)
  --warmup N         unmeasured warm-up seconds before a mix (default 2)
  --repeat N         measure each mix N times, report the run with the median qps
                     (default 1; use 3 on noisy machines and VMs)
  --only LIST        comma-separated rows to run, e.g. blocked,cached
                     (rows: ${'$ROWS'});
                     --only catcher runs the sinkhole catcher's bench (bench/catcher-bench.mjs)
  --target HOST:PORT bench an already running server instead of starting sinkd
                     (nsd is still started as the upstream; see --nsd-port, --workdir)
  --sinkd FILE       sinkd entry point (default dist/cli/main.js), e.g. another build
  --self-test        point the sinkd mixes at nsd itself (validates the harness
                     without sinkd)
  --rate QPS         fixed query rate for the measured runs (dnsperf -Q; default: as fast
                     as the server answers; 15000 with --soak). Warm-ups are not limited.
  --soak             bounded soak: only the mixed row, one run of --seconds (default 600)
                     at --rate (default 15000 qps, below the ~40-50k qps sinkd reaches on
                     mixed), sinkd's resident memory (VmRSS of its process group) sampled
                     every 5 s; prints a verdict and exits 1 on FAIL. PASS: no query lost
                     and RSS growth over the second half of the run (least-squares fit)
                     below 5%
  --clients N        dnsperf -c (default 20)
  --outstanding N    dnsperf -q (default 100)
  --threads N        dnsperf -T (default 1)
  --timeout S        dnsperf -t, seconds until a query counts as lost (default 2)
  --hosts N          hostnames per zone (default 1200, 3 zones)
  --blocked N        hostnames put on the blocklist (default 500)
  --server-cpu N     CPU for the server under test (default 0)
  --load-cpu N       CPU for dnsperf and nsd (default 1)
  --nsd-port N       fixed port for nsd (default: a free one)
  --workers N        sinkd worker processes (default 1); with N > 1 sinkd is not pinned and
                     shares the cores with dnsperf and nsd
  --extra-list FILE  one more blocklist file for sinkd to load (e.g. 1,000,000 names from
                     bench/make-names.mjs), to show the rates do not depend on list size
  --workdir DIR      where to write data (default: a new dir under ${os.tmpdir()})
  --keep             keep the work dir (always kept when --workdir is given)
  --help
`;

const ALL_ROWS = ['bare-node-udp', 'nsd-direct', 'blocked', 'cached', 'mixed', 'uncached', 'blocked-loginfo', 'blocked-untracked', 'seized-warm', 'seized-cold'];
const SEIZED_ROWS = ['seized-warm', 'seized-cold'];
const SINKD_ROWS = ['blocked', 'cached', 'mixed', 'uncached'];

function die(msg) {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(2);
}

let opts;
try {
  opts = parseArgs({
    options: {
      seconds: { type: 'string' },
      rate: { type: 'string' },
      soak: { type: 'boolean', default: false },
      warmup: { type: 'string', default: '2' },
      repeat: { type: 'string', default: '1' },
      only: { type: 'string' },
      target: { type: 'string' },
      'self-test': { type: 'boolean', default: false },
      sinkd: { type: 'string' },
      clients: { type: 'string', default: '20' },
      outstanding: { type: 'string', default: '100' },
      threads: { type: 'string', default: '1' },
      timeout: { type: 'string', default: '2' },
      hosts: { type: 'string', default: '1200' },
      blocked: { type: 'string', default: '500' },
      'server-cpu': { type: 'string', default: '0' },
      'load-cpu': { type: 'string', default: '1' },
      'nsd-port': { type: 'string' },
      workdir: { type: 'string' },
      'extra-list': { type: 'string' },
      workers: { type: 'string', default: '1' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  }).values;
} catch (err) {
  die(`${err.message}\n\n${USAGE.replace('$ROWS', ALL_ROWS.join(', '))}`);
}
if (opts.help) {
  process.stdout.write(USAGE.replace('$ROWS', ALL_ROWS.join(', ')));
  process.exit(0);
}

function intOpt(name, min, max) {
  const v = Number(opts[name]);
  if (!Number.isInteger(v) || v < min || v > max) die(`--${name} must be an integer in ${min}..${max}`);
  return v;
}
const SOAK = opts.soak;
// a soak is one long run; ordinary rows stay bounded at 10 minutes
if (opts.seconds === undefined) opts.seconds = SOAK ? '600' : '10';
const SECONDS = intOpt('seconds', SOAK ? 30 : 1, SOAK ? 3600 : 600);
/** dnsperf -Q for the measured runs (null: unlimited). The soak default is a fixed rate well
 *  below what sinkd answers on "mixed" (40-50k qps on the 2-core bench VM), so that a slow
 *  moment on a shared machine does not turn into lost queries. */
const SOAK_DEFAULT_RATE = 15000;
const RATE = opts.rate !== undefined ? intOpt('rate', 1, 10_000_000) : SOAK ? SOAK_DEFAULT_RATE : null;
/** Soak: RSS sample period, and the verdict's limit on growth over the second half. */
const SOAK_SAMPLE_S = 5;
const SOAK_MAX_GROWTH_PCT = 5;
const WARMUP = intOpt('warmup', 0, 60);
const REPEAT = intOpt('repeat', 1, 9);
const CLIENTS = intOpt('clients', 1, 1000);
const OUTSTANDING = intOpt('outstanding', 1, 65535);
const THREADS = intOpt('threads', 1, 64);
const TIMEOUT = intOpt('timeout', 1, 30);
const HOSTS_PER_ZONE = intOpt('hosts', 50, 100000);
const BLOCKED_COUNT = intOpt('blocked', 10, HOSTS_PER_ZONE * 3 - 10);
const SERVER_CPU = intOpt('server-cpu', 0, 1023);
// sinkd serve --workers N; with N > 1 the server is not pinned (its workers need every core,
// which they then share with dnsperf and nsd: the figures say so).
const WORKERS = intOpt('workers', 1, 64);
const LOAD_CPU = intOpt('load-cpu', 0, 1023);
const NSD_FIXED_PORT = opts['nsd-port'] ? intOpt('nsd-port', 1, 65535) : null;
if (opts.target && opts['self-test']) die('--target and --self-test exclude each other');
if (SOAK && (opts.target || opts['self-test'])) die('--soak samples the memory of a sinkd the harness starts: not with --target or --self-test');
if (SOAK && REPEAT !== 1) die('--soak is one run: not with --repeat');
if (SOAK && opts.only && opts.only.trim() !== 'mixed') die('--soak runs the mixed row only');

function parseHostPort(s) {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(s);
  if (!m) die(`--target wants HOST:PORT, got ${s}`);
  return { host: m[1], port: Number(m[2]) };
}
const TARGET = opts.target ? parseHostPort(opts.target) : null;
const EXTRA_LIST = opts['extra-list'] ? path.resolve(opts['extra-list']) : null;
if (EXTRA_LIST && !fs.existsSync(EXTRA_LIST)) die(`--extra-list: ${EXTRA_LIST} does not exist`);
if (opts.sinkd) SINKD_MAIN = path.resolve(opts.sinkd);

// `--only catcher`: the sinkhole catcher's figures come from their own harness.
if (!SOAK && opts.only?.split(',').map((s) => s.trim()).includes('catcher')) {
  if (opts.only.trim() !== 'catcher') die('--only catcher runs on its own (bench/catcher-bench.mjs)');
  const pass = ['--seconds', String(SECONDS), '--server-cpu', String(SERVER_CPU), '--load-cpu', String(LOAD_CPU), ...(opts.sinkd ? ['--sinkd', opts.sinkd] : [])];
  process.exit(spawnSync(process.execPath, [path.join(HERE, 'catcher-bench.mjs'), ...pass], { stdio: 'inherit' }).status ?? 1);
}

let rowsWanted = SOAK ? ['mixed'] : ALL_ROWS;
if (opts.only && !SOAK) {
  rowsWanted = opts.only.split(',').map((s) => s.trim()).filter(Boolean);
  for (const r of rowsWanted) if (!ALL_ROWS.includes(r)) die(`--only: unknown row "${r}" (rows: ${ALL_ROWS.join(', ')})`);
}
// With a foreign target or in self-test there is no sinkd of ours to restart at log level info.
if ((TARGET || opts['self-test']) && (rowsWanted.includes('blocked-loginfo') || rowsWanted.includes('blocked-untracked'))) {
  rowsWanted = rowsWanted.filter((r) => r !== 'blocked-loginfo' && r !== 'blocked-untracked');
  if (opts.only) process.stderr.write('bench: blocked-loginfo needs a sinkd started by the harness; skipped\n');
}

// ---------------------------------------------------------------------------------
// process bookkeeping: everything we start is tracked and stopped by its own id

const children = new Set();

function log(msg) {
  process.stderr.write(`[bench] ${msg}\n`);
}

function startProcess(cmd, args, { cwd, stdout = 'ignore', stderr = 'ignore', name } = {}) {
  // detached: each child leads its own process group, so stopping it also stops the
  // processes it forks (nsd's server/xfrd children, sinkd workers) and nothing else.
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', stdout, stderr], detached: true });
  const rec = { child, name: name ?? cmd, exited: false, code: null, signal: null };
  rec.done = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      rec.exited = true;
      rec.code = code;
      rec.signal = signal;
      children.delete(rec);
      resolve();
    });
    child.on('error', (err) => {
      rec.exited = true;
      rec.error = err;
      children.delete(rec);
      resolve();
    });
  });
  children.add(rec);
  return rec;
}

function signalGroup(rec, sig) {
  if (rec.exited || !rec.child.pid) return;
  try {
    process.kill(-rec.child.pid, sig);
  } catch {
    try {
      rec.child.kill(sig);
    } catch {
      /* already gone */
    }
  }
}

function groupAlive(rec) {
  try {
    process.kill(-rec.child.pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the process itself (so nsd/sinkd can stop and reap their own children),
 *  SIGKILL to its whole group after graceMs, and to any member left behind. */
async function stopProcess(rec, graceMs = 3000) {
  if (!rec) return;
  if (!rec.exited) {
    try {
      rec.child.kill('SIGTERM');
    } catch {
      /* already gone */
    }
    const t = setTimeout(() => signalGroup(rec, 'SIGKILL'), graceMs);
    await Promise.race([rec.done, sleep(graceMs + 2000)]);
    clearTimeout(t);
  }
  if (rec.child.pid && groupAlive(rec)) {
    await sleep(300);
    if (groupAlive(rec)) {
      try {
        process.kill(-rec.child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}

async function stopAll() {
  await Promise.all([...children].map((rec) => stopProcess(rec)));
}

process.on('exit', () => {
  for (const rec of children) signalGroup(rec, 'SIGKILL');
});
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (interrupted) process.exit(130); // second signal: leave now ('exit' kills children)
    interrupted = true;
    log(`${sig}: stopping`);
    // stop the children; main() then sees `interrupted`, skips what is left, prints what it
    // has and exits 130. The timer is a fallback in case main() is stuck.
    stopAll();
    setTimeout(() => {
      removeWorkdir();
      process.exit(130);
    }, 15000).unref();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

// taskset wrapper; falls back to no pinning when taskset or the CPUs are missing
const CPU_COUNT = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
const CAN_PIN = which('taskset') && CPU_COUNT > Math.max(SERVER_CPU, LOAD_CPU) && SERVER_CPU !== LOAD_CPU;
function pinned(cpu, cmd, args) {
  return CAN_PIN ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args];
}

// ---------------------------------------------------------------------------------
// CPU accounting: shows whether a figure was limited by the server's own CPU
// (srv cpu ~100%) or by something else on its CPU (cpu busy 100%, srv cpu lower)

const LOADAVG_AT_START = os.loadavg().map((x) => Math.round(x * 100) / 100);
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** busy/total jiffies of one CPU from /proc/stat (null when unavailable). */
function cpuJiffies(cpu) {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${cpu} `));
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
    const busy = user + nice + system + irq + softirq + (steal || 0);
    return { busy, total: busy + idle + iowait };
  } catch {
    return null;
  }
}

/** utime+stime ticks of every process in process group pgid (the server and its forks). */
function groupTicks(pgid) {
  if (!pgid) return null;
  let ticks = 0;
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid) ticks += Number(f[11]) + Number(f[12]);
    } catch {
      /* process went away */
    }
  }
  return ticks;
}

/** Resident memory of process group pgid: VmRSS from /proc/<pid>/status summed over every
 *  member (sinkd is started as `taskset -c N node ...`; taskset execs node, so the group
 *  leader is the node process itself, and workers it forks join its group). null when the
 *  group has no member left. */
function groupRss(pgid) {
  if (!pgid) return null;
  let kb = 0;
  const procs = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) !== pgid) continue;
      const status = fs.readFileSync(`/proc/${d}/status`, 'utf8');
      const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
      if (!rss) continue; // a zombie has no VmRSS
      kb += Number(rss[1]);
      procs.push({ pid: Number(d), comm: /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?', rssKb: Number(rss[1]) });
    } catch {
      /* process went away */
    }
  }
  return procs.length ? { kb, procs } : null;
}

/** Least-squares line through points [{ t, kb }]: { slope (KB/s), at(t) }; null below 2 points. */
function linearFit(points) {
  const n = points.length;
  if (n < 2) return null;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const my = points.reduce((a, p) => a + p.kb, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.t - mt) * (p.kb - my);
    sxx += (p.t - mt) ** 2;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, at: (t) => my + slope * (t - mt) };
}

function cpuSample(pgid) {
  return { t: process.hrtime.bigint(), cpu: CAN_PIN ? cpuJiffies(SERVER_CPU) : null, ticks: groupTicks(pgid) };
}

function cpuDelta(a, b) {
  const wallS = Number(b.t - a.t) / 1e9;
  const out = { serverCpuPct: null, serverCoreBusyPct: null };
  if (a.ticks !== null && b.ticks !== null && wallS > 0) {
    out.serverCpuPct = Math.round(((b.ticks - a.ticks) / CLK_TCK / wallS) * 100);
  }
  if (a.cpu && b.cpu && b.cpu.total > a.cpu.total) {
    out.serverCoreBusyPct = Math.round(((b.cpu.busy - a.cpu.busy) / (b.cpu.total - a.cpu.total)) * 100);
  }
  return out;
}

// ---------------------------------------------------------------------------------
// ports and probes

async function udpFree(port) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
async function tcpFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
/** A loopback port free for both UDP and TCP (sinkd and nsd listen on both). */
async function freePort() {
  for (let i = 0; i < 50; i++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    if ((await udpFree(port)) && (await tcpFree(port))) return port;
  }
  throw new Error('no free loopback port found in 50 tries');
}

/** One kdig query; returns { ok, status, answers[] } (never throws, bounded by +time). */
function kdig(host, port, name, type = 'A', { tcp = false } = {}) {
  const args = [`@${host}`, '-p', String(port), '+time=1', '+retry=0', '+noedns', name, type];
  if (tcp) args.unshift('+tcp');
  const r = spawnSync('kdig', args, { encoding: 'utf8', timeout: 5000 });
  const out = `${r.stdout ?? ''}`;
  const status = /status: (\w+)/.exec(out)?.[1] ?? null;
  const flags = (/;; Flags: ([^;]*);/.exec(out)?.[1] ?? '').trim().split(/\s+/);
  const answers = [];
  const sect = out.split(';; ANSWER SECTION:')[1];
  if (sect) {
    for (const line of sect.split('\n').slice(1)) {
      if (!line.trim() || line.startsWith(';;')) break;
      const f = line.trim().split(/\s+/);
      answers.push({ name: f[0], ttl: Number(f[1]), type: f[3], data: f.slice(4).join(' ') });
    }
  }
  return { ok: status !== null, status, flags, answers };
}

async function waitForDns(host, port, name, rec, limitMs = 10000) {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (rec && rec.exited) return false;
    if (kdig(host, port, name, 'A').ok) return true;
    await sleep(200);
  }
  return false;
}

// ---------------------------------------------------------------------------------
// test data

/** Small seeded PRNG (mulberry32) so the zones and lists are the same on every run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ZONES = ['no-ip.biz', 'hopto.org', 'zapto.org'];
const WORDS = ['home', 'cam', 'office', 'nas', 'srv', 'game', 'mc', 'vpn', 'rat', 'dark', 'pc', 'lab',
  'box', 'router', 'dvr', 'plex', 'mail', 'ftp', 'web', 'cloud', 'njrat', 'host', 'dyn', 'pi', 'kali',
  'remote', 'cctv', 'node', 'bot', 'minecraft', 'shop', 'test', 'dev', 'storage', 'music', 'photo'];
const RESERVED = new Set(['ns1', 'ns2', 'dyn', 'c2']);

function buildData(dir, runTag) {
  const rnd = prng(20140630);
  const pick = (arr) => arr[Math.floor(rnd() * arr.length)];
  const shuffle = (arr) => {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [arr[i], arr[j]] = [arr[j], arr[i]];
    }
    return arr;
  };

  // hostnames + zone files
  const hosts = []; // { name, a, aaaa }
  const zoneFiles = [];
  ZONES.forEach((zone, zi) => {
    const seen = new Set();
    const lines = [
      `; generated by bench/run.mjs`,
      `$ORIGIN ${zone}.`,
      `$TTL 3600`,
      `@ IN SOA ns1.${zone}. hostmaster.${zone}. 2014063001 3600 600 604800 60`,
      `@ IN NS ns1.${zone}.`,
      `@ IN NS ns2.${zone}.`,
      `ns1 IN A 127.0.0.1`,
      `ns2 IN A 127.0.0.1`,
      // wildcard: every <anything>.dyn.<zone> exists, so "uncached" can ask unique names
      `*.dyn IN A 198.51.100.${10 + zi}`,
      `*.dyn IN AAAA 2001:db8:ffff::${10 + zi}`,
    ];
    for (let i = 0; i < HOSTS_PER_ZONE; i++) {
      let label;
      do {
        label = pick(WORDS) + (rnd() < 0.5 ? '-' + pick(WORDS) : '') + Math.floor(rnd() * 10000);
      } while (seen.has(label) || RESERVED.has(label));
      seen.add(label);
      const a = `10.${zi + 1}.${(i >> 8) & 255}.${i & 255}`;
      const aaaa = `2001:db8:${zi + 1}::${i.toString(16)}`;
      lines.push(`${label} IN A ${a}`, `${label} IN AAAA ${aaaa}`);
      hosts.push({ name: `${label}.${zone}`, a, aaaa });
    }
    const file = path.join(dir, `${zone}.zone`);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    zoneFiles.push({ zone, file });
  });

  // blocklist: BLOCKED_COUNT hostnames (each blocks itself and its subtree) plus
  // subtree-only entries c2.<clean host>: the clean host resolves, everything from c2 down
  // is blocked, so a matcher must walk past a non-matching parent.
  const order = shuffle(hosts.map((_, i) => i));
  const blockedHosts = order.slice(0, BLOCKED_COUNT).map((i) => hosts[i]);
  const cleanHosts = order.slice(BLOCKED_COUNT).map((i) => hosts[i]);
  const subtreeParents = cleanHosts.slice(0, Math.max(5, Math.floor(BLOCKED_COUNT / 10)));
  const subtreeEntries = subtreeParents.map((h) => `c2.${h.name}`);
  const blocklist = path.join(dir, 'blocked.txt');
  fs.writeFileSync(
    blocklist,
    [
      '# sinkd bench blocklist (plain format: one name a line; an entry blocks its subtree)',
      `# generated by bench/run.mjs: ${blockedHosts.length} hostnames + ${subtreeEntries.length} subtree entries`,
      '',
      ...blockedHosts.map((h) => h.name),
      '# subtree-only entries: the parent host itself stays clean',
      ...subtreeEntries,
    ].join('\n') + '\n',
  );

  // query names
  const blockedQueryName = () => {
    const r = rnd();
    if (r < 0.4) return pick(blockedHosts).name; // exact entry
    if (r < 0.6) return `www.${pick(blockedHosts).name}`; // one level below
    if (r < 0.8) return `a${Math.floor(rnd() * 100)}.b.${pick(blockedHosts).name}`; // deeper
    if (r < 0.9) return pick(subtreeEntries); // subtree entry itself
    return `x${Math.floor(rnd() * 100)}.${pick(subtreeEntries)}`; // below a subtree entry
  };
  const write = (name, lines) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    return { file, lines: lines.length };
  };

  const files = {};
  files.blocked = write('q-blocked.txt', Array.from({ length: 10000 }, () => `${blockedQueryName()} A`));
  files.cached = write('q-cached.txt', shuffle(cleanHosts.map((h) => `${h.name} A`)));
  files.mixed = write(
    'q-mixed.txt',
    Array.from({ length: 10000 }, () => {
      const type = rnd() < 0.6 ? 'A' : 'AAAA';
      return rnd() < 0.8 ? `${pick(cleanHosts).name} ${type}` : `${blockedQueryName()} ${type}`;
    }),
  );
  // uncached: names never asked before (random run tag), answered by the *.dyn wildcards.
  // Sized for ~120k qps over the whole run and read once (-n 1): no name is asked twice.
  const unique = (tag, n) =>
    Array.from({ length: n }, (_, i) => `${tag}${i.toString(36)}.dyn.${ZONES[i % ZONES.length]} A`);
  // (only when a row reads them: a 10-minute soak of "mixed" does not need 2 x 5M lines)
  const oneShotRows = rowsWanted.some((r) => ['uncached', 'seized-cold'].includes(r));
  const uncachedCount = oneShotRows ? Math.min(SECONDS * 120000, 5_000_000) : 1000;
  files.uncached = write('q-uncached.txt', unique(`u${runTag}-`, uncachedCount));
  files['uncached-warm'] = write('q-uncached-warm.txt', unique(`w${runTag}-`, Math.max(1, WARMUP) * 40000));
  const regenerate = (key, i) => {
    if (key === 'seized-cold') return write(`q-seized-cold-${i}.txt`, seizedCold(`s${runTag}r${i}-`, uncachedCount)).file;
    if (key !== 'uncached') throw new Error(`cannot regenerate ${key}`);
    return write(`q-uncached-${i}.txt`, unique(`u${runTag}r${i}-`, uncachedCount)).file;
  };

  // seized-zone mode: sinkd is the authority for the three zones; 1% of their hosts are listed,
  // every other name is passed through to nsd (the "original provider").
  const seizedListed = blockedHosts.slice(0, Math.max(1, Math.round(hosts.length / 100)));
  const seizedList = path.join(dir, 'seized-listed.txt');
  fs.writeFileSync(seizedList, seizedListed.map((h) => h.name).join('\n') + '\n');
  const seizedClean = hosts.filter((h) => !seizedListed.includes(h));
  const seizedName = () => (rnd() < 0.01 ? pick(seizedListed).name : pick(seizedClean).name);
  files.seized = write('q-seized.txt', Array.from({ length: 10000 }, () => `${seizedName()} ${rnd() < 0.6 ? 'A' : 'AAAA'}`));
  // cold: every clean name new (answered by nsd's *.dyn wildcards), 1% listed
  const seizedCold = (tag, n) =>
    Array.from({ length: n }, (_, i) => (i % 100 === 99 ? `${pick(seizedListed).name} A` : `${tag}${i.toString(36)}.dyn.${ZONES[i % ZONES.length]} A`));
  files['seized-cold'] = write('q-seized-cold.txt', seizedCold(`s${runTag}-`, uncachedCount));
  files['seized-cold-warm'] = write('q-seized-cold-warm.txt', seizedCold(`sw${runTag}-`, Math.max(1, WARMUP) * 40000));

  return {
    zoneFiles,
    blocklist,
    seizedList,
    files,
    regenerate,
    probes: {
      clean: cleanHosts[0],
      blocked: blockedHosts[0].name,
      below: `www.${blockedHosts[1].name}`,
      subtreeParent: subtreeParents[0],
      subtree: `x.${subtreeEntries[0]}`,
      seizedListed: `www.${seizedListed[0].name}`,
    },
    counts: { hosts: hosts.length, blocked: blockedHosts.length, subtreeEntries: subtreeEntries.length },
  };
}

// ---------------------------------------------------------------------------------
// nsd

function writeNsdConf(dir, port, zoneFiles) {
  const q = (s) => JSON.stringify(s);
  const conf = [
    'server:',
    `  ip-address: 127.0.0.1@${port}`,
    `  port: ${port}`,
    '  do-ip6: no',
    '  username: ""',
    '  chroot: ""',
    `  zonesdir: ${q(dir)}`,
    '  database: ""',
    `  zonelistfile: ${q(path.join(dir, 'nsd-zone.list'))}`,
    `  xfrdfile: ${q(path.join(dir, 'nsd-xfrd.state'))}`,
    `  xfrdir: ${q(dir)}`,
    `  pidfile: ${q(path.join(dir, 'nsd.pid'))}`,
    `  logfile: ${q(path.join(dir, 'nsd.log'))}`,
    '  verbosity: 0',
    '  server-count: 1',
    '  hide-version: yes',
    // answer section only (no NS/glue): a cheaper upstream, so that in "uncached" nsd
    // takes as little as possible of the load CPU it shares with dnsperf
    '  minimal-responses: yes',
    '  rrl-ratelimit: 0',
    '  rrl-whitelist-ratelimit: 0',
    'remote-control:',
    '  control-enable: no',
    ...zoneFiles.flatMap(({ zone, file }) => ['zone:', `  name: ${zone}`, `  zonefile: ${q(file)}`]),
  ].join('\n');
  const file = path.join(dir, 'nsd.conf');
  fs.writeFileSync(file, conf + '\n');
  return file;
}

async function startNsd(dir, port, zoneFiles, cpu, probeName) {
  // a leftover server on the port would answer the readiness probe in nsd's place
  if (!(await udpFree(port)) || !(await tcpFree(port))) throw new Error(`port ${port} is in use; cannot start nsd there`);
  const conf = writeNsdConf(dir, port, zoneFiles);
  if (which('nsd-checkconf')) {
    const r = spawnSync('nsd-checkconf', [conf], { encoding: 'utf8', timeout: 10000 });
    if (r.status !== 0) throw new Error(`nsd-checkconf failed: ${r.stdout}${r.stderr}`);
  }
  const errFile = path.join(dir, 'nsd.stderr');
  const errFd = fs.openSync(errFile, 'a');
  const [cmd, args] = pinned(cpu, 'nsd', ['-d', '-c', conf]);
  const rec = startProcess(cmd, args, { cwd: dir, stdout: errFd, stderr: errFd, name: 'nsd' });
  fs.closeSync(errFd);
  if (!(await waitForDns('127.0.0.1', port, probeName, rec, 10000))) {
    await stopProcess(rec);
    const tail = readTail(errFile) + readTail(path.join(dir, 'nsd.log'));
    throw new Error(`nsd did not answer on 127.0.0.1:${port} within 10 s\n${tail}`);
  }
  return { rec, pgid: rec.child.pid };
}

function readTail(file, bytes = 2000) {
  try {
    const buf = fs.readFileSync(file);
    return buf.subarray(Math.max(0, buf.length - bytes)).toString('utf8');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------
// servers under test

async function startBare(cpu) {
  const port = await freePort();
  const [cmd, args] = pinned(cpu, process.execPath, [BARE, '--host', '127.0.0.1', '--port', String(port)]);
  const rec = startProcess(cmd, args, { name: 'bare-udp-responder' });
  if (!(await waitForDns('127.0.0.1', port, 'probe.example', rec, 5000))) {
    await stopProcess(rec);
    throw new Error('bare UDP responder did not answer within 5 s');
  }
  return { rec, host: '127.0.0.1', port, pgid: rec.child.pid };
}

async function startSinkd(dir, nsdPort, blocklist, level, cpu, probeName, extraYaml = '', tag = level) {
  if (!fs.existsSync(SINKD_MAIN)) throw new Error(`${path.relative(ROOT, SINKD_MAIN)} not found (build failed?)`);
  const port = await freePort();
  const q = (s) => JSON.stringify(s);
  const cfg = [
    '# generated by bench/run.mjs',
    `listen: [${q(`127.0.0.1:${port}`)}]`,
    `upstreams: [${q(`127.0.0.1:${nsdPort}`)}]`,
    `blocklists: [${q(blocklist)}${EXTRA_LIST ? `, ${q(EXTRA_LIST)}` : ''}]`,
    'allowlists: []',
    // The embedded store lives with the bench data, never in the checkout's data/.
    `store: { path: ${q(path.join(dir, `store-${tag}`, 'store.jsonl'))} }`,
    extraYaml,
    `log: { level: ${level} }`,
  ].join('\n');
  const cfgFile = path.join(dir, `sinkd-${tag}.yaml`);
  fs.writeFileSync(cfgFile, cfg + '\n');
  const errFile = path.join(dir, `sinkd-${tag}.stderr`);
  const errFd = fs.openSync(errFile, 'w');
  // At level info every sinkholed query writes a log line to stdout: send it to
  // /dev/null (the cost of producing the line is what we want to see, not a disk).
  let outFd = 'ignore';
  if (level !== 'info') outFd = fs.openSync(path.join(dir, `sinkd-${tag}.stdout`), 'w');
  const serve = [SINKD_MAIN, 'serve', '--config', cfgFile, '--workers', String(WORKERS)];
  const [cmd, args] = WORKERS > 1 ? [process.execPath, serve] : pinned(cpu, process.execPath, serve);
  const rec = startProcess(cmd, args, { cwd: dir, stdout: outFd, stderr: errFd, name: `sinkd(${level})` });
  fs.closeSync(errFd);
  if (typeof outFd === 'number') fs.closeSync(outFd);
  if (!(await waitForDns('127.0.0.1', port, probeName, rec, 10000))) {
    const why = rec.exited ? `exited (code ${rec.code}, signal ${rec.signal})` : 'did not answer within 10 s';
    await stopProcess(rec);
    throw new Error(`sinkd ${why}; config ${cfgFile}\n${readTail(errFile)}${readTail(path.join(dir, `sinkd-${tag}.stdout`))}`);
  }
  return { rec, host: '127.0.0.1', port, cfgFile, pgid: rec.child.pid };
}

/** Answers that show whether the target really sinkholes and forwards (not timed). */
function correctness(host, port, probes) {
  const res = {};
  const addrs = (r) => r.answers.filter((a) => a.type === 'A' || a.type === 'AAAA').map((a) => a.data);
  const c = kdig(host, port, probes.clean.name, 'A');
  res.clean = c.status === 'NOERROR' && addrs(c).includes(probes.clean.a) ? 'ok' : `unexpected: ${c.status} ${addrs(c)}`;
  const p = kdig(host, port, probes.subtreeParent.name, 'A');
  res.subtreeParentClean =
    p.status === 'NOERROR' && addrs(p).includes(probes.subtreeParent.a) ? 'ok' : `unexpected: ${p.status} ${addrs(p)}`;
  for (const key of ['blocked', 'below', 'subtree']) {
    const r = kdig(host, port, probes[key], 'A');
    const a = addrs(r);
    // sinkholed: some sinkhole address (not a zone address 10.x / 198.51.100.x), or NXDOMAIN mode
    const sinkholed = (r.status === 'NOERROR' && a.length > 0 && !a.some((x) => x.startsWith('10.'))) || r.status === 'NXDOMAIN';
    res[key] = sinkholed ? `ok (${r.status}${a.length ? ' ' + a.join(',') : ''})` : `NOT sinkholed: ${r.status} ${a}`;
  }
  const u = kdig(host, port, `probe-${Date.now()}.dyn.${ZONES[0]}`, 'A');
  res.uncachedForward = u.status === 'NOERROR' && addrs(u).some((x) => x.startsWith('198.51.100.')) ? 'ok' : `unexpected: ${u.status} ${addrs(u)}`;
  const t = kdig(host, port, probes.clean.name, 'A', { tcp: true });
  res.tcp = t.status === 'NOERROR' ? 'ok' : `unexpected: ${t.status}`;
  return res;
}

// ---------------------------------------------------------------------------------
// dnsperf

/** Parse dnsperf 2.x "Statistics:" output. Returns null fields for what is missing. */
function parseDnsperf(out) {
  const num = (re) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : null;
  };
  const lat = /Average Latency \(s\):\s+([\d.]+) \(min ([\d.]+), max ([\d.]+)\)/.exec(out);
  const rcodeText = /Response codes:[ \t]*(.*)/.exec(out)?.[1]?.trim() ?? '';
  const rcodes = {};
  for (const m of rcodeText.matchAll(/([A-Z0-9]+) (\d+) \(/g)) rcodes[m[1]] = Number(m[2]);
  const ms = (v) => (v === null ? null : Math.round(v * 1e6) / 1e3);
  const r = {
    sent: num(/Queries sent:\s+(\d+)/),
    completed: num(/Queries completed:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    interrupted: num(/Queries interrupted:\s+(\d+)/),
    rcodes,
    runtimeS: num(/Run time \(s\):\s+([\d.]+)/),
    qps: num(/Queries per second:\s+([\d.]+)/),
    avgLatencyMs: lat ? ms(Number(lat[1])) : null,
    minLatencyMs: lat ? ms(Number(lat[2])) : null,
    maxLatencyMs: lat ? ms(Number(lat[3])) : null,
    stddevLatencyMs: ms(num(/Latency StdDev \(s\):\s+([\d.]+)/)),
  };
  if (r.qps !== null) r.qps = Math.round(r.qps);
  return r;
}

/** One bounded dnsperf run. -l bounds time; onePass adds -n 1 (each line asked once); without
 *  it dnsperf loops over the file until -l. rate adds -Q (at most that many queries a second). */
async function dnsperf(server, file, { seconds, onePass = false, outstanding = OUTSTANDING, rate = null }) {
  const args = ['-s', server.host, '-p', String(server.port), '-d', file, '-l', String(seconds),
    '-c', String(CLIENTS), '-q', String(outstanding), '-T', String(THREADS), '-t', String(TIMEOUT)];
  if (onePass) args.push('-n', '1');
  if (rate) args.push('-Q', String(rate));
  const [cmd, cargs] = pinned(LOAD_CPU, 'dnsperf', args);
  const child = spawn(cmd, cargs, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const rec = { child, name: 'dnsperf', exited: false };
  children.add(rec);
  let out = '';
  let errTail = '';
  child.stdout.on('data', (d) => {
    if (out.length < 1_000_000) out += d;
  });
  child.stderr.on('data', (d) => {
    errTail = (errTail + d).slice(-4000); // per-query timeout lines: keep the tail only
  });
  const hardLimitMs = (seconds + TIMEOUT + 20) * 1000;
  const killer = setTimeout(() => signalGroup(rec, 'SIGKILL'), hardLimitMs);
  const code = await new Promise((resolve) => {
    child.on('close', (c) => resolve(c));
    child.on('error', () => resolve(-1));
  });
  clearTimeout(killer);
  rec.exited = true;
  children.delete(rec);
  const parsed = parseDnsperf(out);
  if (code !== 0 || parsed.qps === null) {
    parsed.error = `dnsperf exit ${code}: ${(errTail || out).trim().split('\n').slice(-3).join(' | ')}`;
  }
  return parsed;
}

// ---------------------------------------------------------------------------------
// main

const results = [];
const notes = [];
/** --soak: RSS samples of the server under test ({ t: s since the measured run began, kb }). */
let soakRss = null;
let workdir = null;
let ownWorkdir = false;

function removeWorkdir() {
  if (workdir && ownWorkdir && !opts.keep) {
    try {
      fs.rmSync(workdir, { recursive: true, force: true });
    } catch {
      /* ignore */
    }
  }
}

const ROW_DEF = {
  'bare-node-udp': { file: 'blocked', what: 'bare Node dgram echo (QR bit flipped), blocked query file' },
  'nsd-direct': { file: 'cached', what: 'nsd answering directly (C, authoritative), clean names A' },
  blocked: { file: 'blocked', what: 'blocked names and names below them, A' },
  cached: { file: 'cached', fill: true, what: 'clean names, A, all cached by a warm-up pass' },
  mixed: { file: 'mixed', fill: true, what: '80% clean / 20% blocked, 60% A / 40% AAAA, warmed' },
  uncached: { file: 'uncached', onePass: true, warmFile: 'uncached-warm', what: 'unique clean names, each forwarded' },
  'blocked-loginfo': { file: 'blocked', what: 'as blocked, sinkd at log level info (stdout to /dev/null)' },
  'blocked-untracked': { file: 'blocked', what: 'as blocked-loginfo, infected-host tracking off (the cost of recording hits)' },
  'seized-warm': { file: 'seized', fill: true, what: 'seized-zone mode: zone hostnames, 1% listed, the rest relayed from nsd, warmed' },
  'seized-cold': { file: 'seized-cold', onePass: true, warmFile: 'seized-cold-warm', what: 'seized-zone mode: new hostnames each, 1% listed, the rest relayed from nsd' },
};

async function measure(row, serverLabel, server, data) {
  if (interrupted) return;
  const def = ROW_DEF[row];
  const file = data.files[def.file].file;
  const rssAtStart = SOAK ? groupRss(server.pgid) : null;
  // warm-up (unmeasured): fill the cache with every name of the file, or just get the JIT going
  if (def.fill) {
    log(`${row}: warm-up pass over ${data.files[def.file].lines} names`);
    const w = await dnsperf(server, file, { seconds: 60, onePass: true });
    if (w.error || w.lost) log(`${row}: warm-up: ${w.error ?? `${w.lost} queries lost`}`);
  } else if (WARMUP > 0) {
    log(`${row}: warm-up ${WARMUP} s`);
    const wf = def.warmFile ? data.files[def.warmFile].file : file;
    const w = await dnsperf(server, wf, { seconds: WARMUP, onePass: Boolean(def.warmFile) });
    if (w.error) log(`${row}: warm-up: ${w.error}`);
  }
  if (interrupted) return;
  const runs = [];
  for (let i = 0; i < REPEAT && !interrupted; i++) {
    // one-pass files (uncached) get a fresh file per repetition: no name is asked twice
    const f = def.onePass && i > 0 ? data.regenerate(def.file, i) : file;
    log(`${row}: measuring ${SECONDS} s${RATE ? ` at ${RATE} qps` : ''} against ${serverLabel} ${server.host}:${server.port}${REPEAT > 1 ? ` (run ${i + 1}/${REPEAT})` : ''}`);
    // --soak: sample the server's resident memory every SOAK_SAMPLE_S s while dnsperf runs;
    // the sample at t=0 is the end of the warm-up
    let sampler = null;
    if (SOAK) {
      const t0 = process.hrtime.bigint();
      const first = groupRss(server.pgid);
      soakRss = { atStartKb: rssAtStart?.kb ?? null, procs: first?.procs ?? [], samples: [] };
      const take = () => {
        const s = groupRss(server.pgid);
        const t = Math.round(Number(process.hrtime.bigint() - t0) / 1e8) / 10;
        if (s) soakRss.samples.push({ t, kb: s.kb });
      };
      if (first) soakRss.samples.push({ t: 0, kb: first.kb });
      let ticks = 0;
      sampler = setInterval(() => {
        take();
        const last = soakRss.samples.at(-1);
        // a progress line a minute (setInterval drifts a little: count ticks, not seconds)
        if (++ticks % Math.round(60 / SOAK_SAMPLE_S) === 0 && last) log(`${row}: ${last.t} s, sinkd RSS ${fmt(last.kb)} KB`);
      }, SOAK_SAMPLE_S * 1000);
      soakRss.takeFinal = take;
    }
    const before = cpuSample(server.pgid);
    // (a soak always loops over its file: no -n, so dnsperf asks it again and again until -l)
    const r = await dnsperf(server, f, { seconds: SECONDS, onePass: Boolean(def.onePass) && !SOAK, rate: RATE });
    Object.assign(r, cpuDelta(before, cpuSample(server.pgid)));
    if (sampler) {
      clearInterval(sampler);
      // one more sample when dnsperf ends between two ticks (it stops at -l plus the last answers)
      if (SECONDS - (soakRss.samples.at(-1)?.t ?? 0) > 1) soakRss.takeFinal();
      delete soakRss.takeFinal;
    }
    if (RATE) r.rateQps = RATE;
    if (interrupted) break;
    if (def.onePass && r.sent !== null && r.sent >= data.files[def.file].lines) {
      r.note = 'query file exhausted before the time limit';
    }
    runs.push(r);
  }
  if (runs.length === 0) return;
  const ok = runs.filter((r) => !r.error).sort((a, b) => a.qps - b.qps);
  const chosen = ok.length ? ok[Math.floor((ok.length - 1) / 2)] : runs[0];
  const row$ = { mix: row, server: serverLabel, ...chosen };
  if (runs.length > 1) row$.runsQps = runs.map((r) => r.qps);
  results.push(row$);
}

/** --soak verdict from the mixed row and the RSS samples; prints its lines, returns the JSON part. */
function soakReport() {
  const rule = `PASS when no query is lost and sinkd's RSS grows by less than ${SOAK_MAX_GROWTH_PCT}% over the second half of the run (least-squares line through the samples from ${SECONDS / 2} s on: slope x that half's length, relative to the line's value at its start); else FAIL`;
  const r = results.find((x) => x.mix === 'mixed');
  const samples = soakRss?.samples ?? [];
  const out = { rateQps: RATE, seconds: SECONDS, sampleEveryS: SOAK_SAMPLE_S, rule, verdict: 'FAIL', reasons: [] };
  out.lost = r?.lost ?? null;
  out.sent = r?.sent ?? null;
  out.completed = r?.completed ?? null;
  out.qps = r?.qps ?? null;
  out.rss = {
    processes: (soakRss?.procs ?? []).map((p) => `${p.comm}[${p.pid}]`),
    beforeWarmupKb: soakRss?.atStartKb ?? null,
    afterWarmupKb: samples[0]?.kb ?? null,
    minKb: samples.length ? Math.min(...samples.map((x) => x.kb)) : null,
    maxKb: samples.length ? Math.max(...samples.map((x) => x.kb)) : null,
    lastKb: samples.at(-1)?.kb ?? null,
    secondHalf: null,
    series: samples,
  };
  const half = samples.filter((x) => x.t >= SECONDS / 2);
  const fit = linearFit(half);
  if (fit && half.length >= 3) {
    const from = half[0].t;
    const to = half.at(-1).t;
    const base = fit.at(from);
    out.rss.secondHalf = {
      fromS: from,
      toS: to,
      samples: half.length,
      slopeKbPerMin: Math.round(fit.slope * 60 * 10) / 10,
      growthKb: Math.round(fit.slope * (to - from)),
      growthPct: Math.round(((fit.slope * (to - from)) / base) * 100 * 100) / 100,
    };
  }
  if (!r || r.error) out.reasons.push(`no measurement${r?.error ? `: ${r.error}` : ''}`);
  else if (out.lost !== 0) out.reasons.push(`${fmt(out.lost)} queries lost`);
  if (!out.rss.secondHalf) out.reasons.push(`too few RSS samples in the second half (${half.length})`);
  else if (!(out.rss.secondHalf.growthPct < SOAK_MAX_GROWTH_PCT)) out.reasons.push(`RSS grew ${out.rss.secondHalf.growthPct}% over the second half`);
  if (interrupted) out.reasons.push('interrupted');
  if (out.reasons.length === 0) out.verdict = 'PASS';
  // the rate is a set-up check, not part of the verdict: a server that cannot keep up at this
  // rate shows it as lost queries or as a lower qps
  if (r && !r.error && RATE && r.qps < RATE * 0.95) {
    out.rateNote = `dnsperf reached ${fmt(r.qps)} qps, below the fixed rate of ${fmt(RATE)}: the server (or the machine) did not keep up`;
  }

  const mb = (kb) => (kb === null || kb === undefined ? '-' : `${fmt(kb / 1024, 1)} MB`);
  const sh = out.rss.secondHalf;
  console.log(`soak: mixed at a fixed ${fmt(RATE)} qps for ${SECONDS} s, sinkd RSS (${out.rss.processes.join(', ') || '?'}) sampled every ${SOAK_SAMPLE_S} s (${samples.length} samples)`);
  console.log(`  RSS: ${mb(out.rss.beforeWarmupKb)} before warm-up, ${mb(out.rss.afterWarmupKb)} at end of warm-up; min ${mb(out.rss.minKb)}, max ${mb(out.rss.maxKb)}, last ${mb(out.rss.lastKb)}`);
  console.log(sh
    ? `  second half (${sh.fromS}-${sh.toS} s, ${sh.samples} samples): slope ${fmt(sh.slopeKbPerMin, 1)} KB/min, growth ${fmt(sh.growthKb)} KB = ${sh.growthPct}%`
    : `  second half: too few samples for a fit`);
  console.log(`  queries: ${fmt(out.sent)} sent, ${fmt(out.completed)} completed, ${fmt(out.lost)} lost; ${fmt(out.qps)} qps`);
  if (out.rateNote) console.log(`  warning: ${out.rateNote}`);
  // series, one line per minute of samples
  const perLine = Math.max(1, Math.round(60 / SOAK_SAMPLE_S));
  for (let i = 0; i < samples.length; i += perLine) {
    console.log(`  rss MB t=${String(samples[i].t).padStart(5)}s: ${samples.slice(i, i + perLine).map((x) => (x.kb / 1024).toFixed(1)).join(' ')}`);
  }
  console.log(`  rule: ${rule}`);
  console.log(`soak verdict: ${out.verdict}${out.reasons.length ? ` (${out.reasons.join('; ')})` : ''}`);
  return out;
}

function fmt(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return '-';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function printTable() {
  const bare = results.find((r) => r.mix === 'bare-node-udp' && r.qps)?.qps;
  const multi = results.some((r) => r.runsQps);
  const head = ['mix', 'server', 'qps', 'avg ms', 'max ms', 'lost', '% of bare', 'srv cpu', 'core busy',
    ...(multi ? ['runs (qps)'] : []), 'response codes'];
  const rows = results.map((r) => {
    const total = Object.values(r.rcodes ?? {}).reduce((a, b) => a + b, 0);
    const rc = Object.entries(r.rcodes ?? {})
      .map(([k, v]) => `${k} ${((v / total) * 100).toFixed(v === total ? 0 : 1)}%`)
      .join(', ');
    return [
      r.mix,
      r.server,
      r.error ? 'ERROR' : fmt(r.qps),
      fmt(r.avgLatencyMs, 3),
      fmt(r.maxLatencyMs, 1),
      fmt(r.lost),
      bare && r.qps ? `${Math.round((r.qps / bare) * 100)}%` : '-',
      r.serverCpuPct === null || r.serverCpuPct === undefined ? '-' : `${r.serverCpuPct}%`,
      r.serverCoreBusyPct === null || r.serverCoreBusyPct === undefined ? '-' : `${r.serverCoreBusyPct}%`,
      ...(multi ? [(r.runsQps ?? [r.qps]).map((q) => fmt(q)).join(' / ')] : []),
      r.error ?? rc + (r.note ? ` (${r.note})` : ''),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const right = new Set([2, 3, 4, 5, 6, 7, 8]);
  const line = (cells) =>
    cells.map((c, i) => (right.has(i) ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ').trimEnd();
  console.log('');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  console.log('');
}

async function main() {
  for (const tool of ['dnsperf', 'kdig', 'nsd']) if (!which(tool)) throw new Error(`${tool} not found in PATH`);
  if (!CAN_PIN) notes.push(`CPU pinning off (taskset missing, ${CPU_COUNT} CPU(s), or same CPUs given)`);

  if (opts.workdir) {
    workdir = path.resolve(opts.workdir);
    fs.mkdirSync(workdir, { recursive: true });
  } else {
    workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'sinkd-bench-'));
    ownWorkdir = true;
  }
  const runTag = (Date.now().toString(36) + Math.floor(Math.random() * 1296).toString(36)).slice(-8);
  log(`work dir ${workdir}`);
  const t0 = Date.now();
  const data = buildData(workdir, runTag);
  log(`data: ${data.counts.hosts} hostnames in ${ZONES.length} zones, blocklist ${data.counts.blocked} + ${data.counts.subtreeEntries} subtree entries (${Date.now() - t0} ms)`);

  const want = (r) => rowsWanted.includes(r);
  const checks = {};
  const nsdPort = NSD_FIXED_PORT ?? (await freePort());
  const probe = data.probes.clean.name;

  // 1. bare Node UDP baseline, alone on the server CPU
  if (want('bare-node-udp') && !interrupted) {
    const bare = await startBare(SERVER_CPU);
    try {
      await measure('bare-node-udp', 'bare-node', bare, data);
    } finally {
      await stopProcess(bare.rec);
    }
  }

  // 2. nsd on the server CPU: direct figures (and, in --self-test, every mix against it)
  const selfTest = opts['self-test'];
  if ((want('nsd-direct') || (selfTest && SINKD_ROWS.some(want))) && !interrupted) {
    const nsd = await startNsd(workdir, nsdPort, data.zoneFiles, SERVER_CPU, probe);
    const server = { host: '127.0.0.1', port: nsdPort, pgid: nsd.pgid };
    try {
      if (want('nsd-direct')) await measure('nsd-direct', 'nsd', server, data);
      if (selfTest) {
        checks.nsd = correctness(server.host, server.port, data.probes);
        notes.push('self-test: the sinkd mixes ran against nsd itself (nothing is sinkholed; NXDOMAIN is expected for blocked names that are not in the zone)');
        for (const row of SINKD_ROWS) if (want(row)) await measure(row, 'nsd', server, data);
      }
    } finally {
      await stopProcess(nsd.rec);
    }
  }

  // 3. sinkd (or --target) with nsd as its upstream; nsd runs on the load CPU with dnsperf
  const needUpstream = !selfTest && (SINKD_ROWS.some(want) || want('blocked-loginfo') || want('blocked-untracked'));
  if (needUpstream && !interrupted) {
    const nsd = await startNsd(workdir, nsdPort, data.zoneFiles, LOAD_CPU, probe);
    try {
      if (TARGET) {
        notes.push(`target ${TARGET.host}:${TARGET.port} must forward to 127.0.0.1:${nsdPort} (use --nsd-port) and block the names in ${data.blocklist} (use --workdir) for the mixes to mean what their names say`);
        if (!(await waitForDns(TARGET.host, TARGET.port, probe, null, 10000))) throw new Error(`target ${opts.target} does not answer`);
        checks.target = correctness(TARGET.host, TARGET.port, data.probes);
        for (const row of SINKD_ROWS) if (want(row)) await measure(row, 'target', TARGET, data);
      } else {
        if (SINKD_ROWS.some(want) && !interrupted) {
          const s = await startSinkd(workdir, nsdPort, data.blocklist, 'warn', SERVER_CPU, probe).catch((err) => {
            notes.push(`sinkd (log warn) not measured: ${err.message}`);
            return null;
          });
          if (s) {
            try {
              checks.sinkd = correctness(s.host, s.port, data.probes);
              for (const row of SINKD_ROWS) if (want(row)) await measure(row, 'sinkd', s, data);
            } finally {
              await stopProcess(s.rec);
            }
          }
        }
        if (want('blocked-untracked') && !interrupted) {
          // The same as blocked-loginfo with infected-host tracking off: the cost of recording hits.
          const s = await startSinkd(workdir, nsdPort, data.blocklist, 'info', SERVER_CPU, probe, 'infected: { enabled: false }', 'info-untracked').catch((err) => {
            notes.push(`sinkd (untracked) not measured: ${err.message}`);
            return null;
          });
          if (s) {
            try {
              await measure('blocked-untracked', 'sinkd(info,notrack)', s, data);
            } finally {
              await stopProcess(s.rec);
            }
          }
        }
        if (want('blocked-loginfo') && !interrupted) {
          const s = await startSinkd(workdir, nsdPort, data.blocklist, 'info', SERVER_CPU, probe).catch((err) => {
            notes.push(`sinkd (log info) not measured: ${err.message}`);
            return null;
          });
          if (s) {
            try {
              await measure('blocked-loginfo', 'sinkd(info)', s, data);
            } finally {
              await stopProcess(s.rec);
            }
          }
        }
      }
    } finally {
      await stopProcess(nsd.rec);
    }
  }

  // 4. sinkd in seized-zone mode: authoritative for the three zones, nsd as the original servers
  if (SEIZED_ROWS.some(want) && !TARGET && !selfTest && !interrupted) {
    const nsd = await startNsd(workdir, nsdPort, data.zoneFiles, LOAD_CPU, probe);
    try {
      const q = (x) => JSON.stringify(x);
      const zones = ZONES.map((z) =>
        `  - { name: ${z}, nameservers: [${q(`127.0.0.1:${nsdPort}`)}], soa: { mname: ns1.sinkhole.example., rname: hostmaster.sinkhole.example., serial: 2014063001, refresh: 3600, retry: 600, expire: 604800, minimum: 60 }, ns: [ns1.sinkhole.example.] }`,
      );
      // RRL stays on (its accounting is part of the cost) with a rate dnsperf's one address never reaches.
      const yaml = ['acl: { allow: [] }', 'rrl: { enabled: true, responsesPerSecond: 1000000, nxdomainsPerSecond: 1000000, errorsPerSecond: 1000000 }', 'zones:', ...zones].join('\n');
      const s = await startSinkd(workdir, nsdPort, data.seizedList, 'warn', SERVER_CPU, probe, yaml, 'seized').catch((err) => {
        notes.push(`sinkd (seized) not measured: ${err.message}`);
        return null;
      });
      if (s) {
        try {
          const c = kdig(s.host, s.port, data.probes.clean.name, 'A');
          const l = kdig(s.host, s.port, data.probes.seizedListed, 'A');
          checks.seized = {
            relayed: c.status === 'NOERROR' && c.flags.includes('aa') && c.answers.some((a) => a.data === data.probes.clean.a) ? 'ok' : `unexpected: ${c.status} ${c.flags}`,
            listed: l.status === 'NOERROR' && l.flags.includes('aa') && l.answers.some((a) => a.data === '0.0.0.0') ? 'ok' : `unexpected: ${l.status} ${l.flags}`,
          };
          for (const row of SEIZED_ROWS) if (want(row)) await measure(row, 'sinkd(seized)', s, data);
        } finally {
          await stopProcess(s.rec);
        }
      }
    } finally {
      await stopProcess(nsd.rec);
    }
  }

  // report
  console.log(`sinkd bench${SOAK ? ' (soak)' : ''}: ${SECONDS} s per mix${REPEAT > 1 ? ` (median of ${REPEAT} runs)` : ''}; dnsperf -c ${CLIENTS} -q ${OUTSTANDING} -T ${THREADS} -t ${TIMEOUT}${RATE ? ` -Q ${RATE}` : ''} on CPU ${CAN_PIN ? LOAD_CPU : 'any'}, server under test on CPU ${CAN_PIN && WORKERS === 1 ? SERVER_CPU : 'any'}${WORKERS > 1 ? ` (${WORKERS} workers)` : ''}; ${os.cpus()[0]?.model ?? 'cpu?'} x${CPU_COUNT}, Node ${process.version}`);
  printTable();
  for (const [who, c] of Object.entries(checks)) {
    const bad = Object.entries(c).filter(([, v]) => !String(v).startsWith('ok'));
    console.log(`answers from ${who}: ${bad.length === 0 ? 'all probes ok' : bad.map(([k, v]) => `${k}: ${v}`).join('; ')}`);
  }
  if (interrupted) notes.push('interrupted: the rows above are all that was measured');
  for (const n of notes) console.log(`note: ${n}`);
  const soak = SOAK ? soakReport() : undefined;
  const summary = {
    bench: 'sinkd',
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? null,
    cpus: CPU_COUNT,
    loadavgAtStart: LOADAVG_AT_START,
    pinned: CAN_PIN ? { server: SERVER_CPU, load: LOAD_CPU } : null,
    secondsPerMix: SECONDS,
    workers: WORKERS,
    repeat: REPEAT,
    dnsperf: { clients: CLIENTS, outstanding: OUTSTANDING, threads: THREADS, timeoutS: TIMEOUT, maxQps: RATE },
    data: data.counts,
    mode: TARGET ? `target ${opts.target}` : selfTest ? 'self-test' : 'sinkd',
    checks,
    notes,
    results,
    soak,
  };
  try {
    const outDir = path.join(HERE, 'out');
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'last-run.json'), JSON.stringify(summary, null, 2) + '\n');
  } catch {
    /* bench/out is a convenience copy only */
  }
  if (!ownWorkdir || opts.keep) log(`work dir kept: ${workdir}`);
  console.log(JSON.stringify(summary));
  if (interrupted) return 130;
  const failed = results.filter((r) => r.error).length;
  if (soak && soak.verdict !== 'PASS') return 1;
  return failed > 0 || notes.some((n) => n.includes('not measured')) ? 1 : 0;
}

main()
  .then(async (code) => {
    await stopAll();
    removeWorkdir();
    process.exit(code);
  })
  .catch(async (err) => {
    process.stderr.write(`bench: ${err?.stack ?? err}\n`);
    await stopAll();
    removeWorkdir();
    process.exit(1);
  });
