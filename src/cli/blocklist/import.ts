// `sinkd blocklist import FILE|URL...`: stream list files and feeds into the store, each input
// replacing its own source (or, with --source, all inputs together replacing one source).
//
// Nothing is read whole: lines go from the file or HTTP body through the parser into the
// store's replaceSource() one at a time. A source is replaced atomically or not at all: an
// input that fails half way (unreadable, connection cut) leaves the source as it was.
// Feeds are fetched with conditional requests, so an unchanged feed costs one 304.

import { basename, extname } from 'node:path';
import type { CommandModule } from 'yargs';
import { fetchSource, looksLikeUrl, parseFeedUrl, sourceNameFromUrl, type FetchConditions } from '../../blocklist/fetch-source.js';
import { concatEntries, ListImport, openFileLines, readLines, type SkippedLine } from '../../blocklist/import-stream.js';
import type { ListFormat } from '../../blocklist/parsers.js';
import type { ImportSummary, NewEntry, SourceInfo } from '../../store/blocklist-store.js';
import { ImportProgress } from './progress.js';
import { CLI_SOURCE } from './put-names.js';
import { blocklistCommonOptions, CommandError, oneLine, runWithStore, usageError, type BlocklistArgs, type CommandContext } from './run.js';

/** Skipped lines printed per input; the rest are counted. */
export const MAX_WARNINGS_PER_INPUT = 20;

interface ImportArgs extends BlocklistArgs {
  inputs: string[];
  format: ListFormat;
  source?: string;
  family?: string;
  force: boolean;
  'allow-empty': boolean;
}

type Input =
  | { readonly type: 'file'; readonly label: string; readonly path: string }
  | { readonly type: 'url'; readonly label: string; readonly url: URL };

/** One source to replace, from one or more inputs. */
interface Job {
  readonly source: string;
  readonly inputs: readonly Input[];
}

interface InputReport {
  readonly input: string;
  readonly format?: string;
  readonly lines: number;
  readonly entries: number;
  readonly skipped: number;
  readonly notes?: readonly string[];
}

type JobReport =
  | ({ readonly source: string; readonly result: 'imported'; readonly inputs: readonly InputReport[]; readonly skipped: number } & ImportSummary)
  | { readonly source: string; readonly result: 'not-modified'; readonly inputs: readonly { input: string }[] }
  | { readonly source: string; readonly result: 'failed'; readonly inputs: readonly { input: string }[]; readonly error: string };

export const importCommand: CommandModule<object, ImportArgs> = {
  command: 'import <inputs..>',
  describe: 'import list files or http(s) feeds; each replaces its source (named after the file) in one step',
  builder: (y) =>
    y
      .positional('inputs', { type: 'string', array: true, describe: 'list files and/or http(s) URLs (/dev/stdin with --source reads a pipe)' })
      .options({
        ...blocklistCommonOptions,
        format: { type: 'string', choices: ['auto', 'plain', 'hosts', 'adblock', 'rpz'], default: 'auto', describe: 'list format (auto: detected from the first lines)' },
        source: { type: 'string', describe: 'source name (default: the file name without extension, or the URL\'s last path segment); with several inputs, they become this one source together' },
        family: { type: 'string', describe: 'malware family of entries that no "family:" header in the list covers' },
        force: { type: 'boolean', default: false, describe: 'fetch a URL in full even if the server says it is unchanged since the last import' },
        'allow-empty': { type: 'boolean', default: false, describe: 'let an input with no usable entries empty its source (refused by default: an error page served as a feed must not wipe a list)' },
      })
      .example('$0 blocklist import blocklists/ddns-malware-sample.txt', 'import (or re-import) a file as source "ddns-malware-sample"')
      .example('$0 blocklist import https://example.org/feeds/njrat.txt --family Bladabindi', 'fetch a feed; unchanged feeds cost one 304')
      .example('$0 blocklist import a.txt b.hosts --source mine', 'two files as one source') as never,
  handler: async (args) => {
    let jobs: Job[] = [];
    await runWithStore(args, (ctx) => runImports(ctx, args, jobs), () => {
      jobs = planJobs(args);
    });
  },
};

function planJobs(args: ImportArgs): Job[] {
  // yargs drops a lone "-" from the list, so `import -` arrives here with nothing.
  if (args.inputs.length === 0) throw usageError('import needs at least one file or URL (a pipe: /dev/stdin --source NAME)');
  if (args.source !== undefined && args.source.trim() === '') throw usageError('--source needs a name');
  if (args.family !== undefined && args.family.trim() === '') throw usageError('--family needs a name');
  const inputs: Input[] = args.inputs.map((raw) => {
    const arg = String(raw);
    if (arg === '') throw usageError('an input is empty: give a file path or an http(s) URL');
    if (!looksLikeUrl(arg)) return { type: 'file', label: arg, path: arg };
    try {
      const url = parseFeedUrl(arg);
      return { type: 'url', label: url.href, url };
    } catch (err) {
      throw usageError((err as Error).message);
    }
  });
  if (args.source !== undefined) return [{ source: args.source.trim(), inputs }];

  const jobs: Job[] = [];
  const bySource = new Map<string, Input>();
  for (const input of inputs) {
    const source = input.type === 'url' ? sourceNameFromUrl(input.url) : basename(input.path, extname(input.path));
    if (source === '' || source === '.' || source === '..') throw usageError(`cannot name a source after ${input.label}; pass --source NAME`);
    if (source === CLI_SOURCE) {
      throw usageError(`${input.label} would be source "${CLI_SOURCE}", which holds the names added with "sinkd blocklist add/allow" and would be replaced; pass --source NAME (or --source ${CLI_SOURCE} if that is what you want)`);
    }
    const clash = bySource.get(source);
    if (clash !== undefined) {
      throw usageError(`${clash.label} and ${input.label} would both be source "${source}" (the second would replace the first); pass --source NAME to import them as one source, or import them separately with their own --source`);
    }
    bySource.set(source, input);
    jobs.push({ source, inputs: [input] });
  }
  return jobs;
}

async function runImports(ctx: CommandContext, args: ImportArgs, jobs: readonly Job[]): Promise<number> {
  // Fail on an unreachable store now, not after reading a whole feed.
  await ctx.store.version();
  const progress = new ImportProgress(process.stderr);
  const reports: JobReport[] = [];
  for (const job of jobs) {
    try {
      reports.push(await runJob(ctx, args, job, progress));
    } catch (err) {
      progress.clear();
      const error = oneLine(err);
      ctx.note(`sinkd: ${error}`);
      reports.push({ source: job.source, result: 'failed', inputs: job.inputs.map((i) => ({ input: i.label })), error });
    }
  }
  if (ctx.json) ctx.printJson({ imports: reports });
  return reports.some((r) => r.result === 'failed') ? 1 : 0;
}

async function runJob(ctx: CommandContext, args: ImportArgs, job: Job, progress: ImportProgress): Promise<JobReport> {
  const { store } = ctx;
  const labels = job.inputs.map((i) => i.label).join(', ');
  const single = job.inputs.length === 1 ? job.inputs[0] : undefined;

  // A feed that is this source on its own gets a conditional request; several inputs that
  // share a source have no one set of validators, so they are fetched in full.
  let conditions: FetchConditions = {};
  if (single?.type === 'url' && !args.force) {
    const info = await store.getSourceInfo(job.source);
    if (info?.url === single.url.href) {
      conditions = {
        ...(info.etag === undefined ? {} : { etag: info.etag }),
        ...(info.lastModified === undefined ? {} : { lastModified: info.lastModified }),
      };
    }
  }
  let validators: Pick<SourceInfo, 'etag' | 'lastModified'> = {};

  // The first input is opened before the store is touched: a missing file or a 304 changes nothing.
  const open = async (input: Input): Promise<AsyncIterable<string> | 'not-modified'> => {
    if (input.type === 'file') return openFileLines(input.path);
    const res = await fetchSource(input.url, input === single ? conditions : {});
    if (res.status === 'not-modified') return 'not-modified';
    if (input === single) validators = { ...(res.etag === undefined ? {} : { etag: res.etag }), ...(res.lastModified === undefined ? {} : { lastModified: res.lastModified }) };
    return readLines(res.body);
  };
  const first = await open(job.inputs[0] as Input);
  if (first === 'not-modified') {
    if (!ctx.json) ctx.out(`${job.source} unchanged (304 Not Modified)`);
    return { source: job.source, result: 'not-modified', inputs: [{ input: labels }] };
  }

  const parsers: { input: Input; parser: ListImport; warnings: number }[] = [];
  const parts = job.inputs.map((input, i) => () => {
    const slot = { input, parser: undefined as unknown as ListImport, warnings: 0 };
    slot.parser = new ListImport({
      format: args.format,
      source: job.source,
      ...(args.family === undefined ? {} : { family: args.family.trim() }),
      onSkip: (skip) => warn(ctx, progress, slot, skip),
      onLine: (n) => progress.update(n),
    });
    parsers.push(slot);
    progress.start(input.label);
    return (async function* () {
      const lines = i === 0 ? first : await open(input);
      if (lines === 'not-modified') throw new Error(`${input.label}: unexpected 304 Not Modified`);
      yield* slot.parser.entries(lines);
      // Reading is done; the store may need a while more to apply a big list.
      if (i === job.inputs.length - 1) progress.status(`${input.label}: ${slot.parser.stats.lines.toLocaleString('en-US')} lines read; updating source ${job.source}`);
    })();
  });

  const entries = await guardEmpty(ctx, args, job, concatEntries(parts));
  let summary: ImportSummary;
  try {
    summary = await store.replaceSource(job.source, entries);
  } finally {
    progress.clear();
    for (const p of parsers) {
      const hidden = p.parser.stats.skipped - p.warnings;
      if (hidden > 0) ctx.note(`${p.input.label}: ${hidden} more skipped ${hidden === 1 ? 'line' : 'lines'} not shown`);
      for (const note of p.parser.stats.notes) ctx.note(`${p.input.label}: ${note}`);
    }
  }
  await store.setSourceInfo({
    source: job.source,
    ...(single?.type === 'url' ? { url: single.url.href, ...validators } : {}),
    importedAt: Date.now(),
  });

  const skipped = parsers.reduce((n, p) => n + p.parser.stats.skipped, 0);
  if (!ctx.json) {
    ctx.out(
      `imported ${job.source} from ${labels}: added ${summary.added}, unchanged ${summary.unchanged}, updated ${summary.updated}, removed ${summary.removed}, skipped ${skipped} (version ${summary.version})`,
    );
  }
  return {
    source: job.source,
    result: 'imported',
    inputs: parsers.map((p) => ({
      input: p.input.label,
      ...(p.parser.stats.format === undefined ? {} : { format: p.parser.stats.format }),
      lines: p.parser.stats.lines,
      entries: p.parser.stats.entries,
      skipped: p.parser.stats.skipped,
      ...(p.parser.stats.notes.length === 0 ? {} : { notes: p.parser.stats.notes }),
    })),
    added: summary.added,
    unchanged: summary.unchanged,
    updated: summary.updated,
    removed: summary.removed,
    skipped,
    version: summary.version,
  };
}

function warn(ctx: CommandContext, progress: ImportProgress, slot: { input: Input; warnings: number }, skip: SkippedLine): void {
  if (slot.warnings >= MAX_WARNINGS_PER_INPUT) return;
  slot.warnings++;
  progress.clear();
  // A binary file read by mistake must not send control sequences to the terminal.
  ctx.note(`${slot.input.label}:${skip.line}: skipped (${skip.reason}): ${skip.text.trim().replace(/[\u0000-\u001f\u007f]/g, '?')}`);
}

/**
 * Pulls the first entry before the store sees the stream: inputs with no usable entry at all
 * (an HTML error page, a truncated download) must not silently empty a source that has entries.
 */
async function guardEmpty(ctx: CommandContext, args: ImportArgs, job: Job, entries: AsyncGenerator<NewEntry, void, undefined>): Promise<Iterable<NewEntry> | AsyncIterable<NewEntry>> {
  const head = await entries.next();
  if (head.done === true) {
    if (!args['allow-empty']) {
      const existing = (await ctx.store.stats()).bySource[job.source] ?? 0;
      if (existing > 0) {
        throw new CommandError(
          `${job.inputs.map((i) => i.label).join(', ')}: no usable entries; source ${job.source} keeps its ${existing} ${existing === 1 ? 'entry' : 'entries'} (pass --allow-empty to empty it)`,
        );
      }
    }
    return [];
  }
  return (async function* () {
    yield head.value;
    yield* entries;
  })();
}
