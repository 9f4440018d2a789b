// Hits in Redis, so the hits of every node add up to one picture. Per client, one hash of
// aggregates and one hash of per-minute counts, both under the client's own hash tag (one
// script call per client and batch, Cluster-safe); a sorted set of clients by last seen is the
// index the report walks. Every key expires after the retention window of inactivity.
//
//   ${prefix}hits:clients            ZSET  ip → lastSeen (ms)
//   ${prefix}hits:{ip}:agg           HASH  first, last, hits, n:<qname> → hits, nf:<qname> → family,
//                                          nr:<qname> → the blocklist entry it matched,
//                                          f:<family> → hits, s:<subnet> → 1, ack_at, ack_note
//   ${prefix}hits:{ip}:min           HASH  minute start (ms) → hits
//   ${prefix}hits:dropped            STRING hits recorders had to drop

import type { Cluster, Redis } from 'ioredis';
import type { ClientRecord, Hit, NameStat } from './model.js';
import { foldBatch, MINUTE_MS, type HitQuery, type HitStore } from './hit-store.js';

const ADD_SCRIPT = `
local agg, mins = KEYS[1], KEYS[2]
local first, last, hits, ttl, cutoff = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[6])
local f = tonumber(redis.call('HGET', agg, 'first'))
if (not f) or first < f then redis.call('HSET', agg, 'first', first) end
local l = tonumber(redis.call('HGET', agg, 'last'))
if (not l) or last > l then redis.call('HSET', agg, 'last', last) end
redis.call('HINCRBY', agg, 'hits', hits)
local d = cjson.decode(ARGV[5])
for name, v in pairs(d.n) do
  redis.call('HINCRBY', agg, 'n:' .. name, v[1])
  if v[2] and v[2] ~= cjson.null then redis.call('HSET', agg, 'nf:' .. name, v[2]) end
  if v[3] then redis.call('HSET', agg, 'nr:' .. name, v[3]) end
end
for fam, c in pairs(d.f) do redis.call('HINCRBY', agg, 'f:' .. fam, c) end
for _, s in ipairs(d.s) do redis.call('HSET', agg, 's:' .. s, 1) end
for m, c in pairs(d.m) do redis.call('HINCRBY', mins, m, c) end
-- A client that beacons for months would grow its minute hash forever: trim the expired part.
if redis.call('HLEN', mins) > 4096 then
  for _, m in ipairs(redis.call('HKEYS', mins)) do
    if tonumber(m) < cutoff then redis.call('HDEL', mins, m) end
  end
end
redis.call('PEXPIRE', agg, ttl)
redis.call('PEXPIRE', mins, ttl)
return 1
`;

type Conn = Redis | Cluster;

export class RedisHitStore implements HitStore {
  readonly description: string;
  private sha: string | undefined;

  constructor(
    private readonly client: Conn,
    private readonly prefix: string,
    private readonly retentionMs: number,
    private readonly target: string,
    private readonly connectTimeoutMs = 2000,
  ) {
    this.description = `redis ${target}`;
  }

  private clientKeys(ip: string): { agg: string; min: string } {
    return { agg: `${this.prefix}hits:{${ip}}:agg`, min: `${this.prefix}hits:{${ip}}:min` };
  }

  private get indexKey(): string {
    return `${this.prefix}hits:clients`;
  }

  async add(hits: readonly Hit[]): Promise<void> {
    await this.ready();
    const now = Date.now();
    const cutoff = now - this.retentionMs;
    const ops: Promise<unknown>[] = [];
    for (const b of foldBatch(hits).values()) {
      const k = this.clientKeys(b.client);
      const payload = JSON.stringify({
        n: Object.fromEntries([...b.names].map(([name, v]) => [name, v.rule === undefined ? (v.family === undefined ? [v.hits] : [v.hits, v.family]) : [v.hits, v.family ?? null, v.rule]])),
        f: Object.fromEntries(b.families),
        m: Object.fromEntries(b.minutes),
        s: [...b.subnets],
      });
      ops.push(this.evalAdd([k.agg, k.min], [b.first, b.last, b.hits, this.retentionMs, payload, cutoff]));
      ops.push(this.client.zadd(this.indexKey, 'GT', b.last, b.client));
    }
    ops.push(this.client.zremrangebyscore(this.indexKey, '-inf', cutoff));
    ops.push(this.client.pexpire(this.indexKey, this.retentionMs));
    await Promise.all(ops);
  }

  async clients(query: HitQuery): Promise<ClientRecord[]> {
    await this.ready();
    let ips: string[];
    if (query.client !== undefined) {
      const score = await this.client.zscore(this.indexKey, query.client);
      ips = score !== null && (query.since === null || Number(score) >= query.since) ? [query.client] : [];
    } else {
      ips = await this.client.zrangebyscore(this.indexKey, query.since ?? '-inf', '+inf');
    }
    const out: ClientRecord[] = [];
    // Bounded concurrency: ioredis pipelines what is in flight on one connection.
    const CHUNK = 1000;
    for (let i = 0; i < ips.length; i += CHUNK) {
      const chunk = ips.slice(i, i + CHUNK);
      const rows = await Promise.all(
        chunk.map(async (ip) => {
          const k = this.clientKeys(ip);
          const [agg, mins] = await Promise.all([this.client.hgetall(k.agg), this.client.hgetall(k.min)]);
          return toRecord(ip, agg, mins, query.since);
        }),
      );
      for (const r of rows) if (r) out.push(r);
    }
    return out;
  }

  async ack(client: string, note: string | undefined, at: number): Promise<boolean> {
    await this.ready();
    const k = this.clientKeys(client);
    if ((await this.client.exists(k.agg)) === 0) return false;
    await this.client.hset(k.agg, 'ack_at', at, 'ack_note', note ?? '');
    return true;
  }

  async addDropped(count: number): Promise<void> {
    await this.ready();
    await this.client.incrby(`${this.prefix}hits:dropped`, count);
  }

  async dropped(): Promise<number> {
    await this.ready();
    return Number((await this.client.get(`${this.prefix}hits:dropped`)) ?? 0);
  }

  async close(): Promise<void> {
    if (this.client.status === 'ready') await Promise.race([this.client.quit().catch(() => {}), new Promise((r) => setTimeout(r, 1000).unref())]);
    this.client.disconnect();
  }

  private async evalAdd(keys: string[], args: (string | number)[]): Promise<unknown> {
    if (this.sha !== undefined) {
      try {
        return await this.client.evalsha(this.sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      }
    }
    const result = await this.client.eval(ADD_SCRIPT, keys.length, ...keys, ...args);
    this.sha ??= await hashScript(ADD_SCRIPT);
    return result;
  }

  /** A lazy connection is opened on first use; while it is down calls fail at once (the recorder keeps its buffer). */
  private async ready(): Promise<void> {
    const c = this.client;
    if (c.status === 'ready') return;
    if (c.status === 'wait') {
      await Promise.race([
        c.connect(),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`no connection within ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs).unref()),
      ]).catch((err: Error) => {
        throw new Error(`cannot reach Redis at ${this.target}: ${err.message}`);
      });
      return;
    }
    throw new Error(`cannot reach Redis at ${this.target} (${c.status})`);
  }
}

async function hashScript(script: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha1').update(script).digest('hex');
}

function toRecord(ip: string, agg: Record<string, string>, mins: Record<string, string>, since: number | null): ClientRecord | undefined {
  if (agg.last === undefined) return undefined;
  const names: NameStat[] = [];
  const families: string[] = [];
  const subnets: string[] = [];
  for (const [field, value] of Object.entries(agg)) {
    if (field.startsWith('n:')) {
      const name = field.slice(2);
      const family = agg[`nf:${name}`];
      const rule = agg[`nr:${name}`];
      names.push({ name, hits: Number(value), ...(family !== undefined ? { family } : {}), ...(rule !== undefined ? { rule } : {}) });
    } else if (field.startsWith('f:')) families.push(field.slice(2));
    else if (field.startsWith('s:')) subnets.push(field.slice(2));
  }
  names.sort((a, b) => b.hits - a.hits || a.name.localeCompare(b.name));
  const minutes = Object.entries(mins)
    .map(([m, k]) => [Number(m), Number(k)] as const)
    .filter(([m]) => since === null || m + MINUTE_MS > since)
    .sort((a, b) => a[0] - b[0]);
  const total = Number(agg.hits ?? 0);
  const rec: ClientRecord = {
    client: ip,
    firstSeen: since === null ? Number(agg.first) : Math.max(Number(agg.first), minutes[0]?.[0] ?? Number(agg.first)),
    lastSeen: Number(agg.last),
    hits: since === null ? total : minutes.reduce((s, [, k]) => s + k, 0),
    names,
    families: families.sort(),
    minutes,
    subnets,
    ...(agg.ack_at !== undefined ? { ack: agg.ack_note ? { at: Number(agg.ack_at), note: agg.ack_note } : { at: Number(agg.ack_at) } } : {}),
  };
  return rec;
}
