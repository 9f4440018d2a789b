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
import { basename } from 'node:path';
import { ListImport, openFileLines, readError } from './import-stream.js';
import type { ConcreteFormat, ListFormat } from './parsers.js';
import type { Rule, RuleKind } from './rule.js';

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

/**
 * Reads a list file with the same streaming parser `sinkd blocklist import` uses (ListImport),
 * so the two can never read a file differently; this only collects the results as Rules.
 */
export async function loadListFile(path: string, opts: LoadListOptions): Promise<LoadedList> {
  let lines: AsyncIterable<string>;
  try {
    lines = await openFileLines(path);
  } catch (err) {
    throw relabel(path, err);
  }
  const skipped: SkippedLine[] = [];
  const reader = new ListImport({
    format: opts.format,
    source: opts.source ?? basename(path),
    kind: opts.kind,
    ...(opts.family !== undefined ? { family: opts.family } : {}),
    onSkip: (s) => skipped.push(s),
  });
  const rules: Rule[] = [];
  try {
    for await (const e of reader.entries(lines)) {
      const rule: { -readonly [K in keyof Rule]: Rule[K] } = { name: e.name, kind: e.kind, source: e.source };
      if (e.family !== undefined) rule.family = e.family;
      if (e.action !== undefined) rule.action = e.action;
      rules.push(rule);
    }
  } catch (err) {
    throw relabel(path, err);
  }
  return { rules, skipped, format: reader.stats.format ?? 'plain', notes: reader.stats.notes };
}

/** "cannot read blocklist FILE: reason", whatever layer failed. */
function relabel(path: string, err: unknown): Error {
  const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  const prefix = `cannot read ${path}: `;
  return new Error(`cannot read blocklist ${path}: ${msg.startsWith(prefix) ? msg.slice(prefix.length) : readError(path, err).message.slice(prefix.length)}`, { cause: err });
}
