// `sinkd report`: the infected-host report for a responder (table on a terminal, JSON, CSV,
// self-contained HTML), and `sinkd report ack IP` to mark a host handled.

import { closeSync, openSync, writeSync } from 'node:fs';
import { isIP } from 'node:net';
import type { CommandModule } from 'yargs';
import { ConfigError, loadConfig, type SinkdConfig } from '../config/load.js';
import { openHitStore } from '../infected/open-hit-store.js';
import type { HitStore } from '../infected/hit-store.js';
import { produceReport } from '../infected/report-source.js';
import type { Verdict } from '../infected/model.js';
import { renderCsv } from '../report/render-csv.js';
import { renderHtml } from '../report/render-html.js';
import { renderJsonChunks } from '../report/render-json.js';
import { renderTable } from '../report/render-table.js';
import { configOption, redisOption } from './config-options.js';
import { parseSince } from '../infected/since.js';
import { overridesFrom } from './overrides.js';

type Format = 'table' | 'json' | 'csv' | 'html';

interface ReportArgs {
  config?: string;
  redis?: string;
  since?: string;
  client?: string;
  verdict?: Verdict;
  format?: Format;
  output?: string;
}

interface AckArgs {
  config?: string;
  redis?: string;
  ip: string;
  note?: string;
}

function fail(message: string, code = 1): never {
  process.stderr.write(`sinkd: ${message}\n`);
  process.exit(code);
}

/** Config and hit store, or one line and exit. */
async function withHitStore<T>(args: { config?: string; redis?: string }, body: (config: SinkdConfig, store: HitStore) => Promise<T>): Promise<T> {
  let config: SinkdConfig;
  try {
    config = loadConfig(overridesFrom(args));
  } catch (err) {
    if (err instanceof ConfigError) fail(`invalid configuration:\n${err.message}`, 2);
    throw err;
  }
  let store: HitStore;
  try {
    store = openHitStore(config, 'cli', { warn: (m) => process.stderr.write(`sinkd: warning: ${m}\n`) });
  } catch (err) {
    fail((err as Error).message);
  }
  try {
    return await body(config, store);
  } catch (err) {
    fail((err as Error).message);
  } finally {
    await store.close().catch(() => {});
  }
}

/** Joins the pieces into writes of about 1 MB each; returns the last piece. */
function writeChunks(chunks: Iterable<string>, write: (text: string) => void): string {
  let buffered: string[] = [];
  let size = 0;
  let last = '';
  for (const c of chunks) {
    last = c;
    buffered.push(c);
    size += c.length;
    if (size >= 1 << 20) {
      write(buffered.join(''));
      buffered = [];
      size = 0;
    }
  }
  if (buffered.length > 0) write(buffered.join(''));
  return last;
}

const ackCommand: CommandModule<object, AckArgs> = {
  command: 'ack <ip>',
  describe: 'mark a host as handled (cleaned, reimaged); it shows as handled until it is seen again',
  builder: (y) =>
    y
      .positional('ip', { type: 'string', describe: 'the client address' })
      .options({ ...configOption, ...redisOption, note: { type: 'string', describe: 'what was done, for the report' } }) as never,
  handler: async (args) => {
    if (isIP(args.ip) === 0) fail(`"${args.ip}" is not an IP address`, 2);
    await withHitStore(args, async (_config, store) => {
      const known = await store.ack(args.ip, args.note, Date.now());
      if (!known) fail(`no sinkhole hits recorded for ${args.ip}; nothing to acknowledge`);
      process.stdout.write(`${args.ip} marked handled${args.note ? ` (${args.note})` : ''}; it shows as handled until it asks for a sinkholed name again\n`);
    });
  },
};

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report',
  describe: 'the infected-host report: which machines asked for sinkholed names, since when, how often',
  builder: (y) =>
    y
      .command(ackCommand)
      .options({
        ...configOption,
        ...redisOption,
        since: { type: 'string', describe: 'window: 30m, 24h, 7d, 2w, or an ISO time (default: everything retained)' },
        client: { type: 'string', describe: 'only this client address' },
        verdict: { choices: ['likely-infected', 'single-contact'] as const, describe: 'only clients with this verdict' },
        format: { choices: ['table', 'json', 'csv', 'html'] as const, describe: 'default: table on a terminal, json when piped' },
        output: { type: 'string', describe: 'write to this file instead of stdout' },
      }) as never,
  handler: async (args) => {
    let since: number | null = null;
    try {
      if (args.since !== undefined) since = parseSince(args.since);
    } catch (err) {
      fail(`--since ${(err as Error).message}`, 2);
    }
    if (args.client !== undefined && isIP(args.client) === 0) fail(`--client "${args.client}" is not an IP address`, 2);
    const format: Format = args.format ?? (process.stdout.isTTY && args.output === undefined ? 'table' : 'json');
    await withHitStore(args, async (config, store) => {
      const { report, leaseProblems, malformed } = await produceReport(config, store, {
        since,
        ...(args.client !== undefined ? { client: args.client } : {}),
        ...(args.verdict !== undefined ? { verdict: args.verdict } : {}),
      });
      for (const p of leaseProblems) process.stderr.write(`sinkd: warning: ${p} (report made without it)\n`);
      for (const m of malformed) process.stderr.write(`sinkd: warning: left out a malformed ${m}\n`);
      const more = (report.summary.malformedRecords ?? 0) - malformed.length;
      if (more > 0) process.stderr.write(`sinkd: warning: left out ${more} more malformed hit records (the report's summary counts them all)\n`);
      // JSON is written as it is serialized (a 100,000-client report is ~100 MB); the others whole.
      const chunks: Iterable<string> =
        format === 'json'
          ? renderJsonChunks(report)
          : [
              format === 'csv'
                ? renderCsv(report)
                : format === 'html'
                  ? renderHtml(report)
                  : renderTable(report, { color: process.stdout.isTTY === true && !process.env.NO_COLOR, width: process.stdout.columns ?? 160 }),
            ];
      if (args.output !== undefined) {
        const fd = openSync(args.output, 'w');
        try {
          writeChunks(chunks, (text) => {
            const bytes = Buffer.from(text, 'utf8');
            for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
          });
        } finally {
          closeSync(fd);
        }
        process.stderr.write(`report written to ${args.output}: ${report.summary.clients} clients, ${report.summary.likelyInfected} likely infected\n`);
      } else {
        // Synchronous on files and (on Linux) pipes, as before: one write per ~1 MB.
        const last = writeChunks(chunks, (text) => process.stdout.write(text));
        if (!last.endsWith('\n')) process.stdout.write('\n');
      }
    });
  },
};
