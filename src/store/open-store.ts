// Picks the blocklist store the configuration names: the embedded file store when redis.url is
// empty, otherwise a RedisStore on the connection src/redis/ builds (standalone, Sentinel or
// Cluster; TLS and credentials on every socket).

import type { SinkdConfig } from '../config/types.js';
import { RedisConnection, type RedisMode } from '../redis/connection.js';
import type { BlocklistStore } from './blocklist-store.js';
import { FileStore } from './file-store.js';
import { RedisStore } from './redis-store.js';

/** 'cli': one connection attempt, fail fast. 'serve': reconnect in the background. */
export type StoreMode = RedisMode;

export interface StoreConfig {
  redis: SinkdConfig['redis'];
  store: SinkdConfig['store'];
}

export function openStore(config: StoreConfig, mode: StoreMode): BlocklistStore {
  if (config.redis.url === '') return new FileStore(config.store.path);
  return new RedisStore(RedisConnection.open(config.redis, mode), config.redis.prefix);
}
