// Hits in Redis, so the hits of every node add up to one picture. Per client, one hash of
// aggregates and two hashes of per-minute counts, all under the client's own hash tag (one script
// call per client and batch, Cluster-safe); a sorted set of clients by last seen is the index the
// report walks. Every key expires after the retention window of inactivity.
//
//   ${prefix}hits:clients            ZSET  ip → lastSeen (ms)
//   ${prefix}hits:{ip}:agg           HASH  first, last, hits, nn (names kept), u (hits on names not
//                                          kept), sc (subnets kept), n:<qname> → hits,
//                                          nf:<qname> → family, nr:<qname> → the blocklist entry,
//                                          nc:<qname> → list category, ns:<qname> → JSON array of
//                                          list sources, f:<family> → hits, s:<subnet> → 1,
//                                          ack_at, ack_note
//   ${prefix}hits:{ip}:min           HASH  minute start (ms) → hits
//   ${prefix}hits:{ip}:omin          HASH  minute start (ms) → hits on ads/tracking/other lists
//   ${prefix}hits:dropped            STRING hits recorders had to drop
//
// Each client is bounded as in the embedded store (client-bounds.ts): the add script keeps at most
// maxNamesPerClient names and merges the oldest minutes into hours past maxMinutesPerClient. What
// is read back is checked field by field (redis-hit-record.ts): a bad record is left out and
// counted, never fatal. The report reads each client with one script call (READ_SCRIPT: the three
// hashes packed into one string), pipelined in large batches on a single server, a bounded number
// in flight on a Cluster; a client too big for one call (written before the bounds, or by hand)
// is read page by page with HSCAN, so one flooded client cannot block Redis.

import type { RedisConnection } from '../redis/connection.js';
import { isCluster, type RedisClient } from '../redis/health.js';
import { isNoScript, RedisScript } from '../redis/script.js';
import type { ClientRecord, Hit } from './model.js';
import { foldBatch, MINUTE_MS, type HitQuery, type HitStore } from './hit-store.js';
import { DEFAULT_CLIENT_BOUNDS, MAX_NOTE_CHARS, MAX_SOURCES_PER_NAME, MAX_SUBNETS_PER_CLIENT, type ClientBounds } from './client-bounds.js';
import { RecordBuilder, unpackRecord, type Malformed } from './redis-hit-record.js';

// boundMinutes of client-bounds.ts, line for line (the store suite checks both give one result).
const BOUND_MINUTES_LUA = `
local function boundMinutes(mins, omins, cap, cutoff)
  if redis.call('HLEN', mins) <= cap then return end
  local all, other, size = {}, {}, 0
  local flat = redis.call('HGETALL', mins)
  for i = 1, #flat, 2 do
    local k = tonumber(flat[i])
    if k then all[k] = (all[k] or 0) + (tonumber(flat[i + 1]) or 0); size = size + 1 end
  end
  flat = redis.call('HGETALL', omins)
  for i = 1, #flat, 2 do
    local k = tonumber(flat[i])
    if k then other[k] = tonumber(flat[i + 1]) or 0 end
  end
  local function sortedKeys()
    local keys = {}
    for k in pairs(all) do keys[#keys + 1] = k end
    table.sort(keys)
    return keys
  end
  for _, k in ipairs(sortedKeys()) do
    if k < cutoff - ${MINUTE_MS} then all[k] = nil; other[k] = nil; size = size - 1 end
  end
  if size > cap then
    local target = math.floor(cap * 3 / 4)
    local keys = sortedKeys()
    local done = false
    for _, unit in ipairs({3600000, 86400000}) do
      for _, k in ipairs(keys) do
        if size <= target then done = true; break end
        local n = all[k]
        if n ~= nil then
          local b = k - (k % unit)
          if b ~= k then
            if all[b] == nil then all[b] = n else all[b] = all[b] + n; size = size - 1 end
            all[k] = nil
            local o = other[k]
            if o ~= nil then other[b] = (other[b] or 0) + o; other[k] = nil end
          end
        end
      end
      if done or size <= target then done = true; break end
      keys = sortedKeys()
    end
    if not done then
      for _, k in ipairs(keys) do
        if size <= target then break end
        all[k] = nil; other[k] = nil; size = size - 1
      end
    end
  end
  -- Written back whole: this runs seldom (a quarter of the cap is freed each time).
  redis.call('DEL', mins, omins)
  local function put(key, t)
    local args = {}
    for k, v in pairs(t) do
      args[#args + 1] = string.format('%.0f', k)
      args[#args + 1] = v
      if #args >= 2000 then redis.call('HSET', key, unpack(args)); args = {} end
    end
    if #args > 0 then redis.call('HSET', key, unpack(args)) end
  end
  put(mins, all)
  put(omins, other)
end
`;

// Names come in order (a client past its name bound keeps the earliest, as in memory).
const ADD_SCRIPT = `
${BOUND_MINUTES_LUA}
local agg, mins, omins = KEYS[1], KEYS[2], KEYS[3]
local first, last, hits, ttl, cutoff = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[6])
local maxNames, maxMinutes = tonumber(ARGV[7]), tonumber(ARGV[8])
-- Names kept so far. A hash written by an earlier version has no count: about a third of its
-- fields are names (n:, nf:, nr:).
local nn = tonumber(redis.call('HGET', agg, 'nn'))
local hadCount = nn ~= nil
if not nn then nn = math.floor(redis.call('HLEN', agg) / 3) end
local f = tonumber(redis.call('HGET', agg, 'first'))
if (not f) or first < f then redis.call('HSET', agg, 'first', first) end
local l = tonumber(redis.call('HGET', agg, 'last'))
if (not l) or last > l then redis.call('HSET', agg, 'last', last) end
redis.call('HINCRBY', agg, 'hits', hits)
local d = cjson.decode(ARGV[5])
local function rank(c)
  if c == 'malware' then return 4 elseif (not c) or c == cjson.null then return 3
  elseif c == 'other' then return 2 elseif c == 'tracking' then return 1 else return 0 end
end
-- The name's sources: most batches bring the ones it has (one list, one source), checked by
-- comparing the stored text first; decoded and merged only when they differ.
local function addSources(name, src, known)
  if type(src) ~= 'table' or #src == 0 then return end
  local key = 'ns:' .. name
  local cur = false
  if known then
    cur = redis.call('HGET', agg, key)
    if cur == cjson.encode(src) then return end
  end
  local list = {}
  if cur then
    local ok, dec = pcall(cjson.decode, cur)
    if ok and type(dec) == 'table' then list = dec end
  end
  local changed = false
  for _, s in ipairs(src) do
    if #list >= ${MAX_SOURCES_PER_NAME} then break end
    local seen = false
    for _, x in ipairs(list) do if x == s then seen = true; break end end
    if not seen then list[#list + 1] = s; changed = true end
  end
  if changed then redis.call('HSET', agg, key, cjson.encode(list)) end
end
local nn0 = nn
for _, v in ipairs(d.n) do
  local name, k, cat = v[1], v[2], v[5]
  local total = redis.call('HINCRBY', agg, 'n:' .. name, k)
  if total > k then
    -- A name it had: the category only moves to a more severe one.
    if cat == 'malware' then
      redis.call('HSET', agg, 'nc:' .. name, cat)
    else
      local cur = redis.call('HGET', agg, 'nc:' .. name)
      if cur and rank(cat) > rank(cur) then
        if cat == cjson.null then redis.call('HDEL', agg, 'nc:' .. name) else redis.call('HSET', agg, 'nc:' .. name, cat) end
      end
    end
    addSources(name, v[6], true)
  elseif nn < maxNames then
    nn = nn + 1
    if v[3] ~= cjson.null then redis.call('HSET', agg, 'nf:' .. name, v[3]) end
    if v[4] ~= cjson.null then redis.call('HSET', agg, 'nr:' .. name, v[4]) end
    if cat ~= cjson.null then redis.call('HSET', agg, 'nc:' .. name, cat) end
    addSources(name, v[6], false)
  else
    -- Past the bound: its hits count, the name is not kept.
    redis.call('HDEL', agg, 'n:' .. name)
    redis.call('HINCRBY', agg, 'u', k)
  end
end
if nn ~= nn0 or not hadCount then redis.call('HSET', agg, 'nn', nn) end
for fam, c in pairs(d.f) do redis.call('HINCRBY', agg, 'f:' .. fam, c) end
if #d.s > 0 then
  local sc = tonumber(redis.call('HGET', agg, 'sc')) or 0
  for _, s in ipairs(d.s) do
    if sc < ${MAX_SUBNETS_PER_CLIENT} and redis.call('HEXISTS', agg, 's:' .. s) == 0 then
      redis.call('HSET', agg, 's:' .. s, 1)
      sc = sc + 1
    end
  end
  redis.call('HSET', agg, 'sc', sc)
end
for m, c in pairs(d.m) do redis.call('HINCRBY', mins, m, c) end
for m, c in pairs(d.o) do redis.call('HINCRBY', omins, m, c) end
boundMinutes(mins, omins, maxMinutes, cutoff)
redis.call('PEXPIRE', agg, ttl)
redis.call('PEXPIRE', mins, ttl)
redis.call('PEXPIRE', omins, ttl)
return 1
`;

/** READ_SCRIPT's reply for a client too big for one call: read it page by page instead. */
const PAGE_MARK = '~page';

// One client for the report, in one reply: a JSON array of the agg hash (HGETALL as it is: field,
// value, ...), a line feed, the minute hash as "minute,hits,minute,hits", a line feed, the same
// for the ads/tracking/other minutes (only minutes that overlap the window when ARGV[1] is a
// time; numbers only, so no escaping). One bulk string a client instead of arrays of dozens of
// strings: decoding replies was most of a big report. Nothing (nil) when the client's agg hash has
// expired; PAGE_MARK when a hash has more than ARGV[2] fields (HGETALL and cjson.encode of it
// would hold Redis up).
const READ_SCRIPT = `
local n = redis.call('HLEN', KEYS[1])
if n == 0 then return false end
local page = tonumber(ARGV[2])
if n > page or redis.call('HLEN', KEYS[2]) > page or redis.call('HLEN', KEYS[3]) > page then return '${PAGE_MARK}' end
local agg = redis.call('HGETALL', KEYS[1])
local since = tonumber(ARGV[1])
local function window(key)
  local mins = redis.call('HGETALL', key)
  if since and #mins > 0 then
    local keep, k = {}, 0
    for i = 1, #mins, 2 do
      local m = tonumber(mins[i])
      if m and m + ${MINUTE_MS} > since then
        keep[k + 1] = mins[i]
        keep[k + 2] = mins[i + 1]
        k = k + 2
      end
    end
    mins = keep
  end
  return table.concat(mins, ',')
end
return cjson.encode(agg) .. '\\n' .. window(KEYS[2]) .. '\\n' .. window(KEYS[3])
`;
const ADD = new RedisScript(ADD_SCRIPT);
const READ = new RedisScript(READ_SCRIPT);

/** Index members read per call. */
const INDEX_PAGE = 10_000;

/** HSCAN page size for a client read page by page: a few milliseconds of Redis time each. */
const SCAN_COUNT = 4000;

export class RedisHitStore implements HitStore {
  readonly description: string;
  private readonly client: RedisClient;
  private readLoaded = false;

  constructor(
    private readonly conn: RedisConnection,
    private readonly prefix: string,
    private readonly retentionMs: number,
    private readonly bounds: ClientBounds = DEFAULT_CLIENT_BOUNDS,
  ) {
    this.client = conn.client;
    this.description = `redis ${conn.target}`;
  }

  private clientKeys(ip: string): { agg: string; min: string; omin: string } {
    return { agg: `${this.prefix}hits:{${ip}}:agg`, min: `${this.prefix}hits:{${ip}}:min`, omin: `${this.prefix}hits:{${ip}}:omin` };
  }

  /** A client whose hashes have more fields than this is read page by page (see READ_SCRIPT). */
  private get pageAt(): number {
    return Math.max(8192, this.bounds.maxNamesPerClient * 6 + 64, this.bounds.maxMinutesPerClient + 64);
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
        n: [...b.names].map(([name, v]) => [name, v.hits, v.family ?? null, v.rule ?? null, v.category ?? null, v.sources]),
        f: Object.fromEntries(b.families),
        m: Object.fromEntries(b.minutes),
        o: Object.fromEntries(b.other),
        s: [...b.subnets],
      });
      ops.push(this.evalAdd([k.agg, k.min, k.omin], [b.first, b.last, b.hits, this.retentionMs, payload, cutoff, this.bounds.maxNamesPerClient, this.bounds.maxMinutesPerClient]));
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
      ips = await this.indexFrom(query.since);
    }
    const since = query.since === null ? '' : String(query.since);
    const out: ClientRecord[] = [];
    const malformed = query.onMalformed;
    /** Clients too big for one script call: read page by page once the pipeline is done. */
    const big: string[] = [];
    const take = (ip: string, packed: unknown): void => {
      if (typeof packed !== 'string') return;
      if (packed === PAGE_MARK) {
        big.push(ip);
        return;
      }
      const r = unpackRecord(ip, packed, query.since, this.bounds, malformed);
      if (r) out.push(r);
    };
    /** A client's keys that Redis refused to read (WRONGTYPE: not ours): left out and counted. */
    const unreadable = (ip: string, err: Error): undefined => {
      if (err.name !== 'ReplyError') throw err;
      malformed?.(ip, `Redis cannot read its keys: ${err.message.split('\n')[0]!.slice(0, 120)}`);
      return undefined;
    };
    const pageBig = async (): Promise<ClientRecord[]> => {
      for (const ip of big) {
        const r = await this.readPaged(ip, query.since, malformed).catch((err: Error) => unreadable(ip, err));
        if (r) out.push(r);
      }
      return out;
    };
    // The index is input too: a member that cannot be a client address names no keys of ours.
    ips = ips.filter((ip) => {
      if (ip.length > 0 && ip.length <= 64 && !/[{}\s]/.test(ip)) return true;
      malformed?.(ip.slice(0, 64), 'not a client address in the index');
      return false;
    });
    if (ips.length === 0) return out;
    await this.loadReadScript();
    if (isCluster(this.client)) {
      // A Cluster pipeline must stay on one node, and every client is its own hash slot: one
      // script call per client, a bounded number in flight (ioredis writes them back to back).
      const CHUNK = 1000;
      for (let i = 0; i < ips.length; i += CHUNK) {
        const chunk = ips.slice(i, i + CHUNK);
        const rows = await Promise.all(chunk.map((ip) => this.evalRead(ip, since).catch((err: Error) => unreadable(ip, err))));
        for (let k = 0; k < chunk.length; k++) take(chunk[k]!, rows[k]);
      }
      return pageBig();
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
        READ.queue(p, [k.agg, k.min, k.omin], [since, this.pageAt]);
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
        else replies[k] = unreadable(ips[from + k]!, err);
      }
      if (lost !== undefined) {
        // The server lost its script cache (SCRIPT FLUSH, a failover) meanwhile: load it again
        // and read those clients once more (evalRead sends the whole script if it is gone again).
        await READ.load(this.client);
        const again = await Promise.all(lost.map((k) => this.evalRead(ips[from + k]!, since).catch((err: Error) => unreadable(ips[from + k]!, err))));
        for (let j = 0; j < lost.length; j++) replies[lost[j]!] = again[j];
      }
      for (let k = 0; k < replies.length; k++) take(ips[from + k]!, replies[k]);
    }
    return pageBig();
  }

  /**
   * The clients seen at or after `since`, in pages of INDEX_PAGE by rank (each call O(log N +
   * page)): one ZRANGEBYSCORE of a million members would hold Redis for a second. A client added
   * meanwhile may shift a page boundary: duplicates are dropped, and a client missed that way
   * was seen after the report started.
   */
  private async indexFrom(since: number | null): Promise<string[]> {
    const first = since === null ? 0 : await this.client.zcount(this.indexKey, '-inf', `(${since}`);
    const seen = new Set<string>();
    const out: string[] = [];
    for (let at = first; ; at += INDEX_PAGE) {
      const page = await this.client.zrange(this.indexKey, String(at), String(at + INDEX_PAGE - 1));
      for (const ip of page) {
        if (seen.has(ip)) continue;
        seen.add(ip);
        out.push(ip);
      }
      if (page.length < INDEX_PAGE) return out;
    }
  }

  /**
   * One client read with HSCAN, a page of SCAN_COUNT fields per call: Redis serves other clients
   * between pages, and the record is bounded as it is built.
   */
  private async readPaged(ip: string, since: number | null, malformed?: Malformed): Promise<ClientRecord | undefined> {
    const k = this.clientKeys(ip);
    const b = new RecordBuilder(ip, this.bounds, true);
    const scan = async (key: string, each: (field: string, value: string) => void): Promise<void> => {
      let cursor = '0';
      do {
        const [next, items] = await this.client.hscan(key, cursor, 'COUNT', SCAN_COUNT);
        for (let i = 0; i + 1 < items.length; i += 2) each(items[i]!, items[i + 1]!);
        cursor = next;
      } while (cursor !== '0');
    };
    await scan(k.agg, (f, v) => b.field(f, v));
    // Minutes into maps (HSCAN may repeat a field), bounded as they come.
    const readMinutes = async (key: string): Promise<(readonly [number, number])[]> => {
      const m = new Map<number, number>();
      await scan(key, (f, v) => {
        const minute = Number(f);
        if (since === null || minute + MINUTE_MS > since) m.set(minute, Number(v));
      });
      return [...m].sort((x, y) => x[0] - y[0]);
    };
    const minutes = await readMinutes(k.min);
    const other = await readMinutes(k.omin);
    return b.finish(minutes, other, since, malformed);
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
    return READ.run(this.client, [k.agg, k.min, k.omin], [since, this.pageAt]);
  }

  async ack(client: string, note: string | undefined, at: number): Promise<boolean> {
    await this.ready();
    const k = this.clientKeys(client);
    if ((await this.client.exists(k.agg)) === 0) return false;
    await this.client.hset(k.agg, 'ack_at', at, 'ack_note', (note ?? '').slice(0, MAX_NOTE_CHARS));
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

export { parseMinutes, unpackRecord } from './redis-hit-record.js';
