// The embedded store: the list lives in memory and in one append-only JSON-lines change log, so a
// CLI process and a running `sinkd serve` can share it. The log is the source of truth; each
// process keeps a copy up to the last byte it read and follows the file for changes.
//
// File format, one JSON object a line:
//   {"v":N,"format":2,"ops":[EntryOp,...]}              a change set (version N = previous + 1); an op is
//                                                       {"op":"put","entry":{...}} or
//                                                       {"op":"del","name":..,"kind":..,"source":..}: per source
//   {"v":N,"format":2,"reset":true,"ops":[...]}         a change set with > MAX_FEED_OPS ops: followers get
//                                                       `reset: true` and reload; the ops keep the log replayable
//   {"v":N,"snapshot":true,"entries":[...],"sources":[...],"owners":[[source,owner],...]}
//                                                       every entry at version N (first line after compaction)
//   {"source":SourceInfo}                               source metadata (does not change the version)
//   {"owner":{"source":S,"owner":O,"claim":true|false}} a config claiming or releasing a source (ditto)
// A record too big for one line (more than PART_OPS ops or entries) is written as consecutive lines
// with "part":i,"parts":n (the same v); a reader applies it only once all parts are there.
//
// Logs written before entries were kept per source (no "format"; one entry per name and kind) are
// read as they meant: a put replaced the name's entry whatever its source, a del (no source)
// removed it. The first write after reading such a log compacts it, which rewrites it in this
// format. Every entry read is checked (entry-check.ts); a bad one is skipped and reported.
//
// Writers: one lock file (<path>.lock, created O_EXCL, stale after 10 s) serializes them; under the
// lock a writer reads whatever other processes appended, cuts a torn tail left by a crashed writer,
// and appends its record with ONE write on an O_APPEND descriptor. Compaction rewrites the log as a
// snapshot into a temp file renamed over the log; readers notice the new inode and reload.
// Should two writers ever append without the lock between them (a lock taken over as stale from
// a writer that was only slow), both records are kept: a record whose version is already taken
// is applied as the next version rather than dropped, and since ops are per source, applying both
// loses neither writer's entries.

import { randomUUID } from 'node:crypto';
import { promises as fsp, constants as fsc } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  MAX_FEED_OPS,
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
import { clip, checkEntry } from './entry-check.js';
import { change, collectEntries, countEntry, diffApply, diffReplace, emptyStats, entryKey, type ApplyOp, type EntryOp } from './entries.js';

export interface FileStoreOptions {
  /** How often a waiting changesSince() looks at the file (ms). */
  pollMs?: number;
  /** A lock file not touched for this long belongs to a dead writer (ms). */
  lockStaleMs?: number;
  /** Give up waiting for the lock after this long (ms). */
  lockTimeoutMs?: number;
  /** Compact when the log holds more than 2 × max(live entries, this) records. */
  compactMin?: number;
}

/** Ops or entries per line; bigger records are split into parts. */
const PART_OPS = 50_000;
/** Change sets kept in memory for followers; older ones answer 'reset'. */
const FEED_KEEP_SETS = 2_000;
const FEED_KEEP_OPS = 200_000;
/** At most this many change sets per changesSince() answer. */
const MAX_SETS_PER_CALL = 1_000;
const READ_CHUNK = 8 << 20;

/** A log op as read: per source (format 2), or as written before that (no source on a del). */
type LoggedOp = { op: 'put'; entry: unknown } | { op: 'del'; name: unknown; kind: unknown; source?: unknown };

interface OpsRecord {
  v: number;
  /** 2: per-source ops. Absent: a log from before, one entry per name and kind. */
  format?: number;
  ops: LoggedOp[];
  reset?: boolean;
  part?: number;
  parts?: number;
}
interface SnapshotRecord {
  v: number;
  snapshot: true;
  entries: unknown[];
  sources?: SourceInfo[];
  owners?: [string, string][];
  part?: number;
  parts?: number;
}
interface SourceRecord {
  source: SourceInfo;
}
interface OwnerRecord {
  owner: { source: string; owner: string; claim: boolean };
}
type LogRecord = OpsRecord | SnapshotRecord | SourceRecord | OwnerRecord;

// Waiters in this process, by log path: a write wakes them at once instead of at the next poll.
const wakers = new Map<string, Set<() => void>>();
function wakeAll(path: string): void {
  for (const w of wakers.get(path) ?? []) w();
}

export class FileStore implements BlocklistStore {
  readonly description: string;
  readonly path: string;
  private readonly lockPath: string;
  private readonly pollMs: number;
  private readonly lockStaleMs: number;
  private readonly lockTimeoutMs: number;
  private readonly compactMin: number;

  /**
   * By entryKey: the entries of that name and kind, one per source: the entry itself when there
   * is one (most names; no array per name), else an array (replaced, never changed in place).
   */
  private entries = new Map<string, Slot>();
  private entryCount = 0;
  private infos = new Map<string, SourceInfo>();
  private owners = new Map<string, Set<string>>();
  /** Records of the old format were read: the next write compacts the log (rewriting it in format 2). */
  private legacy = false;
  private ver = 0;
  /** Every change set with a version above feedStart, oldest first, consecutive. */
  private feed: ChangeSet[] = [];
  private feedOps = 0;
  private feedStart = 0;
  /** Bytes of the log consumed (whole records only), and the inode they came from. */
  private offset = 0;
  private ino = -1;
  /** Records (entries, ops, source lines) in the log, for the compaction rule. */
  private records = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  onInvalidRecord?: (record: InvalidRecord) => void;

  constructor(path: string, opts: FileStoreOptions = {}) {
    this.path = resolve(path);
    this.lockPath = `${this.path}.lock`;
    this.description = `file ${this.path}`;
    this.pollMs = opts.pollMs ?? 200;
    this.lockStaleMs = opts.lockStaleMs ?? 10_000;
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 30_000;
    this.compactMin = opts.compactMin ?? 1_000;
  }

  async version(): Promise<number> {
    return this.exclusive(async () => {
      await this.refresh();
      return this.ver;
    });
  }

  async snapshot(): Promise<{ version: number; entries: StoredEntry[] }> {
    return this.exclusive(async () => {
      await this.refresh();
      return { version: this.ver, entries: this.allEntries() };
    });
  }

  async get(name: string): Promise<StoredEntry[]> {
    return this.exclusive(async () => {
      await this.refresh();
      return [...this.listAt(entryKey('block', name)), ...this.listAt(entryKey('allow', name))];
    });
  }

  async apply(changes: readonly ApplyOp[]): Promise<number> {
    return this.write(async () => {
      const ops = diffApply(changes, (k) => this.listAt(k), Date.now());
      if (ops.length > 0) await this.appendChangeSet(ops);
      return this.ver;
    });
  }

  async replaceSource(source: string, entries: Iterable<NewEntry> | AsyncIterable<NewEntry>): Promise<ImportSummary> {
    // Read the input first: the lock is held only for the diff and the one append.
    const { wanted, invalid } = await collectEntries(source, entries);
    return this.write(async () => {
      const d = diffReplace(source, wanted, (k) => this.sourceEntry(k, source), this.entriesOf(source), Date.now());
      if (d.ops.length > 0) await this.appendChangeSet(d.ops);
      return { added: d.added, unchanged: d.unchanged, updated: d.updated, removed: d.removed, version: this.ver, ...(invalid > 0 ? { invalid } : {}) };
    });
  }

  async changesSince(afterVersion: number, waitMs: number): Promise<readonly ChangeSet[] | 'reset'> {
    const deadline = Date.now() + Math.max(0, waitMs);
    for (;;) {
      const found = await this.exclusive(async () => {
        await this.refresh();
        return this.collect(afterVersion);
      });
      if (found === 'reset' || found.length > 0) return found;
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) return [];
      await this.sleepOrWake(Math.min(this.pollMs, left));
    }
  }

  async stats(): Promise<StoreStats> {
    return this.exclusive(async () => {
      await this.refresh();
      const s = emptyStats(this.ver);
      for (const slot of this.entries.values()) {
        if (isList(slot)) for (const e of slot) countEntry(s, e);
        else countEntry(s, slot);
      }
      return s;
    });
  }

  async getSourceInfo(source: string): Promise<SourceInfo | undefined> {
    return this.exclusive(async () => {
      await this.refresh();
      const info = this.infos.get(source);
      const owners = this.owners.get(source);
      if (owners === undefined || owners.size === 0) return info;
      return { ...(info ?? { source }), owners: [...owners].sort() };
    });
  }

  async setSourceInfo(info: SourceInfo): Promise<void> {
    const { owners: _owners, ...rest } = info;
    await this.write(async () => {
      const rec: SourceRecord = { source: rest };
      await this.appendBytes(Buffer.from(`${JSON.stringify(rec)}\n`), rec);
    });
  }

  async sources(): Promise<SourceInfo[]> {
    return this.exclusive(async () => {
      await this.refresh();
      const names = new Set([...this.infos.keys(), ...this.owners.keys()]);
      return [...names].sort().map((source) => {
        const info = this.infos.get(source) ?? { source };
        const owners = this.owners.get(source);
        return owners === undefined || owners.size === 0 ? info : { ...info, owners: [...owners].sort() };
      });
    });
  }

  async claimSource(source: string, owner: string): Promise<void> {
    await this.write(async () => {
      if (this.owners.get(source)?.has(owner)) return;
      await this.appendOwner({ owner: { source, owner, claim: true } });
    });
  }

  async releaseSource(source: string, owner: string): Promise<string[]> {
    return this.write(async () => {
      if (this.owners.get(source)?.has(owner)) await this.appendOwner({ owner: { source, owner, claim: false } });
      return [...(this.owners.get(source) ?? [])].sort();
    });
  }

  /**
   * Throws, naming the file and why, when this process cannot write the store: the directory
   * cannot be made, the lock cannot be taken, or the log cannot be opened for appending. Creates an
   * empty log when there is none (which is what a missing one means anyway).
   */
  async checkWritable(): Promise<void> {
    try {
      await this.write(async () => {
        const fh = await fsp.open(this.path, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT, 0o644);
        await fh.close();
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'EACCES' || e.code === 'EPERM' ? `${e.code}, permission denied for uid ${process.getuid?.() ?? '?'}` : e.code === 'EROFS' ? 'EROFS, a read-only file system' : (e.code ?? e.message.split('\n')[0]);
      throw new Error(`cannot write the blocklist store ${this.path} (${why}); make ${dirname(this.path)} writable for this user, or set store.path to a writable place`, { cause: err });
    }
  }

  /** Rewrites the log as one snapshot (followers behind it get 'reset'). Runs by itself when the log grows. */
  async compact(): Promise<void> {
    await this.write(() => this.compactLocked());
  }

  async close(): Promise<void> {
    this.closed = true;
    wakeAll(this.path);
    await this.queue.catch(() => {});
  }

  // ---- reading ----

  private collect(after: number): readonly ChangeSet[] | 'reset' {
    // A follower ahead of the log follows another history (the file was deleted or replaced).
    if (after > this.ver || after < this.feedStart) return 'reset';
    const from = after - this.feedStart;
    return this.feed.slice(from, from + MAX_SETS_PER_CALL);
  }

  /** Brings the in-memory copy up to the end of the log (whole records only). */
  private async refresh(): Promise<void> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (this.ino !== -1) this.resetState(-1); // deleted: an empty store again
      return;
    }
    try {
      const st = await fh.stat();
      if (st.ino !== this.ino || st.size < this.offset) this.resetState(st.ino);
      if (st.size > this.offset) await this.readFrom(fh, st.size);
    } finally {
      await fh.close();
    }
  }

  private resetState(ino: number): void {
    this.entries = new Map();
    this.entryCount = 0;
    this.owners = new Map();
    this.legacy = false;
    this.infos = new Map();
    this.ver = 0;
    this.feed = [];
    this.feedOps = 0;
    this.feedStart = 0;
    this.offset = 0;
    this.records = 0;
    this.ino = ino;
  }

  private async readFrom(fh: fsp.FileHandle, size: number): Promise<void> {
    let pos = this.offset;
    let lineStart = this.offset; // file offset of the first byte in `carry`
    let carry: Buffer[] = [];
    // Parts of a multi-line record read so far, and where it began.
    let group: LogRecord[] = [];
    let groupStart = -1;
    while (pos < size) {
      const want = Math.min(READ_CHUNK, size - pos);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, pos);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      pos += bytesRead;
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
        let line = chunk.subarray(start, nl);
        if (carry.length > 0) {
          line = Buffer.concat([...carry, line]);
          carry = [];
        }
        const lineEnd = lineStart + line.length + 1;
        start = nl + 1;
        const rec = parseLine(line);
        if (rec !== undefined && isPart(rec)) {
          const part = rec.part ?? 0;
          if (part === 0) {
            group = [rec];
            groupStart = lineStart;
          } else if (groupStart >= 0 && part === group.length && (group[0] as OpsRecord).v === (rec as OpsRecord).v) {
            group.push(rec);
          } else {
            group = [];
            groupStart = -1; // a stray part: ignore it
          }
          if (group.length > 0 && group.length === rec.parts) {
            for (const r of group) this.applyRecord(r);
            group = [];
            groupStart = -1;
            this.offset = lineEnd;
          }
        } else {
          if (groupStart >= 0) {
            group = []; // an unfinished record followed by another: drop the fragment
            groupStart = -1;
          }
          if (rec !== undefined) this.applyRecord(rec);
          this.offset = lineEnd;
        }
        lineStart = lineEnd;
      }
      if (start < chunk.length) carry.push(Buffer.from(chunk.subarray(start)));
    }
    // Anything after this.offset (a torn line, or a record whose parts are still being written)
    // is read again next time.
  }

  private applyRecord(rec: LogRecord): void {
    if ('source' in rec) {
      this.infos.set(rec.source.source, rec.source);
      this.records++;
      return;
    }
    if ('owner' in rec) {
      this.setOwner(rec.owner.source, rec.owner.owner, rec.owner.claim);
      this.records++;
      return;
    }
    if ('snapshot' in rec && rec.snapshot) {
      if ((rec.part ?? 0) === 0) {
        this.entries = new Map();
        this.entryCount = 0;
        this.infos = new Map();
        this.owners = new Map();
        this.feed = [];
        this.feedOps = 0;
        this.feedStart = rec.v;
        this.ver = rec.v;
        this.records = 0;
      }
      for (const raw of rec.entries) {
        const e = this.checked(raw, 'log');
        if (e !== undefined) this.putEntry(e);
      }
      for (const s of rec.sources ?? []) this.infos.set(s.source, s);
      for (const [source, owner] of rec.owners ?? []) this.setOwner(source, owner, true);
      this.records += rec.entries.length + (rec.sources?.length ?? 0) + (rec.owners?.length ?? 0);
      return;
    }
    const r = rec as OpsRecord;
    const first = (r.part ?? 0) === 0;
    let big = false;
    if (first) {
      // A version already taken: a writer appended without the lock (see the top). Apply it as
      // the next version rather than lose it; every reader reads the same file in the same order.
      if (r.v !== this.ver + 1 && r.v > this.ver) {
        // A gap: followers from before it must reload.
        this.feed = [];
        this.feedOps = 0;
        this.feedStart = r.v - 1;
      }
      this.ver = Math.max(r.v, this.ver + 1);
      big = r.reset === true || r.ops.length > MAX_FEED_OPS || (r.parts ?? 1) > 1;
    }
    // Later parts follow their first one (readFrom passes only whole groups).
    const legacy = r.format === undefined;
    if (legacy) this.legacy = true;
    const touched = new Set<string>();
    for (const op of r.ops) {
      const key = this.applyOp(op, legacy);
      if (key !== undefined && !big) touched.add(key);
    }
    this.records += r.ops.length;
    if (!first) return;
    this.pushFeed(big ? { version: this.ver, changes: [], reset: true } : { version: this.ver, changes: [...touched].map((k) => change(k, this.listAt(k))) });
  }

  /** One logged op; the key it changed, or undefined when it was not a valid op (skipped, reported). */
  private applyOp(op: LoggedOp, legacy: boolean): string | undefined {
    if (op === null || typeof op !== 'object') return this.invalid('not an operation');
    if (op.op === 'put') {
      const e = this.checked(op.entry, 'log');
      if (e === undefined) return undefined;
      const key = entryKey(e.kind, e.name);
      // The old format had one entry per name and kind: a put replaced whichever it was.
      if (legacy) this.dropKey(key);
      this.putEntry(e);
      return key;
    }
    if (op.op === 'del' && typeof op.name === 'string' && (op.kind === 'block' || op.kind === 'allow')) {
      const key = entryKey(op.kind, op.name);
      if (legacy || op.source === undefined) this.dropKey(key);
      else if (typeof op.source === 'string') this.dropEntry(key, op.source);
      else return this.invalid('a del whose source is not a string', key);
      return key;
    }
    return this.invalid('not a put or a del');
  }

  private checked(raw: unknown, where: string): StoredEntry | undefined {
    if (raw === null || typeof raw !== 'object') {
      this.invalid('not an entry');
      return undefined;
    }
    const e = checkEntry(raw as Record<string, unknown>, true);
    if (typeof e !== 'string') return e;
    const name = (raw as { name?: unknown }).name;
    this.invalid(e, typeof name === 'string' ? name : undefined, where);
    return undefined;
  }

  private invalid(reason: string, key?: string, where = 'log'): undefined {
    try {
      this.onInvalidRecord?.({ where, reason, ...(key !== undefined ? { key: clip(key) } : {}) });
    } catch {
      // The listener's problem is not the store's.
    }
    return undefined;
  }

  private putEntry(e: StoredEntry): void {
    const key = entryKey(e.kind, e.name);
    const slot = this.entries.get(key);
    if (slot === undefined || (!isList(slot) && slot.source === e.source)) {
      if (slot === undefined) this.entryCount++;
      this.entries.set(key, e);
      return;
    }
    const list = isList(slot) ? slot : [slot];
    const at = list.findIndex((x) => x.source === e.source);
    if (at < 0) {
      this.entries.set(key, [...list, e]);
      this.entryCount++;
    } else {
      const next = list.slice();
      next[at] = e;
      this.entries.set(key, next);
    }
  }

  private dropEntry(key: string, source: string): void {
    const list = this.listAt(key);
    const next = list.filter((x) => x.source !== source);
    if (next.length === list.length) return;
    this.entryCount -= list.length - next.length;
    if (next.length === 0) this.entries.delete(key);
    else this.entries.set(key, next.length === 1 ? next[0]! : next);
  }

  private dropKey(key: string): void {
    this.entryCount -= this.listAt(key).length;
    this.entries.delete(key);
  }

  /** The entries of a key as a list (a new one-element array for a single entry). */
  private listAt(key: string): readonly StoredEntry[] {
    const slot = this.entries.get(key);
    return slot === undefined ? [] : isList(slot) ? slot : [slot];
  }

  private sourceEntry(key: string, source: string): StoredEntry | undefined {
    const slot = this.entries.get(key);
    if (slot === undefined) return undefined;
    if (!isList(slot)) return slot.source === source ? slot : undefined;
    return slot.find((x) => x.source === source);
  }

  private setOwner(source: string, owner: string, claim: boolean): void {
    if (typeof source !== 'string' || typeof owner !== 'string') return;
    let set = this.owners.get(source);
    if (claim) {
      if (set === undefined) this.owners.set(source, (set = new Set()));
      set.add(owner);
    } else if (set !== undefined) {
      set.delete(owner);
      if (set.size === 0) this.owners.delete(source);
    }
  }

  private allEntries(): StoredEntry[] {
    const out: StoredEntry[] = [];
    for (const slot of this.entries.values()) {
      if (isList(slot)) for (const e of slot) out.push(e);
      else out.push(slot);
    }
    return out;
  }

  private *entriesOf(source: string): Generator<StoredEntry> {
    for (const slot of this.entries.values()) {
      if (!isList(slot)) {
        if (slot.source === source) yield slot;
      } else for (const e of slot) if (e.source === source) yield e;
    }
  }

  private pushFeed(cs: ChangeSet): void {
    this.feed.push(cs);
    this.feedOps += cs.changes.length;
    while (this.feed.length > FEED_KEEP_SETS || (this.feedOps > FEED_KEEP_OPS && this.feed.length > 1)) {
      const dropped = this.feed.shift()!;
      this.feedOps -= dropped.changes.length;
      this.feedStart = dropped.version;
    }
  }

  // ---- writing ----

  /** Runs `fn` with the in-process queue and the file lock held, after catching up with the log. */
  private async write<T>(fn: () => Promise<T>): Promise<T> {
    return this.exclusive(() =>
      this.withFileLock(async () => {
        await this.refresh();
        await this.cutTornTail();
        return fn();
      }),
    );
  }

  private async appendChangeSet(ops: EntryOp[]): Promise<void> {
    if (this.legacy) await this.compactLocked(); // rewrites an old-format log in this format first
    const v = this.ver + 1;
    const reset = ops.length > MAX_FEED_OPS;
    const recs: OpsRecord[] = [];
    if (ops.length <= PART_OPS) {
      recs.push(reset ? { v, format: 2, reset: true, ops } : { v, format: 2, ops });
    } else {
      const parts = Math.ceil(ops.length / PART_OPS);
      for (let i = 0; i < parts; i++) recs.push({ v, format: 2, reset: true, part: i, parts, ops: ops.slice(i * PART_OPS, (i + 1) * PART_OPS) });
    }
    await this.appendBytes(Buffer.concat(recs.map((r) => Buffer.from(`${JSON.stringify(r)}\n`))), ...recs);
    await this.maybeCompact();
  }

  /** One write on an O_APPEND descriptor, then the same records applied in memory. */
  private async appendBytes(bytes: Buffer, ...recs: LogRecord[]): Promise<void> {
    await fsp.mkdir(dirname(this.path), { recursive: true });
    const fh = await fsp.open(this.path, fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT, 0o644);
    try {
      const before = await fh.stat();
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, done, bytes.length - done);
        done += bytesWritten;
      }
      const after = await fh.stat();
      if (before.ino === this.ino || this.ino === -1) {
        if (this.ino === -1) this.resetState(before.ino);
        if (before.size === this.offset && after.size === this.offset + bytes.length) {
          for (const r of recs) this.applyRecord(r);
          this.offset = after.size;
          wakeAll(this.path);
          return;
        }
      }
    } finally {
      await fh.close();
    }
    // Someone wrote without the lock: read our record back from the file instead.
    await this.refresh();
    wakeAll(this.path);
  }

  /** A crashed writer can leave a partial line or an unfinished multi-line record: cut it (the lock is ours). */
  private async cutTornTail(): Promise<void> {
    let st;
    try {
      st = await fsp.stat(this.path);
    } catch {
      return;
    }
    if (st.ino === this.ino && st.size > this.offset) await fsp.truncate(this.path, this.offset);
  }

  private async appendOwner(rec: OwnerRecord): Promise<void> {
    await this.appendBytes(Buffer.from(`${JSON.stringify(rec)}\n`), rec);
  }

  private async maybeCompact(): Promise<void> {
    if (this.records > 2 * Math.max(this.entryCount, this.compactMin)) await this.compactLocked();
  }

  private async compactLocked(): Promise<void> {
    const tmp = `${this.path}.${process.pid}.${randomUUID()}.tmp`;
    const all = this.allEntries();
    const owners: [string, string][] = [];
    for (const [source, set] of this.owners) for (const o of set) owners.push([source, o]);
    const parts = Math.max(1, Math.ceil(all.length / PART_OPS));
    const fh = await fsp.open(tmp, 'w', 0o644);
    let size = 0;
    try {
      for (let i = 0; i < parts; i++) {
        const rec: SnapshotRecord = { v: this.ver, snapshot: true, entries: all.slice(i * PART_OPS, (i + 1) * PART_OPS) };
        if (i === 0) {
          rec.sources = [...this.infos.values()];
          if (owners.length > 0) rec.owners = owners;
        }
        if (parts > 1) Object.assign(rec, { part: i, parts });
        const buf = Buffer.from(`${JSON.stringify(rec)}\n`);
        await fh.write(buf);
        size += buf.length;
      }
      await fh.sync();
    } catch (err) {
      await fh.close();
      await fsp.rm(tmp, { force: true });
      throw err;
    }
    await fh.close();
    await fsp.rename(tmp, this.path);
    const st = await fsp.stat(this.path);
    this.ino = st.ino;
    this.offset = size;
    this.records = all.length + this.infos.size + owners.length;
    this.legacy = false;
    this.feed = [];
    this.feedOps = 0;
    this.feedStart = this.ver;
    wakeAll(this.path);
  }

  private async withFileLock<T>(fn: () => Promise<T>): Promise<T> {
    await fsp.mkdir(dirname(this.path), { recursive: true });
    const token = `${process.pid} ${randomUUID()}\n`;
    const deadline = Date.now() + this.lockTimeoutMs;
    for (;;) {
      try {
        await fsp.writeFile(this.lockPath, token, { flag: 'wx', mode: 0o644 });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      await this.removeStaleLock();
      if (Date.now() > deadline) {
        throw new Error(`${this.path} is locked by another writer (${this.lockPath}); if no sinkd is running, remove that file`);
      }
      await sleep(5 + Math.random() * 20);
    }
    // A long write keeps its lock fresh so no one takes it for stale.
    const heartbeat = setInterval(() => {
      const now = new Date();
      fsp.utimes(this.lockPath, now, now).catch(() => {});
    }, Math.max(100, this.lockStaleMs / 4));
    heartbeat.unref();
    try {
      return await fn();
    } finally {
      clearInterval(heartbeat);
      const held = await fsp.readFile(this.lockPath, 'utf8').catch(() => '');
      if (held === token) await fsp.rm(this.lockPath, { force: true });
    }
  }

  private async removeStaleLock(): Promise<void> {
    try {
      const st = await fsp.stat(this.lockPath);
      if (Date.now() - st.mtimeMs <= this.lockStaleMs) return;
      const stale = await fsp.readFile(this.lockPath, 'utf8');
      // Still the same stale lock (not one just taken by someone else)? Then it is gone for good.
      const again = await fsp.stat(this.lockPath);
      if (again.mtimeMs === st.mtimeMs && (await fsp.readFile(this.lockPath, 'utf8')) === stale) await fsp.rm(this.lockPath, { force: true });
    } catch {
      // Removed meanwhile: just try again.
    }
  }

  // ---- plumbing ----

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private sleepOrWake(ms: number): Promise<void> {
    return new Promise((resolveWait) => {
      let set = wakers.get(this.path);
      if (!set) wakers.set(this.path, (set = new Set()));
      const waiters = set;
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0 && wakers.get(this.path) === waiters) wakers.delete(this.path);
        resolveWait();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
    });
  }
}

type Slot = StoredEntry | readonly StoredEntry[];

function isList(slot: Slot): slot is readonly StoredEntry[] {
  return Array.isArray(slot);
}

function isPart(rec: LogRecord): rec is (OpsRecord | SnapshotRecord) & { parts: number } {
  return typeof (rec as OpsRecord).parts === 'number';
}

function parseLine(line: Buffer): LogRecord | undefined {
  if (line.length === 0) return undefined;
  try {
    const rec = JSON.parse(line.toString('utf8')) as LogRecord;
    if (rec === null || typeof rec !== 'object') return undefined;
    if ('source' in rec) return rec.source && typeof rec.source === 'object' && typeof rec.source.source === 'string' ? rec : undefined;
    if ('owner' in rec) return rec.owner && typeof rec.owner === 'object' && typeof rec.owner.source === 'string' && typeof rec.owner.owner === 'string' ? rec : undefined;
    if (typeof rec.v !== 'number') return undefined;
    if ('snapshot' in rec) return Array.isArray(rec.entries) ? rec : undefined;
    return Array.isArray((rec as OpsRecord).ops) ? rec : undefined;
  } catch {
    return undefined; // a damaged line: skipped
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
