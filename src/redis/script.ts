// Owns running sinkd's Lua scripts: by SHA1 (EVALSHA), falling back to the whole script (EVAL)
// when the server does not have it cached (restarted, SCRIPT FLUSH, a failover, another Cluster
// node), which also caches it there for the next call.

import { createHash } from 'node:crypto';
import type { ChainableCommander } from 'ioredis';
import { isCluster, type RedisClient } from './health.js';

type Arg = string | number;

export class RedisScript {
  readonly sha: string;

  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** EVALSHA, then EVAL when the server says NOSCRIPT. */
  async run(conn: RedisClient, keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    try {
      return await conn.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!isNoScript(err)) throw err;
    }
    return conn.eval(this.lua, keys.length, ...keys, ...args);
  }

  /** Queues an EVALSHA on a pipeline; a NOSCRIPT reply in its results means: load() and run() that call again. */
  queue(pipeline: ChainableCommander, keys: readonly string[], args: readonly Arg[]): void {
    pipeline.evalsha(this.sha, keys.length, ...keys, ...args);
  }

  /** Puts the script into the cache of every server that may run it (best effort: run() copes with a miss). */
  async load(conn: RedisClient): Promise<void> {
    const servers = isCluster(conn) ? conn.nodes('master') : [conn];
    await Promise.all(servers.map((s) => s.script('LOAD', this.lua).catch(() => undefined)));
  }
}

export function isNoScript(err: unknown): boolean {
  return String((err as Error | undefined)?.message ?? '').startsWith('NOSCRIPT');
}
