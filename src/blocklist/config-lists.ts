// The list files named in the config: loaded from disk and imported into the store, each file
// replacing its own source, at start and on SIGHUP. Also the fallback a node serves from when
// the store cannot be reached at start.

import { loadListFile, type SkippedLine } from './load-files.js';
import type { ListFormat } from './parsers.js';
import type { Rule, RuleKind } from './rule.js';
import type { BlocklistStore, ImportSummary } from '../store/blocklist-store.js';

export interface ListFileSpec {
  /** Lists without a path (url feeds) are skipped here: UrlListRefresher fetches those. */
  readonly path?: string;
  readonly format: ListFormat;
  readonly source: string;
  readonly family?: string;
}

export interface LoadedConfigList {
  readonly spec: ListFileSpec;
  readonly kind: RuleKind;
  readonly format: string;
  readonly rules: Rule[];
  readonly skipped: readonly SkippedLine[];
  readonly notes: readonly string[];
}

/** Reads every file; rejects (naming the file) when one cannot be read. */
export async function loadConfigLists(blocklists: readonly ListFileSpec[], allowlists: readonly ListFileSpec[]): Promise<LoadedConfigList[]> {
  const out: LoadedConfigList[] = [];
  for (const [kind, specs] of [['block', blocklists], ['allow', allowlists]] as const) {
    for (const spec of specs) {
      if (spec.path === undefined) continue;
      const list = await loadListFile(spec.path, { format: spec.format, kind, source: spec.source, family: spec.family });
      out.push({ spec, kind, format: list.format, rules: list.rules, skipped: list.skipped, notes: (list as { notes?: string[] }).notes ?? [] });
    }
  }
  return out;
}

/** Each file replaces its own source in the store (a no-op when nothing changed). */
export async function importConfigLists(store: BlocklistStore, lists: readonly LoadedConfigList[]): Promise<Map<string, ImportSummary>> {
  const summaries = new Map<string, ImportSummary>();
  for (const l of lists) {
    const entries = l.rules.map((r) => ({ name: r.name, kind: r.kind, source: l.spec.source, family: r.family, action: r.action }));
    summaries.set(l.spec.source, await store.replaceSource(l.spec.source, entries));
  }
  return summaries;
}
