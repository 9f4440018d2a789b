// `sinkd blocklist export`: the entries as a list file (plain, hosts or RPZ) on stdout or in a
// file, written as it is generated. A file is written beside its destination and renamed
// into place at the end, so a failed export never leaves half a list where a server reads it.

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { CommandModule } from 'yargs';
import { effectiveEntries } from '../../blocklist/effective-rule.js';
import { exportLines } from '../../blocklist/export.js';
import { normalizeName } from '../../blocklist/name.js';
import { byName, entryFilter, entryFilterOptions, type EntryFilterArgs } from './filters.js';
import { blocklistCommonOptions, CommandError, runWithStore, usageError, type BlocklistArgs } from './run.js';
import { plural } from './table.js';

type ExportFormat = 'plain' | 'hosts' | 'rpz';

interface ExportArgs extends BlocklistArgs, EntryFilterArgs {
  format: ExportFormat;
  output?: string;
  zone?: string;
}

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: 'write the entries as a list file (plain, hosts or RPZ) to stdout or --output FILE',
  builder: (y) =>
    y
      .options({
        ...blocklistCommonOptions,
        ...entryFilterOptions,
        format: { type: 'string', choices: ['plain', 'hosts', 'rpz'], default: 'plain', describe: 'file format' },
        output: { type: 'string', alias: 'o', describe: 'write to this file (replaced whole at the end) instead of stdout' },
        zone: { type: 'string', describe: 'RPZ zone name (default rpz.sinkd.invalid); the zone name your resolver loads it as' },
      })
      .example('$0 blocklist export --format rpz --output sinkd.rpz', '')
      .example('$0 blocklist export --source cli > my-additions.txt', '') as never,
  handler: async (args) => {
    await runWithStore(
      args,
      async (ctx) => {
        const { version, entries } = await ctx.store.snapshot();
        // A name two sources list is written once (as the server answers it): a list file, and an
        // RPZ zone above all, holds one entry per name and kind.
        const chosen = [...effectiveEntries(entries.filter(entryFilter(args)))].sort(byName);
        // Default-answer entries become local data with sinkd's own sinkhole addresses, so a
        // resolver that loads the zone answers them as sinkd does.
        const lines = exportLines(chosen, args.format, {
          ...(args.zone === undefined ? {} : { origin: args.zone }),
          sinkhole: { ipv4: ctx.config.sinkhole.ipv4, ipv6: ctx.config.sinkhole.ipv6 },
        });
        if (args.output === undefined) {
          await writeLines(lines, process.stdout);
          return;
        }
        const tmp = `${args.output}.sinkd-tmp-${process.pid}`;
        try {
          const file = createWriteStream(tmp);
          await once(file, 'open');
          await writeLines(lines, file);
          file.end();
          await once(file, 'finish');
          await rename(tmp, args.output);
        } catch (err) {
          await rm(tmp, { force: true }).catch(() => undefined);
          const code = (err as NodeJS.ErrnoException).code;
          throw new CommandError(`cannot write ${args.output}: ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
        }
        if (ctx.json) {
          ctx.printJson({ output: args.output, format: args.format, entries: chosen.length, version });
        } else {
          ctx.out(`exported ${plural(chosen.length, 'entry', 'entries')} to ${args.output} (format ${args.format}, store version ${version})`);
        }
      },
      () => {
        if (args.zone !== undefined && args.format !== 'rpz') throw usageError('--zone is for --format rpz');
        if (args.zone !== undefined && normalizeName(args.zone) === null) throw usageError(`invalid zone name ${JSON.stringify(args.zone)}`);
        if (args.json && args.output === undefined) {
          throw usageError('export writes the list itself to stdout; --json needs --output FILE (or use: sinkd blocklist list --json)');
        }
      },
    );
  },
};

/** Writes lines in ~64 KiB chunks, waiting whenever the destination is full. */
async function writeLines(lines: Iterable<string>, out: Writable): Promise<void> {
  let failure: Error | undefined;
  const onError = (err: Error) => {
    failure ??= err;
  };
  out.on('error', onError);
  try {
    let chunk = '';
    for (const line of lines) {
      chunk += `${line}\n`;
      if (chunk.length >= 65_536) {
        if (failure !== undefined) break;
        if (!out.write(chunk)) await once(out, 'drain');
        chunk = '';
      }
    }
    if (chunk !== '' && failure === undefined && !out.write(chunk)) await once(out, 'drain');
  } catch (err) {
    failure ??= err as Error;
  } finally {
    out.off('error', onError);
  }
  if (failure !== undefined) {
    // `export | head` closing the pipe early is the reader's choice, not a failure.
    if ((failure as NodeJS.ErrnoException).code === 'EPIPE' && out === process.stdout) return;
    throw failure;
  }
}
