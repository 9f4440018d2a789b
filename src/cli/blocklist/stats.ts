// `sinkd blocklist stats`: how big the list is (total, by kind, by source, by family), its
// version, and where each source was last imported from.

import type { CommandModule } from 'yargs';
import type { SourceInfo } from '../../store/blocklist-store.js';
import { blocklistCommonOptions, runWithStore, type BlocklistArgs } from './run.js';
import { formatTable } from './table.js';

export const statsCommand: CommandModule<object, BlocklistArgs> = {
  command: 'stats',
  describe: 'print entry counts (total, by kind, source and family) and the store version',
  builder: (y) => y.options(blocklistCommonOptions) as never,
  handler: async (args) => {
    await runWithStore(args, async (ctx) => {
      const stats = await ctx.store.stats();
      const sources = Object.entries(stats.bySource).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
      const families = Object.entries(stats.byFamily).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
      const infos = new Map<string, SourceInfo | undefined>();
      for (const [source] of sources) infos.set(source, await ctx.store.getSourceInfo(source));

      if (ctx.json) {
        ctx.printJson({
          store: ctx.store.description,
          version: stats.version,
          total: stats.total,
          byKind: stats.byKind,
          bySource: stats.bySource,
          byFamily: stats.byFamily,
          sources: Object.fromEntries(
            sources.map(([source, count]) => {
              const info = infos.get(source);
              return [
                source,
                {
                  entries: count,
                  ...(info?.url === undefined ? {} : { url: info.url }),
                  ...(info?.etag === undefined ? {} : { etag: info.etag }),
                  ...(info?.lastModified === undefined ? {} : { lastModified: info.lastModified }),
                  ...(info?.importedAt === undefined ? {} : { importedAt: new Date(info.importedAt).toISOString() }),
                },
              ];
            }),
          ),
        });
        return;
      }
      ctx.out(`store:    ${ctx.store.description}`);
      ctx.out(`version:  ${stats.version}`);
      ctx.out(`entries:  ${stats.total} (block ${stats.byKind.block ?? 0}, allow ${stats.byKind.allow ?? 0})`);
      if (sources.length > 0) {
        ctx.out('');
        const rows = sources.map(([source, count]) => {
          const info = infos.get(source);
          return [source, String(count), info?.importedAt === undefined ? '-' : new Date(info.importedAt).toISOString(), info?.url ?? '-'];
        });
        for (const line of formatTable(['SOURCE', 'ENTRIES', 'IMPORTED', 'FROM'], rows)) ctx.out(line);
      }
      if (families.length > 0) {
        ctx.out('');
        for (const line of formatTable(['FAMILY', 'ENTRIES'], families.map(([f, n]) => [f, String(n)]))) ctx.out(line);
      }
    });
  },
};
