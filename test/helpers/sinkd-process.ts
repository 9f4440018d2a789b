// The built `sinkd` (dist/) as a child process, for tests that need a real process: SIGKILL, two
// processes on one data directory, the CLI reading what a running server wrote. Output is kept
// (log lines parsed), every wait is bounded, and every process is killed when the test file ends.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

export const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const built = existsSync(BIN);

const live = new Set<ChildProcess>();
const dirs: string[] = [];
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

export interface SinkdProcess {
  readonly proc: ChildProcess;
  readonly port: number;
  /** stdout + stderr so far. */
  output(): string;
  /** Parsed JSON log lines so far. */
  logs(): Record<string, unknown>[];
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string>;
  waitFor(event: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** A temp directory with a config whose embedded stores (blocklist and hits) live in `dir`/data. */
export async function sinkdWorkspace(opts: { list?: string; yaml?: string[]; adminPort?: number } = {}): Promise<{ dir: string; config: string; port: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sinkd-proc-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'list.txt'), opts.list ?? '# family: Bladabindi\nc2.no-ip.biz\nworm.zapto.org\n');
  const port = await freePort();
  const lines = [
    `listen: ["127.0.0.1:${port}"]`,
    // Nothing listens there: these tests only ask sinkholed names.
    'upstreams: ["127.0.0.1:9"]',
    'blocklists: [list.txt]',
    'store: { path: data/blocklist-store.jsonl }',
    ...(opts.adminPort !== undefined ? [`admin: { listen: "127.0.0.1:${opts.adminPort}" }`] : []),
    ...(opts.yaml ?? []),
  ];
  const config = join(dir, 'sinkd.yaml');
  writeFileSync(config, `${lines.join('\n')}\n`);
  return { dir, config, port };
}

export function spawnSinkd(args: readonly string[], opts: { cwd: string; port?: number; env?: NodeJS.ProcessEnv; shell?: string }): SinkdProcess {
  const proc = opts.shell
    ? spawn('/bin/sh', ['-c', `${opts.shell} exec "$0" "$@"`, process.execPath, BIN, ...args], { cwd: opts.cwd, env: opts.env ?? process.env })
    : spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: opts.env ?? process.env });
  live.add(proc);
  const chunks: string[] = [];
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => chunks.push(d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => chunks.push(d));
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => {
      live.delete(proc);
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  const output = () => chunks.join('');
  const logs = () =>
    output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
  return {
    proc,
    port: opts.port ?? 0,
    output,
    logs,
    exited,
    async waitFor(event, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const hit = logs().find((l) => l.event === event);
        if (hit) return hit;
        if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`sinkd exited (${proc.exitCode ?? proc.signalCode}) before logging ${event}:\n${output().slice(-2000)}`);
        if (Date.now() > end) throw new Error(`sinkd did not log ${event} within ${timeoutMs} ms:\n${output().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async kill(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** `sinkd serve --config CONFIG` from the workspace, once it logged its start. */
export async function startServe(ws: { dir: string; config: string; port: number }, extra: readonly string[] = [], shell?: string): Promise<SinkdProcess> {
  const p = spawnSinkd(['serve', '--config', ws.config, ...extra], { cwd: ws.dir, port: ws.port, ...(shell ? { shell } : {}) });
  await p.waitFor('start', 60_000);
  return p;
}
