// The blocklist store contract: where the list's source of truth lives (a local file for the
// embedded default, Redis when nodes share one list). Both implementations pass one test suite
// (test/store/store-suite.ts). Serving nodes never ask a store per query: they take a snapshot
// at start and then follow the change feed (BlocklistMirror).
//
// An entry is identified by name, kind AND source: two feeds that both list a name hold one
// entry each, and re-importing one of them without the name leaves the other's entry (and
// family) in place. A name is listed while any source lists it; which entry a server answers
// with is decided from all of them (src/blocklist/effective-rule.ts), not by the store.

import type { RuleAction, RuleKind } from '../blocklist/rule.js';

export interface StoredEntry {
  /** Normalized: lowercase, no trailing dot. */
  readonly name: string;
  readonly kind: RuleKind;
  /** Feed or file the entry came from ("cli" for single adds). */
  readonly source: string;
  readonly family?: string;
  /** Only when not the default sinkhole answer. */
  readonly action?: RuleAction;
  /** When the entry was first added (ms since epoch); kept when a re-import finds it unchanged. */
  readonly addedAt: number;
  // Stores keep other optional fields as given (strings only; see entry-check.ts), so a field
  // added to entries later passes through both stores without a change here.
}

/** An entry as given to the store; `addedAt` is set by the store. */
export type NewEntry = Omit<StoredEntry, 'addedAt'>;

/**
 * What `apply()` takes. A put is keyed by (name, kind, source); a del without `source` deletes
 * every source's entry of that name and kind (what `sinkd blocklist remove` does).
 */
export type ApplyOp =
  | { readonly op: 'put'; readonly entry: NewEntry }
  | { readonly op: 'del'; readonly name: string; readonly kind: RuleKind; readonly source?: string };

/**
 * One name and kind after a change set: exactly `entries` (one per source, in no particular
 * order) list it now; none means it is no longer listed. A follower replaces what it had.
 */
export interface Change {
  readonly name: string;
  readonly kind: RuleKind;
  readonly entries: readonly StoredEntry[];
}

/**
 * What a follower receives. `reset: true` means "this change was too big to ship as operations
 * (a bulk import); reload in full" — `changes` is then empty.
 */
export interface ChangeSet {
  readonly version: number;
  readonly changes: readonly Change[];
  readonly reset?: boolean;
}

export interface ImportSummary {
  readonly added: number;
  /** Same name and kind already present from this source with the same family/action. */
  readonly unchanged: number;
  /** Present before with different family/action; rewritten. */
  readonly updated: number;
  /** Names of this source that the new version no longer has. */
  readonly removed: number;
  /** Store version after the import (unchanged when nothing changed). */
  readonly version: number;
  /** Entries not imported because they break entry-check.ts's rules (absent when none). */
  readonly invalid?: number;
}

export interface SourceInfo {
  readonly source: string;
  /** For URL sources: what conditional requests need next time. */
  readonly url?: string;
  readonly etag?: string;
  readonly lastModified?: string;
  readonly importedAt?: number;
  /** Imported from a list file named in a node's config (serve imports those at start). */
  readonly fromConfig?: boolean;
  /**
   * The configs (serving instances, see src/blocklist/list-owner.ts) that declare this source as
   * one of their lists. Only a source no one declares any more is emptied; read-only here: set
   * with claimSource/releaseSource, which are atomic.
   */
  readonly owners?: readonly string[];
}

/** A record read from the backing store that is not a valid entry: skipped, never fatal. */
export interface InvalidRecord {
  /** "snapshot", "feed", "get", "log": where it was met. */
  readonly where: string;
  /** Why, for the log: "source longer than 200 characters (20971520)". Never the whole record. */
  readonly reason: string;
  /** The field or key it came from, cut to 100 characters. */
  readonly key?: string;
}

export interface StoreStats {
  readonly version: number;
  /** Entries: a name listed by two sources counts twice. */
  readonly total: number;
  readonly byKind: Readonly<Record<RuleKind, number>>;
  readonly bySource: Readonly<Record<string, number>>;
  readonly byFamily: Readonly<Record<string, number>>;
}

export interface BlocklistStore {
  /** "file /path" or "redis redis://host:port/0 (standalone)": for logs and CLI output. */
  readonly description: string;

  /** Current version: 0 for an empty store never written; +1 for every change set applied. */
  version(): Promise<number>;

  /**
   * Every entry, and the version they reflect; the entries of one name and kind come one after
   * another. A snapshot taken while changes are applied may mix versions; callers follow the
   * feed from `version` afterwards, which converges (a Change states a name's whole entries).
   */
  snapshot(): Promise<{ version: number; entries: StoredEntry[] }>;

  /** The entries with exactly this name: block and allow ones, one per source. */
  get(name: string): Promise<StoredEntry[]>;

  /**
   * Applies puts/deletes as one atomic change set and returns the new version. A put of an entry
   * that exists (same name, kind and source) keeps its addedAt. A no-op (nothing changes)
   * returns the current version and publishes nothing. Throws on an entry entry-check.ts rejects.
   */
  apply(changes: readonly ApplyOp[]): Promise<number>;

  /**
   * Makes `source` hold exactly `entries` (all entries of other sources are untouched, even of
   * the same names), in one atomic change set: a reader never sees half of it. Large changes are
   * published as a reset. Entries entry-check.ts rejects are skipped and counted (`invalid`).
   */
  replaceSource(source: string, entries: Iterable<NewEntry> | AsyncIterable<NewEntry>): Promise<ImportSummary>;

  /** Change sets after `afterVersion`, oldest first; waits up to `waitMs` for one when there are
   * none yet (returns [] on timeout). 'reset' when the feed no longer reaches back that far. */
  changesSince(afterVersion: number, waitMs: number): Promise<readonly ChangeSet[] | 'reset'>;

  stats(): Promise<StoreStats>;

  getSourceInfo(source: string): Promise<SourceInfo | undefined>;
  /** Stores everything but `owners`, which only claim/releaseSource change. */
  setSourceInfo(info: SourceInfo): Promise<void>;
  /** Every source with source info or owners (not counted: see stats for entries). */
  sources(): Promise<SourceInfo[]>;
  /** Adds `owner` to the source's owners (atomic; a no-op when it is there). */
  claimSource(source: string, owner: string): Promise<void>;
  /** Removes `owner`; returns the owners left. */
  releaseSource(source: string, owner: string): Promise<string[]>;

  /**
   * The embedded store only: throws, naming the file and why, when this process cannot write it
   * (a serving node refuses to start rather than serve a list it cannot keep).
   */
  checkWritable?(): Promise<void>;

  /** Called for each record read that is not a valid entry (skipped). */
  onInvalidRecord?: (record: InvalidRecord) => void;

  close(): Promise<void>;
}

/** A change set with more operations than this is published as a reset (followers reload). */
export const MAX_FEED_OPS = 10_000;
