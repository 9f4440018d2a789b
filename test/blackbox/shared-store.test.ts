// Black box, the built binary as users run it: several `sinkd serve` instances on the embedded
// store's DEFAULT location (no --config, no store.path), as an unprivileged user whose HOME is a
// temp dir, so the store is ~/.local/state/sinkd/blocklist-store.jsonl. Each instance keeps
// blocking its own --blocklist while the others start, stop and change theirs; CLI writers run
// at the same time without losing a change; and a data directory sinkd cannot write stops it at
// start, naming the path, instead of serving no list.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../helpers/fake-upstream.js';
import { freePort } from '../helpers/free-port.js';
import { queryUdp } from '../helpers/dns-client.js';

const BIN = join(import.meta.dirname, '../../dist/cli/main.js');
const ROOT = process.getuid?.() === 0;
/** As root the children run as nobody (setpriv), as they would under a service account. */
const NOBODY = 65534;

function argv(args: string[]): [string, string[]] {
  return ROOT ? ['setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', process.execPath, BIN, ...args]] : [process.execPath, [BIN, ...args]];
}

function childEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, ...extra };
  return env;
}

interface Instance {
  proc: ChildProcess;
  port: number;
  out: string[];
  exited: Promise<number | null>;
}

function names(list: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `n${i}.${list}.example`);
}

async function sinkholed(port: number, name: string): Promise<boolean> {
  const r = await queryUdp(port, name, { timeoutMs: 2000 });
  return (r.answers[0] as { address?: string } | undefined)?.address === '0.0.0.0';
}

async function run(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [cmd, rest] = argv(args);
  return new Promise((resolve) => {
    const p = spawn(cmd, rest, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d) => (stdout += d));
    p.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.skipIf(!existsSync(BIN))('instances sharing the default embedded store', () => {
  let up: FakeUpstream;
  let home: string;
  let work: string;
  const live: Instance[] = [];

  function listFile(name: string, lines: string[]): string {
    const path = join(work, name);
    writeFileSync(path, `${lines.join('\n')}\n`);
    chmodSync(path, 0o644);
    return path;
  }

  async function serve(list: string, port?: number): Promise<Instance> {
    const p = port ?? (await freePort());
    // No --config, no store.path: the built-in defaults, the store in the default location.
    const [cmd, rest] = argv(['serve', '--listen', `127.0.0.1:${p}`, '--upstream', up.endpoint, '--blocklist', list, '--log-level', 'info']);
    const proc = spawn(cmd, rest, { env: childEnv(home), cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: string[] = [];
    proc.stdout!.on('data', (d) => out.push(String(d)));
    proc.stderr!.on('data', (d) => out.push(String(d)));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    const inst = { proc, port: p, out, exited };
    live.push(inst);
    for (let i = 0; i < 200 && !out.join('').includes('"event":"start"'); i++) {
      if (proc.exitCode !== null) throw new Error(`sinkd exited ${proc.exitCode}: ${out.join('')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!out.join('').includes('"event":"start"')) throw new Error(`sinkd did not start: ${out.join('')}`);
    return inst;
  }

  async function stop(i: Instance): Promise<void> {
    if (i.proc.exitCode === null) i.proc.kill('SIGTERM');
    await i.exited;
  }

  beforeAll(async () => {
    up = await FakeUpstream.start();
    home = mkdtempSync(join(tmpdir(), 'sinkd-home-'));
    work = mkdtempSync(join(tmpdir(), 'sinkd-work-'));
    if (ROOT) {
      chownSync(home, NOBODY, NOBODY);
      chmodSync(work, 0o755);
    }
  });
  afterAll(async () => {
    for (const i of live) await stop(i);
    await up?.stop();
    rmSync(home, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('two instances started together with different lists each block all of their own names', async () => {
    const a = listFile('list-a.txt', names('list-a', 50));
    const b = listFile('list-b.txt', names('list-b', 50));
    const [ia, ib] = await Promise.all([serve(a), serve(b)]);
    // The store is in the user's state directory, not in the package.
    expect(existsSync(join(home, '.local/state/sinkd/blocklist-store.jsonl'))).toBe(true);
    expect(existsSync(join(import.meta.dirname, '../../data/blocklist-store.jsonl'))).toBe(false);
    // Each follows the shared store, so give the other's import a moment to arrive.
    for (const [inst, list] of [
      [ia, 'list-a'],
      [ib, 'list-b'],
    ] as const) {
      const missing: string[] = [];
      for (const n of names(list, 50)) if (!(await sinkholed(inst.port, n))) missing.push(n);
      expect(missing, `${list} on its own instance`).toEqual([]);
    }
    const deadline = Date.now() + 5000;
    while (!(await sinkholed(ia.port, 'n49.list-b.example')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await sinkholed(ia.port, 'n49.list-b.example')).toBe(true);
    for (const i of [ia, ib]) expect(i.out.join('')).not.toContain('"event":"list-dropped"');
  }, 60_000);

  it('an instance started after another stopped keeps that one\'s list; one restarted with less drops only its own names', async () => {
    const [ia, ib] = live;
    const portA = ia!.port;
    await stop(ia!);
    const c = listFile('list-c.txt', names('list-c', 20));
    const ic = await serve(c);
    for (const n of names('list-c', 20)) expect(await sinkholed(ic.port, n), n).toBe(true);
    // list-a's owner is gone, but it did not declare list-a: it stays.
    for (const n of names('list-a', 50)) expect(await sinkholed(ic.port, n), n).toBe(true);
    expect(ic.out.join('')).not.toContain('"event":"list-dropped"');
    // Instance A again (same flags, same address), now with 10 names in its list: its other 40 go,
    // nobody else's do.
    listFile('list-a.txt', names('list-a', 10));
    const ia2 = await serve(join(work, 'list-a.txt'), portA);
    const deadline = Date.now() + 5000;
    while ((await sinkholed(ib!.port, 'n40.list-a.example')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const port of [ia2.port, ib!.port, ic.port]) {
      expect(await sinkholed(port, 'n9.list-a.example')).toBe(true);
      expect(await sinkholed(port, 'n40.list-a.example')).toBe(false);
      expect(await sinkholed(port, 'n49.list-b.example')).toBe(true);
      expect(await sinkholed(port, 'n19.list-c.example')).toBe(true);
    }
  }, 60_000);

  it('CLI writers running at the same time as the servers lose no change', async () => {
    const env = childEnv(home);
    const adds = Array.from({ length: 8 }, (_, i) => run(['blocklist', 'add', ...names(`cli${i}`, 5)], env, work));
    const imports = Array.from({ length: 3 }, (_, i) => run(['blocklist', 'import', listFile(`feed${i}.txt`, names(`feed${i}`, 300))], env, work));
    const results = await Promise.all([...adds, ...imports]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const list = await run(['blocklist', 'list', '--json'], env, work);
    const entries = (JSON.parse(list.stdout) as { entries: { name: string; source: string }[] }).entries;
    const have = new Set(entries.map((e) => `${e.source} ${e.name}`));
    const want = [...Array.from({ length: 8 }, (_, i) => names(`cli${i}`, 5).map((n) => `cli ${n}`)).flat(), ...Array.from({ length: 3 }, (_, i) => names(`feed${i}`, 300).map((n) => `feed${i} ${n}`)).flat()];
    expect(want.filter((w) => !have.has(w))).toEqual([]);
    // The versions in the log are consecutive: no change set was written over another.
    const log = readFileSync(join(home, '.local/state/sinkd/blocklist-store.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { v?: number; snapshot?: boolean });
    const versions = log.filter((r) => r.v !== undefined && !r.snapshot).map((r) => r.v!);
    expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => versions[0]! + i));
  }, 90_000);
});

describe.skipIf(!existsSync(BIN))('a data directory sinkd cannot write', () => {
  let up: FakeUpstream;
  let dir: string;
  beforeAll(async () => {
    up = await FakeUpstream.start();
    dir = mkdtempSync(join(tmpdir(), 'sinkd-ro-'));
    chmodSync(dir, 0o755);
  });
  afterAll(async () => {
    await up?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops sinkd at start, naming the path and why, instead of serving 0 rules', async () => {
    // What `-v ./data:/app/data` owned by root, or another --user, gives the container: the
    // image sets STATE_DIRECTORY=/app/data; here a root-owned (or read-only) directory.
    const data = join(dir, 'data');
    mkdirSync(data);
    if (!ROOT) chmodSync(data, 0o555);
    const list = join(dir, 'list.txt');
    writeFileSync(list, 'evil.example\n');
    const port = await freePort();
    const r = await run(['serve', '--listen', `127.0.0.1:${port}`, '--upstream', up.endpoint, '--blocklist', list], childEnv(dir, { STATE_DIRECTORY: data }), dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toContain(`cannot write the blocklist store ${join(data, 'blocklist-store.jsonl')} (EACCES, permission denied for uid ${ROOT ? NOBODY : process.getuid?.()})`);
    expect(r.stderr + r.stdout).not.toContain('"event":"start"');
  }, 30_000);
});
