// Picks the hit store the configuration names: Redis when redis.url is set (every node adds to
// one picture), else the embedded one saved beside the embedded blocklist store.

import { dirname, join } from 'node:path';
import type { SinkdConfig } from '../config/types.js';
import { RedisConnection } from '../redis/connection.js';
import type { StoreMode } from '../store/open-store.js';
import type { HitStore } from './hit-store.js';
import { MemoryHitStore } from './memory-hit-store.js';
import { RedisHitStore } from './redis-hit-store.js';

export function openHitStore(config: Pick<SinkdConfig, 'redis' | 'store' | 'infected'>, mode: StoreMode): HitStore {
  const retentionMs = config.infected.retentionDays * 86_400_000;
  if (config.redis.url === '') return new MemoryHitStore(hitFilePath(config.store.path), retentionMs);
  return new RedisHitStore(RedisConnection.open(config.redis, mode), config.redis.prefix, retentionMs);
}

/** The embedded hit file sits beside the embedded blocklist store. */
export function hitFilePath(storePath: string): string {
  return join(dirname(storePath), 'hits.json');
}
