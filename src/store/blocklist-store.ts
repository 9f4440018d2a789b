// The blocklist store contract: where the list's source of truth lives (a local file for the
// embedded default, Redis when nodes share one list). Both implementations pass one test suite
// (test/store/store-suite.ts). Serving nodes never ask a store per query: they take a snapshot
// at start and then follow the change feed (BlocklistMirror).

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
}

/** An entry as given to the store; `addedAt` is set by the store. */
export type NewEntry = Omit<StoredEntry, 'addedAt'>;

/** One entry is identified by name and kind: a name can be both blocked (by one list) and allowed. */
export type Change =
  | { readonly op: 'put'; readonly entry: StoredEntry }
  | { readonly op: 'del'; readonly name: string; readonly kind: RuleKind };

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
}

export interface StoreStats {
  readonly version: number;
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
   * Every entry, and the version they reflect. A snapshot taken while changes are applied may
   * mix versions; callers follow the feed from `version` afterwards, which converges (puts and
   * deletes are idempotent).
   */
  snapshot(): Promise<{ version: number; entries: StoredEntry[] }>;

  /** The entries with exactly this name (0, 1 or 2: block and/or allow). */
  get(name: string): Promise<StoredEntry[]>;

  /**
   * Applies puts/deletes as one atomic change set and returns the new version. A put of an entry
   * that exists keeps its addedAt. A no-op (nothing changes) returns the current version and
   * publishes nothing.
   */
  apply(changes: readonly ({ readonly op: 'put'; readonly entry: NewEntry } | { readonly op: 'del'; readonly name: string; readonly kind: RuleKind })[]): Promise<number>;

  /**
   * Makes `source` hold exactly `entries` (all entries of other sources are untouched), in one
   * atomic change set: a reader never sees half of it. Large changes are published as a reset.
   */
  replaceSource(source: string, entries: Iterable<NewEntry> | AsyncIterable<NewEntry>): Promise<ImportSummary>;

  /** Change sets after `afterVersion`, oldest first; waits up to `waitMs` for one when there are
   * none yet (returns [] on timeout). 'reset' when the feed no longer reaches back that far. */
  changesSince(afterVersion: number, waitMs: number): Promise<readonly ChangeSet[] | 'reset'>;

  stats(): Promise<StoreStats>;

  getSourceInfo(source: string): Promise<SourceInfo | undefined>;
  setSourceInfo(info: SourceInfo): Promise<void>;

  close(): Promise<void>;
}

/** A change set with more operations than this is published as a reset (followers reload). */
export const MAX_FEED_OPS = 10_000;
