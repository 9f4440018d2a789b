// The embedded hit store as `sinkd report` (and the admin listener's report thread) sees it: the
// files read into memory once, at open. While a server writes them (it holds the lock) they are
// only read: a half-written last journal line is a write in progress, and damage is reported but
// left for the server. With no server running, opening also repairs: damaged files are moved aside
// after a snapshot of what could be read, and an old hits.json is migrated, as a server would at
// its start. Hits are never added here; acks go to their own small file.

import type { ClientRecord, Hit } from './model.js';
import type { HitQuery, HitStore } from './hit-store.js';
import { loadHits, readAcks, settleAfterLoad, writeAcks, type HitFiles } from './hit-files.js';
import { acquireHitDirLock, lockHolder } from './hit-dir-lock.js';
import { MemoryHitStore } from './memory-hit-store.js';
import type { ClientBounds } from './client-bounds.js';

export interface FileHitStoreOptions {
  readonly retentionMs: number;
  readonly bounds: ClientBounds;
  readonly maxClients: number;
  /** Never repair or migrate, even with no server running (a thread inside a running server). */
  readonly readOnly?: boolean;
  /** One line per damaged file or repair, for the person running the command. */
  readonly warn: (message: string) => void;
}

export class FileHitStore implements HitStore {
  readonly description: string;
  private readonly store: MemoryHitStore;
  private readonly acksPath: string;

  /** `sets`: every writer's files in the directory (hitFileSets); their hits add up. */
  constructor(sets: HitFiles | readonly HitFiles[], opts: FileHitStoreOptions) {
    const all = Array.isArray(sets) ? (sets as readonly HitFiles[]) : [sets as HitFiles];
    this.description = `files in ${all[0]!.dir}`;
    this.acksPath = all[0]!.acks;
    this.store = new MemoryHitStore(opts.retentionMs, { bounds: opts.bounds, maxClients: opts.maxClients });
    let legacyTaken = false;
    for (const files of all) legacyTaken = this.load(files, opts, legacyTaken) || legacyTaken;
  }

  /** Reads one writer's set into the aggregate; true when it holds the legacy hits.json. */
  private load(files: HitFiles, opts: FileHitStoreOptions, skipLegacy: boolean): boolean {
    const writer = lockHolder(files.lock);
    if (writer !== null || opts.readOnly === true) {
      const loaded = loadHits(files, this.store, { writerMayBeActive: true, skipLegacy });
      for (const d of loaded.damaged) {
        opts.warn(`hit store file ${d.file}: left out ${d.problems} unreadable part${d.problems === 1 ? '' : 's'} (first: ${d.first})`);
      }
      return loaded.legacyIncluded;
    }
    // No server writes this set: this command is the only one at its files, so it may repair them.
    // Only then does it take the lock (and write anything): a report on clean files writes nothing.
    const loaded = loadHits(files, this.store, { writerMayBeActive: false, skipLegacy });
    if (loaded.damaged.length === 0 && !loaded.legacyRead) return loaded.legacyIncluded;
    let release: (() => void) | undefined;
    try {
      release = acquireHitDirLock(files.lock);
    } catch (err) {
      for (const d of loaded.damaged) opts.warn(`hit store file ${d.file}: left out ${d.problems} unreadable part${d.problems === 1 ? '' : 's'} (first: ${d.first}); not repaired: ${(err as Error).message}`);
      return loaded.legacyIncluded;
    }
    try {
      const settled = settleAfterLoad(files, this.store, loaded, this.store.droppedTotal, Number.POSITIVE_INFINITY);
      for (const n of settled.notes) {
        opts.warn(`hit store file ${n.file} is damaged (${n.problems} problem${n.problems === 1 ? '' : 's'}; first: ${n.first}); moved aside to ${n.movedTo}; the report uses what could be read`);
      }
      if (settled.migrated) opts.warn(`hits moved from ${files.legacy} to ${files.snapshot} (the old file is kept as ${files.legacy}.migrated)`);
    } catch (err) {
      opts.warn(`cannot repair the hit store files in ${files.dir}: ${(err as Error).message}; the report uses what could be read`);
    } finally {
      release();
    }
    return loaded.legacyIncluded;
  }

  add(_hits: readonly Hit[]): Promise<void> {
    return Promise.reject(new Error('the report reads the hit files; only a server adds to them'));
  }

  addDropped(): Promise<void> {
    return Promise.reject(new Error('the report reads the hit files; only a server adds to them'));
  }

  clients(query: HitQuery): Promise<ClientRecord[]> {
    return this.store.clients(query);
  }

  async ack(client: string, note: string | undefined, at: number): Promise<boolean> {
    if (!this.store.has(client)) return false;
    // Read again just before writing: a server or another ack may have written it meanwhile.
    const acks = readAcks(this.acksPath);
    acks.set(client, note === undefined ? { at } : { at, note });
    writeAcks(this.acksPath, acks);
    this.store.acks = acks;
    return true;
  }

  dropped(): Promise<number> {
    return this.store.dropped();
  }

  async close(): Promise<void> {}
}
