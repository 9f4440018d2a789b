// `sinkd blocklist list`: every entry, as a table for people or JSON for scripts, optionally
// only some sources, one kind or one family.

import type { CommandModule } from 'yargs';
import { byName, entryFilter, entryFilterOptions, type EntryFilterArgs } from './filters.js';
import { entryJson } from './names.js';
import { blocklistCommonOptions, runWithStore, type BlocklistArgs } from './run.js';
import { formatTable, plural } from './table.js';

interface ListArgs extends BlocklistArgs, EntryFilterArgs {}

export const listCommand: CommandModule<object, ListArgs> = {
  command: 'list',
  describe: 'print every entry: name, kind, source, family, action, when added',
  builder: (y) =>
    y
      .options({ ...blocklistCommonOptions, ...entryFilterOptions })
      .example('$0 blocklist list --source cli', '')
      .example('$0 blocklist list --kind allow --json', '') as never,
  handler: async (args) => {
    await runWithStore(args, async (ctx) => {
      const { version, entries } = await ctx.store.snapshot();
      const shown = entries.filter(entryFilter(args)).sort(byName);
      if (ctx.json) {
        ctx.printJson({ version, count: shown.length, entries: shown.map(entryJson) });
        return;
      }
      if (shown.length === 0) {
        ctx.note(`no entries${entries.length > 0 ? ` match (${plural(entries.length, 'entry', 'entries')} in the store)` : ' (the store is empty)'}; version ${version}`);
        return;
      }
      const rows = shown.map((e) => [e.name, e.kind, e.source, e.family ?? '-', e.action ?? '-', new Date(e.addedAt).toISOString()]);
      for (const line of formatTable(['NAME', 'KIND', 'SOURCE', 'FAMILY', 'ACTION', 'ADDED'], rows)) ctx.out(line);
      ctx.note(`${plural(shown.length, 'entry', 'entries')}, store version ${version}`);
    });
  },
};
