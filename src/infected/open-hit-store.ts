// Picks the hit store the configuration names: Redis when redis.url is set (every node adds to
// one picture), else the embedded one in files beside the embedded blocklist store: written by a
// server through its journal thread, read by `sinkd report` and the admin listener's report thread.

import type { SinkdConfig } from '../config/types.js';
import { RedisConnection } from '../redis/connection.js';
import type { StoreMode } from '../store/open-store.js';
import type { HitStore } from './hit-store.js';
import { DEFAULT_CLIENT_BOUNDS, type ClientBounds } from './client-bounds.js';
import { createHash } from 'node:crypto';
import { hitFileSets, hitFilesFor } from './hit-files.js';
import { listOwner } from '../blocklist/list-owner.js';
import { JournalHitStore, type HitStoreLog } from './journal-hit-store.js';
import { FileHitStore } from './file-hit-store.js';
import { DEFAULT_MAX_CLIENTS } from './memory-hit-store.js';
import { RedisHitStore } from './redis-hit-store.js';

export type HitStoreConfig = Pick<SinkdConfig, 'redis' | 'store' | 'infected'>;

export interface OpenHitStoreOptions {
  /** serve: the embedded store's log lines (damaged files, migration, compaction). */
  readonly log?: HitStoreLog;
  /** cli: warnings for the person running the command. */
  readonly warn?: (message: string) => void;
  /** cli: only read the embedded files, never repair them (a thread inside a running server). */
  readonly readOnly?: boolean;
  /** serve: this instance's name for its own set of hit files (hitWriter). */
  readonly writer?: string;
}

/**
 * A serving instance's own set of hit files in a shared data directory: stable across restarts
 * (its config file and listen addresses, as for the lists it owns), different for two instances
 * running at once (they cannot listen on the same addresses).
 */
export function hitWriter(config: Pick<SinkdConfig, 'configFile' | 'listen' | 'redis'>): string {
  return createHash('sha1').update(listOwner(config)).digest('hex').slice(0, 12);
}

const DEFAULT_JOURNAL_MAX_BYTES = 16 * 1024 * 1024;

export function clientBounds(infected: Partial<SinkdConfig['infected']>): ClientBounds {
  return {
    maxNamesPerClient: infected.maxNamesPerClient ?? DEFAULT_CLIENT_BOUNDS.maxNamesPerClient,
    maxMinutesPerClient: infected.maxMinutesPerClient ?? DEFAULT_CLIENT_BOUNDS.maxMinutesPerClient,
  };
}

export function openHitStore(config: HitStoreConfig, mode: StoreMode, opts: OpenHitStoreOptions = {}): HitStore {
  const retentionMs = config.infected.retentionDays * 86_400_000;
  const bounds = clientBounds(config.infected);
  if (config.redis.url === '') {
    const maxClients = config.infected.maxClients ?? DEFAULT_MAX_CLIENTS;
    if (mode === 'serve') {
      const log = opts.log ?? { info: () => {}, warn: () => {} };
      const files = hitFilesFor(config.store.path, opts.writer ?? '');
      return new JournalHitStore({ files, retentionMs, bounds, maxClients, journalMaxBytes: config.infected.journalMaxBytes ?? DEFAULT_JOURNAL_MAX_BYTES }, log);
    }
    // A report reads every instance's hits in the directory: they add up.
    return new FileHitStore(hitFileSets(config.store.path), { retentionMs, bounds, maxClients, readOnly: opts.readOnly === true, warn: opts.warn ?? (() => {}) });
  }
  return new RedisHitStore(RedisConnection.open(config.redis, mode), config.redis.prefix, retentionMs, bounds);
}
