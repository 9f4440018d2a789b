// The list files named in the config: loaded from disk and imported into the store, each file
// replacing its own source, at start and on SIGHUP. Also the fallback a node serves from when
// the store cannot be reached at start.
//
// Ownership (list-owner.ts): every source the config declares (files, unreadable files, url
// feeds) is claimed for this instance; a source this instance claimed before and no longer
// declares is released, and emptied only when no instance declares it any more. A list this
// instance never declared is never touched.

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

/** A list file that could not be read: "cannot read blocklist FILE: reason". */
export interface UnreadableList {
  readonly spec: ListFileSpec;
  readonly kind: RuleKind;
  readonly error: string;
}

/** Reads every file; those that cannot be read are returned apart (whether that is fatal is the caller's call). */
export async function loadConfigLists(blocklists: readonly ListFileSpec[], allowlists: readonly ListFileSpec[]): Promise<{ lists: LoadedConfigList[]; unreadable: UnreadableList[] }> {
  const lists: LoadedConfigList[] = [];
  const unreadable: UnreadableList[] = [];
  for (const [kind, specs] of [['block', blocklists], ['allow', allowlists]] as const) {
    for (const spec of specs) {
      if (spec.path === undefined) continue;
      try {
        const list = await loadListFile(spec.path, { format: spec.format, kind, source: spec.source, family: spec.family });
        lists.push({ spec, kind, format: list.format, rules: list.rules, skipped: list.skipped, notes: (list as { notes?: string[] }).notes ?? [] });
      } catch (err) {
        unreadable.push({ spec, kind, error: (err as Error).message });
      }
    }
  }
  return { lists, unreadable };
}

/**
 * Splits unreadable files into those whose source the store still holds (it keeps serving them:
 * a warning) and those it does not (nothing to serve them from: fatal at start).
 */
export async function heldByStore(store: BlocklistStore, unreadable: readonly UnreadableList[]): Promise<{ held: UnreadableList[]; lost: UnreadableList[] }> {
  if (unreadable.length === 0) return { held: [], lost: [] };
  const bySource = (await store.stats()).bySource;
  return { held: unreadable.filter((u) => (bySource[u.spec.source] ?? 0) > 0), lost: unreadable.filter((u) => (bySource[u.spec.source] ?? 0) === 0) };
}

export interface ConfigListSync {
  /** Each readable file's import, and the other instances that declare the same source. */
  readonly imported: readonly { readonly source: string; readonly summary: ImportSummary; readonly sharedWith: readonly string[] }[];
  /** Sources this instance no longer declares that others still do: left as they are. */
  readonly released: readonly { readonly source: string; readonly owners: readonly string[] }[];
  /** Sources this instance no longer declares and no one else does: emptied. */
  readonly dropped: readonly { readonly source: string; readonly removed: number }[];
}

/**
 * Puts the config's lists into the store as `owner`: each readable file replaces its own source
 * (a no-op when nothing changed); every source in `declared` is claimed; then sources `owner`
 * claimed before and no longer declares are released, and emptied when no owner is left.
 */
export async function syncConfigLists(store: BlocklistStore, owner: string, lists: readonly LoadedConfigList[], declared: readonly string[]): Promise<ConfigListSync> {
  const imported: { source: string; summary: ImportSummary; sharedWith: string[] }[] = [];
  const released: { source: string; owners: string[] }[] = [];
  const dropped: { source: string; removed: number }[] = [];
  for (const l of lists) {
    const source = l.spec.source;
    const entries = l.rules.map((r) => ({ ...r, source }));
    const summary = await store.replaceSource(source, entries);
    await store.claimSource(source, owner);
    const { owners = [], ...info } = (await store.getSourceInfo(source)) ?? { source };
    await store.setSourceInfo({ ...info, source, fromConfig: true, importedAt: Date.now() });
    imported.push({ source, summary, sharedWith: owners.filter((o) => o !== owner) });
  }
  const wanted = new Set(declared);
  for (const source of wanted) await store.claimSource(source, owner);
  for (const info of await store.sources()) {
    if (wanted.has(info.source) || !(info.owners ?? []).includes(owner)) continue;
    const left = await store.releaseSource(info.source, owner);
    if (left.length > 0) {
      released.push({ source: info.source, owners: left });
      continue;
    }
    const sum = await store.replaceSource(info.source, []);
    const { owners: _owners, ...rest } = info;
    await store.setSourceInfo({ ...rest, fromConfig: false });
    dropped.push({ source: info.source, removed: sum.removed });
  }
  return { imported, released, dropped };
}
