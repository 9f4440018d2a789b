// The embedded hit store's files: a batch is on disk when add() resolves and a reader sees it; the
// journal is compacted without a reader counting anything twice; torn, empty and corrupt files
// (a power cut, a full disk) are moved aside with one warning naming them and the rest is kept;
// an old hits.json is migrated once; a second writer on one directory is refused. The journal
// thread runs from dist/ (npm test builds first).

import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hitFilesFor } from '../../src/infected/hit-files.js';
import { FileHitStore } from '../../src/infected/file-hit-store.js';
import { JournalHitStore } from '../../src/infected/journal-hit-store.js';
import { HitDirLockedError } from '../../src/infected/hit-dir-lock.js';
import { MemoryHitStore } from '../../src/infected/memory-hit-store.js';
import { DEFAULT_CLIENT_BOUNDS } from '../../src/infected/client-bounds.js';
import type { ClientRecord, Hit } from '../../src/infected/model.js';

const MIN = 60_000;
const RETENTION = 30 * 86_400_000;
const NOW = Date.now();
const T = NOW - (NOW % MIN) - 3 * 3600_000;

function hit(time: number, client: string, qname: string, extra: Partial<Hit> = {}): Hit {
  return { time, client, qname, qtype: 'A', rule: qname, source: 'test', transport: 'udp', ...extra };
}

function batches(): Hit[][] {
  const out: Hit[][] = [];
  for (let b = 0; b < 6; b++) {
    const batch: Hit[] = [];
    for (let i = 0; i < 40; i++) {
      const names = ['c2.no-ip.biz', '__proto__', 'a"b\\c\nd.evil.example', '\u65e5\u672c.evil.example', 'ads.tracker.example'];
      const qname = names[(b + i) % names.length]!;
      batch.push(
        hit(T + (b * 40 + i) * MIN + 17, `10.0.${b % 2}.${i % 7}`, qname, {
          ...(qname.startsWith('ads.') ? { category: 'ads' as const, source: 'easylist' } : { category: 'malware' as const, family: 'Bladabindi' }),
          ...(i % 5 === 0 ? { clientSubnet: '192.0.2.0/24' } : {}),
        }),
      );
    }
    out.push(batch);
  }
  return out;
}

interface LogLine {
  level: 'info' | 'warn';
  fields: Record<string, unknown>;
  msg: string;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempStore(): { dir: string; storePath: string; files: ReturnType<typeof hitFilesFor> } {
  const dir = mkdtempSync(join(tmpdir(), 'sinkd-hitfiles-'));
  dirs.push(dir);
  const storePath = join(dir, 'blocklist-store.jsonl');
  return { dir, storePath, files: hitFilesFor(storePath) };
}

function openWriter(files: ReturnType<typeof hitFilesFor>, logs: LogLine[] = [], journalMaxBytes = 16 << 20): JournalHitStore {
  return new JournalHitStore(
    { files, retentionMs: RETENTION, bounds: DEFAULT_CLIENT_BOUNDS, maxClients: 100_000, journalMaxBytes },
    { info: (fields, msg) => logs.push({ level: 'info', fields, msg }), warn: (fields, msg) => logs.push({ level: 'warn', fields, msg }) },
  );
}

function openReader(files: ReturnType<typeof hitFilesFor>, warnings: string[] = []): FileHitStore {
  return new FileHitStore(files, { retentionMs: RETENTION, bounds: DEFAULT_CLIENT_BOUNDS, maxClients: 100_000, warn: (m) => warnings.push(m) });
}

const sorted = (rs: ClientRecord[]) => [...rs].sort((a, b) => (a.client < b.client ? -1 : 1));

describe('embedded hit store files', () => {
  it('a batch is on disk when add() resolves: a reader beside the running writer sees it, names and categories intact', async () => {
    const { files } = tempStore();
    const writer = openWriter(files);
    const memory = new MemoryHitStore(RETENTION);
    try {
      for (const b of batches()) {
        await writer.add(b);
        await memory.add(b);
        const seen = await openReader(files).clients({ since: null });
        expect(sorted(seen)).toEqual(sorted(await memory.clients({ since: null })));
      }
      const r = (await openReader(files).clients({ since: null, client: '10.0.0.0' }))[0]!;
      const ads = r.names.find((n) => n.name === 'ads.tracker.example')!;
      expect(ads).toMatchObject({ category: 'ads', sources: ['easylist'] });
      expect(r.otherMinutes!.length).toBeGreaterThan(0);
      expect(await writer.clients({ since: T + 100 * MIN })).toEqual(await memory.clients({ since: T + 100 * MIN }));
    } finally {
      await writer.close();
    }
    // After a restart: the same.
    const again = openWriter(files);
    try {
      expect(sorted(await again.clients({ since: null }))).toEqual(sorted(await memory.clients({ since: null })));
    } finally {
      await again.close();
    }
  });

  it('compacts the journal into a snapshot past journalMaxBytes, and readers never count a batch twice', async () => {
    const { files } = tempStore();
    const logs: LogLine[] = [];
    const writer = openWriter(files, logs, 8192);
    const memory = new MemoryHitStore(RETENTION);
    try {
      for (let round = 0; round < 4; round++) {
        for (const b of batches()) {
          const shifted = b.map((h) => ({ ...h, time: h.time + round * 1000 }));
          await writer.add(shifted);
          await memory.add(shifted);
          const total = (await openReader(files).clients({ since: null })).reduce((s, c) => s + c.hits, 0);
          expect(total).toBe((await memory.clients({ since: null })).reduce((s, c) => s + c.hits, 0));
        }
      }
      expect(logs.filter((l) => l.fields.event === 'hits-compacted').length).toBeGreaterThan(2);
      expect(readFileSync(files.journal).length).toBeLessThan(8192 + 8192);
    } finally {
      await writer.close();
    }
  });

  it('a journal cut short by a crash: moved aside with one warning naming it; every whole batch kept', async () => {
    const { files } = tempStore();
    const writer = openWriter(files);
    const memory = new MemoryHitStore(RETENTION);
    for (const b of batches()) {
      await writer.add(b);
      await memory.add(b);
    }
    await writer.close();
    // A power cut in the middle of the next line.
    appendFileSync(files.journal, '{"q":99,"c":[{"c":"10.9.9.9","f":1,"l":2,"h":1,"n":[["half');
    const logs: LogLine[] = [];
    const again = openWriter(files, logs);
    try {
      expect(sorted(await again.clients({ since: null }))).toEqual(sorted(await memory.clients({ since: null })));
      const warn = logs.filter((l) => l.level === 'warn');
      expect(warn).toHaveLength(1);
      expect(warn[0]!.fields).toMatchObject({ event: 'hit-file-damaged', file: files.journal });
      expect(warn[0]!.msg).toContain(files.journal);
      expect(existsSync(String(warn[0]!.fields.movedTo))).toBe(true);
      // Still writing, to a fresh journal.
      await again.add([hit(NOW, '10.9.9.8', 'later.no-ip.biz')]);
      expect((await openReader(files).clients({ since: null, client: '10.9.9.8' }))[0]!.hits).toBe(1);
    } finally {
      await again.close();
    }
    // Started again: clean files, nothing more to warn about.
    const logs2: LogLine[] = [];
    const third = openWriter(files, logs2);
    await third.dropped();
    await third.close();
    expect(logs2.filter((l) => l.level === 'warn')).toEqual([]);
  });

  for (const [what, damage] of [
    ['an empty snapshot', (f: string) => writeFileSync(f, '')],
    ['a snapshot cut in half', (f: string) => truncateSync(f, Math.floor(readFileSync(f).length / 2))],
    ['a snapshot of garbage', (f: string) => writeFileSync(f, '\u0000\u0001not json at all')],
  ] as const) {
    it(`${what}: sinkd report warns naming it, moves it aside and reports on the rest`, async () => {
      const { files } = tempStore();
      const writer = openWriter(files, [], 4096); // compacts, so there is a snapshot
      for (const b of batches()) await writer.add(b);
      await writer.add([hit(NOW, '10.9.9.7', 'after.no-ip.biz')]);
      await writer.close();
      expect(existsSync(files.snapshot)).toBe(true);
      damage(files.snapshot);
      const warnings: string[] = [];
      const reader = openReader(files, warnings);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(files.snapshot);
      expect(readdirSync(files.dir).some((n) => n.startsWith('hits.snapshot.corrupt-'))).toBe(true);
      await reader.clients({ since: null }); // does not throw
      // The report's repair left clean files: the next one has nothing to say.
      const quiet: string[] = [];
      openReader(files, quiet);
      expect(quiet).toEqual([]);
    });
  }

  for (const [what, text] of [
    ['empty', ''],
    ['cut short', '{"version":1,"dropped":0,"clients":[{"client":"10.1.1.1","firstSe'],
    ['with one bad client', JSON.stringify({ version: 1, dropped: 3, clients: [{ client: '10.1.1.1', firstSeen: T, lastSeen: T + MIN, hits: 2, names: { 'c2.no-ip.biz': { hits: 2, family: 'X' } }, families: { X: 2 }, minutes: { [T]: 1, [T + MIN]: 1 }, subnets: [] }, { client: 5 }] })],
  ] as const) {
    it(`an old hits.json ${what}: the server warns naming it, moves it aside, keeps what it could read`, async () => {
      const { files } = tempStore();
      writeFileSync(files.legacy, text);
      const logs: LogLine[] = [];
      const writer = openWriter(files, logs);
      try {
        const clients = await writer.clients({ since: null });
        const warn = logs.filter((l) => l.level === 'warn');
        expect(warn).toHaveLength(1);
        expect(warn[0]!.msg).toContain(files.legacy);
        expect(existsSync(files.legacy)).toBe(false);
        expect(readdirSync(files.dir).some((n) => n.startsWith('hits.json.corrupt-'))).toBe(true);
        expect(clients.map((c) => c.client)).toEqual(text.includes('"hits":2') ? ['10.1.1.1'] : []);
        await writer.add([hit(NOW, '10.9.9.6', 'new.no-ip.biz')]);
      } finally {
        await writer.close();
      }
    });
  }

  it('migrates an old hits.json once: same records, renamed hits.json.migrated, not counted again', async () => {
    const { files } = tempStore();
    const memory = new MemoryHitStore(RETENTION);
    const hs = batches().flat().map(({ category: _c, ...h }) => ({ ...h, source: 'test' }));
    await memory.add(hs);
    // The format earlier versions wrote.
    const legacy = {
      version: 1,
      dropped: 7,
      clients: (await memory.clients({ since: null })).map((c) => ({
        client: c.client,
        firstSeen: c.firstSeen,
        lastSeen: c.lastSeen,
        hits: c.hits,
        names: Object.fromEntries(c.names.map((n) => [n.name, { hits: n.hits, ...(n.family ? { family: n.family } : {}), rule: n.rule }])),
        families: Object.fromEntries(c.families.map((f) => [f, 1])),
        minutes: Object.fromEntries(c.minutes),
        subnets: c.subnets,
      })),
    };
    writeFileSync(files.legacy, JSON.stringify(legacy));
    const strip = (rs: ClientRecord[]) => sorted(rs).map((r) => ({ ...r, names: r.names.map(({ sources: _s, ...n }) => n) }));
    for (let start = 0; start < 2; start++) {
      const logs: LogLine[] = [];
      const writer = openWriter(files, logs);
      try {
        expect(strip(await writer.clients({ since: null }))).toEqual(strip(await memory.clients({ since: null })));
        expect(await writer.dropped()).toBe(7);
        expect(logs.some((l) => l.fields.event === 'hits-migrated')).toBe(start === 0);
        expect(logs.filter((l) => l.level === 'warn')).toEqual([]);
      } finally {
        await writer.close();
      }
      expect(existsSync(`${files.legacy}.migrated`)).toBe(true);
      expect(existsSync(files.legacy)).toBe(false);
    }
  });

  it('sinkd report on a directory without hit files (no server ever ran) writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sinkd-hitfiles-'));
    const files = hitFilesFor(join(dir, 'not-yet', 'blocklist-store.jsonl'));
    expect(await openReader(files).clients({ since: null })).toEqual([]);
    expect(existsSync(join(dir, 'not-yet'))).toBe(false);
  });

  it('sinkd report ack beside a running server: the ack is kept, the server reads it, a restart keeps it', async () => {
    const { files } = tempStore();
    const writer = openWriter(files);
    try {
      await writer.add([hit(NOW - 1000, '10.8.0.1', 'c2.no-ip.biz')]);
      expect(await openReader(files).ack('10.8.0.1', 'reimaged "x"', NOW)).toBe(true);
      expect(await openReader(files).ack('10.8.0.99', undefined, NOW)).toBe(false);
      expect((await writer.clients({ since: null }))[0]!.ack).toEqual({ at: NOW, note: 'reimaged "x"' });
    } finally {
      await writer.close();
    }
    expect((await openReader(files).clients({ since: null }))[0]!.ack).toEqual({ at: NOW, note: 'reimaged "x"' });
    // A damaged acks file is no reason to stop: the report goes on without the acks.
    writeFileSync(files.acks, '{"10.8.0.1": {"at": "soon"}, "x":');
    expect((await openReader(files).clients({ since: null }))[0]!.ack).toBeUndefined();
  });

  it('a second writer on one directory is refused, saying which process holds it; a stale lock is taken over', async () => {
    const { files } = tempStore();
    const first = openWriter(files);
    try {
      let err: unknown;
      try {
        openWriter(files);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(HitDirLockedError);
      expect((err as Error).message).toContain(`pid ${process.pid}`);
      // A reader beside it: read only, no repair while the writer may be mid-line.
      appendFileSync(files.journal, '{"q":1000,"c":[');
      const warnings: string[] = [];
      await openReader(files, warnings).clients({ since: null });
      expect(warnings).toEqual([]);
      expect(readdirSync(files.dir).some((n) => n.includes('corrupt'))).toBe(false);
    } finally {
      await first.close();
    }
    // A lock left by a process that is gone.
    writeFileSync(files.lock, JSON.stringify({ pid: 2 ** 22 + 12345 }));
    const logs: LogLine[] = [];
    const next = openWriter(files, logs);
    await next.close();
    expect(logs.some((l) => l.fields.event === 'hit-lock-stale')).toBe(true);
  });
});
