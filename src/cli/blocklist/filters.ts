// Owns choosing and ordering entries for `list` and `export`: --source (repeatable), --kind
// and --family, and one stable order.

import type { RuleKind } from '../../blocklist/rule.js';
import type { StoredEntry } from '../../store/blocklist-store.js';

export interface EntryFilterArgs {
  source?: string[];
  kind?: RuleKind;
  family?: string;
}

export const entryFilterOptions = {
  source: { type: 'string', array: true, describe: 'only entries of this source (repeatable)' },
  kind: { type: 'string', choices: ['block', 'allow'], describe: 'only block entries or only allow exceptions' },
  family: { type: 'string', describe: 'only entries of this malware family' },
} as const;

export function entryFilter(args: EntryFilterArgs): (e: StoredEntry) => boolean {
  const sources = args.source?.length ? new Set(args.source.map(String)) : undefined;
  return (e) =>
    (sources === undefined || sources.has(e.source)) &&
    (args.kind === undefined || e.kind === args.kind) &&
    (args.family === undefined || e.family === args.family);
}

/** By name, block before allow: a name and its exception sit together. */
export function byName(a: StoredEntry, b: StoredEntry): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.kind === b.kind ? 0 : a.kind === 'block' ? -1 : 1;
}
