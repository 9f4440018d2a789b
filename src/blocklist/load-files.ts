// Owns reading one list file from disk into rules: streaming, format detection, header lines.
//
// Header lines: a comment line of the form
//
//     # family: Bladabindi
//
// (or "! family: ..." in adblock lists, "; family: ..." in RPZ zone files) sets the malware
// family of every entry after it, up to the next family header, so one file can group several
// families. An empty value ("# family:") goes back to the family given by the caller, if any.
// Plain, hosts and adblock lists also take
//
//     # kind: allow          (or block)   the kind of the entries after it
//     # action: nxdomain     (or nodata)  how the blocked entries after it are answered
//
// with an empty value (or "action: sinkhole", the default answer) going back to the default.
// They let `sinkd blocklist export` write allow entries and answers into plain and hosts files
// and read them back; other tools see comments. Adblock "@@" exceptions stay 'allow' whatever
// the header says. RPZ records carry their own kind and answer, so a zone file takes only the
// family header.
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
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
import type { Rule, RuleAction, RuleKind } from './rule.js';

export interface LoadListOptions {
  readonly format: ListFormat;
  /**
   * Kind of every entry, except adblock "@@" exceptions and RPZ passthru entries, which are
   * always 'allow', and entries under a "# kind:" header.
   */
  readonly kind: RuleKind;
  /** Defaults to the file's basename. */
  readonly source?: string;
  /** Family of entries not under a "family:" header. */
  readonly family?: string;
}

export interface SkippedLine {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly reason: string;
  readonly text: string;
}

export interface LoadedList {
  readonly rules: Rule[];
  readonly skipped: SkippedLine[];
  readonly format: ConcreteFormat;
  /**
   * What the file meant that sinkd read differently, one line per kind of loss, for the
   * caller to print once (e.g. "skipped 12 rpz-ip triggers (sinkd matches query names only)").
   */
  readonly notes: string[];
}

// Keeps a pathological line (a binary file read by mistake) from filling the report.
const MAX_SKIPPED_TEXT = 200;

export async function loadListFile(path: string, opts: LoadListOptions): Promise<LoadedList> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw readError(path, err);
  }
  const input = handle.createReadStream({ encoding: 'utf8' });
  // readline's iterator does not reliably surface read errors (EISDIR, EIO): keep the
  // first one and end the loop ourselves.
  let streamError: unknown;
  input.on('error', (err) => {
    streamError ??= err;
  });
  const lines = createInterface({ input, crlfDelay: Infinity });

  const source = opts.source ?? basename(path);
  const rules: Rule[] = [];
  const skipped: SkippedLine[] = [];
  let notes: string[] = [];
  let family = opts.family;
  let headerKind: RuleKind | undefined;
  let headerAction: RuleAction | undefined;
  let format: ConcreteFormat | undefined = opts.format === 'auto' ? undefined : opts.format;
  let parse: LineParser | undefined;
  let rpz: RpzParser | undefined;
  // Lines read before the format is known (auto mode only).
  let pending: string[] | undefined = format === undefined ? [] : undefined;
  let meaningful = 0;
  let lineNo = 0;

  const skip = (at: number, reason: string, text: string): void => {
    skipped.push({ line: at, reason, text: text.slice(0, MAX_SKIPPED_TEXT) });
  };
  const consume = (text: string, at: number): void => {
    const header = parseHeaderLine(text, format as ConcreteFormat);
    if (header !== null) {
      if (isSkip(header)) skip(at, header.skip, text);
      else if (header.key === 'family') family = header.value === '' ? opts.family : header.value;
      else if (header.key === 'kind') headerKind = header.value;
      else headerAction = header.value;
      // The zone-file parser counts every line, so it sees the comment too.
      if (rpz === undefined) return;
    }
    if (rpz !== undefined) {
      for (const r of rpz.line(text)) takeRpz(r);
      return;
    }
    const result = (parse as LineParser)(text);
    if (result === null) return;
    if (Array.isArray(result)) {
      for (const r of result as readonly (LineEntry | LineSkip)[]) take(r, text, at);
    } else {
      take(result as LineEntry | LineSkip, text, at);
    }
  };
  const take = (r: LineEntry | LineSkip, text: string, at: number): void => {
    if (isSkip(r)) {
      skip(at, r.skip, text);
      return;
    }
    const kind = r.kind ?? headerKind ?? opts.kind;
    const action = kind === 'block' ? (r.action ?? headerAction) : undefined;
    const rule: { name: string; kind: RuleKind; source: string; family?: string; action?: RuleAction } = {
      name: r.name,
      kind,
      source,
    };
    if (family !== undefined) rule.family = family;
    if (action !== undefined) rule.action = action;
    rules.push(rule);
  };
  // RPZ results carry their own line: a record may span lines, and this one may be its last.
  const takeRpz = (r: RpzResult): void => {
    if (isRpzSkip(r)) skip(r.line, r.skip, r.text);
    else take(fromRpz(r), '', r.line);
  };
  const start = (f: ConcreteFormat): void => {
    format = f;
    if (f === 'rpz') rpz = createRpzParser();
    else parse = lineParserFor(f);
  };
  const decide = (buffered: string[]): void => {
    start(detectFormat(buffered));
    const first = lineNo - buffered.length + 1;
    for (let i = 0; i < buffered.length; i++) consume(buffered[i] as string, first + i);
    pending = undefined;
  };
  if (format !== undefined) start(format);

  try {
    for await (const raw of lines) {
      if (streamError !== undefined) break;
      lineNo++;
      const text = lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (pending !== undefined) {
        pending.push(text);
        const t = text.trim();
        if (t !== '' && !t.startsWith('#') && !t.startsWith('!') && !t.startsWith(';')) meaningful++;
        if (meaningful >= DETECT_SAMPLE_LINES) decide(pending);
        continue;
      }
      consume(text, lineNo);
    }
  } catch (err) {
    streamError ??= err;
  } finally {
    lines.close();
    input.destroy();
    await handle.close().catch(() => undefined);
  }
  if (streamError !== undefined) throw readError(path, streamError);
  if (pending !== undefined) decide(pending);
  if (rpz !== undefined) {
    const summary = rpz.finish();
    for (const r of summary.results) takeRpz(r);
    notes = describeRpzSummary(summary);
  }

  return { rules, skipped, format: format as ConcreteFormat, notes };
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent path is not a directory',
  EMFILE: 'too many open files',
};

function readError(path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    (code !== undefined ? REASONS[code] : undefined) ??
    (err instanceof Error ? err.message : String(err)).split('\n')[0];
  return new Error(`cannot read blocklist ${path}: ${reason}`, { cause: err });
}
