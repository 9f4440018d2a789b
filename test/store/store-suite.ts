// One behaviour suite for every BlocklistStore (DESIGN.md: "Both stores implement one interface and
// pass one shared test suite"). Each test gets a fresh, empty store on its own backing.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_FEED_OPS, type BlocklistStore, type Change, type ChangeSet, type InvalidRecord, type NewEntry, type StoredEntry } from '../../src/store/blocklist-store.js';

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
const del = (name: string, kind: 'block' | 'allow' = 'block', source?: string) => ({ op: 'del' as const, name, kind, ...(source === undefined ? {} : { source }) });

/** Entries without addedAt, sorted: what a comparison cares about. */
function plain(entries: readonly StoredEntry[]): NewEntry[] {
  return entries
    .map(({ addedAt: _t, ...rest }) => rest)
    .sort((a, b) => `${a.kind}:${a.name}:${a.source}`.localeCompare(`${b.kind}:${b.name}:${b.source}`));
}

/** A change as "kind:name=source,source" (sources sorted; "" when no longer listed). */
function said(c: Change): string {
  return `${c.kind}:${c.name}=${c.entries.map((e) => e.source).sort().join(',')}`;
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
      expect(cs!.changes).toEqual([{ name: 'a.no-ip.biz', kind: 'block', entries: [after] }]);
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
      // A name another source holds gets this source's entry beside it.
      const third = await store.replaceSource('feed', [block('z.zapto.org', 'feed')]);
      expect(third).toMatchObject({ added: 1, unchanged: 0, removed: 3 });
      expect(plain(await store.get('z.zapto.org'))).toEqual([block('z.zapto.org', 'feed'), block('z.zapto.org', 'other')]);
    });

    it('two sources listing one name each keep an entry: re-importing one without it leaves the other, family included', async () => {
      await store.replaceSource('feed-a', [block('c2.hopto.org', 'feed-a'), block('only-a.hopto.org', 'feed-a')]);
      await store.replaceSource('feed-b', [block('c2.hopto.org', 'feed-b', { family: 'njrat' })]);
      expect(plain(await store.get('c2.hopto.org'))).toEqual([block('c2.hopto.org', 'feed-a'), block('c2.hopto.org', 'feed-b', { family: 'njrat' })]);
      const v = await store.version();
      const sum = await store.replaceSource('feed-a', [block('only-a.hopto.org', 'feed-a')]);
      expect(sum).toEqual({ added: 0, unchanged: 1, updated: 0, removed: 1, version: v + 1 });
      expect(plain(await store.get('c2.hopto.org'))).toEqual([block('c2.hopto.org', 'feed-b', { family: 'njrat' })]);
      // The feed states what lists the name now.
      expect(sets(await store.changesSince(v, 0)).flatMap((cs) => cs.changes.map(said))).toEqual(['block:c2.hopto.org=feed-b']);
      // And the last source going takes it off.
      await store.replaceSource('feed-b', []);
      expect(await store.get('c2.hopto.org')).toEqual([]);
      expect(sets(await store.changesSince(v + 1, 0)).flatMap((cs) => cs.changes.map(said))).toEqual(['block:c2.hopto.org=']);
      // Allow entries the same.
      await store.replaceSource('fp-1', [allow('printer.ddns.net', 'fp-1')]);
      await store.replaceSource('fp-2', [allow('printer.ddns.net', 'fp-2')]);
      await store.replaceSource('fp-1', []);
      expect(plain(await store.get('printer.ddns.net'))).toEqual([allow('printer.ddns.net', 'fp-2')]);
      const s = await store.stats();
      expect({ ...s.bySource }).toEqual({ 'feed-a': 1, 'fp-2': 1 });
    });

    it('apply: a put is per source; a del with a source removes that one, without a source every one', async () => {
      await store.apply([put(block('x.zapto.org', 'one')), put(block('x.zapto.org', 'two', { family: 'f' })), put(block('x.zapto.org', 'three'))]);
      expect((await store.get('x.zapto.org')).map((e) => e.source).sort()).toEqual(['one', 'three', 'two']);
      expect((await store.stats()).total).toBe(3);
      const v = await store.apply([del('x.zapto.org', 'block', 'two')]);
      expect((await store.get('x.zapto.org')).map((e) => e.source).sort()).toEqual(['one', 'three']);
      expect(sets(await store.changesSince(v - 1, 0))[0]!.changes.map(said)).toEqual(['block:x.zapto.org=one,three']);
      // Deleting a source that has no entry there changes nothing.
      expect(await store.apply([del('x.zapto.org', 'block', 'nope')])).toBe(v);
      expect(await store.apply([del('x.zapto.org')])).toBe(v + 1);
      expect(await store.get('x.zapto.org')).toEqual([]);
      expect(sets(await store.changesSince(v, 0))[0]!.changes.map(said)).toEqual(['block:x.zapto.org=']);
    });

    it('keeps an optional field it does not know (a short string) through put, import, feed and snapshot', async () => {
      const e = { ...block('tagged.ddns.net', 'cli'), category: 'malware' } as NewEntry;
      await store.apply([put(e)]);
      expect(plain(await store.get('tagged.ddns.net'))).toEqual([e]);
      await store.replaceSource('feed', [{ ...block('f.ddns.net', 'feed'), category: 'ads' } as NewEntry]);
      const other = await fx.another();
      expect(plain((await other.snapshot()).entries)).toEqual([{ ...block('f.ddns.net', 'feed'), category: 'ads' }, e]);
      const feed = sets(await other.changesSince(0, 0));
      expect(feed.flatMap((cs) => cs.changes.flatMap((c) => c.entries.map((x) => (x as unknown as { category?: string }).category)))).toEqual(['malware', 'ads']);
    });

    it('refuses entries it could not read back: apply throws naming why, an import skips and counts them', async () => {
      await expect(store.apply([put(block('bad..name'))])).rejects.toThrow(/not a normalized DNS name/);
      await expect(store.apply([put(block('ok.ddns.net', 'x'.repeat(201)))])).rejects.toThrow('source longer than 200 characters (201)');
      await expect(store.apply([put(block('ok.ddns.net', 'cli', { family: 'f'.repeat(101) }))])).rejects.toThrow('family longer than 100 characters (101)');
      await expect(store.apply([put(block('ok.ddns.net', 'a\nb'))])).rejects.toThrow('source holds control characters');
      expect(await store.version()).toBe(0);
      const sum = await store.replaceSource('feed', [block('good.ddns.net', 'feed'), block('x'.repeat(300), 'feed'), block('also-good.ddns.net', 'feed', { family: 'y'.repeat(5000) })]);
      expect(sum).toEqual({ added: 1, unchanged: 0, updated: 0, removed: 0, version: 1, invalid: 2 });
    });

    it('source owners: claimed and released one at a time, seen by other instances', async () => {
      await store.setSourceInfo({ source: 'list', fromConfig: true });
      await store.claimSource('list', 'node-a');
      await store.claimSource('list', 'node-b');
      await store.claimSource('list', 'node-a');
      const other = await fx.another();
      expect(await other.getSourceInfo('list')).toEqual({ source: 'list', fromConfig: true, owners: ['node-a', 'node-b'] });
      expect(await other.releaseSource('list', 'node-a')).toEqual(['node-b']);
      expect(await store.releaseSource('list', 'node-x')).toEqual(['node-b']);
      // setSourceInfo never changes the owners.
      await store.setSourceInfo({ source: 'list', importedAt: 7, owners: ['someone'] });
      expect(await store.getSourceInfo('list')).toEqual({ source: 'list', importedAt: 7, owners: ['node-b'] });
      expect(await store.releaseSource('list', 'node-b')).toEqual([]);
      expect(await store.getSourceInfo('list')).toEqual({ source: 'list', importedAt: 7 });
      // A source no one imported can be claimed (a config list whose file is missing).
      await store.claimSource('ghost', 'node-a');
      expect(await other.getSourceInfo('ghost')).toEqual({ source: 'ghost', owners: ['node-a'] });
      expect(await other.sources()).toEqual([{ source: 'ghost', owners: ['node-a'] }, { source: 'list', importedAt: 7 }]);
      expect(await store.version()).toBe(0);
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
      expect(feed[0]!.changes.map(said).sort()).toEqual(['block:three.hopto.org=', 'block:two.hopto.org=']);
    });

    it('changesSince returns the change sets after a version, oldest first, with their operations', async () => {
      await store.apply([put(block('a.no-ip.biz'))]);
      await store.apply([put(allow('b.no-ip.biz', 'fp')), del('a.no-ip.biz')]);
      await store.apply([put(block('c.no-ip.biz', 'test', { action: 'nodata', family: 'f' }))]);
      const all = sets(await store.changesSince(0, 0));
      expect(all.map((c) => c.version)).toEqual([1, 2, 3]);
      expect(all[0]!.changes).toEqual([{ name: 'a.no-ip.biz', kind: 'block', entries: [expect.objectContaining({ name: 'a.no-ip.biz', kind: 'block', source: 'test' })] }]);
      expect(all[1]!.changes.map(said).sort()).toEqual(['allow:b.no-ip.biz=fp', 'block:a.no-ip.biz=']);
      expect(all[2]!.changes).toEqual([{ name: 'c.no-ip.biz', kind: 'block', entries: await store.get('c.no-ip.biz') }]);
      expect(sets(await store.changesSince(2, 0)).map((c) => c.version)).toEqual([3]);
      expect(sets(await store.changesSince(3, 0))).toEqual([]);
      // Replaying the feed onto nothing gives the snapshot.
      const model = new Map<string, readonly StoredEntry[]>();
      for (const cs of all) for (const c of cs.changes) c.entries.length > 0 ? model.set(`${c.kind}:${c.name}`, c.entries) : model.delete(`${c.kind}:${c.name}`);
      expect(plain([...model.values()].flat())).toEqual(plain((await store.snapshot()).entries));
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
      expect(got[0]!.changes).toEqual([{ name: 'late.no-ip.biz', kind: 'block', entries: [expect.objectContaining({ name: 'late.no-ip.biz', source: 'cli' })] }]);
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

    it('the snapshot equals the entries applied, on this and on another instance, and so does the feed replayed', async () => {
      const model = new Map<string, NewEntry>(); // kind:name:source -> entry
      let seed = 7;
      const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
      for (let round = 0; round < 40; round++) {
        const ops = [];
        for (let k = 0; k < 1 + rand(5); k++) {
          const name = `h${rand(12)}.zapto.org`;
          const kind = rand(4) === 0 ? ('allow' as const) : ('block' as const);
          const source = ['s1', 's2', 's3'][rand(3)]!;
          const r = rand(6);
          if (r === 0) {
            ops.push(del(name, kind));
            for (const key of [...model.keys()]) if (key.startsWith(`${kind}:${name}:`)) model.delete(key);
          } else if (r === 1) {
            ops.push(del(name, kind, source));
            model.delete(`${kind}:${name}:${source}`);
          } else {
            const e: NewEntry = { name, kind, source, ...(rand(2) ? { family: 'fam' } : {}) };
            ops.push(put(e));
            model.set(`${kind}:${name}:${source}`, e);
          }
        }
        await store.apply(ops);
        if (round % 10 === 9) {
          // A re-import of one source among the others.
          const name = `h${rand(12)}.zapto.org`;
          await store.replaceSource('s3', [block(name, 's3')]);
          for (const key of [...model.keys()]) if (key.endsWith(':s3')) model.delete(key);
          model.set(`block:${name}:s3`, block(name, 's3'));
        }
      }
      const expected = plain([...model.values()].map((e) => ({ ...e, addedAt: 0 })));
      expect(plain((await store.snapshot()).entries)).toEqual(expected);
      const other = await fx.another();
      expect(plain((await other.snapshot()).entries)).toEqual(expected);
      expect((await other.snapshot()).version).toBe(await store.version());
      // The snapshot lists the entries of one name and kind one after another.
      const keys = (await other.snapshot()).entries.map((e) => `${e.kind}:${e.name}`);
      expect(keys.filter((k, i) => i > 0 && k !== keys[i - 1]).length + 1).toBe(new Set(keys).size);
      const feed = await other.changesSince(0, 0);
      if (feed !== 'reset') {
        const replay = new Map<string, readonly StoredEntry[]>();
        for (const cs of feed) for (const c of cs.changes) c.entries.length > 0 ? replay.set(`${c.kind}:${c.name}`, c.entries) : replay.delete(`${c.kind}:${c.name}`);
        expect(plain([...replay.values()].flat())).toEqual(expected);
      }
    });

    it('reports records it cannot use through onInvalidRecord, and never a whole long value', async () => {
      const seen: InvalidRecord[] = [];
      store.onInvalidRecord = (r) => seen.push(r);
      await store.apply([put(block('fine.ddns.net'))]);
      expect((await store.snapshot()).entries).toHaveLength(1);
      expect(seen).toEqual([]);
    });
  });
}
