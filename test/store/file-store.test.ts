// The embedded store: the shared suite, plus what is particular to the change-log file.

import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file-store.js';
import { MAX_FEED_OPS, type BlocklistStore } from '../../src/store/blocklist-store.js';
import { storeSuite } from './store-suite.js';

storeSuite('FileStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sinkd-filestore-'));
  const path = join(dir, 'nested', 'blocklist-store.jsonl');
  const opened: BlocklistStore[] = [];
  const open = () => {
    const s = new FileStore(path);
    opened.push(s);
    return s;
  };
  const store = open();
  return {
    store,
    another: async () => open(),
    trimFeed: () => (store as FileStore).compact(),
    cleanup: async () => {
      for (const s of opened) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('FileStore: the change-log file', () => {
  let dir: string;
  let path: string;
  const stores: FileStore[] = [];
  const open = (opts: ConstructorParameters<typeof FileStore>[1] = {}) => {
    const s = new FileStore(path, opts);
    stores.push(s);
    return s;
  };
  const lines = () =>
    readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const put = (name: string, source = 'cli') => ({ op: 'put' as const, entry: { name, kind: 'block' as const, source } });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sinkd-filestore-'));
    path = join(dir, 'a', 'b', 'store.jsonl');
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a missing file is an empty store; reading creates nothing; the first write creates the directories', async () => {
    const s = open();
    expect(s.description).toBe(`file ${path}`);
    expect(await s.snapshot()).toEqual({ version: 0, entries: [] });
    expect(existsSync(join(dir, 'a'))).toBe(false);
    expect(await s.apply([put('a.no-ip.biz')])).toBe(1);
    expect(existsSync(path)).toBe(true);
    expect(existsSync(`${path}.lock`)).toBe(false); // released
  });

  it('writes one JSON line per change set, source info lines without a version, and reset lines for big ones', async () => {
    const s = open();
    await s.apply([put('a.no-ip.biz')]);
    await s.setSourceInfo({ source: 'cli', importedAt: 5 });
    await s.replaceSource('bulk', Array.from({ length: MAX_FEED_OPS + 1 }, (_, i) => ({ name: `h${i}.ddns.net`, kind: 'block' as const, source: 'bulk' })));
    const [first, second, third] = lines();
    expect(first).toEqual({ v: 1, format: 2, ops: [{ op: 'put', entry: { name: 'a.no-ip.biz', kind: 'block', source: 'cli', addedAt: expect.any(Number) } }] });
    expect(second).toEqual({ source: { source: 'cli', importedAt: 5 } });
    expect(third).toMatchObject({ v: 2, format: 2, reset: true });
    expect((third!.ops as unknown[]).length).toBe(MAX_FEED_OPS + 1);
  });

  it('compacts the log into a snapshot once it holds more than twice the live entries', async () => {
    const s = open({ compactMin: 10 });
    const follower = open();
    await s.setSourceInfo({ source: 'cli', etag: 'x' });
    for (let i = 0; i < 30; i++) await s.apply(i % 2 === 0 ? [put('flip.no-ip.biz')] : [{ op: 'del', name: 'flip.no-ip.biz', kind: 'block' }]);
    await s.apply([put('stay.no-ip.biz')]);
    const all = lines();
    expect(all[0]).toMatchObject({ snapshot: true });
    expect(all.length).toBeLessThan(15);
    expect(all.map((l) => l.v).filter((v) => v !== undefined)).toEqual(Array.from({ length: all.length }, (_, i) => (all[0]!.v as number) + i));
    expect(await follower.version()).toBe(31);
    expect(await follower.changesSince(1, 0)).toBe('reset');
    expect((await follower.snapshot()).entries.map((e) => e.name)).toEqual(['stay.no-ip.biz']);
    expect(await follower.getSourceInfo('cli')).toEqual({ source: 'cli', etag: 'x' });
    // A fresh reader replays snapshot + tail to the same state.
    expect((await open().snapshot()).entries.map((e) => e.name)).toEqual(['stay.no-ip.biz']);
  });

  it('ignores a torn last line (a crashed writer) and the next writer cuts it', async () => {
    const s = open();
    await s.apply([put('a.no-ip.biz')]);
    appendFileSync(path, '{"v":2,"ops":[{"op":"put","entry":{"na');
    const reader = open();
    expect(await reader.version()).toBe(1);
    expect(await s.apply([put('b.no-ip.biz')])).toBe(2);
    expect(lines().map((l) => l.v)).toEqual([1, 2]);
    expect((await reader.snapshot()).entries.map((e) => e.name).sort()).toEqual(['a.no-ip.biz', 'b.no-ip.biz']);
  });

  it('writes records of more than 50,000 operations as parts, applied only when all are there', async () => {
    const s = open();
    const n = 120_000;
    await s.replaceSource('bulk', Array.from({ length: n }, (_, i) => ({ name: `h${i}.ddns.net`, kind: 'block' as const, source: 'bulk' })));
    const recs = lines();
    expect(recs.map((r) => [r.v, r.part, r.parts])).toEqual([
      [1, 0, 3],
      [1, 1, 3],
      [1, 2, 3],
    ]);
    expect((await open().stats()).total).toBe(n);
    // Cut inside the last part, as a crash mid-write would: the whole record is not there.
    const text = readFileSync(path, 'utf8');
    const cut = text.lastIndexOf('\n', text.length - 2) + 100;
    writeFileSync(path, text.slice(0, cut));
    const reader = open();
    expect(await reader.version()).toBe(0);
    expect((await reader.stats()).total).toBe(0);
    expect(await reader.apply([put('a.no-ip.biz')])).toBe(1);
    expect(lines()).toHaveLength(1);
  }, 30_000);

  it('takes over a stale lock, and waits for (then gives up on) a live one', async () => {
    const s = open({ lockTimeoutMs: 300 });
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(`${path}.lock`, '12345 someone\n');
    const old = new Date(Date.now() - 20_000);
    utimesSync(`${path}.lock`, old, old);
    expect(await s.apply([put('a.no-ip.biz')])).toBe(1);
    writeFileSync(`${path}.lock`, '12345 someone\n');
    const t0 = Date.now();
    await expect(s.apply([put('b.no-ip.biz')])).rejects.toThrow(/locked by another writer/);
    expect(Date.now() - t0).toBeLessThan(2000);
    rmSync(`${path}.lock`);
    expect(await s.apply([put('b.no-ip.biz')])).toBe(2);
  });

  it('reads a log written before entries were kept per source as it meant, and rewrites it on the first write', async () => {
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    const old = [
      { v: 1, ops: [{ op: 'put', entry: { name: 'a.no-ip.biz', kind: 'block', source: 'feed', family: 'njrat', addedAt: 1 } }, { op: 'put', entry: { name: 'b.no-ip.biz', kind: 'block', source: 'feed', addedAt: 1 } }] },
      { source: { source: 'feed', fromConfig: true, importedAt: 5 } },
      // In the old format a put replaced the name's entry whatever its source ...
      { v: 2, ops: [{ op: 'put', entry: { name: 'a.no-ip.biz', kind: 'block', source: 'cli', addedAt: 2 } }, { op: 'put', entry: { name: 'ok.no-ip.biz', kind: 'allow', source: 'cli', addedAt: 2 } }] },
      // ... and a del had no source.
      { v: 3, ops: [{ op: 'del', name: 'b.no-ip.biz', kind: 'block' }] },
    ];
    writeFileSync(path, old.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const s = open();
    const expected = [
      { name: 'a.no-ip.biz', kind: 'block', source: 'cli', addedAt: 2 },
      { name: 'ok.no-ip.biz', kind: 'allow', source: 'cli', addedAt: 2 },
    ];
    expect(await s.snapshot()).toEqual({ version: 3, entries: expected });
    expect(await s.getSourceInfo('feed')).toEqual({ source: 'feed', fromConfig: true, importedAt: 5 });
    // Reading changes nothing on disk; the first write rewrites the log in the new format.
    expect(lines()).toHaveLength(4);
    expect(await s.apply([{ op: 'put', entry: { name: 'a.no-ip.biz', kind: 'block', source: 'feed' } }])).toBe(4);
    const recs = lines();
    expect(recs[0]).toMatchObject({ v: 3, snapshot: true });
    expect(recs.slice(1).every((r) => r.format === 2)).toBe(true);
    const fresh = open();
    expect((await fresh.snapshot()).entries.map((e) => `${e.kind}:${e.name}:${e.source}`).sort()).toEqual(['allow:ok.no-ip.biz:cli', 'block:a.no-ip.biz:cli', 'block:a.no-ip.biz:feed']);
    expect(await fresh.getSourceInfo('feed')).toEqual({ source: 'feed', fromConfig: true, importedAt: 5 });
  });

  it('skips and reports hostile lines and entries, and loads the rest', async () => {
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    const huge = 'x'.repeat(2 << 20);
    const recs = [
      { v: 1, format: 2, ops: [{ op: 'put', entry: { name: 'good.no-ip.biz', kind: 'block', source: 'feed', addedAt: 1 } }, { op: 'put', entry: { name: 'big.no-ip.biz', kind: 'block', source: huge, addedAt: 1 } }] },
      { v: 2, format: 2, ops: [{ op: 'put', entry: { name: 'Not A Name', kind: 'block', source: 'feed', addedAt: 1 } }, { op: 'put', entry: { name: 'k.no-ip.biz', kind: 'weird', source: 'feed', addedAt: 1 } }, 'junk', { op: 'put', entry: { name: 'also.no-ip.biz', kind: 'block', source: 'feed', family: huge, addedAt: 1 } }] },
      { v: 3, format: 2, ops: [{ op: 'put', entry: { name: 'later.no-ip.biz', kind: 'block', source: 'feed', addedAt: 1, __proto__x: 1 } }] },
    ];
    writeFileSync(path, `${recs.map((r) => JSON.stringify(r)).join('\n')}\nnot json at all\n{"v":4,"format":2,"ops":[{"op":"put","entry":{"name":"last.no-ip.biz","kind":"block","source":"feed","addedAt":1}}]}\n`);
    const s = open();
    const seen: { reason: string; key?: string }[] = [];
    s.onInvalidRecord = (r) => seen.push(r);
    const snap = await s.snapshot();
    expect(snap.version).toBe(4);
    expect(snap.entries.map((e) => e.name).sort()).toEqual(['good.no-ip.biz', 'last.no-ip.biz', 'later.no-ip.biz']);
    expect(seen.map((r) => r.reason)).toEqual([
      `source longer than 200 characters (${huge.length})`,
      'not a normalized DNS name: "Not A Name"',
      'kind is not block or allow',
      'not an operation',
      `family longer than 100 characters (${huge.length})`,
    ]);
    // Nothing reported is long.
    for (const r of seen) expect(JSON.stringify(r).length).toBeLessThan(300);
  });

  it('two writers that appended without the lock between them both keep their change', async () => {
    const s = open();
    await s.apply([put('a.no-ip.biz')]);
    // What a writer whose lock was taken over as stale would leave: a second record with version 2.
    appendFileSync(path, `${JSON.stringify({ v: 2, format: 2, ops: [{ op: 'put', entry: { name: 'b.no-ip.biz', kind: 'block', source: 'one', addedAt: 1 } }] })}\n`);
    appendFileSync(path, `${JSON.stringify({ v: 2, format: 2, ops: [{ op: 'put', entry: { name: 'b.no-ip.biz', kind: 'block', source: 'two', addedAt: 2 } }] })}\n`);
    const reader = open();
    expect(await reader.version()).toBe(3);
    expect((await reader.get('b.no-ip.biz')).map((e) => e.source).sort()).toEqual(['one', 'two']);
    const feed = await reader.changesSince(1, 0);
    expect(feed !== 'reset' && feed.map((c) => [c.version, c.changes[0]!.entries.length])).toEqual([
      [2, 1],
      [3, 2],
    ]);
    expect(await s.apply([put('c.no-ip.biz')])).toBe(4);
  });

  it('a deleted log is an empty store again; followers are told to reset', async () => {
    const s = open();
    await s.apply([put('a.no-ip.biz')]);
    rmSync(path);
    expect(await s.changesSince(1, 0)).toBe('reset');
    expect(await s.snapshot()).toEqual({ version: 0, entries: [] });
  });

  it('another process writing at the same time: versions stay consecutive and nothing is lost', async () => {
    // Compile the store for a plain `node` child (no TypeScript loader there).
    const out = join(dir, 'build');
    const root = join(import.meta.dirname, '../..');
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--outDir', out, '--rootDir', join(root, 'src'), '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node', join(root, 'src/store/file-store.ts')], { encoding: 'utf8', cwd: root });
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    writeFileSync(join(out, 'package.json'), '{"type":"module"}');
    const child = `
      import { FileStore } from ${JSON.stringify(pathToFileURL(join(out, 'store/file-store.js')).href)};
      const s = new FileStore(process.argv[2]);
      for (let i = 0; i < 150; i++) await s.apply([{ op: 'put', entry: { name: 'c' + i + '.no-ip.biz', kind: 'block', source: 'child' } }]);
      await s.close();
    `;
    writeFileSync(join(out, 'child.mjs'), child);
    const s = open();
    const follower = open();
    const proc = spawn(process.execPath, [join(out, 'child.mjs'), path], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d) => (stderr += d));
    let running = true;
    const exited = new Promise<number | null>((r) =>
      proc.on('exit', (code) => {
        running = false;
        r(code);
      }),
    );
    // Write for as long as the child does.
    let mine = 0;
    while (running) await s.apply([put(`p${mine++}.no-ip.biz`, 'parent')]);
    expect(await exited, stderr).toBe(0);
    const total = 150 + mine;
    expect(await s.version()).toBe(total);
    const recs = lines();
    expect(recs.map((l) => l.v)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // The two really did write in turns.
    const owners = recs.map((r) => (r.ops as { entry: { source: string } }[])[0]!.entry.source);
    const turns = owners.filter((o, i) => i > 0 && o !== owners[i - 1]).length;
    expect(turns).toBeGreaterThan(1);
    const stats = await follower.stats();
    expect({ ...stats.bySource }).toEqual({ parent: mine, child: 150 });
    const feed = await follower.changesSince(0, 0);
    expect(feed !== 'reset' && feed.map((c) => c.version)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  }, 60_000);
});
