// `sinkd blocklist allow NAME...`: exceptions (source "cli") that win over every block entry
// for the name and the names below it.

import type { CommandModule } from 'yargs';
import { parseNames } from './names.js';
import { putNames } from './put-names.js';
import { blocklistCommonOptions, runWithStore, type BlocklistArgs } from './run.js';

interface AllowArgs extends BlocklistArgs {
  names: string[];
}

export const allowCommand: CommandModule<object, AllowArgs> = {
  command: 'allow <names..>',
  describe: 'never block these names or names below them, whatever a list says (source "cli")',
  builder: (y) =>
    y
      .positional('names', { type: 'string', array: true, describe: 'hostnames to allow, e.g. good.hopto.org' })
      .options(blocklistCommonOptions)
      .example('$0 blocklist allow printer.ddns.net', '') as never,
  handler: async (args) => {
    let names: string[] = [];
    await runWithStore(args, (ctx) => putNames(ctx, { kind: 'allow', names }), () => {
      names = parseNames(args.names);
    });
  },
};
