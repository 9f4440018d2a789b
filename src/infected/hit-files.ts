// Owns the embedded hit store's files, beside the embedded blocklist store:
//
//   hits.journal        one line per written batch, appended and fsynced: {"q":seq,"c":[client delta...],"d":dropped}
//   hits.snapshot       the whole aggregate as of batch `q`: a header line {"v":2,"q":seq,"d":dropped,
//                       "legacy":bool,"clients":N}, one line per client delta (hit-delta.ts), an
//                       end line {"end":N}; written to a temporary file, fsynced, renamed over
//   hits.acks.json      clients marked handled: {"ip": {"at": ms, "note": text}}
//   hits.lock           which process writes the journal (hit-dir-lock.ts)
//   hits.json           the single JSON file of earlier versions: read once, folded into the
//                       first snapshot, then renamed hits.json.migrated
//
// A reader takes the journal first and the snapshot second, and skips journal lines the snapshot
// already holds (q <= its q): a compaction between the two reads then neither loses nor counts
// twice. Every file may have been cut short (power cut, full disk) or damaged: what can be read is
// kept, and a writer moves the damaged file aside (NAME.corrupt-TIME) after writing a snapshot of
// what it kept, so the next start reads clean files.

import { closeSync, existsSync, fsyncSync, ftruncateSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { decodeDelta, encodeDelta, type ClientDelta } from './hit-delta.js';
import type { Acks, MemoryHitStore } from './memory-hit-store.js';
import { MAX_LABEL_CHARS, MAX_NOTE_CHARS } from './client-bounds.js';

export interface HitFiles {
  readonly dir: string;
  readonly journal: string;
  readonly snapshot: string;
  readonly acks: string;
  readonly lock: string;
  readonly legacy: string;
}

/**
 * The hit files of one writer, beside the embedded blocklist store (store.path). Every serving
 * instance writes its own set (`hits.<writer>.journal`, ...; `writer` "" = the plain names), so
 * several instances may share a data directory and their hits add up: a report reads every set
 * (hitFileSets). The acks and the legacy hits.json are one per directory.
 */
export function hitFilesFor(storePath: string, writer = ''): HitFiles {
  const dir = dirname(storePath);
  const base = writer === '' ? 'hits' : `hits.${writer}`;
  return {
    dir,
    journal: join(dir, `${base}.journal`),
    snapshot: join(dir, `${base}.snapshot`),
    acks: join(dir, 'hits.acks.json'),
    lock: join(dir, `${base}.lock`),
    legacy: join(dir, 'hits.json'),
  };
}

const SET_FILE = /^hits(?:\.([0-9a-f]{1,32}))?\.(?:journal|snapshot|lock)$/;

/** Every writer's set of hit files in the store's directory (the plain set always included). */
export function hitFileSets(storePath: string): HitFiles[] {
  const writers = new Set<string>(['']);
  let names: string[] = [];
  try {
    names = readdirSync(dirname(storePath));
  } catch {
    // No directory yet: no hits.
  }
  for (const name of names) {
    const m = SET_FILE.exec(name);
    if (m) writers.add(m[1] ?? '');
  }
  return [...writers].sort().map((w) => hitFilesFor(storePath, w));
}

/** A file that could not be read whole. */
export interface DamagedFile {
  readonly file: string;
  /** Lines, clients or parts left out. */
  readonly problems: number;
  readonly first: string;
}

export interface LoadedHits {
  /** The last batch the store now holds. */
  seq: number;
  /** The legacy hits.json is in the store (read now, or folded into the snapshot before). */
  legacyIncluded: boolean;
  /** It was read by this load, so a writer should fold it into a snapshot and rename it. */
  legacyRead: boolean;
  journalBytes: number;
  journalLines: number;
  damaged: DamagedFile[];
}

export interface LoadOptions {
  /**
   * A writer may be appending right now (a reader beside a running server): a last line without
   * its line feed is a write in progress, not damage.
   */
  readonly writerMayBeActive: boolean;
  /** Leave hits.json alone (another writer's set already took it in). */
  readonly skipLegacy?: boolean;
}

/** Problems of one file, counted, with the first one's words kept for the warning. */
class Tally {
  problems = 0;
  first = '';
  constructor(readonly file: string) {}
  note(why: string): void {
    if (this.problems === 0) this.first = why;
    this.problems++;
  }
  into(out: DamagedFile[]): void {
    if (this.problems > 0) out.push({ file: this.file, problems: this.problems, first: this.first });
  }
}

function readOrNull(path: string, tally: Tally): Buffer | null {
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') tally.note(`cannot read: ${(err as Error).message}`);
    return null;
  }
}

/** Lines of a buffer, without decoding it whole; `torn` when the last one has no line feed. */
function* lines(buf: Buffer): Generator<{ text: string; last: boolean; complete: boolean }> {
  let at = 0;
  while (at < buf.length) {
    const nl = buf.indexOf(10, at);
    const end = nl < 0 ? buf.length : nl;
    yield { text: buf.toString('utf8', at, end), last: nl < 0 || nl === buf.length - 1, complete: nl >= 0 };
    at = end + 1;
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Fills `store` from the files: snapshot, legacy hits.json unless the snapshot holds it already,
 * then the journal lines after the snapshot. Never throws for what is in a file.
 */
export function loadHits(files: HitFiles, store: MemoryHitStore, opts: LoadOptions): LoadedHits {
  const damaged: DamagedFile[] = [];
  // The journal before the snapshot: see the head of this file.
  const jt = new Tally(files.journal);
  const journal = readOrNull(files.journal, jt);
  const st = new Tally(files.snapshot);
  const snapshot = readOrNull(files.snapshot, st);

  let seq = 0;
  let legacyIncluded = false;
  let dropped = 0;
  if (snapshot !== null) {
    const head = readSnapshot(snapshot, store, st);
    seq = head.seq;
    legacyIncluded = head.legacy;
    dropped = head.dropped;
  }
  st.into(damaged);

  let legacyRead = false;
  if (!legacyIncluded && opts.skipLegacy !== true && existsSync(files.legacy)) {
    const lt = new Tally(files.legacy);
    const legacy = readOrNull(files.legacy, lt);
    if (legacy !== null) {
      dropped += readLegacy(legacy, store, lt);
      legacyRead = true;
      legacyIncluded = true;
    }
    lt.into(damaged);
  }

  let journalLines = 0;
  if (journal !== null) {
    for (const line of lines(journal)) {
      if (line.text.trim() === '') continue;
      if (!line.complete && opts.writerMayBeActive) break;
      const v = parse(line.text) as { q?: unknown; c?: unknown; d?: unknown } | undefined;
      if (typeof v !== 'object' || v === null || typeof v.q !== 'number' || !Number.isInteger(v.q) || !Array.isArray(v.c)) {
        jt.note(line.complete ? 'a line that is not a journal entry' : 'the last line is cut short (a crash or power cut while writing)');
        continue;
      }
      journalLines++;
      if (v.q <= seq) continue;
      seq = v.q;
      for (const c of v.c) {
        const d = decodeDelta(c, (client, why) => jt.note(`${client}: ${why}`));
        if (d) store.apply(d);
      }
      if (typeof v.d === 'number' && Number.isInteger(v.d) && v.d > 0) dropped += v.d;
    }
  }
  jt.into(damaged);
  if (dropped > 0) void store.addDropped(dropped);
  store.acks = readAcks(files.acks);
  return { seq, legacyIncluded, legacyRead, journalBytes: journal?.length ?? 0, journalLines, damaged };
}

function readSnapshot(buf: Buffer, store: MemoryHitStore, tally: Tally): { seq: number; legacy: boolean; dropped: number } {
  const out = { seq: 0, legacy: false, dropped: 0 };
  let headSeen = false;
  let ended = false;
  let clients = 0;
  for (const line of lines(buf)) {
    if (line.text.trim() === '') continue;
    const v = parse(line.text);
    if (!headSeen) {
      const h = v as { v?: unknown; q?: unknown; d?: unknown; legacy?: unknown } | undefined;
      if (typeof h !== 'object' || h === null || h.v !== 2 || typeof h.q !== 'number' || !Number.isInteger(h.q) || h.q < 0) {
        tally.note('no snapshot header: not a hit snapshot, or damaged');
        return out;
      }
      headSeen = true;
      out.seq = h.q;
      out.legacy = h.legacy === true;
      out.dropped = typeof h.d === 'number' && Number.isInteger(h.d) && h.d > 0 ? h.d : 0;
      continue;
    }
    if (typeof v === 'object' && v !== null && 'end' in v) {
      ended = true;
      break;
    }
    if (v === undefined) {
      tally.note(line.complete ? 'a line that is not JSON' : 'cut short (a crash or power cut while writing)');
      continue;
    }
    const d = decodeDelta(v, (client, why) => tally.note(`${client}: ${why}`));
    if (d) {
      store.apply(d);
      clients++;
    }
  }
  if (!headSeen) tally.note('empty');
  else if (!ended) tally.note(`cut short after ${clients} clients (no end line)`);
  return out;
}

/** hits.json of earlier versions: {version: 1, dropped, clients: [{client, firstSeen, lastSeen, hits, names, families, minutes, subnets}]}. */
function readLegacy(buf: Buffer, store: MemoryHitStore, tally: Tally): number {
  const doc = parse(buf.toString('utf8')) as { dropped?: unknown; clients?: unknown } | undefined;
  if (typeof doc !== 'object' || doc === null || !Array.isArray(doc.clients)) {
    tally.note(buf.length === 0 ? 'empty' : 'not JSON, or cut short');
    return 0;
  }
  for (const c of doc.clients as unknown[]) {
    const d = decodeDelta(legacyClient(c), (client, why) => tally.note(`${client}: ${why}`));
    if (d) store.apply(d);
  }
  return typeof doc.dropped === 'number' && Number.isInteger(doc.dropped) && doc.dropped > 0 ? doc.dropped : 0;
}

/** An old client object in the delta form, for decodeDelta to check like anything else. */
function legacyClient(c: unknown): unknown {
  if (typeof c !== 'object' || c === null) return c;
  const o = c as Record<string, unknown>;
  const obj = (v: unknown): [string, unknown][] => (typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.entries(v) : []);
  return {
    c: o.client,
    f: o.firstSeen,
    l: o.lastSeen,
    h: o.hits,
    n: obj(o.names).map(([name, v]) => {
      const n = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
      return [name, n.hits, n.family ?? null, n.rule ?? null, null, []];
    }),
    fa: obj(o.families),
    m: obj(o.minutes).flatMap(([m, k]) => [Number(m), k]),
    s: Array.isArray(o.subnets) ? o.subnets : [],
  };
}

/** Clients marked handled; anything unusable in the file is left out. */
export function readAcks(path: string): Acks {
  const acks: Acks = new Map();
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return acks;
  }
  if (typeof doc !== 'object' || doc === null) return acks;
  for (const [ip, v] of Object.entries(doc)) {
    const a = v as { at?: unknown; note?: unknown } | null;
    if (ip.length > MAX_LABEL_CHARS || typeof a !== 'object' || a === null || typeof a.at !== 'number' || !Number.isFinite(a.at)) continue;
    acks.set(ip, typeof a.note === 'string' && a.note !== '' ? { at: a.at, note: a.note.slice(0, MAX_NOTE_CHARS) } : { at: a.at });
  }
  return acks;
}

export function writeAcks(path: string, acks: Acks): void {
  const doc: Record<string, { at: number; note?: string }> = Object.create(null);
  for (const [ip, a] of acks) doc[ip] = a;
  writeDurably(path, [JSON.stringify(doc)]);
}

/** Writes `chunks` to a temporary file, fsyncs it, renames it over `path` and fsyncs the directory. */
export function writeDurably(path: string, chunks: Iterable<string>): number {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  let bytes = 0;
  try {
    let pending: string[] = [];
    let size = 0;
    const flush = () => {
      const b = Buffer.from(pending.join(''), 'utf8');
      for (let off = 0; off < b.length; ) off += writeSync(fd, b, off, b.length - off);
      bytes += b.length;
      pending = [];
      size = 0;
    };
    for (const c of chunks) {
      pending.push(c);
      size += c.length;
      if (size >= 1 << 20) flush();
    }
    flush();
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDir(dirname(path));
  return bytes;
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems cannot fsync a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The whole aggregate as of batch `seq`, durably. Returns its size. */
export function writeSnapshot(files: HitFiles, store: MemoryHitStore, seq: number, dropped: number, legacy: boolean): number {
  store.expire();
  return writeDurably(files.snapshot, snapshotChunks(store, seq, dropped, legacy));
}

function* snapshotChunks(store: MemoryHitStore, seq: number, dropped: number, legacy: boolean): Generator<string> {
  yield `${JSON.stringify({ v: 2, q: seq, d: dropped, legacy, clients: store.size })}\n`;
  let n = 0;
  for (const c of store.all()) {
    yield `${JSON.stringify(encodeDelta(c))}\n`;
    n++;
  }
  yield `${JSON.stringify({ end: n })}\n`;
}

/** Renames a damaged file to NAME.corrupt-TIME (kept for a person to look at); returns the new name. */
export function moveAside(path: string, now = new Date()): string {
  const to = `${path}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
  renameSync(path, to);
  return to;
}

function tryMoveAside(path: string): string {
  try {
    return moveAside(path);
  } catch (err) {
    return `(not moved: ${(err as Error).message})`;
  }
}

/** The append side of the journal: one line per batch, on disk (fsynced) before append returns. */
export class JournalFile {
  private fd: number;
  bytes: number;

  constructor(private readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
    this.bytes = fstatSync(this.fd).size;
  }

  append(seq: number, clients: readonly ClientDelta[], dropped: number): void {
    const entry: { q: number; c: unknown[]; d?: number } = { q: seq, c: clients.map(encodeDelta) };
    if (dropped > 0) entry.d = dropped;
    const b = Buffer.from(`${JSON.stringify(entry)}\n`, 'utf8');
    for (let off = 0; off < b.length; ) off += writeSync(this.fd, b, off, b.length - off);
    fsyncSync(this.fd);
    this.bytes += b.length;
  }

  /** Empties the journal once a snapshot holds everything in it. */
  truncate(): void {
    ftruncateSync(this.fd, 0);
    fsyncSync(this.fd);
    this.bytes = 0;
  }

  /** A new, empty journal at the same path (the old one was moved aside). */
  reopen(): void {
    closeSync(this.fd);
    this.fd = openSync(this.path, 'a');
    this.bytes = fstatSync(this.fd).size;
  }

  close(): void {
    closeSync(this.fd);
  }
}

export interface RepairNote {
  readonly file: string;
  readonly movedTo: string;
  readonly problems: number;
  readonly first: string;
}

/**
 * After a load by the one writer: writes a snapshot of what was read when anything needs it
 * (damage, a legacy file, a long journal), then moves damaged files aside and renames the legacy
 * file, and empties the journal. Returns what was moved, for one warning per file.
 */
export function settleAfterLoad(files: HitFiles, store: MemoryHitStore, loaded: LoadedHits, dropped: number, journalMaxBytes: number): { notes: RepairNote[]; migrated: boolean; compacted: boolean } {
  const needs = loaded.damaged.length > 0 || loaded.legacyRead || loaded.journalBytes >= journalMaxBytes;
  if (!needs) return { notes: [], migrated: false, compacted: false };
  const snapshotDamaged = loaded.damaged.find((d) => d.file === files.snapshot);
  const notes: RepairNote[] = [];
  // A damaged snapshot is moved aside before the new one replaces it, so a person can look at it.
  if (snapshotDamaged && existsSync(files.snapshot)) notes.push({ ...snapshotDamaged, movedTo: tryMoveAside(files.snapshot) });
  writeSnapshot(files, store, loaded.seq, dropped, loaded.legacyIncluded);
  for (const d of loaded.damaged) {
    if (d.file === files.snapshot || !existsSync(d.file)) continue;
    notes.push({ ...d, movedTo: tryMoveAside(d.file) });
  }
  let migrated = false;
  if (loaded.legacyRead && existsSync(files.legacy)) {
    renameSync(files.legacy, `${files.legacy}.migrated`);
    migrated = true;
  }
  // Everything in the journal is in the snapshot now.
  if (existsSync(files.journal)) {
    const fd = openSync(files.journal, 'r+');
    try {
      ftruncateSync(fd, 0);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  syncDir(files.dir);
  return { notes, migrated, compacted: true };
}
