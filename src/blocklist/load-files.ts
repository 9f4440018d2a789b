// Owns reading one list file from disk into rules: streaming, format detection, family headers.
//
// Family headers: a comment line of the form
//
//     # family: Bladabindi
//
// (or "! family: ..." in adblock lists) sets the malware family of every entry after it,
// up to the next family header, so one file can group several families. An empty value
// ("# family:") goes back to the family given by the caller, if any.
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import {
  DETECT_SAMPLE_LINES,
  detectFormat,
  isSkip,
  lineParserFor,
  type ConcreteFormat,
  type LineEntry,
  type LineParser,
  type LineSkip,
  type ListFormat,
} from './parsers.js';
import type { Rule, RuleKind } from './rule.js';

export interface LoadListOptions {
  readonly format: ListFormat;
  /** Kind of every entry, except adblock "@@" exceptions, which are always 'allow'. */
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
}

// Keeps a pathological line (a binary file read by mistake) from filling the report.
const MAX_SKIPPED_TEXT = 200;

const FAMILY_HEADER = /^[#!]\s*family\s*:\s*(.*?)\s*$/i;

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
  let family = opts.family;
  let format: ConcreteFormat | undefined = opts.format === 'auto' ? undefined : opts.format;
  let parse: LineParser | undefined = format === undefined ? undefined : lineParserFor(format);
  // Lines read before the format is known (auto mode only).
  let pending: string[] | undefined = format === undefined ? [] : undefined;
  let meaningful = 0;
  let lineNo = 0;

  const consume = (text: string, at: number, parser: LineParser): void => {
    const header = FAMILY_HEADER.exec(text.trim());
    if (header !== null) {
      family = header[1] === '' ? opts.family : header[1];
      return;
    }
    const result = parser(text);
    if (result === null) return;
    if (Array.isArray(result)) {
      for (const r of result as readonly (LineEntry | LineSkip)[]) take(r, text, at);
    } else {
      take(result as LineEntry | LineSkip, text, at);
    }
  };
  const take = (r: LineEntry | LineSkip, text: string, at: number): void => {
    if (isSkip(r)) {
      skipped.push({ line: at, reason: r.skip, text: text.slice(0, MAX_SKIPPED_TEXT) });
      return;
    }
    const kind = r.kind ?? opts.kind;
    rules.push(
      family === undefined
        ? { name: r.name, kind, source }
        : { name: r.name, kind, source, family },
    );
  };
  const decide = (buffered: string[]): void => {
    format = detectFormat(buffered);
    parse = lineParserFor(format);
    const first = lineNo - buffered.length + 1;
    for (let i = 0; i < buffered.length; i++) consume(buffered[i] as string, first + i, parse);
    pending = undefined;
  };

  try {
    for await (const raw of lines) {
      if (streamError !== undefined) break;
      lineNo++;
      const text = lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (pending !== undefined) {
        pending.push(text);
        const t = text.trim();
        if (t !== '' && !t.startsWith('#') && !t.startsWith('!')) meaningful++;
        if (meaningful >= DETECT_SAMPLE_LINES) decide(pending);
        continue;
      }
      consume(text, lineNo, parse as LineParser);
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

  return { rules, skipped, format: format as ConcreteFormat };
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
