// The built `sinkd` CLI run in a child process, in a temp workspace with its own config (the
// embedded store in the workspace, or a Redis key prefix of its own), shared by test/cli.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect } from 'vitest';
import { startRedis, type TestRedis } from './redis.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'dist/cli/main.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runSinkd(args: readonly string[], opts: { env?: Record<string, string | undefined>; cwd?: string } = {}): Promise<Run> {
  const env: Record<string, string | undefined> = { ...process.env, SINKD_REDIS_URL: undefined, ...opts.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? tmpdir(), env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

export interface Workspace {
  readonly dir: string;
  /** Writes a file in the workspace and returns its path. */
  file(name: string, text: string): string;
  run(args: readonly string[], opts?: { env?: Record<string, string | undefined> }): Promise<Run>;
  /** run() that must succeed (exit 0); otherwise the test fails with the command's stderr. */
  ok(args: readonly string[]): Promise<Run>;
  json(args: readonly string[]): Promise<any>;
}

const dirs: string[] = [];
let redis: TestRedis | undefined;
let workspaces = 0;

/** A temp dir with a config file: the embedded store in it, or a Redis key prefix of its own. */
export function workspace(kind: 'embedded' | 'redis'): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'sinkd-cli-'));
  dirs.push(dir);
  const config = join(dir, 'sinkd.yaml');
  const lines = ['upstreams: ["127.0.0.1:53"]', 'blocklists: []', `store: { path: ${JSON.stringify(join(dir, 'store.jsonl'))} }`];
  // A generous connect timeout: these runs share the machine with other test processes.
  if (kind === 'redis') lines.push(`redis: { url: "${redis!.url}", prefix: "cli-test-${process.pid}-${++workspaces}:", connectTimeoutMs: 10000 }`);
  writeFileSync(config, `${lines.join('\n')}\n`);
  const ws: Workspace = {
    dir,
    file(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    run: (args, opts) => runSinkd([...args, '--config', config], { cwd: dir, ...opts }),
    async ok(args) {
      const r = await ws.run(args);
      if (r.code !== 0) throw new Error(`sinkd ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
      return r;
    },
    async json(args) {
      const r = await ws.run([...args, '--json']);
      if (r.stderr.includes('    at ')) throw new Error(r.stderr);
      return JSON.parse(r.stdout);
    },
  };
  return ws;
}

/** name → "kind source family action" for every entry, via `list --json`. */
export async function contents(ws: Workspace): Promise<Record<string, string>> {
  const doc = await ws.json(['blocklist', 'list']);
  return Object.fromEntries(
    (doc.entries as { name: string; kind: string; source: string; family?: string; action?: string }[]).map((e) => [
      `${e.kind}:${e.name}`,
      [e.source, e.family ?? '-', e.action ?? '-'].join(' '),
    ]),
  );
}

export function expectNoStack(r: Run): void {
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).not.toMatch(/\n\s+at /);
}

/** Registers the suite's set-up: checks the build, starts a Redis, cleans up the workspaces. */
export function useCliHarness(): void {
beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first (npx tsc -p tsconfig.json)`);
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
}

/** The harness Redis's URL (after useCliHarness()'s beforeAll). */
export function redisUrl(): string {
  return redis!.url;
}
