// `sinkd blocklist add NAME...`: block names (and everything below them) as source "cli".

import type { CommandModule } from 'yargs';
import type { RuleAction } from '../../blocklist/rule.js';
import { parseNames } from './names.js';
import { putNames } from './put-names.js';
import { blocklistCommonOptions, runWithStore, usageError, type BlocklistArgs } from './run.js';

interface AddArgs extends BlocklistArgs {
  names: string[];
  family?: string;
  action?: RuleAction;
}

export const addCommand: CommandModule<object, AddArgs> = {
  command: 'add <names..>',
  describe: 'block names and every name below them (source "cli")',
  builder: (y) =>
    y
      .positional('names', { type: 'string', array: true, describe: 'hostnames to block, e.g. evil.no-ip.biz' })
      .options({
        ...blocklistCommonOptions,
        family: { type: 'string', describe: 'malware family to record with the entries' },
        action: { type: 'string', choices: ['sinkhole', 'nxdomain', 'nodata'], describe: 'answer for these names (default: the server\'s sinkhole.mode)' },
      })
      .example('$0 blocklist add evil.no-ip.biz c2.hopto.org --family Bladabindi', '') as never,
  handler: async (args) => {
    let names: string[] = [];
    await runWithStore(
      args,
      (ctx) => putNames(ctx, { kind: 'block', names, family: args.family, action: args.action }),
      () => {
        names = parseNames(args.names);
        if (args.family === '') throw usageError('--family needs a value');
      },
    );
  },
};
