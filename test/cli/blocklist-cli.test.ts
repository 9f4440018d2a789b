// The `sinkd blocklist` command line itself, as a user meets it: help, usage errors, how the
// store is picked (--redis, SINKD_REDIS_URL, the config file), and failures as one line on
// stderr with an exit code, never a stack trace. Runs the built binary (npx tsc -p tsconfig.json).
// 

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BIN, ROOT, contents, expectNoStack, redisUrl, runSinkd, useCliHarness, workspace, type Run, type Workspace } from '../helpers/cli-workspace.js';

vi.setConfig({ testTimeout: 60_000 });

useCliHarness();

const SUBCOMMANDS = ['import', 'add', 'remove', 'allow', 'check', 'list', 'stats', 'export'];

describe('help and usage', () => {
  it('sinkd blocklist --help lists every subcommand and exits 0', async () => {
    const r = await runSinkd(['blocklist', '--help']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    for (const sub of SUBCOMMANDS) expect(r.stdout).toContain(`sinkd blocklist ${sub}`);
    const top = await runSinkd(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('sinkd blocklist <command>');
  });

  it.each(SUBCOMMANDS)('sinkd blocklist %s --help exits 0 and shows --config, --redis and --json', async (sub) => {
    const r = await runSinkd(['blocklist', sub, '--help']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain(`sinkd blocklist ${sub}`);
    for (const opt of ['--config', '--redis', '--json']) expect(r.stdout).toContain(opt);
  });

  it('a missing subcommand, a missing argument or an unknown option is exit 2 with a short message', async () => {
    for (const args of [['blocklist'], ['blocklist', 'add'], ['blocklist', 'check'], ['blocklist', 'list', '--bogus'], ['blocklist', 'frobnicate']]) {
      const r = await runSinkd(args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toMatch(/^sinkd: .+\nRun "sinkd --help" for usage.\n$/);
      expectNoStack(r);
    }
  });
});

describe('choosing the store', () => {
  it('--redis and SINKD_REDIS_URL select Redis over the config file; --redis "" the embedded store', async () => {
    const ws = workspace('embedded');
    let r = await ws.run(['blocklist', 'add', 'evil.no-ip.biz', '--redis', redisUrl()]);
    expect(r.code).toBe(0);
    const stats = async (env?: Record<string, string>, extra: string[] = []) => (await ws.run(['blocklist', 'stats', '--json', ...extra], { env })).stdout;
    expect(JSON.parse(await stats({ SINKD_REDIS_URL: redisUrl() }))).toMatchObject({ store: expect.stringMatching(/^redis /), total: 1 });
    expect(JSON.parse(await stats())).toMatchObject({ store: expect.stringMatching(/^file /), total: 0 });
    // The flag wins over the variable; an empty variable counts as unset.
    expect(JSON.parse(await stats({ SINKD_REDIS_URL: redisUrl() }, ['--redis', '']))).toMatchObject({ store: expect.stringMatching(/^file /) });
    expect(JSON.parse(await stats({ SINKD_REDIS_URL: '' }))).toMatchObject({ store: expect.stringMatching(/^file /) });
    r = await ws.run(['blocklist', 'remove', 'evil.no-ip.biz'], { env: { SINKD_REDIS_URL: redisUrl() } });
    expect(r.code).toBe(0);
  });

  it('an embedded store works from any directory, creating its file when first written', async () => {
    const ws = workspace('embedded');
    expect((await ws.run(['blocklist', 'list'])).stderr).toBe('no entries (the store is empty); version 0\n');
    expect(existsSync(join(ws.dir, 'store.jsonl'))).toBe(false);
    expect((await ws.run(['blocklist', 'add', 'a.no-ip.biz'])).code).toBe(0);
    expect(existsSync(join(ws.dir, 'store.jsonl'))).toBe(true);
  });
});

describe('failures are one line and an exit code', () => {
  it.each(['list', 'stats', 'check x.no-ip.biz', 'add x.no-ip.biz', 'remove x.no-ip.biz', 'allow x.no-ip.biz', 'export', 'import FILE'])(
    'unreachable Redis: %s fails within 3 s',
    async (cmd) => {
      const ws = workspace('embedded');
      const file = ws.file('list.txt', 'a.no-ip.biz\n');
      const args = ['blocklist', ...cmd.replace('FILE', file).split(' ')];
      const r = await ws.run([...args, '--redis', 'redis://127.0.0.1:1']);
      expect([r.code, r.stdout, r.stderr]).toEqual([1, '', 'sinkd: cannot reach Redis at redis://127.0.0.1:1: ECONNREFUSED\n']);
      expect(r.ms).toBeLessThan(3000);
    },
  );

  it('a Redis that accepts but never answers gives up after redis.connectTimeoutMs', async () => {
    // A TCP listener that never speaks: the connection hangs, as with a firewalled host.
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const ws = workspace('embedded');
      const r = await ws.run(['blocklist', 'list', '--redis', `redis://127.0.0.1:${port}`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^sinkd: cannot reach Redis at redis://127\\.0\\.0\\.1:${port}: .+\\n$`));
      expect(r.ms).toBeLessThan(5000);
    } finally {
      silent.close();
    }
  });

  it('a malformed --redis URL or config file is a usage error (exit 2), one line per problem', async () => {
    const ws = workspace('embedded');
    let r = await ws.run(['blocklist', 'list', '--redis', 'http://127.0.0.1:6379']);
    expect([r.code, r.stderr]).toEqual([
      2,
      'sinkd: invalid configuration: --redis: must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379/0, or "" for the embedded store\n',
    ]);
    const bad = ws.file('bad.yaml', 'log: { level: loud }\nsinkhole: { ttl: -1 }\n');
    r = await runSinkd(['blocklist', 'list', '--config', bad]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).toMatch(/^sinkd: invalid configuration: .*bad\.yaml:\d+: /);
    r = await runSinkd(['blocklist', 'list', '--config', join(ws.dir, 'missing.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sinkd: invalid configuration: .*missing\.yaml.*\n$/);
    expectNoStack(r);
  });
});
