// Real redis-server processes for tests: each on its own free loopback port with its own temp
// directory, never the developer's Redis (127.0.0.1:6379) or its data. Every wait is bounded, and
// every process is killed (and its directory removed) on stop() or when the test worker exits.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

const REDIS_SERVER = process.env.SINKD_TEST_REDIS_SERVER ?? 'redis-server';
const REDIS_CLI = process.env.SINKD_TEST_REDIS_CLI ?? 'redis-cli';
const START_TIMEOUT_MS = 10_000;

export interface TestRedis {
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** SIGTERM (then SIGKILL if it lingers), and remove the temp directory. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash; the directory stays so restart() can use it. */
  kill(): Promise<void>;
  /** Start again on the same port with the same directory (empty unless the options persist data). */
  restart(): Promise<void>;
}

export interface StartRedisOptions {
  /** Extra redis-server arguments, e.g. ['--appendonly', 'yes'] to keep data across restart(). */
  args?: string[];
}

export interface TestRedisCluster {
  /** Seed nodes as HOST:PORT. */
  readonly nodes: string[];
  readonly ports: number[];
  stop(): Promise<void>;
}

// Children still running when the worker exits are killed, so a failed test leaves nothing behind.
const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let exitHookInstalled = false;
function track(child: ChildProcess, dir: string): void {
  live.add(child);
  dirs.add(dir);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });
  }
}

/** Sends one command in RESP and returns the raw reply text (enough for PING / INFO / CLUSTER). */
export function rawCommand(port: number, args: readonly string[], timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (err: Error | null, value?: string) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(value ?? '');
    };
    const timer = setTimeout(() => done(new Error(`no reply from 127.0.0.1:${port} within ${timeoutMs} ms`)), timeoutMs);
    sock.on('error', (err) => done(err));
    sock.on('connect', () => {
      sock.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
    sock.on('data', (chunk) => {
      data += chunk.toString('utf8');
      if (replyComplete(data)) done(null, data);
    });
  });
}

function replyComplete(text: string): boolean {
  if (!text.endsWith('\r\n')) return false;
  const type = text[0];
  if (type === '+' || type === '-' || type === ':') return true;
  if (type === '$' || type === '=' || type === '!') {
    const eol = text.indexOf('\r\n');
    const len = Number(text.slice(1, eol));
    return len < 0 || Buffer.byteLength(text) >= eol + 2 + len + 2;
  }
  return true; // arrays and other replies are not needed complete here
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>, failFast?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const fatal = failFast?.();
    if (fatal) throw new Error(fatal);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(25);
  }
}

function logTail(dir: string, logName: string): string {
  const file = join(dir, logName);
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join('\n');
}

/** Spawns redis-server and waits until it answers PING; rejects (with its log) if it exits first. */
async function spawnServer(port: number, dir: string, args: readonly string[], logName = 'redis.log'): Promise<ChildProcess> {
  const argv = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', join(dir, logName), '--daemonize', 'no', ...args];
  const child = spawn(REDIS_SERVER, argv, { stdio: 'ignore' });
  track(child, dir);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `redis-server on port ${port} exited (${signal ?? code}) before answering PING\n${logTail(dir, logName)}`;
  });
  child.once('error', (err) => {
    exited = `cannot start ${REDIS_SERVER}: ${err.message}`;
  });
  try {
    await waitUntil(`redis-server on port ${port}`, START_TIMEOUT_MS, async () => (await rawCommand(port, ['PING'], 500)).startsWith('+PONG'), () => exited);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return child;
}

async function killChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** A standalone redis-server on a free loopback port (no persistence unless `args` ask for it). */
export async function startRedis(opts: StartRedisOptions = {}): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'sinkd-redis-'));
  const args = opts.args ?? [];
  let child: ChildProcess | undefined;
  let port = 0;
  // A port found free can be taken before redis binds it: try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      child = await spawnServer(port, dir, args);
      break;
    } catch (err) {
      if (attempt >= 4 || !/in use|bind/i.test((err as Error).message)) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      await killChild(child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
    async kill() {
      await killChild(child, 'SIGKILL');
    },
    async restart() {
      await killChild(child, 'SIGKILL');
      // The port was just released; a restart can briefly race the kernel, so retry a little.
      for (let attempt = 0; ; attempt++) {
        try {
          child = await spawnServer(port, dir, args);
          return;
        } catch (err) {
          if (attempt >= 20) throw err;
          await sleep(100);
        }
      }
    },
  };
}

/** `count` masters (no replicas) joined into one cluster, waiting until every node says cluster_state:ok. */
export async function startRedisCluster(count = 3): Promise<TestRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'sinkd-redis-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const busPorts: number[] = [];
  const stop = async () => {
    await Promise.all(children.map((c) => killChild(c, 'SIGTERM')));
    rmSync(dir, { recursive: true, force: true });
    dirs.delete(dir);
  };
  try {
    for (let i = 0; i < count; i++) {
      for (let attempt = 0; ; attempt++) {
        const port = await freePort();
        const busPort = await freePort();
        const used = [...ports, ...busPorts];
        if (busPort === port || used.includes(port) || used.includes(busPort)) continue;
        try {
          const child = await spawnServer(port, dir, [
            '--cluster-enabled', 'yes',
            '--cluster-config-file', join(dir, `nodes-${port}.conf`),
            '--cluster-port', String(busPort),
            '--cluster-node-timeout', '5000',
          ], `redis-${port}.log`);
          children.push(child);
          ports.push(port);
          busPorts.push(busPort);
          break;
        } catch (err) {
          if (attempt >= 4) throw err;
        }
      }
    }
    if (!createWithCli(ports)) await createByHand(ports, busPorts);
    for (const port of ports) {
      await waitUntil(`cluster node ${port}`, 15_000, async () => {
        const info = await rawCommand(port, ['CLUSTER', 'INFO']);
        return info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${count}`) && info.includes('cluster_slots_assigned:16384');
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes: ports.map((p) => `127.0.0.1:${p}`), ports, stop };
}

function createWithCli(ports: readonly number[]): boolean {
  const r = spawnSync(REDIS_CLI, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') return false;
  if (r.status !== 0) throw new Error(`redis-cli --cluster create failed (${r.status ?? r.signal}): ${r.stdout}\n${r.stderr}`);
  return true;
}

/** Without redis-cli: split the slots evenly with ADDSLOTSRANGE and MEET every node from the first. */
async function createByHand(ports: readonly number[], busPorts: readonly number[]): Promise<void> {
  const per = Math.ceil(16384 / ports.length);
  for (let i = 0; i < ports.length; i++) {
    const from = i * per;
    const to = Math.min(16383, (i + 1) * per - 1);
    const reply = await rawCommand(ports[i]!, ['CLUSTER', 'ADDSLOTSRANGE', String(from), String(to)]);
    if (!reply.startsWith('+OK')) throw new Error(`CLUSTER ADDSLOTSRANGE on ${ports[i]}: ${reply.trim()}`);
  }
  for (let i = 1; i < ports.length; i++) {
    const reply = await rawCommand(ports[0]!, ['CLUSTER', 'MEET', '127.0.0.1', String(ports[i]), String(busPorts[i])]);
    if (!reply.startsWith('+OK')) throw new Error(`CLUSTER MEET ${ports[i]}: ${reply.trim()}`);
  }
}

export interface TestRedisSentinel {
  /** HOST:PORT of the sentinel. */
  readonly node: string;
  readonly port: number;
  /** The monitored master's name. */
  readonly name: string;
  stop(): Promise<void>;
}

/** One Sentinel (quorum 1) monitoring the master at 127.0.0.1:`masterPort` as `name`. */
export async function startRedisSentinel(masterPort: number, name = 'mymaster'): Promise<TestRedisSentinel> {
  const dir = mkdtempSync(join(tmpdir(), 'sinkd-redis-sentinel-'));
  const conf = join(dir, 'sentinel.conf');
  let child: ChildProcess | undefined;
  let port = 0;
  try {
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      // Sentinel rewrites its config file, so it gets its own.
      writeFileSync(conf, `port ${port}\nbind 127.0.0.1\ndir ${dir}\nlogfile ${join(dir, 'sentinel.log')}\nsentinel monitor ${name} 127.0.0.1 ${masterPort} 1\n`);
      const c = spawn(REDIS_SERVER, [conf, '--sentinel'], { stdio: 'ignore' });
      track(c, dir);
      let exited: string | undefined;
      c.once('exit', (code, signal) => (exited = `redis sentinel exited (${signal ?? code})\n${logTail(dir, 'sentinel.log')}`));
      c.once('error', (err) => (exited = `cannot start ${REDIS_SERVER} --sentinel: ${err.message}`));
      try {
        await waitUntil(`sentinel on port ${port}`, START_TIMEOUT_MS, async () => (await rawCommand(port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name], 500)).includes(String(masterPort)), () => exited);
        child = c;
        break;
      } catch (err) {
        c.kill('SIGKILL');
        if (attempt >= 4) throw err;
      }
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    node: `127.0.0.1:${port}`,
    port,
    name,
    async stop() {
      await killChild(child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
  };
}
