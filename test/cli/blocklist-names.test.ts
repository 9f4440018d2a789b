// `sinkd blocklist add/remove/allow/check/list/stats/export` as a user runs them: the built binary
// (build first: npx tsc -p tsconfig.json), against the embedded store in a temp dir and against a
// real redis-server. (The harness below is repeated in each test/cli file on purpose: test/cli
// holds only test files.)

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BIN, ROOT, contents, expectNoStack, redisUrl, runSinkd, useCliHarness, workspace, type Run, type Workspace } from '../helpers/cli-workspace.js';

// Every test runs the CLI several times, each a fresh node process.
vi.setConfig({ testTimeout: 60_000 });

useCliHarness();

// ---- the tests, once per store ----

const FEED = [
  '# family: Bladabindi',
  'evil.no-ip.biz',
  'rat.no-ip.org',
  '# family: Jenxcus',
  'worm.hopto.org',
  '',
].join('\n');

describe.each(['embedded', 'redis'] as const)('blocklist names (%s store)', (kind) => {
  it('add blocks names as source "cli", again is unchanged, with --family/--action updates', async () => {
    const ws = workspace(kind);
    let r = await ws.run(['blocklist', 'add', 'Evil.Example.', 'c2.zapto.org']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(['added evil.example (source cli)', 'added c2.zapto.org (source cli)', 'store version 1', ''].join('\n'));

    r = await ws.run(['blocklist', 'add', 'evil.example']);
    expect(r.stdout).toBe('unchanged evil.example (already on the blocklist, source cli)\nnothing changed (store version 1)\n');

    r = await ws.run(['blocklist', 'add', 'evil.example', '--family', 'Jenxcus', '--action', 'nxdomain']);
    expect(r.stdout).toBe('updated evil.example (source cli, family Jenxcus, action nxdomain; was source cli)\nstore version 2\n');
    // Adding it again without options keeps family and action.
    expect((await ws.run(['blocklist', 'add', 'evil.example'])).stdout).toContain('unchanged evil.example');
    expect(await contents(ws)).toEqual({ 'block:evil.example': 'cli Jenxcus nxdomain', 'block:c2.zapto.org': 'cli - -' });

    const doc = await ws.json(['blocklist', 'add', 'new.zapto.org', 'evil.example']);
    expect(doc.version).toBe(3);
    expect(doc.results.map((x: any) => [x.name, x.result])).toEqual([
      ['new.zapto.org', 'added'],
      ['evil.example', 'unchanged'],
    ]);
  });

  it('add lists a name another source lists too, beside it, and says so; it stays blocked when that list drops it', async () => {
    const ws = workspace(kind);
    await ws.ok(['blocklist', 'import', ws.file('feed.txt', FEED)]);
    const r = await ws.run(['blocklist', 'add', 'evil.no-ip.biz']);
    expect(r.stdout).toBe('added evil.no-ip.biz (source cli)\n  also listed by source feed, family Bladabindi\nstore version 2\n');
    await ws.ok(['blocklist', 'import', ws.file('feed.txt', 'worm.hopto.org\n')]);
    const c = await ws.run(['blocklist', 'check', 'evil.no-ip.biz']);
    expect([c.code, c.stdout]).toEqual([0, 'blocked: evil.no-ip.biz matches evil.no-ip.biz (source cli, action sinkhole)\n']);
  });

  it('check names every source and family that lists the name; re-importing one list without it leaves it blocked by the other', async () => {
    const ws = workspace(kind);
    await ws.ok(['blocklist', 'import', ws.file('feed-a.txt', 'evil.no-ip.biz\nonly-a.no-ip.biz\n')]);
    await ws.ok(['blocklist', 'import', ws.file('feed-b.txt', '# family: njRAT\nevil.no-ip.biz\n')]);
    let r = await ws.run(['blocklist', 'check', 'x.evil.no-ip.biz']);
    expect([r.code, r.stdout]).toEqual([
      0,
      'blocked: x.evil.no-ip.biz matches evil.no-ip.biz (source feed-a, family njRAT, action sinkhole)\n  also listed by source feed-b, family njRAT\n',
    ]);
    const doc = await ws.json(['blocklist', 'check', 'evil.no-ip.biz']);
    expect(doc.rule.listedBy).toEqual([{ source: 'feed-a' }, { source: 'feed-b', family: 'njRAT' }]);
    // feed-a again, without the name: feed-b still lists it, with its family.
    await ws.ok(['blocklist', 'import', ws.file('feed-a.txt', 'only-a.no-ip.biz\n')]);
    r = await ws.run(['blocklist', 'check', 'evil.no-ip.biz']);
    expect([r.code, r.stdout]).toEqual([0, 'blocked: evil.no-ip.biz matches evil.no-ip.biz (source feed-b, family njRAT, action sinkhole)\n']);
    // remove takes it off every list that has it.
    await ws.ok(['blocklist', 'import', ws.file('feed-a.txt', 'evil.no-ip.biz\n')]);
    r = await ws.run(['blocklist', 'remove', 'evil.no-ip.biz']);
    expect(r.stdout).toContain('removed evil.no-ip.biz (block entry, source feed-a)');
    expect(r.stdout).toContain('removed evil.no-ip.biz (block entry, source feed-b, family njRAT)');
    expect((await ws.run(['blocklist', 'check', 'evil.no-ip.biz'])).code).toBe(1);
  });

  it('an invalid name is a usage error naming it, and nothing changes', async () => {
    const ws = workspace(kind);
    for (const cmd of ['add', 'allow', 'remove', 'check']) {
      const r = await ws.run(['blocklist', cmd, 'bad..name']);
      expect([cmd, r.code, r.stdout, r.stderr]).toEqual([cmd, 2, '', 'sinkd: invalid name "bad..name": expected a hostname such as evil.no-ip.biz\n']);
    }
    const r = await ws.run(['blocklist', 'add', 'ok.example', 'http://x.example/', 'a b']);
    expect(r.stderr).toBe('sinkd: invalid names "http://x.example/", "a b": expected a hostname such as evil.no-ip.biz\n');
    expect(await contents(ws)).toEqual({});
  });

  it('check: blocked (exit 0) names the entry, its source, family and action', async () => {
    const ws = workspace(kind);
    await ws.ok(['blocklist', 'import', ws.file('ddns-malware-sample.txt', FEED)]);
    let r = await ws.run(['blocklist', 'check', 'x.evil.no-ip.biz']);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      0,
      'blocked: x.evil.no-ip.biz matches evil.no-ip.biz (source ddns-malware-sample, family Bladabindi, action sinkhole)\n',
      '',
    ]);
    r = await ws.run(['blocklist', 'check', 'no-ip.biz']);
    expect([r.code, r.stdout]).toEqual([1, 'not listed: no-ip.biz\n']);
    r = await ws.run(['blocklist', 'check', 'notevil.no-ip.biz']);
    expect([r.code, r.stdout]).toEqual([1, 'not listed: notevil.no-ip.biz\n']);

    const doc = await ws.json(['blocklist', 'check', 'WORM.hopto.org.']);
    expect(doc).toEqual({
      name: 'worm.hopto.org',
      verdict: 'blocked',
      rule: { name: 'worm.hopto.org', kind: 'block', source: 'ddns-malware-sample', family: 'Jenxcus', action: 'sinkhole', listedBy: [{ source: 'ddns-malware-sample', family: 'Jenxcus' }] },
      version: 1,
    });
  });

  it('allow makes an exception that check reports (exit 1), naming what it overrides', async () => {
    const ws = workspace(kind);
    await ws.ok(['blocklist', 'import', ws.file('feed.txt', FEED)]);
    let r = await ws.run(['blocklist', 'allow', 'printer.evil.no-ip.biz']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(
      [
        'allowed printer.evil.no-ip.biz (source cli)',
        '  overrides block entry evil.no-ip.biz (source feed, family Bladabindi)',
        'store version 2',
        '',
      ].join('\n'),
    );
    r = await ws.run(['blocklist', 'check', 'a.printer.evil.no-ip.biz']);
    expect([r.code, r.stdout]).toEqual([
      1,
      'allowed: a.printer.evil.no-ip.biz by allow entry printer.evil.no-ip.biz (source cli); without it, it would match evil.no-ip.biz (source feed, family Bladabindi, action sinkhole)\n',
    ]);
    const doc = await ws.json(['blocklist', 'check', 'printer.evil.no-ip.biz']);
    expect(doc.verdict).toBe('allowed');
    expect(doc.allowedBy).toMatchObject({ name: 'printer.evil.no-ip.biz', kind: 'allow', source: 'cli' });
    // The sibling is still blocked.
    expect((await ws.run(['blocklist', 'check', 'www.evil.no-ip.biz'])).code).toBe(0);
  });

  it('remove deletes a block entry whatever its source and says which; a missing one is exit 1', async () => {
    const ws = workspace(kind);
    await ws.ok(['blocklist', 'import', ws.file('feed.txt', FEED)]);
    await ws.ok(['blocklist', 'add', 'mine.zapto.org']);
    let r = await ws.run(['blocklist', 'remove', 'evil.no-ip.biz', 'mine.zapto.org']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(
      [
        'removed evil.no-ip.biz (block entry, source feed, family Bladabindi)',
        '  note: importing feed again will list it again; to keep it unblocked, run: sinkd blocklist allow evil.no-ip.biz',
        'removed mine.zapto.org (block entry, source cli)',
        'store version 3',
        '',
      ].join('\n'),
    );
    expect((await ws.run(['blocklist', 'check', 'evil.no-ip.biz'])).code).toBe(1);

    r = await ws.run(['blocklist', 'remove', 'evil.no-ip.biz', 'x.worm.hopto.org']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        'not listed: evil.no-ip.biz has no block entry of its own',
        'not listed: x.worm.hopto.org has no block entry of its own',
        '  it is covered by block entry worm.hopto.org (source feed, family Jenxcus); to unblock just this name, run: sinkd blocklist allow x.worm.hopto.org',
        'nothing changed (store version 3)',
        '',
      ].join('\n'),
    );

    await ws.ok(['blocklist', 'allow', 'ok.worm.hopto.org']);
    const doc = await ws.json(['blocklist', 'remove', '--kind', 'allow', 'ok.worm.hopto.org']);
    expect(doc.results).toMatchObject([{ name: 'ok.worm.hopto.org', result: 'removed', entry: { kind: 'allow', source: 'cli' } }]);
    expect((await ws.run(['blocklist', 'check', 'ok.worm.hopto.org'])).code).toBe(0);
  });

  it('list prints a table (filters by source and kind) and --json parses', async () => {
    const ws = workspace(kind);
    await ws.ok(['blocklist', 'import', ws.file('feed.txt', FEED)]);
    await ws.ok(['blocklist', 'add', 'zz.zapto.org', '--action', 'nodata']);
    await ws.ok(['blocklist', 'allow', 'ok.no-ip.org']);
    let r = await ws.run(['blocklist', 'list']);
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n').map((l) => l.split(/\s{2,}/));
    expect(rows[0]).toEqual(['NAME', 'KIND', 'SOURCE', 'FAMILY', 'ACTION', 'ADDED']);
    expect(rows.slice(1).map((row) => row.slice(0, 5))).toEqual([
      ['evil.no-ip.biz', 'block', 'feed', 'Bladabindi', '-'],
      ['ok.no-ip.org', 'allow', 'cli', '-', '-'],
      ['rat.no-ip.org', 'block', 'feed', 'Bladabindi', '-'],
      ['worm.hopto.org', 'block', 'feed', 'Jenxcus', '-'],
      ['zz.zapto.org', 'block', 'cli', '-', 'nodata'],
    ]);
    for (const row of rows.slice(1)) expect(new Date(row[5]!).toISOString()).toBe(row[5]);
    expect(r.stderr).toBe('5 entries, store version 3\n');

    r = await ws.run(['blocklist', 'list', '--source', 'cli', '--kind', 'block']);
    expect(r.stdout.trimEnd().split('\n').slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['zz.zapto.org']);

    const doc = await ws.json(['blocklist', 'list', '--source', 'feed', '--source', 'cli', '--kind', 'allow']);
    expect(doc.count).toBe(1);
    expect(doc.version).toBe(3);
    expect(doc.entries[0]).toMatchObject({ name: 'ok.no-ip.org', kind: 'allow', source: 'cli' });
    expect(doc.entries[0].addedAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
  });

  it('stats counts by kind, source and family, with the version', async () => {
    const ws = workspace(kind);
    await ws.ok(['blocklist', 'import', ws.file('feed.txt', FEED)]);
    await ws.ok(['blocklist', 'allow', 'ok.no-ip.org']);
    const r = await ws.run(['blocklist', 'stats']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(kind === 'redis' ? /^store: +redis redis:\/\/127\.0\.0\.1:\d+\/0 \(standalone\)$/ : /^store: +file .*store\.jsonl$/);
    expect(lines.slice(1, 3)).toEqual(['version:  2', 'entries:  4 (block 3, allow 1)']);
    expect(r.stdout).toMatch(/\nfeed +3 +\d{4}-\d\d-\d\dT[^ ]+Z +-\ncli +1 +- +-\n/);
    expect(r.stdout).toMatch(/\nFAMILY +ENTRIES\nBladabindi +2\nJenxcus +1\n$/);

    const doc = await ws.json(['blocklist', 'stats']);
    expect(doc).toMatchObject({ version: 2, total: 4, byKind: { block: 3, allow: 1 }, bySource: { feed: 3, cli: 1 }, byFamily: { Bladabindi: 2, Jenxcus: 1 } });
    expect(doc.sources.feed.entries).toBe(3);
  });

  it.each(['plain', 'hosts', 'rpz'] as const)('export --format %s imports back to the same entries', async (format) => {
    const ws = workspace(kind);
    await ws.ok(['blocklist', 'import', ws.file('feed.txt', FEED)]);
    await ws.ok(['blocklist', 'add', 'gone.zapto.org', '--family', 'Jenxcus', '--action', 'nxdomain']);
    await ws.ok(['blocklist', 'add', 'quiet.zapto.org', '--action', 'nodata']);
    await ws.ok(['blocklist', 'allow', 'ok.rat.no-ip.org']);
    const before = await contents(ws);

    const out = join(ws.dir, `export.${format}`);
    let r = await ws.run(['blocklist', 'export', '--format', format, '--output', out]);
    expect([r.code, r.stderr, r.stdout]).toEqual([0, '', `exported 6 entries to ${out} (format ${format}, store version 4)\n`]);
    // stdout gets the same list.
    r = await ws.run(['blocklist', 'export', '--format', format]);
    const body = (text: string) => text.split('\n').filter((l) => !l.startsWith('#') && !l.startsWith(';') && !l.startsWith('@') && !l.startsWith('$'));
    expect(body(r.stdout)).toEqual(body(readFileSync(out, 'utf8')));

    const fresh = workspace(kind);
    r = await fresh.run(['blocklist', 'import', out, '--source', 'restored']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('added 6,');
    const strip = (c: Record<string, string>) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v.split(' ').slice(1).join(' ')]));
    expect(strip(await contents(fresh))).toEqual(strip(before));
  });

  it('export filters by source and refuses --json without --output', async () => {
    const ws = workspace(kind);
    await ws.ok(['blocklist', 'import', ws.file('feed.txt', FEED)]);
    await ws.ok(['blocklist', 'add', 'mine.zapto.org']);
    let r = await ws.run(['blocklist', 'export', '--source', 'cli']);
    expect(r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual(['mine.zapto.org']);
    r = await ws.run(['blocklist', 'export', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sinkd: export writes the list itself to stdout; --json needs --output FILE/);
    const out = join(ws.dir, 'x.hosts');
    const doc = await ws.json(['blocklist', 'export', '--format', 'hosts', '--output', out]);
    expect(doc).toEqual({ output: out, format: 'hosts', entries: 4, version: 2 });
    expect(readFileSync(out, 'utf8')).toContain('0.0.0.0 evil.no-ip.biz\n');
    r = await ws.run(['blocklist', 'export', '--output', join(ws.dir, 'no-such-dir', 'x.txt')]);
    expect([r.code, r.stderr]).toEqual([1, `sinkd: cannot write ${join(ws.dir, 'no-such-dir', 'x.txt')}: no such directory\n`]);
  });
});
