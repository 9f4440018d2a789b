// Owns the one rule a name gets when several sources list it (same name and kind): a name is
// listed while any source lists it, and the matcher holds one rule per name and kind. That rule
// is the entry added first (ties: the source name that sorts first), so what a log line names
// does not change when a later list adds the name too; its family is that entry's, or else the
// first family any of the others gives (the family is what a responder looks for). Every node
// and `sinkd blocklist check` compute it the same way from the same entries.

import type { StoredEntry } from '../store/blocklist-store.js';
import type { Rule } from './rule.js';

/** Earliest added first, then by source name: the order the choice is made in. */
function before(a: StoredEntry, b: StoredEntry): number {
  return a.addedAt - b.addedAt || (a.source < b.source ? -1 : a.source > b.source ? 1 : 0);
}

/** The entries of one name and kind, in the order the choice is made in (earliest added first). */
export function byPrecedence(entries: readonly StoredEntry[]): StoredEntry[] {
  return entries.length < 2 ? [...entries] : [...entries].sort(before);
}

/** The entry that stands for all of `entries` (non-empty; one name and kind). */
export function effectiveEntry(entries: readonly StoredEntry[]): StoredEntry {
  if (entries.length === 1) return entries[0]!;
  const ordered = byPrecedence(entries);
  const first = ordered[0]!;
  if (first.family !== undefined) return first;
  const family = ordered.find((e) => e.family !== undefined)?.family;
  return family === undefined ? first : { ...first, family };
}

/**
 * The rule for an entry: every field but addedAt (so optional fields pass through to the
 * matcher), and no action when it is the default answer.
 */
export function ruleOf(e: StoredEntry): Rule {
  const { addedAt: _addedAt, ...rest } = e;
  const rule = rest as { -readonly [K in keyof Rule]: Rule[K] };
  if (rule.action === 'sinkhole') delete rule.action;
  return rule;
}

/**
 * One entry per name and kind, from entries in which those of one name and kind come one after
 * another (as snapshot() returns them).
 */
export function* effectiveEntries(entries: Iterable<StoredEntry>): Generator<StoredEntry> {
  let group: StoredEntry[] = [];
  for (const e of entries) {
    const last = group[group.length - 1];
    if (last !== undefined && (last.name !== e.name || last.kind !== e.kind)) {
      yield effectiveEntry(group);
      group = [];
    }
    group.push(e);
  }
  if (group.length > 0) yield effectiveEntry(group);
}

/** One rule per name and kind (see effectiveEntries). */
export function* effectiveRules(entries: Iterable<StoredEntry>): Generator<Rule> {
  for (const e of effectiveEntries(entries)) yield ruleOf(e);
}
