// Real redis-server processes that speak only TLS and ask for a password: a test CA and
// certificates made with openssl, a standalone server, a Sentinel in front of one, and a
// Cluster whose bus is TLS too. Plain-text ports are off (--port 0), so a client that gets an
// answer at all got it over TLS. Same rules as test/helpers/redis.ts: free loopback ports, own
// temp directories, bounded waits, every process killed when the test worker exits.

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { freePort } from './free-port.js';

const REDIS_SERVER = process.env.SINKD_TEST_REDIS_SERVER ?? 'redis-server';
const REDIS_CLI = process.env.SINKD_TEST_REDIS_CLI ?? 'redis-cli';
export const TLS_PASSWORD = 'tls-s3cret';

export interface TestCa {
  readonly dir: string;
  /** PEM paths. */
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A CA that signed nothing here: trusting it must fail. */
  readonly otherCa: string;
}

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let hooked = false;
function track(child: ChildProcess | undefined, dir: string): void {
  dirs.add(dir);
  if (child) {
    live.add(child);
    child.once('exit', () => live.delete(child));
  }
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });
  }
}

/** A CA, a server certificate for 127.0.0.1 and localhost, and a client certificate. */
export function makeTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'sinkd-tls-'));
  track(undefined, dir);
  const p = (f: string) => join(dir, f);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 20_000 });
  const ca = (name: string) => {
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', p(`${name}.key`), '-out', p(`${name}.pem`));
  };
  ca('sinkd-test-ca');
  ca('other-ca');
  const leaf = (name: string, ext: string) => {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`));
    writeFileSync(p(`${name}.ext`), ext);
    ssl('x509', '-req', '-in', p(`${name}.csr`), '-CA', p('sinkd-test-ca.pem'), '-CAkey', p('sinkd-test-ca.key'), '-CAcreateserial', '-days', '2', '-extfile', p(`${name}.ext`), '-out', p(`${name}.pem`));
  };
  leaf('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  leaf('client', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    ca: p('sinkd-test-ca.pem'),
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    otherCa: p('other-ca.pem'),
  };
}

/** One command over TLS (AUTH first when a password is given); the raw RESP reply of the last command. */
export function tlsCommand(ca: TestCa, port: number, args: readonly string[], password: string | undefined = TLS_PASSWORD, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(ca.ca), cert: readFileSync(ca.clientCert), key: readFileSync(ca.clientKey) });
    const cmds = [...(password !== undefined ? [['AUTH', password]] : []), args];
    let data = '';
    const done = (err: Error | null, v?: string) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(v ?? '');
    };
    const timer = setTimeout(() => done(new Error(`no TLS reply from 127.0.0.1:${port}`)), timeoutMs);
    sock.on('error', (e) => done(e));
    sock.on('secureConnect', () => sock.write(cmds.map((c) => `*${c.length}\r\n${c.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`).join('')));
    sock.on('data', (chunk) => {
      data += chunk.toString('latin1');
      let at = 0;
      let last = 0;
      for (let n = 0; n < cmds.length; n++) {
        last = at;
        at = replyEnd(data, at);
        if (at < 0) return;
      }
      done(null, Buffer.from(data.slice(last, at), 'latin1').toString('utf8'));
    });
  });
}

/** Where the RESP reply starting at `from` ends, or -1 while it is incomplete. */
function replyEnd(s: string, from: number): number {
  const eol = s.indexOf('\r\n', from);
  if (eol < 0) return -1;
  const type = s[from];
  const n = Number(s.slice(from + 1, eol));
  if (type === '$') return n < 0 ? eol + 2 : s.length >= eol + 2 + n + 2 ? eol + 2 + n + 2 : -1;
  if (type === '*') {
    let at = eol + 2;
    for (let i = 0; i < n; i++) {
      at = replyEnd(s, at);
      if (at < 0) return -1;
    }
    return at;
  }
  return eol + 2;
}

function tlsArgs(ca: TestCa): string[] {
  return ['--tls-cert-file', ca.serverCert, '--tls-key-file', ca.serverKey, '--tls-ca-cert-file', ca.ca, '--tls-auth-clients', 'optional'];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(what: string, child: ChildProcess, log: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = `${what} exited (${sig ?? code})\n${existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-6).join('\n') : ''}`));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(exited);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready within ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function stopAll(children: ChildProcess[], dir: string): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((r) => {
          if (c.exitCode !== null || c.signalCode !== null) return r();
          c.once('exit', () => r());
          c.kill('SIGTERM');
          setTimeout(() => c.kill('SIGKILL'), 3000).unref();
        }),
    ),
  );
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

export interface TlsRedis {
  readonly port: number;
  /** rediss://:PASSWORD@127.0.0.1:PORT */
  readonly url: string;
  stop(): Promise<void>;
}

/** A standalone server: TLS only, with a password. */
export async function startTlsRedis(ca: TestCa, extra: string[] = []): Promise<TlsRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'sinkd-redis-tls-'));
  const port = await freePort();
  const log = join(dir, 'redis.log');
  const child = spawn(REDIS_SERVER, ['--port', '0', '--tls-port', String(port), ...tlsArgs(ca), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', log, '--requirepass', TLS_PASSWORD, ...extra], { stdio: 'ignore' });
  track(child, dir);
  await waitFor(`TLS redis-server on ${port}`, child, log, async () => (await tlsCommand(ca, port, ['PING'], TLS_PASSWORD, 500)).startsWith('+PONG'));
  return { port, url: `rediss://:${TLS_PASSWORD}@127.0.0.1:${port}`, stop: () => stopAll([child], dir) };
}

export interface TlsSentinel {
  readonly master: TlsRedis;
  /** HOST:PORT of the Sentinel. */
  readonly node: string;
  readonly name: string;
  stop(): Promise<void>;
}

/** A TLS master and one Sentinel (quorum 1) that speaks TLS, asks for the same password, and watches the master over TLS. */
export async function startTlsSentinel(ca: TestCa, name = 'tlsmaster'): Promise<TlsSentinel> {
  const master = await startTlsRedis(ca);
  const dir = mkdtempSync(join(tmpdir(), 'sinkd-sentinel-tls-'));
  const port = await freePort();
  const log = join(dir, 'sentinel.log');
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      'port 0',
      `tls-port ${port}`,
      `tls-cert-file ${ca.serverCert}`,
      `tls-key-file ${ca.serverKey}`,
      `tls-ca-cert-file ${ca.ca}`,
      'tls-auth-clients optional',
      'tls-replication yes',
      'bind 127.0.0.1',
      `dir ${dir}`,
      `logfile ${log}`,
      `requirepass ${TLS_PASSWORD}`,
      `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
      `sentinel auth-pass ${name} ${TLS_PASSWORD}`,
      '',
    ].join('\n'),
  );
  const child = spawn(REDIS_SERVER, [conf, '--sentinel'], { stdio: 'ignore' });
  track(child, dir);
  try {
    await waitFor(`TLS sentinel on ${port}`, child, log, async () => (await tlsCommand(ca, port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name], TLS_PASSWORD, 500)).includes(String(master.port)));
  } catch (err) {
    await master.stop();
    throw err;
  }
  return {
    master,
    node: `127.0.0.1:${port}`,
    name,
    async stop() {
      await stopAll([child], dir);
      await master.stop();
    },
  };
}

export interface TlsCluster {
  readonly nodes: string[];
  stop(): Promise<void>;
}

/** `count` masters joined into one cluster: TLS for clients and for the cluster bus, a password everywhere. */
export async function startTlsCluster(ca: TestCa, count = 3): Promise<TlsCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'sinkd-cluster-tls-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = () => stopAll(children, dir);
  try {
    for (let i = 0; i < count; i++) {
      let port = await freePort();
      let bus = await freePort();
      while (bus === port || ports.includes(port) || ports.includes(bus)) {
        port = await freePort();
        bus = await freePort();
      }
      const log = join(dir, `redis-${port}.log`);
      const child = spawn(
        REDIS_SERVER,
        [
          '--port', '0', '--tls-port', String(port), ...tlsArgs(ca), '--tls-cluster', 'yes',
          '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-port', String(bus), '--cluster-node-timeout', '5000',
          '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', log,
          '--requirepass', TLS_PASSWORD, '--masterauth', TLS_PASSWORD,
        ],
        { stdio: 'ignore' },
      );
      track(child, dir);
      children.push(child);
      ports.push(port);
      await waitFor(`TLS cluster node ${port}`, child, log, async () => (await tlsCommand(ca, port, ['PING'], TLS_PASSWORD, 500)).startsWith('+PONG'));
    }
    const r = spawnSync(
      REDIS_CLI,
      ['--tls', '--cacert', ca.ca, '--cert', ca.clientCert, '--key', ca.clientKey, '-a', TLS_PASSWORD, '--no-auth-warning', '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (r.status !== 0) throw new Error(`redis-cli --tls --cluster create failed (${r.status ?? r.signal}): ${r.stdout}\n${r.stderr}`);
    for (const port of ports) {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const info = await tlsCommand(ca, port, ['CLUSTER', 'INFO']).catch(() => '');
        if (info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${count}`)) break;
        if (Date.now() > deadline) throw new Error(`TLS cluster node ${port} not ok: ${info}`);
        await sleep(100);
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes: ports.map((p) => `127.0.0.1:${p}`), stop };
}
