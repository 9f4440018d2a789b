// The shared store: every node on one Redis (standalone, Sentinel or Cluster) reads and writes one
// list and follows one change feed. Key layout and formats: docs/redis-keys.md. Every key carries
// the hash tag {bl}, so the scripts and transactions that touch several keys work on a Cluster.
//
// One hash field per name and kind holds that name's entries, one line per source, so a name two
// feeds list is one field with two lines, and each source's line is put or deleted on its own.
//
// Writes are atomic: apply() is one Lua script that edits lines per source on the server;
// replaceSource() is one MULTI/EXEC (WATCHing the version, so a concurrent writer makes it start
// over rather than be overwritten). Each change set bumps `version` and appends one feed entry
// whose stream ID is `${version}-0` and which states every changed field's new value, so a
// follower at version v reads exactly what came after it with XREAD ... STREAMS feed v-0.
//
// What is read back is input like any other: a line that is not a valid entry (entry-check.ts), a
// feed entry that cannot be read, or one from beyond the version is skipped and reported through
// onInvalidRecord; following the feed never stops on it.

import { randomBytes } from 'node:crypto';
import type { RedisConnection } from '../redis/connection.js';
import type { RedisClient, RedisState } from '../redis/health.js';
import { RedisScript } from '../redis/script.js';
import {
  MAX_FEED_OPS,
  type ApplyOp,
  type BlocklistStore,
  type Change,
  type ChangeSet,
  type ImportSummary,
  type InvalidRecord,
  type NewEntry,
  type SourceInfo,
  type StoredEntry,
  type StoreStats,
} from './blocklist-store.js';
import { badName, checkEntry, clip } from './entry-check.js';
import { checkedNew, collectEntries, countEntry, emptyStats, entryKey, splitKey } from './entries.js';

export type RedisStoreState = RedisState;

/** Feed entries kept (approximately: MAXLEN ~). Followers further behind reload in full. */
export const FEED_MAXLEN = 10_000;
/** Fields per HSET/HDEL command inside an import transaction. */
const FIELDS_PER_COMMAND = 1_000;
/** HSCAN batch size. */
const SCAN_COUNT = 10_000;
/** Change sets per changesSince() answer. */
const MAX_SETS_PER_CALL = 1_000;
/** Attempts of an import under WATCH; after the first few, with a growing pause (see importOnce). */
const IMPORT_ATTEMPTS = 40;

/** Every key the store uses. */
export function redisKeys(prefix: string): { entries: string; version: string; feed: string; sources: string; epoch: string; owners: string } {
  const base = `${prefix}{bl}:`;
  return { entries: `${base}entries`, version: `${base}version`, feed: `${base}feed`, sources: `${base}sources`, epoch: `${base}epoch`, owners: `${base}owners` };
}

// ---- entry values ----
//
// A field `KIND:NAME` holds one line per source, joined by "\n" (JSON never holds a raw line
// feed), each `{"t":ADDED_AT,"s":SOURCE[,"f":FAMILY][,"a":ACTION][,OTHER...]}`: "t" first and
// "s" second, so a script can find a source's line without decoding JSON. A value written before
// entries were kept per source is one such line: it reads as it is.

/** Stored short names; any other field is stored under its own name (sorted), so it passes through. */
const SHORT: Readonly<Record<string, string>> = { source: 's', family: 'f', action: 'a' };
const LONG: Readonly<Record<string, string>> = { s: 'source', f: 'family', a: 'action' };
const NOT_STORED = new Set(['name', 'kind', 'addedAt', 'source', 'family', 'action']);

/** Everything after `{"t":N,`: what must match for a re-put to be a no-op. */
function lineBody(e: NewEntry): string {
  // Built by hand (an import of a million names makes a million of these): the same text as
  // JSON.stringify({s, f, a, ...other fields sorted}) without its opening brace.
  let body = `"s":${JSON.stringify(e.source)}`;
  if (e.family !== undefined) body += `,"f":${JSON.stringify(e.family)}`;
  if (e.action !== undefined) body += `,"a":${JSON.stringify(e.action)}`;
  const all = e as unknown as Record<string, unknown>;
  let other: string[] | undefined;
  for (const k in all) if (!NOT_STORED.has(k) && all[k] !== undefined) (other ??= []).push(k);
  if (other !== undefined) for (const k of other.sort()) body += `,${JSON.stringify(k)}:${JSON.stringify(all[k])}`;
  return `${body}}`;
}

/** `"s":"SOURCE"`: how a source's line body starts. */
function sourceMark(source: string): string {
  return `"s":${JSON.stringify(source)}`;
}

/** The line's addedAt and body, or undefined when it is not `{"t":DIGITS,...`. */
function splitLine(line: string): { t: string; body: string } | undefined {
  const m = /^\{"t":(\d{1,16}),/.exec(line);
  return m ? { t: m[1]!, body: line.slice(m[0].length) } : undefined;
}

/** Whether a line body is this source's (mark = sourceMark(source)). */
function isSource(body: string, mark: string): boolean {
  return body.startsWith(mark) && (body[mark.length] === ',' || body[mark.length] === '}');
}

type Report = (record: InvalidRecord) => void;

/**
 * The line shape sinkd writes for most entries, with no escapes in its strings: read without
 * JSON.parse (a full load reads a million of them). Caps and characters as entry-check.ts's.
 */
const PLAIN_LINE = /^\{"t":(\d{1,15}),"s":"([^"\\\u0000-\u001f\u007f]{1,200})"(?:,"f":"([^"\\\u0000-\u001f\u007f]{1,100})")?(?:,"a":"(sinkhole|nxdomain|nodata)")?\}$/;

/** A field's entries; lines that are not valid entries are reported and skipped. */
function decodeValue(field: string, value: string, where: string, report: Report): StoredEntry[] {
  const key = splitKey(field);
  if (key === undefined) {
    report({ where, reason: 'not a KIND:NAME field', key: clip(field) });
    return [];
  }
  if (!value.includes('\n')) {
    const m = PLAIN_LINE.exec(value);
    if (m !== null) {
      const bad = badName(key.name);
      if (bad !== undefined) {
        report({ where, reason: bad, key: clip(field) });
        return [];
      }
      const e: { name: string; kind: StoredEntry['kind']; source: string; addedAt: number; family?: string; action?: StoredEntry['action'] } = { name: key.name, kind: key.kind, source: m[2]!, addedAt: Number(m[1]) };
      if (m[3] !== undefined) e.family = m[3];
      if (m[4] !== undefined) e.action = m[4] as StoredEntry['action'];
      return [e];
    }
  }
  const out: StoredEntry[] = [];
  for (const line of value.split('\n')) {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      report({ where, reason: 'not JSON', key: clip(field) });
      continue;
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      report({ where, reason: 'not an entry object', key: clip(field) });
      continue;
    }
    const o: Record<string, unknown> = { name: key.name, kind: key.kind, addedAt: (raw as { t?: unknown }).t };
    for (const [k, v] of Object.entries(raw)) {
      const long = LONG[k];
      if (long !== undefined) o[long] = v;
      // Long names of what the field or the short names say (a line claiming another name) are ignored.
      else if (k !== 't' && !NOT_STORED.has(k)) o[k] = v;
    }
    const e = checkEntry(o, true);
    if (typeof e === 'string') report({ where, reason: e, key: clip(field) });
    else if (out.some((x) => x.source === e.source)) report({ where, reason: `a second line for source ${clip(e.source)}`, key: clip(field) });
    else out.push(e);
  }
  return out;
}

// ---- scripts ----

/** Sets the epoch once, bumps the version and appends the feed entry `${v}-0` (re-creating a feed
 * that is ahead of the version, as after a lost version key or entries written by someone else).
 * Shared by both writing scripts. */
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
 * then per op four values: 'p' FIELD MARK BODY (put this source's line), 'd' FIELD MARK ''
 * (delete it), 'D' FIELD '' '' (delete every line). MARK is `"s":"SOURCE"`. Ops apply in order; a
 * line that existed keeps its "t"; lines it cannot read are left as they are. Only fields whose
 * value ends up different are written, and published as [FIELD, new value or ""].
 */
const LUA_APPLY = `${LUA_PUBLISH}
local now = ARGV[1]
local function mark(body)
  if string.sub(body, 1, 5) ~= '"s":"' then return nil end
  local i, n = 6, #body
  while i <= n do
    local c = string.byte(body, i)
    if c == 92 then i = i + 2
    elseif c == 34 then return string.sub(body, 1, i)
    else i = i + 1 end
  end
  return nil
end
local function parse(value)
  local lines = {}
  for line in string.gmatch(value, '[^\\n]+') do
    local t, b = string.match(line, '^{"t":(%d+),(.*)$')
    if t then lines[#lines + 1] = { t = t, b = b, k = mark(b) } else lines[#lines + 1] = { raw = line } end
  end
  return lines
end
local function render(lines)
  local out = {}
  for i, l in ipairs(lines) do out[i] = l.raw or ('{"t":' .. l.t .. ',' .. l.b) end
  return table.concat(out, '\\n')
end
local state, order = {}, {}
for i = 5, #ARGV, 4 do
  local op, f, k, b = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local st = state[f]
  if not st then
    local cur = redis.call('HGET', KEYS[1], f)
    st = { orig = cur or '', lines = cur and parse(cur) or {} }
    state[f] = st
    order[#order + 1] = f
  end
  if op == 'D' then
    st.lines = {}
  else
    local at = nil
    for j, l in ipairs(st.lines) do
      if l.k == k then at = j break end
    end
    if op == 'p' then
      if at then
        st.lines[at] = { t = st.lines[at].t, b = b, k = k }
      else
        st.lines[#st.lines + 1] = { t = now, b = b, k = k }
      end
    elseif at then
      table.remove(st.lines, at)
    end
  end
end
local changed = {}
for _, f in ipairs(order) do
  local st = state[f]
  st.final = render(st.lines)
  if st.final ~= st.orig then changed[#changed + 1] = f end
end
if #changed == 0 then
  return tonumber(redis.call('GET', KEYS[2]) or '0')
end
local v
if #changed > tonumber(ARGV[3]) then
  v = publish(KEYS[2], KEYS[3], KEYS[4], ARGV[4], ARGV[2], 'reset', '1')
else
  local parts = {}
  for i, f in ipairs(changed) do parts[i] = '[' .. cjson.encode(f) .. ',' .. cjson.encode(state[f].final) .. ']' end
  v = publish(KEYS[2], KEYS[3], KEYS[4], ARGV[4], ARGV[2], 'set', '[' .. table.concat(parts, ',') .. ']')
end
for _, f in ipairs(changed) do
  local final = state[f].final
  if final == '' then redis.call('HDEL', KEYS[1], f) else redis.call('HSET', KEYS[1], f, final) end
end
return v
`;

/** The end of an import transaction: KEYS version, feed, epoch; ARGV maxlen, epoch candidate, 'set'|'reset', payload. */
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
  onInvalidRecord?: (record: InvalidRecord) => void;

  private readonly client: RedisClient;
  /** The connection for blocking XREADs (a duplicate of the command connection), made when first needed. */
  private blocking: RedisClient | undefined;
  private closed = false;
  /** The history this instance's caller follows (Redis emptied and rewritten = another epoch). */
  private epoch = '';
  /**
   * Feed entries beyond the version (written by someone else, not by a sinkd): the last one's ID
   * and the version it was seen at, so a blocking read waits after them instead of returning them
   * again at once. A real change bumps the version, which every changesSince() looks at first.
   */
  private skipPast: { version: number; id: string } | undefined;
  private importQueue: Promise<unknown> = Promise.resolve();
  private blockingQueue: Promise<unknown> = Promise.resolve();
  private readonly scripts = { apply: new RedisScript(LUA_APPLY), peek: new RedisScript(LUA_PEEK) };
  private readonly report: Report = (r) => {
    try {
      this.onInvalidRecord?.(r);
    } catch {
      // The listener's problem is not the store's.
    }
  };

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
      // HSCAN may return a field twice (while the hash is rehashed): keep one.
      const byField = new Map<string, string>();
      await this.scanEntries((field, value) => byField.set(field, value));
      const entries: StoredEntry[] = [];
      for (const [field, value] of byField) for (const entry of decodeValue(field, value, 'snapshot', this.report)) entries.push(entry);
      return { version: toInt(v), entries };
    });
  }

  async get(name: string): Promise<StoredEntry[]> {
    return this.run(async () => {
      const fields = [entryKey('block', name), entryKey('allow', name)];
      const values = await this.client.hmget(this.keys.entries, ...fields);
      const out: StoredEntry[] = [];
      values.forEach((v, i) => {
        if (v !== null) out.push(...decodeValue(fields[i]!, v, 'get', this.report));
      });
      return out;
    });
  }

  async apply(changes: readonly ApplyOp[]): Promise<number> {
    if (changes.length === 0) return this.version();
    const args: string[] = [String(Date.now()), String(FEED_MAXLEN), String(MAX_FEED_OPS), newEpoch()];
    for (const c of changes) {
      if (c.op === 'put') {
        const e = checkedNew(c.entry);
        args.push('p', entryKey(e.kind, e.name), sourceMark(e.source), lineBody(e));
      } else if (c.source !== undefined) {
        args.push('d', entryKey(c.kind, c.name), sourceMark(c.source), '');
      } else {
        args.push('D', entryKey(c.kind, c.name), '', '');
      }
    }
    return this.run(async () => toInt(await this.scripts.apply.run(this.client, [this.keys.entries, this.keys.version, this.keys.feed, this.keys.epoch], args)));
  }

  async replaceSource(source: string, entries: Iterable<NewEntry> | AsyncIterable<NewEntry>): Promise<ImportSummary> {
    const { wanted, invalid } = await collectEntries(source, entries);
    // WATCH belongs to the connection: one import at a time per store instance.
    const run = this.importQueue.then(() => this.run(() => this.importOnce(source, wanted)));
    this.importQueue = run.catch(() => {});
    const summary = await run;
    return invalid > 0 ? { ...summary, invalid } : summary;
  }

  /**
   * Reads what matters for the diff (the fields named in the new list, and those holding a line
   * of this source), then writes the difference in one MULTI/EXEC that WATCHes the version. When a
   * concurrent writer aborts it, the view is brought up to date from the feed (no second scan)
   * and the transaction is sent again, after a growing pause once the first tries failed. Fields
   * are written whole, so an import never goes without WATCH: that could undo another source's
   * line written meanwhile. After IMPORT_ATTEMPTS it gives up with an error.
   */
  private async importOnce(source: string, wanted: Map<string, NewEntry>): Promise<ImportSummary> {
    const marker = `,${sourceMark(source)}`;
    const keep = (field: string, value: string) => wanted.has(field) || value.includes(marker);
    // The new list as line bodies (everything after `{"t":N,`), compared as strings.
    const bodies = new Map<string, string>();
    for (const [field, e] of wanted) bodies.set(field, lineBody(e));
    let view: Map<string, string> | undefined; // field -> stored value, for the fields that matter
    let seen = -1;
    for (let attempt = 1; attempt <= IMPORT_ATTEMPTS; attempt++) {
      if (attempt > 3) await sleep(Math.min(500, 10 * 2 ** (attempt - 3)) * (0.5 + Math.random()));
      await this.client.watch(this.keys.version);
      let watching = true;
      try {
        const version = toInt(await this.client.get(this.keys.version));
        if (view === undefined || !(await this.catchUp(view, seen, version, keep))) {
          const into = (view = new Map());
          await this.scanEntries((field, value) => {
            if (keep(field, value)) into.set(field, value);
          });
        }
        seen = version;
        const d = diffLines(sourceMark(source), bodies, view, Date.now());
        const summary = { added: d.added, unchanged: d.unchanged, updated: d.updated, removed: d.removed };
        if (d.sets.length === 0) {
          await this.client.unwatch();
          watching = false;
          return { ...summary, version };
        }
        const result = await this.execImport(d.sets);
        watching = false;
        if (result === null) continue; // the version moved: catch up and try again
        return { ...summary, version: result };
      } finally {
        if (watching) await this.client.unwatch().catch(() => {});
      }
    }
    throw new Error(`${this.description}: importing ${source} gave up after ${IMPORT_ATTEMPTS} attempts: other writers kept changing the list; try again`);
  }

  /** Applies the feed from `from` to `to` onto the import's view; false when it cannot (trimmed, reset, too far). */
  private async catchUp(view: Map<string, string>, from: number, to: number, keep: (field: string, value: string) => boolean): Promise<boolean> {
    if (from === to) return true;
    if (from < 0 || to < from || to - from > MAX_SETS_PER_CALL) return false;
    const entries = (await this.client.xrange(this.keys.feed, `${from + 1}-0`, `${to}-0`)) as StreamEntry[];
    if (entries.length !== to - from) return false;
    for (const [id, fields] of entries) {
      if (versionOf(id) !== ++from) return false;
      const pairs = setPairs(fields);
      if (pairs === undefined) return false; // a reset, or not readable: scan again
      for (const [field, value] of pairs) {
        if (value !== '' && keep(field, value)) view.set(field, value);
        else view.delete(field);
      }
    }
    return true;
  }

  /**
   * One MULTI/EXEC: HSET/HDEL of FIELDS_PER_COMMAND fields each, then the version bump and the feed
   * entry (the fields' new values, or a reset marker above MAX_FEED_OPS). The new version, or
   * null when WATCH aborted it.
   */
  private async execImport(sets: readonly [string, string][]): Promise<number | null> {
    const tx = this.client.multi();
    const puts: string[] = [];
    const dels: string[] = [];
    for (const [field, value] of sets) {
      if (value === '') dels.push(field);
      else puts.push(field, value);
    }
    for (let i = 0; i < puts.length; i += 2 * FIELDS_PER_COMMAND) tx.hset(this.keys.entries, ...puts.slice(i, i + 2 * FIELDS_PER_COMMAND));
    for (let i = 0; i < dels.length; i += FIELDS_PER_COMMAND) tx.hdel(this.keys.entries, ...dels.slice(i, i + FIELDS_PER_COMMAND));
    const reset = sets.length > MAX_FEED_OPS;
    const payload = reset ? '1' : JSON.stringify(sets);
    tx.eval(LUA_BUMP, 3, this.keys.version, this.keys.feed, this.keys.epoch, String(FEED_MAXLEN), newEpoch(), reset ? 'reset' : 'set', payload);
    const results = await tx.exec();
    if (results === null) return null;
    for (const [err] of results) if (err) throw err;
    return toInt(results[results.length - 1]![1]);
  }

  async changesSince(afterVersion: number, waitMs: number): Promise<readonly ChangeSet[] | 'reset'> {
    const after = Math.max(0, Math.floor(afterVersion));
    const [current, epoch, entries] = await this.run(
      async () =>
        (await this.scripts.peek.run(this.client, [this.keys.version, this.keys.feed, this.keys.epoch], [String(after), `${after + 1}-0`, String(MAX_SETS_PER_CALL)])) as [
          number,
          string,
          StreamEntry[],
        ],
    );
    if (epoch !== '' && this.epoch !== '' && epoch !== this.epoch) {
      this.epoch = epoch;
      return 'reset';
    }
    if (epoch !== '') this.epoch = epoch;
    if (current < after) return 'reset';
    if (current > after) {
      const sets = this.toChangeSets(after, entries, current);
      // Nothing from after+1 on although the version moved: the feed was trimmed past us.
      return sets === 'reset' || sets.length === 0 ? 'reset' : sets;
    }
    if (waitMs <= 0 || this.closed) return [];
    // One blocking read at a time on the blocking connection (a second would queue behind it).
    const from = this.skipPast?.version === after ? this.skipPast.id : `${after}-0`;
    const read = this.blockingQueue.then(() => this.blockingRead(from, waitMs));
    this.blockingQueue = read.catch(() => {});
    const got = await read;
    if (got === undefined || got.length === 0) return [];
    if (versionOf(got[0]![0]) !== after + 1) {
      // Entries beyond the version: not written by a sinkd (which bumps the version and adds the
      // entry in one script). Report them once, and wait after them from now on.
      for (const [id] of got) this.report({ where: 'feed', reason: `a feed entry beyond the list's version ${after}`, key: clip(id) });
      this.skipPast = { version: after, id: got[got.length - 1]![0] };
      return [];
    }
    const sets = this.toChangeSets(after, got, Number.MAX_SAFE_INTEGER);
    return sets === 'reset' ? 'reset' : sets;
  }

  async stats(): Promise<StoreStats> {
    return this.run(async () => {
      const v = toInt(await this.client.get(this.keys.version));
      const s = emptyStats(v);
      const seen = new Set<string>();
      await this.scanEntries((field, value) => {
        if (seen.has(field)) return;
        seen.add(field);
        for (const e of decodeValue(field, value, 'stats', this.report)) countEntry(s, e);
      });
      return s;
    });
  }

  async getSourceInfo(source: string): Promise<SourceInfo | undefined> {
    return this.run(async () => {
      const [v, owners] = await Promise.all([this.client.hget(this.keys.sources, source), this.ownersOf(source)]);
      const info = v === null ? undefined : parseSourceInfo(source, v);
      if (v !== null && info === undefined) this.report({ where: 'sources', reason: 'not source info', key: clip(source) });
      if (owners.length === 0) return info;
      return { ...(info ?? { source }), owners };
    });
  }

  async setSourceInfo(info: SourceInfo): Promise<void> {
    const { owners: _owners, ...rest } = info;
    await this.run(async () => {
      await this.client.hset(this.keys.sources, info.source, JSON.stringify(rest));
    });
  }

  async sources(): Promise<SourceInfo[]> {
    return this.run(async () => {
      const [infos, ownerFields] = await Promise.all([this.client.hgetall(this.keys.sources), this.client.hkeys(this.keys.owners)]);
      const out = new Map<string, SourceInfo>();
      for (const [source, v] of Object.entries(infos)) {
        const info = parseSourceInfo(source, v);
        if (info === undefined) this.report({ where: 'sources', reason: 'not source info', key: clip(source) });
        out.set(source, info ?? { source });
      }
      const owners = new Map<string, string[]>();
      for (const field of ownerFields) {
        const pair = parseOwner(field);
        if (pair === undefined) continue;
        owners.set(pair[0], [...(owners.get(pair[0]) ?? []), pair[1]]);
      }
      for (const [source, list] of owners) out.set(source, { ...(out.get(source) ?? { source }), owners: list.sort() });
      return [...out.values()].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
    });
  }

  async claimSource(source: string, owner: string): Promise<void> {
    await this.run(async () => {
      await this.client.hset(this.keys.owners, JSON.stringify([source, owner]), String(Date.now()));
    });
  }

  async releaseSource(source: string, owner: string): Promise<string[]> {
    return this.run(async () => {
      await this.client.hdel(this.keys.owners, JSON.stringify([source, owner]));
      return this.ownersOf(source);
    });
  }

  /** The owners hash is small (sources × configs): read whole. */
  private async ownersOf(source: string): Promise<string[]> {
    const out: string[] = [];
    for (const field of await this.client.hkeys(this.keys.owners)) {
      const pair = parseOwner(field);
      if (pair !== undefined && pair[0] === source) out.push(pair[1]);
    }
    return out.sort();
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

  /** XREAD BLOCK on its own connection, after stream ID `from`; undefined on timeout. Rejects promptly if Redis goes away. */
  private async blockingRead(from: string, waitMs: number): Promise<StreamEntry[] | undefined> {
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
      const read = conn.xread('COUNT', MAX_SETS_PER_CALL, 'BLOCK', Math.max(1, Math.round(waitMs)), 'STREAMS', this.keys.feed, from);
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

  /**
   * Feed entries after `after` → change sets, for the versions after+1, after+2 ... up to
   * `current`, stopping at a gap. An entry that cannot be read still advances the version (with
   * what could be read of it), reported; 'reset' when an entry is of another history (epoch).
   */
  private toChangeSets(after: number, entries: readonly StreamEntry[], current: number): ChangeSet[] | 'reset' {
    const sets: ChangeSet[] = [];
    let expect = after + 1;
    for (const [id, fields] of entries) {
      const version = versionOf(id);
      if (version < expect) continue; // a second entry with a version already read: not ours
      if (version > expect || version > current) break;
      expect++;
      let epoch: string | undefined;
      for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'e') epoch = fields[i + 1];
      if (epoch !== undefined && epoch !== this.epoch) {
        if (this.epoch !== '') {
          this.epoch = epoch;
          return 'reset';
        }
        this.epoch = epoch;
      }
      sets.push(this.decodeSet(version, id, fields));
    }
    return sets;
  }

  private decodeSet(version: number, id: string, fields: readonly string[]): ChangeSet {
    let payload: string | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const f = fields[i];
      // 'reset': a bulk change; 'ops': written by a sinkd from before entries were kept per
      // source, whose operations mean something else: reload in full either way.
      if (f === 'reset' || f === 'ops') return { version, changes: [], reset: true };
      if (f === 'set') payload = fields[i + 1];
    }
    let pairs: unknown;
    try {
      pairs = payload === undefined ? undefined : JSON.parse(payload);
    } catch {
      pairs = undefined;
    }
    if (!Array.isArray(pairs)) {
      this.report({ where: 'feed', reason: payload === undefined ? 'a feed entry without changes' : 'a feed entry that is not JSON', key: clip(id) });
      return { version, changes: [] };
    }
    const changes: Change[] = [];
    for (const pair of pairs) {
      if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
        this.report({ where: 'feed', reason: 'a change that is not [field, value]', key: clip(id) });
        continue;
      }
      const key = splitKey(pair[0]);
      const bad = key === undefined ? 'not a KIND:NAME field' : badName(key.name);
      if (key === undefined || bad !== undefined) {
        this.report({ where: 'feed', reason: bad ?? 'not a KIND:NAME field', key: clip(pair[0]) });
        continue;
      }
      changes.push({ name: key.name, kind: key.kind, entries: pair[1] === '' ? [] : decodeValue(pair[0], pair[1], 'feed', this.report) });
    }
    return { version, changes };
  }
}

/**
 * What makes `source` hold exactly the lines in `bodies` (field -> line body), given `view` (the
 * stored values of the fields named in the list or holding a line of the source): for each
 * changed field its new value ('' = delete the field). Works on stored strings, so a re-import of
 * a million unchanged names decodes nothing. Other sources' lines are kept as they are; an
 * updated line keeps its "t".
 */
function diffLines(mark: string, bodies: ReadonlyMap<string, string>, view: ReadonlyMap<string, string>, now: number) {
  const sets: [string, string][] = [];
  let added = 0;
  let unchanged = 0;
  let updated = 0;
  let removed = 0;
  for (const [field, body] of bodies) {
    const cur = view.get(field);
    if (cur === undefined || cur === '') {
      sets.push([field, `{"t":${now},${body}`]);
      added++;
      continue;
    }
    // The common case, one line: no split.
    const lines = cur.includes('\n') ? cur.split('\n') : [cur];
    let at = -1;
    let line: { t: string; body: string } | undefined;
    for (let i = 0; i < lines.length; i++) {
      const l = splitLine(lines[i]!);
      if (l !== undefined && isSource(l.body, mark)) {
        at = i;
        line = l;
        break;
      }
    }
    if (line === undefined) {
      lines.push(`{"t":${now},${body}`);
      added++;
    } else if (line.body === body) {
      unchanged++;
      continue;
    } else {
      lines[at] = `{"t":${line.t},${body}`;
      updated++;
    }
    sets.push([field, lines.join('\n')]);
  }
  for (const [field, cur] of view) {
    if (bodies.has(field)) continue;
    const lines = cur.split('\n');
    const rest = lines.filter((l) => {
      const s = splitLine(l);
      return !(s !== undefined && isSource(s.body, mark));
    });
    if (rest.length === lines.length) continue;
    removed++;
    sets.push([field, rest.join('\n')]);
  }
  return { sets, added, unchanged, updated, removed };
}

/** Source info as stored, or undefined when it is not that (someone else's data). */
function parseSourceInfo(source: string, value: string): SourceInfo | undefined {
  try {
    const o = JSON.parse(value) as unknown;
    if (o === null || typeof o !== 'object' || Array.isArray(o) || (o as SourceInfo).source !== source) return undefined;
    const { owners: _owners, ...info } = o as SourceInfo;
    return info;
  } catch {
    return undefined;
  }
}

/** An owners field: JSON [source, owner]. */
function parseOwner(field: string): [string, string] | undefined {
  try {
    const pair = JSON.parse(field) as unknown;
    return Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && typeof pair[1] === 'string' ? [pair[0], pair[1]] : undefined;
  } catch {
    return undefined;
  }
}

/** A feed entry's [field, value] changes; undefined for a reset, an old-format entry or one that cannot be read. */
function setPairs(fields: readonly string[]): [string, string][] | undefined {
  const at = fields.indexOf('set');
  if (at < 0 || at % 2 !== 0) return undefined;
  try {
    const pairs = JSON.parse(fields[at + 1]!) as unknown;
    if (!Array.isArray(pairs)) return undefined;
    return pairs.filter((p): p is [string, string] => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'string');
  } catch {
    return undefined;
  }
}

function versionOf(id: string): number {
  const dash = id.indexOf('-');
  const v = Number(dash < 0 ? id : id.slice(0, dash));
  return Number.isSafeInteger(v) ? v : -1;
}

/** A fresh random epoch per write: only the first write into an empty Redis sets it (SET NX). */
function newEpoch(): string {
  return randomBytes(8).toString('hex');
}

function toInt(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
