// Owns the streaming import pipeline: bytes → lines → parsed entries, one line at a time, so a
// feed of millions of names is never one string or one array. The entries come out of an async
// generator that a store's replaceSource() consumes as it goes; format detection, header
// lines ("family:", "kind:", "action:") and skipped-line reporting happen on the way.

import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { NewEntry } from '../store/blocklist-store.js';
import {
  DETECT_SAMPLE_LINES,
  detectFormat,
  fromRpz,
  isSkip,
  lineParserFor,
  parseHeaderLine,
  type ConcreteFormat,
  type LineEntry,
  type LineParser,
  type LineSkip,
  type ListFormat,
} from './parsers.js';
import { createRpzParser, describeRpzSummary, isRpzSkip, type RpzParser, type RpzResult } from './rpz.js';
import type { RuleAction, RuleKind } from './rule.js';

export interface SkippedLine {
  /** 1-based line number in the input. */
  readonly line: number;
  readonly reason: string;
  readonly text: string;
}

export interface ListImportOptions {
  readonly format: ListFormat;
  readonly source: string;
  /** Family of entries not under a "family:" header. */
  readonly family?: string;
  /** Kind of entries that neither their line nor a "kind:" header sets; default block. */
  readonly kind?: RuleKind;
  /** Called for every line that lists something sinkd cannot use. */
  readonly onSkip?: (skip: SkippedLine) => void;
  /** Called after every line read (progress display). */
  readonly onLine?: (linesRead: number) => void;
}

export interface ListImportStats {
  /** Lines read so far. */
  lines: number;
  /** Entries produced so far. */
  entries: number;
  skipped: number;
  /** Known once detection has seen enough lines (or the input ended). */
  format: ConcreteFormat | undefined;
  /** What the whole input lost, one line each (RPZ triggers sinkd cannot match ...); set at the end. */
  notes: string[];
}

// Keeps a pathological line (a binary file read by mistake) from filling the terminal.
const MAX_SKIPPED_TEXT = 200;

/**
 * One input's pass through the parser: the same reading as loadListFile (parsers.ts line
 * syntax, rpz.ts zone files, "family:"/"kind:"/"action:" header lines, format detection over
 * the first lines), but as a stream. `entries(lines)` is the generator to hand to the store;
 * `stats` is readable while and after it runs.
 */
export class ListImport {
  readonly stats: ListImportStats = { lines: 0, entries: 0, skipped: 0, format: undefined, notes: [] };
  readonly #opts: ListImportOptions;

  constructor(opts: ListImportOptions) {
    this.#opts = opts;
  }

  async *entries(lines: AsyncIterable<string>): AsyncGenerator<NewEntry, void, undefined> {
    const opts = this.#opts;
    const stats = this.stats;
    const defaultKind = opts.kind ?? 'block';
    let family = opts.family;
    let headerKind: RuleKind | undefined;
    let headerAction: RuleAction | undefined;
    let parse: LineParser | undefined;
    let rpz: RpzParser | undefined;
    // Lines read before the format is known (auto mode only), and how many of them said something.
    let pending: string[] | undefined;
    let meaningful = 0;

    const skip = (at: number, reason: string, text: string): void => {
      stats.skipped++;
      opts.onSkip?.({ line: at, reason, text: text.slice(0, MAX_SKIPPED_TEXT) });
    };
    const entry = (r: LineEntry): NewEntry => {
      const kind = r.kind ?? headerKind ?? defaultKind;
      const action = kind === 'block' ? (r.action ?? headerAction) : undefined;
      const e: { -readonly [K in keyof NewEntry]: NewEntry[K] } = { name: r.name, kind, source: opts.source };
      if (family !== undefined) e.family = family;
      if (action !== undefined) e.action = action;
      stats.entries++;
      return e;
    };
    // RPZ results carry their own line: a record may span lines, and this one may be its last.
    const fromZone = function* (results: Iterable<RpzResult>): Generator<NewEntry> {
      for (const r of results) {
        if (isRpzSkip(r)) skip(r.line, r.skip, r.text);
        else yield entry(fromRpz(r) as LineEntry);
      }
    };
    const consume = function* (text: string, at: number): Generator<NewEntry> {
      const header = parseHeaderLine(text, stats.format as ConcreteFormat);
      if (header !== null) {
        if (isSkip(header)) skip(at, header.skip, text);
        else if (header.key === 'family') family = header.value === '' ? opts.family : header.value;
        else if (header.key === 'kind') headerKind = header.value;
        else headerAction = header.value;
        // The zone-file parser counts every line, so it sees the comment too.
        if (rpz === undefined) return;
      }
      if (rpz !== undefined) {
        yield* fromZone(rpz.line(text));
        return;
      }
      const result = (parse as LineParser)(text);
      if (result === null) return;
      const results = Array.isArray(result) ? (result as readonly (LineEntry | LineSkip)[]) : [result as LineEntry | LineSkip];
      for (const r of results) {
        if (isSkip(r)) skip(at, r.skip, text);
        else yield entry(r);
      }
    };
    const start = (format: ConcreteFormat): void => {
      stats.format = format;
      if (format === 'rpz') rpz = createRpzParser();
      else parse = lineParserFor(format);
    };
    const decide = function* (buffered: string[]): Generator<NewEntry> {
      start(detectFormat(buffered));
      pending = undefined;
      const first = stats.lines - buffered.length + 1;
      for (let i = 0; i < buffered.length; i++) yield* consume(buffered[i] as string, first + i);
    };

    if (opts.format === 'auto') pending = [];
    else start(opts.format);
    for await (const text of lines) {
      stats.lines++;
      opts.onLine?.(stats.lines);
      if (pending !== undefined) {
        pending.push(text);
        const t = text.trim();
        if (t !== '' && !t.startsWith('#') && !t.startsWith('!') && !t.startsWith(';')) meaningful++;
        if (meaningful >= DETECT_SAMPLE_LINES) yield* decide(pending);
        continue;
      }
      yield* consume(text, stats.lines);
    }
    if (pending !== undefined) yield* decide(pending);
    if (rpz !== undefined) {
      const summary = rpz.finish();
      yield* fromZone(summary.results);
      stats.notes = describeRpzSummary(summary);
    }
  }
}

/**
 * The lines of a byte stream (UTF-8), without line ends or a leading BOM. A read error ends
 * the iteration by throwing it (readline's own iterator can end quietly instead). readline
 * pauses the input while the consumer is busy, so memory stays bounded by the slowest stage.
 */
export async function* readLines(input: Readable): AsyncGenerator<string, void, undefined> {
  let streamError: unknown;
  input.on('error', (err) => {
    streamError ??= err;
  });
  input.setEncoding('utf8');
  const lines = createInterface({ input, crlfDelay: Infinity });
  let first = true;
  try {
    for await (const raw of lines) {
      if (streamError !== undefined) break;
      if (first) {
        first = false;
        yield raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      } else {
        yield raw;
      }
    }
  } catch (err) {
    streamError ??= err;
  } finally {
    lines.close();
    input.destroy();
  }
  if (streamError !== undefined) throw streamError;
}

/** Opens a list file for reading line by line; rejects with a one-line reason naming the file. */
export async function openFileLines(path: string): Promise<AsyncGenerator<string, void, undefined>> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw readError(path, err);
  }
  const input = handle.createReadStream();
  const lines = readLines(input);
  // Wrapped so that a read error mid-file (EISDIR shows up only on the first read) names the file too.
  return (async function* () {
    try {
      yield* lines;
    } catch (err) {
      throw readError(path, err);
    } finally {
      await handle.close().catch(() => undefined);
    }
  })();
}

/** Every entry of each generator in turn: several inputs imported as one source. */
export async function* concatEntries(parts: readonly (() => AsyncIterable<NewEntry>)[]): AsyncGenerator<NewEntry, void, undefined> {
  for (const part of parts) yield* part();
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent path is not a directory',
  EMFILE: 'too many open files',
};

export function readError(path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason = (code !== undefined ? REASONS[code] : undefined) ?? (err instanceof Error ? err.message : String(err)).split('\n')[0];
  return new Error(`cannot read ${path}: ${reason}`, { cause: err });
}
