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
//
// The report reads each client with one script call (READ_SCRIPT: both hashes, packed into one
// string), pipelined in large batches on a single server, a bounded number in flight on a Cluster.

import type { RedisConnection } from '../redis/connection.js';
import { isCluster, type RedisClient } from '../redis/health.js';
import { isNoScript, RedisScript } from '../redis/script.js';
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

// One client for the report, in one reply: a JSON array of the agg hash (HGETALL as it is: field,
// value, ...), a line feed, then the minute hash as "minute,hits,minute,hits" (only minutes that
// overlap the window when ARGV[1] is a time; numbers only, so no escaping). One bulk string a
// client instead of two arrays of dozens of strings: decoding replies was most of a big report.
// Nothing (nil) when the client's agg hash has expired.
const READ_SCRIPT = `
local agg = redis.call('HGETALL', KEYS[1])
if #agg == 0 then return false end
local mins = redis.call('HGETALL', KEYS[2])
local since = tonumber(ARGV[1])
if since and #mins > 0 then
  local keep, k = {}, 0
  for i = 1, #mins, 2 do
    if tonumber(mins[i]) + ${MINUTE_MS} > since then
      keep[k + 1] = mins[i]
      keep[k + 2] = mins[i + 1]
      k = k + 2
    end
  end
  mins = keep
end
return cjson.encode(agg) .. '\\n' .. table.concat(mins, ',')
`;
const ADD = new RedisScript(ADD_SCRIPT);
const READ = new RedisScript(READ_SCRIPT);

export class RedisHitStore implements HitStore {
  readonly description: string;
  private readonly client: RedisClient;
  private readLoaded = false;

  constructor(
    private readonly conn: RedisConnection,
    private readonly prefix: string,
    private readonly retentionMs: number,
  ) {
    this.client = conn.client;
    this.description = `redis ${conn.target}`;
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
    const since = query.since === null ? '' : String(query.since);
    const out: ClientRecord[] = [];
    const take = (ip: string, packed: unknown): void => {
      if (typeof packed !== 'string') return;
      const r = unpackRecord(ip, packed, query.since);
      if (r) out.push(r);
    };
    if (ips.length === 0) return out;
    await this.loadReadScript();
    if (isCluster(this.client)) {
      // A Cluster pipeline must stay on one node, and every client is its own hash slot: one
      // script call per client, a bounded number in flight (ioredis writes them back to back).
      const CHUNK = 1000;
      for (let i = 0; i < ips.length; i += CHUNK) {
        const chunk = ips.slice(i, i + CHUNK);
        const rows = await Promise.all(chunk.map((ip) => this.evalRead(ip, since)));
        for (let k = 0; k < chunk.length; k++) take(chunk[k]!, rows[k]);
      }
      return out;
    }
    // One server (standalone, or the master Sentinel names): large pipelines, one socket write
    // each, two in flight so the server has the next one queued while this one's replies are
    // unpacked.
    const BATCH = 2000;
    const send = (from: number) => {
      const p = this.client.pipeline();
      const to = Math.min(ips.length, from + BATCH);
      for (let i = from; i < to; i++) {
        const k = this.clientKeys(ips[i]!);
        READ.queue(p, [k.agg, k.min], [since]);
      }
      const done = p.exec();
      done.catch(() => {}); // awaited below; a failure while another batch is awaited is not unhandled
      return done;
    };
    const inFlight = [send(0), ...(BATCH < ips.length ? [send(BATCH)] : [])];
    for (let from = 0; from < ips.length; from += BATCH) {
      const results = await inFlight.shift()!;
      if (from + 2 * BATCH < ips.length) inFlight.push(send(from + 2 * BATCH));
      if (results === null) throw new Error('pipeline aborted');
      const replies: unknown[] = new Array(results.length);
      let lost: number[] | undefined;
      for (let k = 0; k < results.length; k++) {
        const [err, packed] = results[k]!;
        if (!err) replies[k] = packed;
        else if (isNoScript(err)) (lost ??= []).push(k);
        else throw err;
      }
      if (lost !== undefined) {
        // The server lost its script cache (SCRIPT FLUSH, a failover) meanwhile: load it again
        // and read those clients once more (evalRead sends the whole script if it is gone again).
        await READ.load(this.client);
        const again = await Promise.all(lost.map((k) => this.evalRead(ips[from + k]!, since)));
        for (let j = 0; j < lost.length; j++) replies[lost[j]!] = again[j];
      }
      for (let k = 0; k < replies.length; k++) take(ips[from + k]!, replies[k]);
    }
    return out;
  }

  /** Puts the read script into the script cache of every server that holds clients, once. */
  private async loadReadScript(): Promise<void> {
    if (this.readLoaded) return;
    // Best effort: a server that missed it gets the script with the first call (evalRead).
    await READ.load(this.client);
    this.readLoaded = true;
  }

  private async evalRead(ip: string, since: string): Promise<unknown> {
    const k = this.clientKeys(ip);
    return READ.run(this.client, [k.agg, k.min], [since]);
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
    await this.conn.close();
  }

  private async evalAdd(keys: string[], args: (string | number)[]): Promise<unknown> {
    return ADD.run(this.client, keys, args);
  }

  /** A lazy connection is opened on first use; while it is down calls fail at once (the recorder keeps its buffer). */
  private async ready(): Promise<void> {
    await this.conn.health.ready();
  }
}

/** Unpacks READ_SCRIPT's reply: `JSON array of the agg hash's fields and values` LF `minute,hits,...`. */
export function unpackRecord(ip: string, packed: string, since: number | null): ClientRecord | undefined {
  const nl = packed.indexOf('\n');
  const agg = JSON.parse(nl < 0 ? packed : packed.slice(0, nl)) as string[];
  let first: string | undefined;
  let last: string | undefined;
  let total: string | undefined;
  let ackAt: string | undefined;
  let ackNote: string | undefined;
  type MutableName = { name: string; hits: number; family?: string; rule?: string };
  const names: MutableName[] = [];
  // nf:/nr: fields not next to their n: field (big hashes come back in any order).
  let early: [kind: 'family' | 'rule', name: string, value: string][] | undefined;
  const families: string[] = [];
  const subnets: string[] = [];
  for (let i = 0; i + 1 < agg.length; i += 2) {
    const field = agg[i]!;
    const value = agg[i + 1]!;
    // Most fields are per name: test the prefix by its characters, not by slicing.
    const c0 = field.charCodeAt(0);
    if (c0 === 110 /* n */ && field.charCodeAt(1) === 58 /* : */) {
      names.push({ name: field.slice(2), hits: Number(value) });
    } else if (c0 === 110 && field.charCodeAt(2) === 58 && (field.charCodeAt(1) === 102 /* f */ || field.charCodeAt(1) === 114) /* r */) {
      const kind = field.charCodeAt(1) === 102 ? 'family' : 'rule';
      const n = findName(names, field);
      if (n !== undefined) n[kind] = value;
      else (early ??= []).push([kind, field.slice(3), value]);
    } else if (c0 === 102 /* f */ && field.charCodeAt(1) === 58) families.push(field.slice(2));
    else if (c0 === 115 /* s */ && field.charCodeAt(1) === 58) subnets.push(field.slice(2));
    else if (field === 'first') first = value;
    else if (field === 'last') last = value;
    else if (field === 'hits') total = value;
    else if (field === 'ack_at') ackAt = value;
    else if (field === 'ack_note') ackNote = value;
  }
  if (last === undefined) return undefined;
  if (early !== undefined) {
    const byName = new Map(names.map((n) => [n.name, n]));
    for (const [kind, name, value] of early) {
      const n = byName.get(name);
      if (n !== undefined) n[kind] = value;
    }
  }
  if (names.length > 1) names.sort((a, b) => b.hits - a.hits || a.name.localeCompare(b.name));

  // The script already left out minutes before the window.
  const minutes = nl >= 0 ? parseMinutes(packed, nl + 1) : [];
  let hits: number;
  if (since === null) hits = Number(total ?? 0);
  else {
    hits = 0;
    for (const [, k] of minutes) hits += k;
  }
  const firstMs = Number(first);
  const rec: Mutable<ClientRecord> = {
    client: ip,
    firstSeen: since === null ? firstMs : Math.max(firstMs, minutes[0]?.[0] ?? firstMs),
    lastSeen: Number(last),
    hits,
    names,
    families: families.length > 1 ? families.sort() : families,
    minutes,
    subnets,
  };
  if (ackAt !== undefined) rec.ack = ackNote ? { at: Number(ackAt), note: ackNote } : { at: Number(ackAt) };
  return rec;
}

/**
 * The name an nf:/nr: field is about, among the last few read: small hashes come back in the order
 * the add script wrote them (n: first); otherwise undefined, and a Map sorts it out afterwards.
 */
function findName<T extends { name: string }>(names: T[], field: string): T | undefined {
  const len = field.length - 3;
  for (let k = names.length - 1; k >= 0 && k >= names.length - 4; k--) {
    const n = names[k]!;
    if (n.name.length === len && field.endsWith(n.name)) return n;
  }
  return undefined;
}

/**
 * "minute,hits,minute,hits" from `from` on, as [minute, hits] oldest first. Digits are read by
 * hand (a 100,000-client report has millions of them; split and Number were a tenth of it).
 */
export function parseMinutes(s: string, from: number): (readonly [number, number])[] {
  const out: [number, number][] = [];
  let v = 0;
  let digits = 0;
  let minute = 0;
  let second = false;
  let sorted = true;
  for (let i = from; i <= s.length; i++) {
    const ch = i < s.length ? s.charCodeAt(i) : 44;
    if (ch >= 48 && ch <= 57) {
      v = v * 10 + (ch - 48);
      digits++;
    } else if (ch === 44 && digits > 0 && digits < 16) {
      if (second) {
        if (out.length > 0 && minute < out[out.length - 1]![0]) sorted = false;
        out.push([minute, v]);
      } else minute = v;
      second = !second;
      v = 0;
      digits = 0;
    } else return parseMinutesSlowly(s, from);
  }
  if (!sorted) {
    if (out.length <= 32) {
      for (let k = 1; k < out.length; k++) {
        const x = out[k]!;
        let q = k - 1;
        while (q >= 0 && out[q]![0] > x[0]) {
          out[q + 1] = out[q]!;
          q--;
        }
        out[q + 1] = x;
      }
    } else out.sort((a, b) => a[0] - b[0]);
  }
  return out;
}

/** Anything but plain digits (a sign, an exponent; nothing sinkd writes): Number() decides. */
function parseMinutesSlowly(s: string, from: number): (readonly [number, number])[] {
  const parts = s.slice(from).split(',');
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) out.push([Number(parts[i]), Number(parts[i + 1])]);
  return out.sort((a, b) => a[0] - b[0]);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
