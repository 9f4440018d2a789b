// The shared store: every node on one Redis (standalone, Sentinel or Cluster) reads and writes one
// list and follows one change feed. Key layout and formats: docs/redis-keys.md. Every key carries
// the hash tag {bl}, so the scripts and transactions that touch several keys work on a Cluster.
//
// Writes are atomic: apply() is one Lua script; replaceSource() is one MULTI/EXEC (WATCHing the
// version, so a concurrent writer makes it start over rather than be overwritten). Each change
// set bumps `version` and appends one feed entry whose stream ID is `${version}-0`, so a follower
// at version v reads exactly what came after it with XREAD ... STREAMS feed v-0.

import { randomBytes } from 'node:crypto';
import type { RuleAction } from '../blocklist/rule.js';
import type { RedisConnection } from '../redis/connection.js';
import type { RedisClient, RedisState } from '../redis/health.js';
import { RedisScript } from '../redis/script.js';
import {
  MAX_FEED_OPS,
  type BlocklistStore,
  type Change,
  type ChangeSet,
  type ImportSummary,
  type NewEntry,
  type SourceInfo,
  type StoredEntry,
  type StoreStats,
} from './blocklist-store.js';
import { collectEntries, countEntry, emptyStats, entryKey, opKey, splitKey, storedEntry, type ApplyOp } from './entries.js';

export type RedisStoreState = RedisState;

/** Feed entries kept (approximately: MAXLEN ~). Followers further behind reload in full. */
export const FEED_MAXLEN = 10_000;
/** Fields per HSET/HDEL command inside an import transaction. */
const FIELDS_PER_COMMAND = 1_000;
/** HSCAN batch size. */
const SCAN_COUNT = 10_000;
/** Change sets per changesSince() answer. */
const MAX_SETS_PER_CALL = 1_000;
/** Attempts of an import under WATCH before one without it (see importOnce). */
const IMPORT_ATTEMPTS = 5;

/** Every key the store uses. */
export function redisKeys(prefix: string): { entries: string; version: string; feed: string; sources: string; epoch: string } {
  const base = `${prefix}{bl}:`;
  return { entries: `${base}entries`, version: `${base}version`, feed: `${base}feed`, sources: `${base}sources`, epoch: `${base}epoch` };
}

// ---- entry values: '{"t":ADDED_AT,"s":SOURCE[,"f":FAMILY][,"a":ACTION]}' ----

/** Everything after `{"t":N,`, i.e. what must match for a re-put to be a no-op. */
function valueBody(e: NewEntry): string {
  const o: { s: string; f?: string; a?: RuleAction } = { s: e.source };
  if (e.family !== undefined) o.f = e.family;
  if (e.action !== undefined) o.a = e.action;
  return JSON.stringify(o).slice(1);
}

function decodeEntry(field: string, value: string): StoredEntry {
  const { kind, name } = splitKey(field);
  const o = JSON.parse(value) as { t: number; s: string; f?: string; a?: RuleAction };
  return storedEntry({ name, kind, source: o.s, family: o.f, action: o.a }, o.t);
}

// ---- scripts ----

/** Sets the epoch once, bumps the version and appends the feed entry `${v}-0` (re-creating a feed
 * that is ahead of the version, as after a lost version key). Shared by both writing scripts. */
const LUA_PUBLISH = `
local function publish(kVersion, kFeed, kEpoch, epochCandidate, maxlen, field, payload)
  redis.call('SET', kEpoch, epochCandidate, 'NX')
  local epoch = redis.call('GET', kEpoch)
  local v = redis.call('INCR', kVersion)
  local id = v .. '-0'
  local ok = redis.pcall('XADD', kFeed, 'MAXLEN', '~', maxlen, id, field, payload, 'e', epoch)
  if type(ok) == 'table' and ok.err then
    redis.call('DEL', kFeed)
    redis.call('XADD', kFeed, 'MAXLEN', '~', maxlen, id, field, payload, 'e', epoch)
  end
  return v
end
`;

/**
 * apply(): KEYS entries, version, feed, epoch; ARGV now, maxlen, max feed ops, epoch candidate,
 * then per op 'p' FIELD BODY or 'd' FIELD ''. Ops apply in order; only fields whose final body
 * differs from before are written and published; a field that existed keeps its addedAt.
 */
const LUA_APPLY = `${LUA_PUBLISH}
local now = ARGV[1]
local origT, origB, finalB, order = {}, {}, {}, {}
for i = 5, #ARGV, 3 do
  local f = ARGV[i + 1]
  if origB[f] == nil then
    local cur = redis.call('HGET', KEYS[1], f)
    if cur then
      local t, b = string.match(cur, '^{"t":(%d+),(.*)$')
      origT[f] = t or now
      origB[f] = b or cur
    else
      origB[f] = false
    end
    order[#order + 1] = f
  end
  if ARGV[i] == 'p' then finalB[f] = ARGV[i + 2] else finalB[f] = false end
end
local changed = {}
for _, f in ipairs(order) do
  if finalB[f] ~= origB[f] then changed[#changed + 1] = f end
end
if #changed == 0 then
  return tonumber(redis.call('GET', KEYS[2]) or '0')
end
local values, parts = {}, {}
local reset = #changed > tonumber(ARGV[3])
for i, f in ipairs(changed) do
  if finalB[f] then
    values[i] = '{"t":' .. (origB[f] and origT[f] or now) .. ',' .. finalB[f]
    if not reset then parts[#parts + 1] = '["+",' .. cjson.encode(f) .. ',' .. cjson.encode(values[i]) .. ']' end
  else
    values[i] = false
    if not reset then parts[#parts + 1] = '["-",' .. cjson.encode(f) .. ']' end
  end
end
local v
if reset then
  v = publish(KEYS[2], KEYS[3], KEYS[4], ARGV[4], ARGV[2], 'reset', '1')
else
  v = publish(KEYS[2], KEYS[3], KEYS[4], ARGV[4], ARGV[2], 'ops', '[' .. table.concat(parts, ',') .. ']')
end
for i, f in ipairs(changed) do
  if values[i] then redis.call('HSET', KEYS[1], f, values[i]) else redis.call('HDEL', KEYS[1], f) end
end
return v
`;

/** The end of an import transaction: KEYS version, feed, epoch; ARGV maxlen, epoch candidate, 'ops'|'reset', payload. */
const LUA_BUMP = `${LUA_PUBLISH}
return publish(KEYS[1], KEYS[2], KEYS[3], ARGV[2], ARGV[1], ARGV[3], ARGV[4])
`;

/** Read-only look at the feed: KEYS version, feed, epoch; ARGV after, first id wanted, count. */
const LUA_PEEK = `
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
local e = redis.call('GET', KEYS[3]) or ''
if v <= tonumber(ARGV[1]) then return {v, e, {}} end
return {v, e, redis.call('XRANGE', KEYS[2], ARGV[2], '+', 'COUNT', ARGV[3])}
`;

type StreamEntry = [id: string, fields: string[]];

export class RedisStore implements BlocklistStore {
  readonly description: string;
  readonly keys: ReturnType<typeof redisKeys>;
  /** Called once per transition of the command connection (not per retry). */
  onStateChange?: (state: RedisStoreState, reason?: string) => void;

  private readonly client: RedisClient;
  /** The connection for blocking XREADs (a duplicate of the command connection), made when first needed. */
  private blocking: RedisClient | undefined;
  private closed = false;
  /** The history this instance's caller follows (Redis emptied and rewritten = another epoch). */
  private epoch = '';
  private importQueue: Promise<unknown> = Promise.resolve();
  private blockingQueue: Promise<unknown> = Promise.resolve();
  private readonly scripts = { apply: new RedisScript(LUA_APPLY), peek: new RedisScript(LUA_PEEK) };

  constructor(
    private readonly conn: RedisConnection,
    prefix: string,
  ) {
    this.client = conn.client;
    this.keys = redisKeys(prefix);
    this.description = conn.description;
    conn.health.onChange((state, reason) => this.onStateChange?.(state, reason));
  }

  async version(): Promise<number> {
    return this.run(async () => toInt(await this.client.get(this.keys.version)));
  }

  async snapshot(): Promise<{ version: number; entries: StoredEntry[] }> {
    return this.run(async () => {
      const [v, e] = await this.client.mget(this.keys.version, this.keys.epoch);
      this.epoch = e ?? '';
      const byField = new Map<string, string>();
      await this.scanEntries((field, value) => byField.set(field, value));
      const entries: StoredEntry[] = [];
      for (const [field, value] of byField) {
        const entry = safeDecode(field, value);
        if (entry) entries.push(entry);
      }
      return { version: toInt(v), entries };
    });
  }

  async get(name: string): Promise<StoredEntry[]> {
    return this.run(async () => {
      const fields = [entryKey('block', name), entryKey('allow', name)];
      const values = await this.client.hmget(this.keys.entries, ...fields);
      const out: StoredEntry[] = [];
      values.forEach((v, i) => {
        const e = v === null ? undefined : safeDecode(fields[i]!, v);
        if (e) out.push(e);
      });
      return out;
    });
  }

  async apply(changes: readonly ApplyOp[]): Promise<number> {
    if (changes.length === 0) return this.version();
    const args: string[] = [String(Date.now()), String(FEED_MAXLEN), String(MAX_FEED_OPS), newEpoch()];
    for (const c of changes) {
      if (c.op === 'put') args.push('p', opKey(c), valueBody(c.entry));
      else args.push('d', opKey(c), '');
    }
    return this.run(async () => toInt(await this.scripts.apply.run(this.client, [this.keys.entries, this.keys.version, this.keys.feed, this.keys.epoch], args)));
  }

  async replaceSource(source: string, entries: Iterable<NewEntry> | AsyncIterable<NewEntry>): Promise<ImportSummary> {
    const wanted = await collectEntries(source, entries);
    // WATCH belongs to the connection: one import at a time per store instance.
    const run = this.importQueue.then(() => this.run(() => this.importOnce(source, wanted)));
    this.importQueue = run.catch(() => {});
    return run;
  }

  /**
   * Reads what matters for the diff (the entries named in the new list, and those this source
   * holds now), then writes the difference in one MULTI/EXEC that WATCHes the version. When a
   * concurrent writer aborts it, the view is brought up to date from the feed (no second scan)
   * and the transaction is sent again; after IMPORT_ATTEMPTS the last attempt goes without WATCH
   * (per name, the last writer wins; the feed still describes exactly what was written, so
   * followers stay equal to Redis).
   */
  private async importOnce(source: string, wanted: Map<string, NewEntry>): Promise<ImportSummary> {
    const marker = `,"s":${JSON.stringify(source)}`;
    const keep = (field: string, value: string) => wanted.has(field) || value.includes(marker);
    // The new list as stored value bodies (everything after `{"t":N,`), compared as strings.
    const bodies = new Map<string, string>();
    for (const [field, e] of wanted) bodies.set(field, valueBody(e));
    let view: Map<string, string> | undefined; // field -> stored value, for the fields that matter
    let seen = -1;
    for (let attempt = 1; ; attempt++) {
      const watched = attempt <= IMPORT_ATTEMPTS;
      if (watched) await this.client.watch(this.keys.version);
      let watching = watched;
      try {
        const version = toInt(await this.client.get(this.keys.version));
        if (view === undefined || !(await this.catchUp(view, seen, version, keep))) {
          const into = (view = new Map());
          await this.scanEntries((field, value) => {
            if (keep(field, value)) into.set(field, value);
          });
        }
        seen = version;
        const d = diffRaw(marker, bodies, view, Date.now());
        const summary = { added: d.added, unchanged: d.unchanged, updated: d.updated, removed: d.removed };
        if (d.puts.length === 0 && d.dels.length === 0) {
          if (watching) await this.client.unwatch();
          watching = false;
          return { ...summary, version };
        }
        const result = await this.execImport(d.puts, d.dels);
        watching = false;
        if (result === null) continue; // the version moved: catch up and try again
        return { ...summary, version: result };
      } finally {
        if (watching) await this.client.unwatch().catch(() => {});
      }
    }
  }

  /** Applies the feed from `from` to `to` onto the import's view; false when it cannot (trimmed, reset, too far). */
  private async catchUp(view: Map<string, string>, from: number, to: number, keep: (field: string, value: string) => boolean): Promise<boolean> {
    if (from === to) return true;
    if (from < 0 || to < from || to - from > MAX_SETS_PER_CALL) return false;
    const entries = (await this.client.xrange(this.keys.feed, `${from + 1}-0`, `${to}-0`)) as StreamEntry[];
    if (entries.length !== to - from) return false;
    for (const [id, fields] of entries) {
      if (Number(id.slice(0, id.indexOf('-'))) !== ++from) return false;
      const at = fields.indexOf('ops');
      if (at < 0 || at % 2 !== 0) return false; // a reset: too big to follow
      for (const op of JSON.parse(fields[at + 1]!) as ([string, string, string] | [string, string])[]) {
        const [kind, field, value] = op;
        if (kind === '+' && value !== undefined && keep(field, value)) view.set(field, value);
        else view.delete(field);
      }
    }
    return true;
  }

  /**
   * One MULTI/EXEC: HSET/HDEL of FIELDS_PER_COMMAND fields each, then the version bump and the feed
   * entry (the operations, or a reset marker above MAX_FEED_OPS). The new version, or null when
   * WATCH aborted it.
   */
  private async execImport(puts: readonly string[], dels: readonly string[]): Promise<number | null> {
    const tx = this.client.multi();
    for (let i = 0; i < puts.length; i += 2 * FIELDS_PER_COMMAND) tx.hset(this.keys.entries, ...puts.slice(i, i + 2 * FIELDS_PER_COMMAND));
    for (let i = 0; i < dels.length; i += FIELDS_PER_COMMAND) tx.hdel(this.keys.entries, ...dels.slice(i, i + FIELDS_PER_COMMAND));
    const count = puts.length / 2 + dels.length;
    const reset = count > MAX_FEED_OPS;
    let payload = '1';
    if (!reset) {
      const ops: unknown[] = [];
      for (let i = 0; i < puts.length; i += 2) ops.push(['+', puts[i], puts[i + 1]]);
      for (const f of dels) ops.push(['-', f]);
      payload = JSON.stringify(ops);
    }
    tx.eval(LUA_BUMP, 3, this.keys.version, this.keys.feed, this.keys.epoch, String(FEED_MAXLEN), newEpoch(), reset ? 'reset' : 'ops', payload);
    const results = await tx.exec();
    if (results === null) return null;
    for (const [err] of results) if (err) throw err;
    return toInt(results[results.length - 1]![1]);
  }

  async changesSince(afterVersion: number, waitMs: number): Promise<readonly ChangeSet[] | 'reset'> {
    const after = Math.max(0, Math.floor(afterVersion));
    const peeked = await this.run(
      async () =>
        (await this.scripts.peek.run(this.client, [this.keys.version, this.keys.feed, this.keys.epoch], [String(after), `${after + 1}-0`, String(MAX_SETS_PER_CALL)])) as [
          number,
          string,
          StreamEntry[],
        ],
    );
    const [current, epoch, entries] = peeked;
    if (epoch !== '' && this.epoch !== '' && epoch !== this.epoch) {
      this.epoch = epoch;
      return 'reset';
    }
    if (epoch !== '') this.epoch = epoch;
    if (current < after) return 'reset';
    if (current > after) return this.toChangeSets(after, entries);
    if (waitMs <= 0 || this.closed) return [];
    // One blocking read at a time on the blocking connection (a second would queue behind it).
    const read = this.blockingQueue.then(() => this.blockingRead(after, waitMs));
    this.blockingQueue = read.catch(() => {});
    const got = await read;
    if (got === undefined || got.length === 0) return [];
    return this.toChangeSets(after, got);
  }

  async stats(): Promise<StoreStats> {
    return this.run(async () => {
      const v = toInt(await this.client.get(this.keys.version));
      const s = emptyStats(v);
      const seen = new Set<string>();
      await this.scanEntries((field, value) => {
        if (seen.has(field)) return;
        seen.add(field);
        const e = safeDecode(field, value);
        if (e) countEntry(s, e);
      });
      return s;
    });
  }

  async getSourceInfo(source: string): Promise<SourceInfo | undefined> {
    return this.run(async () => {
      const v = await this.client.hget(this.keys.sources, source);
      return v === null ? undefined : (JSON.parse(v) as SourceInfo);
    });
  }

  async setSourceInfo(info: SourceInfo): Promise<void> {
    await this.run(async () => {
      await this.client.hset(this.keys.sources, info.source, JSON.stringify(info));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.blocking = undefined;
    await this.conn.close();
  }

  /** Runs one operation once the connection is up; a connection problem becomes one clear line. */
  private async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new Error(`${this.description}: store closed`);
    return this.conn.health.run(fn);
  }

  // ---- helpers ----

  private async scanEntries(each: (field: string, value: string) => void): Promise<void> {
    let cursor = '0';
    do {
      const [next, flat] = await this.client.hscan(this.keys.entries, cursor, 'COUNT', SCAN_COUNT);
      for (let i = 0; i + 1 < flat.length; i += 2) each(flat[i]!, flat[i + 1]!);
      cursor = next;
    } while (cursor !== '0');
  }

  /** XREAD BLOCK on its own connection; undefined on timeout. Rejects promptly if Redis goes away. */
  private async blockingRead(after: number, waitMs: number): Promise<StreamEntry[] | undefined> {
    this.blocking ??= this.conn.duplicate();
    const conn = this.blocking;
    const discard = () => {
      if (this.blocking === conn) this.blocking = undefined;
      conn.disconnect();
    };
    try {
      await this.conn.health.ready(conn, false);
    } catch (err) {
      discard();
      throw err;
    }
    let timer: NodeJS.Timeout | undefined;
    // A socket that silently died would never answer: give up a little after the block ends.
    const guard = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), waitMs + 2000);
    });
    try {
      const read = conn.xread('COUNT', MAX_SETS_PER_CALL, 'BLOCK', Math.max(1, Math.round(waitMs)), 'STREAMS', this.keys.feed, `${after}-0`);
      const result = await Promise.race([read, guard]);
      if (result === 'timeout') {
        read.catch(() => {});
        discard();
        return undefined;
      }
      if (result === null) return undefined;
      const stream = result.find(([key]) => key === this.keys.feed) ?? result[0];
      return (stream?.[1] ?? []) as StreamEntry[];
    } catch (err) {
      discard();
      if (this.closed) return undefined;
      throw this.conn.health.unreachable(err);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Feed entries after `after` → change sets; 'reset' when the feed no longer starts at after+1 or is another history. */
  private toChangeSets(after: number, entries: readonly StreamEntry[]): readonly ChangeSet[] | 'reset' {
    const sets: ChangeSet[] = [];
    let expect = after + 1;
    for (const [id, fields] of entries) {
      const version = Number(id.slice(0, id.indexOf('-')));
      if (version !== expect) return 'reset';
      expect++;
      let ops: string | undefined;
      let reset = false;
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const f = fields[i];
        const value = fields[i + 1]!;
        if (f === 'ops') ops = value;
        else if (f === 'reset') reset = true;
        else if (f === 'e' && value !== this.epoch) {
          if (this.epoch !== '') {
            this.epoch = value;
            return 'reset';
          }
          this.epoch = value;
        }
      }
      let changes: Change[] | undefined;
      if (!reset && ops !== undefined) {
        try {
          changes = decodeOps(ops);
        } catch {
          changes = undefined; // not ours to read: reload in full
        }
      }
      sets.push(changes === undefined ? { version, changes: [], reset: true } : { version, changes });
    }
    if (entries.length === 0) return 'reset';
    return sets;
  }
}

/**
 * diffReplace (entries.ts) on stored strings, so a re-import of a million unchanged names decodes
 * nothing: `marker` is `,"s":"SOURCE"`; `bodies` the new list's value bodies; `view` the stored
 * values of the fields named in the list or held by the source. Same rules: a name held by another
 * source stays that source's (unchanged); an update keeps addedAt.
 */
function diffRaw(marker: string, bodies: ReadonlyMap<string, string>, view: ReadonlyMap<string, string>, now: number) {
  const puts: string[] = [];
  const dels: string[] = [];
  let added = 0;
  let unchanged = 0;
  let updated = 0;
  let removed = 0;
  const ownBody = marker.slice(1); // '"s":"SOURCE"'
  for (const [field, body] of bodies) {
    const cur = view.get(field);
    if (cur === undefined) {
      puts.push(field, `{"t":${now},${body}`);
      added++;
      continue;
    }
    const m = /^\{"t":(\d+),/.exec(cur);
    const curBody = m ? cur.slice(m[0].length) : '';
    const ours = curBody.startsWith(ownBody) && (curBody[ownBody.length] === ',' || curBody[ownBody.length] === '}');
    if (!ours || curBody === body) {
      unchanged++;
    } else {
      puts.push(field, `{"t":${m![1]},${body}`);
      updated++;
    }
  }
  for (const [field, cur] of view) {
    if (bodies.has(field)) continue;
    const m = /^\{"t":\d+,/.exec(cur);
    const curBody = m ? cur.slice(m[0].length) : '';
    if (curBody.startsWith(ownBody) && (curBody[ownBody.length] === ',' || curBody[ownBody.length] === '}')) {
      dels.push(field);
      removed++;
    }
  }
  return { puts, dels, added, unchanged, updated, removed };
}

function decodeOps(json: string): Change[] {
  const raw = JSON.parse(json) as ([op: '+', field: string, value: string] | [op: '-', field: string])[];
  const out: Change[] = [];
  for (const r of raw) {
    if (r[0] === '+') out.push({ op: 'put', entry: decodeEntry(r[1], r[2]) });
    else {
      const { kind, name } = splitKey(r[1]);
      out.push({ op: 'del', name, kind });
    }
  }
  return out;
}

function safeDecode(field: string, value: string): StoredEntry | undefined {
  try {
    return decodeEntry(field, value);
  } catch {
    return undefined; // a foreign or damaged field: not an entry
  }
}

/** A fresh random epoch per write: only the first write into an empty Redis sets it (SET NX). */
function newEpoch(): string {
  return randomBytes(8).toString('hex');
}

function toInt(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
}
