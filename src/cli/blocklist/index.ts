// `sinkd blocklist <command>`: the blocklist store from the command line. Every subcommand
// takes --config and --redis (or SINKD_REDIS_URL); without Redis it works on the embedded
// store (config store.path). Text for people by default, --json for scripts.

import type { CommandModule } from 'yargs';
import { addCommand } from './add.js';
import { allowCommand } from './allow.js';
import { checkCommand } from './check.js';
import { exportCommand } from './export.js';
import { importCommand } from './import.js';
import { listCommand } from './list.js';
import { removeCommand } from './remove.js';
import { statsCommand } from './stats.js';

export const blocklistCommand: CommandModule = {
  command: 'blocklist <command>',
  describe: 'manage the blocklist: import lists and feeds, add/remove/allow names, check, list, stats, export',
  builder: (y) =>
    y
      .command(importCommand)
      .command(addCommand)
      .command(removeCommand)
      .command(allowCommand)
      .command(checkCommand)
      .command(listCommand)
      .command(statsCommand)
      .command(exportCommand)
      .demandCommand(1, 'Say what to do with the blocklist: sinkd blocklist --help lists the commands.')
      .epilog(
        'The store is Redis when --redis URL, SINKD_REDIS_URL or the config file\'s redis.url says so, and the embedded file store (store.path) otherwise.\nExit codes: 0 done, 1 failed (check: not blocked), 2 usage error.',
      ),
  handler: () => undefined,
};
