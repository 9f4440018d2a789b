// Entry helpers shared by the stores: identity keys, content comparison, and the two diffs every
// store computes the same way (a change set against the current entries, a source re-import),
// both as per-source operations (what a store writes) on entries keyed by name and kind.

import type { RuleKind } from '../blocklist/rule.js';
import type { ApplyOp, Change, NewEntry, StoredEntry } from './blocklist-store.js';
import { checkEntry } from './entry-check.js';

export type { ApplyOp } from './blocklist-store.js';

/**
 * One write at the level stores keep: an entry of one source put (with its addedAt), or deleted.
 * Per source, so two writers of different sources never undo each other.
 */
export type EntryOp = { readonly op: 'put'; readonly entry: StoredEntry } | { readonly op: 'del'; readonly name: string; readonly kind: RuleKind; readonly source: string };

/** One key per name and kind: `block:evil.example`, `allow:good.example`; it holds one entry per source. */
export function entryKey(kind: RuleKind, name: string): string {
  return `${kind}:${name}`;
}

/** Splits an entryKey back into kind and name; undefined when it is not one. */
export function splitKey(key: string): { kind: RuleKind; name: string } | undefined {
  const colon = key.indexOf(':');
  const kind = key.slice(0, colon);
  if (kind !== 'block' && kind !== 'allow') return undefined;
  return { kind, name: key.slice(colon + 1) };
}

/** Every field but addedAt equal (whatever fields an entry has): re-putting it changes nothing. */
export function sameContent(a: NewEntry, b: NewEntry): boolean {
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  for (const k in x) if (k !== 'addedAt' && x[k] !== y[k]) return false;
  for (const k in y) if (k !== 'addedAt' && x[k] !== y[k]) return false;
  return true;
}

/** A StoredEntry with only the fields that are set, in one key order (name, kind, source, the rest, addedAt). */
export function storedEntry(e: NewEntry, addedAt: number): StoredEntry {
  const out: Record<string, unknown> = { name: e.name, kind: e.kind, source: e.source };
  for (const [k, v] of Object.entries(e)) if (v !== undefined && !(k in out) && k !== 'addedAt') out[k] = v;
  out.addedAt = addedAt;
  return out as unknown as StoredEntry;
}

/** The entries of one key as a state change for followers. */
export function change(key: string, entries: readonly StoredEntry[]): Change {
  const { kind, name } = splitKey(key)!;
  return { name, kind, entries };
}

/** Throws (one line) when an entry given to apply() breaks entry-check.ts's rules. */
export function checkedNew(e: NewEntry): NewEntry {
  const checked = checkEntry(e as unknown as Record<string, unknown>, false);
  if (typeof checked === 'string') throw new Error(`cannot store ${JSON.stringify(String(e.name).slice(0, 100))}: ${checked}`);
  return checked;
}

/**
 * The net effect of a change set on `current` (the entries of a key, by entryKey), as
 * per-source operations: ops apply in order (a put of an existing entry keeps its addedAt),
 * and only entries whose final content differs from before are written.
 */
export function diffApply(ops: readonly ApplyOp[], current: (key: string) => readonly StoredEntry[] | undefined, now: number): EntryOp[] {
  // key -> source -> final entry (null = deleted), for the keys the ops touch.
  const overlay = new Map<string, Map<string, StoredEntry | null>>();
  const touched = (key: string) => {
    let m = overlay.get(key);
    if (m === undefined) {
      m = new Map();
      for (const e of current(key) ?? []) m.set(e.source, e);
      overlay.set(key, m);
    }
    return m;
  };
  for (const op of ops) {
    if (op.op === 'put') {
      const e = checkedNew(op.entry);
      const m = touched(entryKey(e.kind, e.name));
      const cur = m.get(e.source) ?? null;
      m.set(e.source, cur !== null && sameContent(cur, e) ? cur : storedEntry(e, cur?.addedAt ?? now));
    } else {
      const m = touched(entryKey(op.kind, op.name));
      if (op.source !== undefined) m.set(op.source, null);
      else for (const s of m.keys()) m.set(s, null);
    }
  }
  const out: EntryOp[] = [];
  for (const [key, finals] of overlay) {
    const before = new Map((current(key) ?? []).map((e) => [e.source, e]));
    for (const [source, final] of finals) {
      const was = before.get(source);
      if (final === null) {
        if (was !== undefined) out.push({ op: 'del', name: was.name, kind: was.kind, source });
      } else if (was === undefined || !sameContent(was, final)) {
        out.push({ op: 'put', entry: was === undefined ? final : storedEntry(final, was.addedAt) });
      }
    }
  }
  return out;
}

export interface ReplaceDiff {
  readonly ops: EntryOp[];
  readonly added: number;
  readonly unchanged: number;
  readonly updated: number;
  readonly removed: number;
}

/**
 * What makes `source` hold exactly `wanted` (keyed by entryKey, already carrying `source`):
 * other sources' entries, of the same names too, are left as they are.
 */
export function diffReplace(
  source: string,
  wanted: ReadonlyMap<string, NewEntry>,
  /** The source's entry of a key, if it has one. */
  current: (key: string) => StoredEntry | undefined,
  currentOfSource: Iterable<StoredEntry>,
  now: number,
): ReplaceDiff {
  const ops: EntryOp[] = [];
  let added = 0;
  let unchanged = 0;
  let updated = 0;
  let removed = 0;
  for (const [key, e] of wanted) {
    const cur = current(key);
    if (cur === undefined) {
      ops.push({ op: 'put', entry: storedEntry(e, now) });
      added++;
    } else if (sameContent(cur, e)) {
      unchanged++;
    } else {
      ops.push({ op: 'put', entry: storedEntry(e, cur.addedAt) });
      updated++;
    }
  }
  for (const cur of currentOfSource) {
    if (cur.source === source && !wanted.has(entryKey(cur.kind, cur.name))) {
      ops.push({ op: 'del', name: cur.name, kind: cur.kind, source });
      removed++;
    }
  }
  return { ops, added, unchanged, updated, removed };
}

/**
 * Reads a sync or async iterable of entries into a map keyed by entryKey (the last one wins),
 * forcing `source`; entries entry-check.ts rejects are counted, not kept.
 */
export async function collectEntries(source: string, entries: Iterable<NewEntry> | AsyncIterable<NewEntry>): Promise<{ wanted: Map<string, NewEntry>; invalid: number }> {
  const wanted = new Map<string, NewEntry>();
  let invalid = 0;
  const add = (e: NewEntry) => {
    const checked = checkEntry((e.source === source ? e : { ...e, source }) as unknown as Record<string, unknown>, false);
    if (typeof checked === 'string') invalid++;
    else wanted.set(entryKey(checked.kind, checked.name), checked);
  };
  if (Symbol.asyncIterator in entries) {
    for await (const e of entries as AsyncIterable<NewEntry>) add(e);
  } else {
    for (const e of entries as Iterable<NewEntry>) add(e);
  }
  return { wanted, invalid };
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
