// Runs Debian's nsd as a real authoritative server on a free loopback port, serving zone texts
// from a temp dir: the "original name servers" of a seized zone in integration tests.
//
// nsd runs in the foreground (-d) as the leader of its own process group, so stop() and kill()
// reach the server and xfrd children it forks, and nothing else. Response rate limiting is off
// (rrl-ratelimit: 0): with it on, nsd drops answers to a test that asks thousands of questions
// from one address. Tests call nsdSkipReason() first and skip with its message when nsd is not
// installed (.ci/run installs it).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildQuery, sendUdpRaw } from './dns-client.js';
import { freePort } from './free-port.js';

export interface NsdZone {
  name: string;
  /** RFC 1035 master file text. */
  text: string;
}

export interface NsdOptions {
  zones: NsdZone[];
  /** Default: a free loopback port. */
  port?: number;
  /**
   * nsd's minimal-responses (default false, nsd's own default): when true nsd leaves out the
   * authority NS and additional glue it would otherwise add to positive answers.
   */
  minimalResponses?: boolean;
  /** How long start waits for the first answer (default 10 s). */
  readyTimeoutMs?: number;
}

export interface NsdServer {
  readonly port: number;
  readonly host: '127.0.0.1';
  /** "127.0.0.1:PORT", as a zone's nameservers entry. */
  readonly endpoint: string;
  readonly dir: string;
  /** True between a start and a stop/kill. */
  readonly running: boolean;
  /** SIGTERM to the group, waits for the exit (SIGKILL after 5 s). Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL to the group (a crash, not a shutdown), waits for the exit. Idempotent. */
  kill(): Promise<void>;
  /** Starts again on the same port with the same zones (stops first if running). */
  restart(): Promise<void>;
  /** nsd's stderr and log file, for failure messages. */
  logs(): string;
  /** Stops and removes the temp dir. */
  dispose(): Promise<void>;
}

const CANDIDATES = [process.env.NSD_BIN, '/usr/sbin/nsd', '/usr/local/sbin/nsd'].filter((p): p is string => Boolean(p));

function findNsd(): string | null {
  for (const p of CANDIDATES) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  const r = spawnSync('sh', ['-c', 'command -v nsd'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

/** null when nsd can be run; otherwise why not, worded for a skipped test's title. */
export function nsdSkipReason(): string | null {
  const bin = findNsd();
  if (!bin) return `nsd is not installed (looked for ${CANDIDATES.join(', ')} and nsd in PATH; Debian: apt-get install nsd)`;
  const v = spawnSync(bin, ['-v'], { encoding: 'utf8', timeout: 5000 });
  if (v.error) return `nsd at ${bin} cannot be run: ${v.error.message}`;
  return null;
}

// Every nsd still running when this process exits is killed by its group id, so a crashed
// test file leaves no server behind.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

function confText(dir: string, port: number, zones: { name: string; file: string }[], minimal: boolean): string {
  const q = (s: string) => JSON.stringify(s);
  return [
    'server:',
    `  ip-address: 127.0.0.1@${port}`,
    `  port: ${port}`,
    '  do-ip6: no',
    '  username: ""',
    '  chroot: ""',
    `  zonesdir: ${q(dir)}`,
    '  database: ""',
    `  zonelistfile: ${q(join(dir, 'zone.list'))}`,
    `  xfrdfile: ${q(join(dir, 'xfrd.state'))}`,
    `  xfrdir: ${q(dir)}`,
    `  pidfile: ${q(join(dir, 'nsd.pid'))}`,
    `  logfile: ${q(join(dir, 'nsd.log'))}`,
    '  verbosity: 1',
    '  server-count: 1',
    '  hide-version: yes',
    '  reuseport: no',
    // The tests send hundreds of questions at once: a large receive buffer keeps nsd from
    // losing any on loopback (nsd runs as root here and may exceed rmem_max).
    '  receive-buffer-size: 4194304',
    '  send-buffer-size: 4194304',
    `  minimal-responses: ${minimal ? 'yes' : 'no'}`,
    // Rate limiting off: with it on nsd drops and truncates answers under the test's load.
    '  rrl-ratelimit: 0',
    '  rrl-whitelist-ratelimit: 0',
    'remote-control:',
    '  control-enable: no',
    ...zones.flatMap(({ name, file }) => ['zone:', `  name: ${q(name)}`, `  zonefile: ${q(file)}`]),
  ].join('\n') + '\n';
}

function tail(file: string, bytes = 3000): string {
  try {
    const buf = readFileSync(file);
    return buf.subarray(Math.max(0, buf.length - bytes)).toString('utf8');
  } catch {
    return '';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startNsd(opts: NsdOptions): Promise<NsdServer> {
  const reason = nsdSkipReason();
  if (reason) throw new Error(reason);
  const bin = findNsd()!;
  if (opts.zones.length === 0) throw new Error('startNsd: no zones');
  const dir = mkdtempSync(join(tmpdir(), 'sinkd-nsd-'));
  const zones = opts.zones.map((z, i) => {
    const name = z.name.toLowerCase().replace(/\.$/, '');
    const file = join(dir, `zone${i}-${name}.zone`);
    writeFileSync(file, z.text);
    return { name, file };
  });
  const port = opts.port ?? (await freePort());
  const conf = join(dir, 'nsd.conf');
  writeFileSync(conf, confText(dir, port, zones, opts.minimalResponses ?? false));
  const checkconf = bin.replace(/nsd$/, 'nsd-checkconf');
  const cc = spawnSync(checkconf, [conf], { encoding: 'utf8', timeout: 10_000 });
  if (!cc.error && cc.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`nsd-checkconf rejected the generated config:\n${cc.stdout}${cc.stderr}`);
  }
  const probe = buildQuery(zones[0]!.name, { type: 'SOA', rd: false, id: 4711 });
  const errFile = join(dir, 'nsd.stderr');

  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  async function launch(): Promise<void> {
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 10_000);
    // The port of a server just stopped can take a moment to be bindable again: retry.
    for (let attempt = 1; ; attempt++) {
      const fd = openSync(errFile, 'a');
      const c = spawn(bin, ['-d', '-c', conf], { cwd: dir, detached: true, stdio: ['ignore', fd, fd] });
      closeSync(fd);
      live.add(c);
      let gone = false;
      exited = new Promise<void>((resolve) => {
        c.once('exit', () => {
          gone = true;
          live.delete(c);
          resolve();
        });
        c.once('error', () => {
          gone = true;
          live.delete(c);
          resolve();
        });
      });
      child = c;
      while (!gone && Date.now() < deadline) {
        const reply = await sendUdpRaw(port, probe, { timeoutMs: 200 });
        if (reply && reply.readUInt16BE(0) === 4711 && (reply[3]! & 0x0f) === 0) return;
        await sleep(50);
      }
      if (!gone) await signal('SIGKILL');
      child = null;
      if (Date.now() >= deadline || attempt >= 5) {
        throw new Error(`nsd did not answer on 127.0.0.1:${port} (conf ${conf}):\n${tail(errFile)}${tail(join(dir, 'nsd.log'))}`);
      }
      await sleep(200);
    }
  }

  async function signal(sig: NodeJS.Signals): Promise<void> {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) {
      child = null;
      return;
    }
    try {
      process.kill(-c.pid!, sig);
    } catch {
      /* already gone */
    }
    const timer = sig === 'SIGKILL' ? null : setTimeout(() => {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 5000);
    await exited;
    if (timer) clearTimeout(timer);
    // The leader has exited; its forked children get the same signal through the group, but
    // give them a moment to let go of the sockets.
    for (let i = 0; i < 40; i++) {
      try {
        process.kill(-c.pid!, 0);
      } catch {
        break;
      }
      await sleep(25);
    }
    child = null;
  }

  try {
    await launch();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    port,
    host: '127.0.0.1',
    endpoint: `127.0.0.1:${port}`,
    dir,
    get running() {
      return child !== null;
    },
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    async restart() {
      await signal('SIGTERM');
      await launch();
    },
    logs: () => tail(errFile) + tail(join(dir, 'nsd.log')),
    async dispose() {
      await signal('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
