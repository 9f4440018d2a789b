// Entry helpers shared by the stores: identity keys, content comparison, and the two diffs every
// store computes the same way (a change set against the current entries, a source re-import).

import type { RuleKind } from '../blocklist/rule.js';
import type { Change, NewEntry, StoredEntry } from './blocklist-store.js';

/** The operations `apply()` accepts. */
export type ApplyOp = { readonly op: 'put'; readonly entry: NewEntry } | { readonly op: 'del'; readonly name: string; readonly kind: RuleKind };

/** One entry per name and kind: `block:evil.example`, `allow:good.example`. */
export function entryKey(kind: RuleKind, name: string): string {
  return `${kind}:${name}`;
}

/** Splits an entryKey back into kind and name. */
export function splitKey(key: string): { kind: RuleKind; name: string } {
  const colon = key.indexOf(':');
  const kind = key.slice(0, colon);
  if (kind !== 'block' && kind !== 'allow') throw new Error(`not an entry key: ${key}`);
  return { kind, name: key.slice(colon + 1) };
}

export function opKey(op: ApplyOp): string {
  return op.op === 'put' ? entryKey(op.entry.kind, op.entry.name) : entryKey(op.kind, op.name);
}

/** Same source, family and action (addedAt aside): re-putting it changes nothing. */
export function sameContent(a: NewEntry, b: NewEntry): boolean {
  return a.source === b.source && a.family === b.family && a.action === b.action;
}

/** A StoredEntry with only the fields that are set, in one key order. */
export function storedEntry(e: NewEntry, addedAt: number): StoredEntry {
  const out: { name: string; kind: RuleKind; source: string; family?: string; action?: StoredEntry['action']; addedAt: number } = {
    name: e.name,
    kind: e.kind,
    source: e.source,
    addedAt,
  };
  if (e.family !== undefined) out.family = e.family;
  if (e.action !== undefined) out.action = e.action;
  return out;
}

/**
 * The net effect of a change set on `current`: ops are applied in order (a put of an existing
 * entry keeps its addedAt), and only keys whose final content differs from before are emitted.
 */
export function diffApply(ops: readonly ApplyOp[], current: (key: string) => StoredEntry | undefined, now: number): Change[] {
  const overlay = new Map<string, StoredEntry | null>();
  for (const op of ops) {
    const key = opKey(op);
    const cur = overlay.has(key) ? overlay.get(key)! : (current(key) ?? null);
    if (op.op === 'put') {
      if (cur !== null && sameContent(cur, op.entry)) overlay.set(key, cur);
      else overlay.set(key, storedEntry(op.entry, cur?.addedAt ?? now));
    } else {
      overlay.set(key, null);
    }
  }
  const changes: Change[] = [];
  for (const [key, final] of overlay) {
    const before = current(key);
    if (final === null) {
      if (before !== undefined) changes.push({ op: 'del', name: before.name, kind: before.kind });
    } else if (before === undefined || !sameContent(before, final)) {
      changes.push({ op: 'put', entry: before === undefined ? final : storedEntry(final, before.addedAt) });
    }
  }
  return changes;
}

export interface ReplaceDiff {
  readonly changes: Change[];
  readonly added: number;
  readonly unchanged: number;
  readonly updated: number;
  readonly removed: number;
}

/**
 * What makes `source` hold exactly `wanted` (keyed by entryKey, already carrying `source`).
 * A name that another source already holds (same name and kind) is left to that source and
 * counted as unchanged: "all entries of other sources are untouched".
 */
export function diffReplace(
  source: string,
  wanted: ReadonlyMap<string, NewEntry>,
  current: (key: string) => StoredEntry | undefined,
  currentOfSource: Iterable<StoredEntry>,
  now: number,
): ReplaceDiff {
  const changes: Change[] = [];
  let added = 0;
  let unchanged = 0;
  let updated = 0;
  let removed = 0;
  for (const [key, e] of wanted) {
    const cur = current(key);
    if (cur === undefined) {
      changes.push({ op: 'put', entry: storedEntry(e, now) });
      added++;
    } else if (cur.source !== source || sameContent(cur, e)) {
      unchanged++;
    } else {
      changes.push({ op: 'put', entry: storedEntry(e, cur.addedAt) });
      updated++;
    }
  }
  for (const cur of currentOfSource) {
    if (cur.source === source && !wanted.has(entryKey(cur.kind, cur.name))) {
      changes.push({ op: 'del', name: cur.name, kind: cur.kind });
      removed++;
    }
  }
  return { changes, added, unchanged, updated, removed };
}

/** Reads a sync or async iterable of entries into a map keyed by entryKey (the last one wins), forcing `source`. */
export async function collectEntries(source: string, entries: Iterable<NewEntry> | AsyncIterable<NewEntry>): Promise<Map<string, NewEntry>> {
  const wanted = new Map<string, NewEntry>();
  const add = (e: NewEntry) => {
    wanted.set(entryKey(e.kind, e.name), e.source === source ? e : { ...e, source });
  };
  if (Symbol.asyncIterator in entries) {
    for await (const e of entries as AsyncIterable<NewEntry>) add(e);
  } else {
    for (const e of entries as Iterable<NewEntry>) add(e);
  }
  return wanted;
}

export function emptyStats(version: number): { version: number; total: number; byKind: Record<RuleKind, number>; bySource: Record<string, number>; byFamily: Record<string, number> } {
  // Null-prototype maps: a source or family named "__proto__" is just a name.
  return { version, total: 0, byKind: { block: 0, allow: 0 }, bySource: Object.create(null) as Record<string, number>, byFamily: Object.create(null) as Record<string, number> };
}

export function countEntry(stats: ReturnType<typeof emptyStats>, e: Pick<StoredEntry, 'kind' | 'source' | 'family'>): void {
  stats.total++;
  stats.byKind[e.kind]++;
  stats.bySource[e.source] = (stats.bySource[e.source] ?? 0) + 1;
  if (e.family !== undefined) stats.byFamily[e.family] = (stats.byFamily[e.family] ?? 0) + 1;
}
