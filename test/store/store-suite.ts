// One behaviour suite for every BlocklistStore (DESIGN.md: "Both stores implement one interface and
// pass one shared test suite"). Each test gets a fresh, empty store on its own backing.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_FEED_OPS, type BlocklistStore, type ChangeSet, type NewEntry, type StoredEntry } from '../../src/store/blocklist-store.js';

export interface StoreFixture {
  store: BlocklistStore;
  /** Closes every store handed out and removes the backing data. */
  cleanup(): Promise<void>;
  /** Another store instance on the same backing (what a second process sees). */
  another(): Promise<BlocklistStore>;
  /** Makes the feed forget old change sets (Redis: XTRIM; file: compaction). */
  trimFeed(): Promise<void>;
}

const block = (name: string, source = 'test', extra: Partial<NewEntry> = {}): NewEntry => ({ name, kind: 'block', source, ...extra });
const allow = (name: string, source = 'test', extra: Partial<NewEntry> = {}): NewEntry => ({ name, kind: 'allow', source, ...extra });
const put = (entry: NewEntry) => ({ op: 'put' as const, entry });
const del = (name: string, kind: 'block' | 'allow' = 'block') => ({ op: 'del' as const, name, kind });

/** Entries without addedAt, sorted: what a comparison cares about. */
function plain(entries: readonly StoredEntry[]): NewEntry[] {
  return entries
    .map(({ addedAt: _t, ...rest }) => rest)
    .sort((a, b) => `${a.kind}:${a.name}`.localeCompare(`${b.kind}:${b.name}`));
}

function sets(r: readonly ChangeSet[] | 'reset'): readonly ChangeSet[] {
  if (r === 'reset') throw new Error('expected change sets, got reset');
  return r;
}

function* generate(n: number, prefix: string, source = 'bulk'): Generator<NewEntry> {
  for (let i = 0; i < n; i++) yield { name: `${prefix}${i}.no-ip.biz`, kind: 'block', source };
}

export function storeSuite(name: string, makeStore: () => Promise<StoreFixture>): void {
  describe(`BlocklistStore: ${name}`, () => {
    let fx: StoreFixture;
    let store: BlocklistStore;

    beforeEach(async () => {
      fx = await makeStore();
      store = fx.store;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('an empty store is version 0 with an empty snapshot, no stats and no feed', async () => {
      expect(await store.version()).toBe(0);
      expect(await store.snapshot()).toEqual({ version: 0, entries: [] });
      expect(await store.get('evil.no-ip.biz')).toEqual([]);
      const stats = await store.stats();
      expect(stats.version).toBe(0);
      expect(stats.total).toBe(0);
      expect(stats.byKind).toEqual({ block: 0, allow: 0 });
      expect(Object.keys(stats.bySource)).toEqual([]);
      expect(await store.changesSince(0, 0)).toEqual([]);
      expect(await store.getSourceInfo('nope')).toBeUndefined();
      expect(typeof store.description).toBe('string');
    });

    it('apply: each change set bumps the version once, puts and deletes take effect', async () => {
      const t0 = Date.now();
      expect(await store.apply([put(block('a.no-ip.biz')), put(block('b.no-ip.biz', 'test', { family: 'njrat' }))])).toBe(1);
      expect(await store.version()).toBe(1);
      const [a] = await store.get('a.no-ip.biz');
      expect(a).toMatchObject({ name: 'a.no-ip.biz', kind: 'block', source: 'test' });
      expect(a!.family).toBeUndefined();
      expect(a!.addedAt).toBeGreaterThanOrEqual(t0);
      expect(a!.addedAt).toBeLessThanOrEqual(Date.now());
      expect(await store.apply([del('a.no-ip.biz')])).toBe(2);
      expect(await store.get('a.no-ip.biz')).toEqual([]);
      const snap = await store.snapshot();
      expect(snap.version).toBe(2);
      expect(plain(snap.entries)).toEqual([block('b.no-ip.biz', 'test', { family: 'njrat' })]);
    });

    it('a change set that changes nothing does not bump the version or publish anything', async () => {
      await store.apply([put(block('a.no-ip.biz', 'test', { family: 'njrat', action: 'nxdomain' }))]);
      expect(await store.apply([put(block('a.no-ip.biz', 'test', { family: 'njrat', action: 'nxdomain' }))])).toBe(1);
      expect(await store.apply([del('gone.no-ip.biz'), del('a.no-ip.biz', 'allow')])).toBe(1);
      expect(await store.apply([])).toBe(1);
      // A put then a delete of a name that was not there nets to nothing.
      expect(await store.apply([put(block('tmp.no-ip.biz')), del('tmp.no-ip.biz')])).toBe(1);
      expect(await store.version()).toBe(1);
      expect(sets(await store.changesSince(1, 0))).toEqual([]);
      expect(sets(await store.changesSince(0, 0)).map((c) => c.version)).toEqual([1]);
    });

    it('a re-put keeps addedAt, even when it changes family or action', async () => {
      await store.apply([put(block('a.no-ip.biz'))]);
      const [before] = await store.get('a.no-ip.biz');
      await new Promise((r) => setTimeout(r, 15));
      expect(await store.apply([put(block('a.no-ip.biz', 'test', { family: 'jenxcus' }))])).toBe(2);
      const [after] = await store.get('a.no-ip.biz');
      expect(after!.family).toBe('jenxcus');
      expect(after!.addedAt).toBe(before!.addedAt);
      const [cs] = sets(await store.changesSince(1, 0));
      expect(cs!.changes).toEqual([{ op: 'put', entry: after }]);
    });

    it('a block and an allow of the same name coexist', async () => {
      await store.apply([put(block('x.hopto.org')), put(allow('x.hopto.org', 'fp'))]);
      const both = await store.get('x.hopto.org');
      expect(both.map((e) => e.kind).sort()).toEqual(['allow', 'block']);
      await store.apply([del('x.hopto.org', 'block')]);
      expect(plain(await store.get('x.hopto.org'))).toEqual([allow('x.hopto.org', 'fp')]);
      expect((await store.stats()).byKind).toEqual({ block: 0, allow: 1 });
    });

    it('replaceSource counts added, unchanged, updated and removed, and leaves other sources alone', async () => {
      const first = await store.replaceSource('feed', [block('a.ddns.net', 'feed'), block('b.ddns.net', 'feed'), block('c.ddns.net', 'feed')]);
      expect(first).toEqual({ added: 3, unchanged: 0, updated: 0, removed: 0, version: 1 });
      await store.apply([put(block('z.zapto.org', 'other')), put(allow('a.ddns.net', 'other'))]);
      const [bBefore] = await store.get('b.ddns.net');
      // The entries' own source field is overridden by the source being replaced.
      const second = await store.replaceSource('feed', [block('a.ddns.net', 'feed'), block('b.ddns.net', 'whatever', { family: 'njrat' }), block('d.ddns.net', 'feed')]);
      expect(second).toEqual({ added: 1, unchanged: 1, updated: 1, removed: 1, version: 3 });
      const snap = await store.snapshot();
      expect(snap.version).toBe(3);
      expect(plain(snap.entries)).toEqual([
        allow('a.ddns.net', 'other'),
        block('a.ddns.net', 'feed'),
        block('b.ddns.net', 'feed', { family: 'njrat' }),
        block('d.ddns.net', 'feed'),
        block('z.zapto.org', 'other'),
      ]);
      expect((await store.get('b.ddns.net'))[0]!.addedAt).toBe(bBefore!.addedAt);
      // The same list again changes nothing.
      expect(await store.replaceSource('feed', [block('a.ddns.net', 'feed'), block('b.ddns.net', 'feed', { family: 'njrat' }), block('d.ddns.net', 'feed')])).toEqual({
        added: 0,
        unchanged: 3,
        updated: 0,
        removed: 0,
        version: 3,
      });
      // A name another source holds stays that source's.
      const third = await store.replaceSource('feed', [block('z.zapto.org', 'feed')]);
      expect(third).toMatchObject({ added: 0, unchanged: 1, removed: 3 });
      expect(plain(await store.get('z.zapto.org'))).toEqual([block('z.zapto.org', 'other')]);
    });

    it('replaceSource accepts an async iterable, with duplicates', async () => {
      async function* gen(): AsyncGenerator<NewEntry> {
        yield block('a.ddns.net', 'feed');
        yield block('b.ddns.net', 'feed');
        yield block('a.ddns.net', 'feed', { family: 'last-wins' });
      }
      expect(await store.replaceSource('feed', gen())).toEqual({ added: 2, unchanged: 0, updated: 0, removed: 0, version: 1 });
      expect((await store.get('a.ddns.net'))[0]!.family).toBe('last-wins');
    });

    it('a re-import that drops names removes them in one version step', async () => {
      await store.replaceSource('feed', [block('one.hopto.org', 'feed'), block('two.hopto.org', 'feed'), block('three.hopto.org', 'feed')]);
      const v = await store.version();
      const sum = await store.replaceSource('feed', [block('one.hopto.org', 'feed')]);
      expect(sum).toMatchObject({ removed: 2, unchanged: 1, version: v + 1 });
      const feed = sets(await store.changesSince(v, 0));
      expect(feed).toHaveLength(1);
      expect(feed[0]!.version).toBe(v + 1);
      expect(feed[0]!.reset).toBeFalsy();
      expect(feed[0]!.changes.map((c) => (c.op === 'del' ? `del ${c.name}` : `put ${c.entry.name}`)).sort()).toEqual(['del three.hopto.org', 'del two.hopto.org']);
    });

    it('changesSince returns the change sets after a version, oldest first, with their operations', async () => {
      await store.apply([put(block('a.no-ip.biz'))]);
      await store.apply([put(allow('b.no-ip.biz', 'fp')), del('a.no-ip.biz')]);
      await store.apply([put(block('c.no-ip.biz', 'test', { action: 'nodata', family: 'f' }))]);
      const all = sets(await store.changesSince(0, 0));
      expect(all.map((c) => c.version)).toEqual([1, 2, 3]);
      expect(all[0]!.changes).toEqual([{ op: 'put', entry: expect.objectContaining({ name: 'a.no-ip.biz', kind: 'block', source: 'test' }) }]);
      expect(all[1]!.changes).toEqual([{ op: 'put', entry: expect.objectContaining({ name: 'b.no-ip.biz', kind: 'allow', source: 'fp' }) }, { op: 'del', name: 'a.no-ip.biz', kind: 'block' }]);
      expect(all[2]!.changes).toEqual([{ op: 'put', entry: (await store.get('c.no-ip.biz'))[0] }]);
      expect(sets(await store.changesSince(2, 0)).map((c) => c.version)).toEqual([3]);
      expect(sets(await store.changesSince(3, 0))).toEqual([]);
      // Replaying the feed onto nothing gives the snapshot.
      const model = new Map<string, StoredEntry>();
      for (const cs of all) for (const c of cs.changes) c.op === 'put' ? model.set(`${c.entry.kind}:${c.entry.name}`, c.entry) : model.delete(`${c.kind}:${c.name}`);
      expect(plain([...model.values()])).toEqual(plain((await store.snapshot()).entries));
    });

    it('changesSince waits, and wakes within 1 s on a change made through a second instance', async () => {
      await store.apply([put(block('a.no-ip.biz'))]);
      const other = await fx.another();
      expect(await other.version()).toBe(1);
      let changedAt = 0;
      const t0 = Date.now();
      const waiting = store.changesSince(1, 5000).then((r) => ({ r, at: Date.now() }));
      await new Promise((r) => setTimeout(r, 150));
      expect(await other.apply([put(block('late.no-ip.biz', 'cli'))])).toBe(2);
      changedAt = Date.now();
      const { r, at } = await waiting;
      expect(at - t0).toBeGreaterThanOrEqual(100); // it did wait
      expect(at - changedAt).toBeLessThan(1000);
      const got = sets(r);
      expect(got.map((c) => c.version)).toEqual([2]);
      expect(got[0]!.changes).toEqual([{ op: 'put', entry: expect.objectContaining({ name: 'late.no-ip.biz', source: 'cli' }) }]);
      // And the first instance now reads what the second wrote.
      expect(await store.version()).toBe(2);
      expect(await store.get('late.no-ip.biz')).toHaveLength(1);
    });

    it('changesSince returns [] when nothing changes within waitMs', async () => {
      const t0 = Date.now();
      expect(await store.changesSince(0, 400)).toEqual([]);
      const took = Date.now() - t0;
      expect(took).toBeGreaterThanOrEqual(350);
      expect(took).toBeLessThan(3000);
    });

    it('two instances writing at once: every change set gets its own version and nothing is lost', async () => {
      const other = await fx.another();
      const writes: Promise<number>[] = [];
      for (let i = 0; i < 15; i++) {
        writes.push(store.apply([put(block(`a${i}.no-ip.biz`))]));
        writes.push(other.apply([put(block(`b${i}.no-ip.biz`))]));
      }
      const versions = await Promise.all(writes);
      expect([...versions].sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect((await store.snapshot()).entries).toHaveLength(30);
      expect((await other.snapshot()).entries).toHaveLength(30);
      expect(sets(await other.changesSince(0, 0)).map((c) => c.version)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    });

    it(`a replaceSource of more than MAX_FEED_OPS (${MAX_FEED_OPS}) changes is published as a reset`, async () => {
      await store.apply([put(block('keep.no-ip.biz', 'cli'))]);
      const other = await fx.another();
      const sum = await store.replaceSource('bulk', generate(MAX_FEED_OPS + 1, 'h'));
      expect(sum).toEqual({ added: MAX_FEED_OPS + 1, unchanged: 0, updated: 0, removed: 0, version: 2 });
      expect(await store.changesSince(1, 0)).toEqual([{ version: 2, changes: [], reset: true }]);
      expect(await other.changesSince(1, 0)).toEqual([{ version: 2, changes: [], reset: true }]);
      const snap = await other.snapshot();
      expect(snap.version).toBe(2);
      expect(snap.entries).toHaveLength(MAX_FEED_OPS + 2);
      // Dropping them all is one reset again; a small change after it ships its operations.
      expect(await store.replaceSource('bulk', [])).toMatchObject({ removed: MAX_FEED_OPS + 1, version: 3 });
      await store.apply([put(block('after.no-ip.biz'))]);
      // From before the bulk change a follower must reload: told by the reset change set, or by
      // 'reset' when the store has compacted its log meanwhile.
      const fromBefore = await other.changesSince(2, 0);
      if (fromBefore !== 'reset') expect(fromBefore[0]).toEqual({ version: 3, changes: [], reset: true });
      const after = sets(await other.changesSince(3, 0));
      expect(after.map((c) => [c.version, c.reset ?? false, c.changes.length])).toEqual([[4, false, 1]]);
      expect((await other.stats()).total).toBe(2);
    });

    it('an apply of more than MAX_FEED_OPS operations is published as a reset too', async () => {
      const ops = Array.from(generate(MAX_FEED_OPS + 1, 'm', 'cli'), put);
      expect(await store.apply(ops)).toBe(1);
      expect(await store.changesSince(0, 0)).toEqual([{ version: 1, changes: [], reset: true }]);
      expect((await store.stats()).total).toBe(MAX_FEED_OPS + 1);
      // Exactly MAX_FEED_OPS still ships its operations.
      expect(await store.apply(Array.from(generate(MAX_FEED_OPS, 'k', 'cli'), put))).toBe(2);
      const [cs] = sets(await store.changesSince(1, 0));
      expect(cs!.reset).toBeFalsy();
      expect(cs!.changes).toHaveLength(MAX_FEED_OPS);
      expect((await store.stats()).total).toBe(2 * MAX_FEED_OPS + 1);
    });

    it("answers 'reset' for a version older than the feed keeps, or newer than the store has", async () => {
      for (let i = 0; i < 5; i++) await store.apply([put(block(`n${i}.no-ip.biz`))]);
      await fx.trimFeed();
      expect(await store.changesSince(0, 0)).toBe('reset');
      expect(await store.changesSince(2, 0)).toBe('reset');
      expect(await store.changesSince(99, 0)).toBe('reset');
      expect(await store.changesSince(5, 0)).toEqual([]);
      await store.apply([put(block('n5.no-ip.biz'))]);
      expect(sets(await store.changesSince(5, 0)).map((c) => c.version)).toEqual([6]);
      const other = await fx.another();
      expect(await other.changesSince(1, 0)).toBe('reset');
      expect(sets(await other.changesSince(5, 0)).map((c) => c.version)).toEqual([6]);
      expect((await other.snapshot()).entries).toHaveLength(6);
    });

    it('stats count by kind, source and family', async () => {
      await store.replaceSource('maltrail', [block('a.ddns.net', 'maltrail', { family: 'njrat' }), block('b.ddns.net', 'maltrail', { family: 'njrat' }), block('c.ddns.net', 'maltrail', { family: 'jenxcus' })]);
      await store.apply([put(block('d.ddns.net', 'cli')), put(allow('ok.ddns.net', 'fp'))]);
      const s = await store.stats();
      expect(s.version).toBe(2);
      expect(s.total).toBe(5);
      expect(s.byKind).toEqual({ block: 4, allow: 1 });
      expect({ ...s.bySource }).toEqual({ maltrail: 3, cli: 1, fp: 1 });
      expect({ ...s.byFamily }).toEqual({ njrat: 2, jenxcus: 1 });
    });

    it('source info round-trips and is seen by other instances', async () => {
      expect(await store.getSourceInfo('feed')).toBeUndefined();
      const info = { source: 'feed', url: 'https://example.org/list.txt', etag: '"abc"', lastModified: 'Mon, 30 Jun 2014 00:00:00 GMT', importedAt: 1404086400000 };
      await store.setSourceInfo(info);
      expect(await store.getSourceInfo('feed')).toEqual(info);
      await store.setSourceInfo({ source: 'feed', etag: '"def"' });
      expect(await store.getSourceInfo('feed')).toEqual({ source: 'feed', etag: '"def"' });
      // Stored as given, every field.
      await store.setSourceInfo({ source: 'cfg', fromConfig: true });
      const other = await fx.another();
      expect(await other.getSourceInfo('feed')).toEqual({ source: 'feed', etag: '"def"' });
      expect(await other.getSourceInfo('cfg')).toEqual({ source: 'cfg', fromConfig: true });
      // Source info is not a change to the list.
      expect(await store.version()).toBe(0);
    });

    it('the snapshot equals the entries applied, on this and on another instance', async () => {
      const model = new Map<string, NewEntry>();
      let seed = 7;
      const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
      for (let round = 0; round < 30; round++) {
        const ops = [];
        for (let k = 0; k < 1 + rand(5); k++) {
          const name = `h${rand(20)}.zapto.org`;
          const kind = rand(4) === 0 ? ('allow' as const) : ('block' as const);
          if (rand(3) === 0) {
            ops.push(del(name, kind));
            model.delete(`${kind}:${name}`);
          } else {
            const e: NewEntry = { name, kind, source: rand(2) ? 's1' : 's2', ...(rand(2) ? { family: 'fam' } : {}) };
            ops.push(put(e));
            model.set(`${kind}:${name}`, e);
          }
        }
        await store.apply(ops);
      }
      const expected = plain([...model.values()].map((e) => ({ ...e, addedAt: 0 })));
      expect(plain((await store.snapshot()).entries)).toEqual(expected);
      const other = await fx.another();
      expect(plain((await other.snapshot()).entries)).toEqual(expected);
      expect((await other.snapshot()).version).toBe(await store.version());
    });
  });
}
