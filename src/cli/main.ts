#!/usr/bin/env node
// The sinkd command line: one binary, one yargs command per job (DESIGN.md "Contracts").

import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { serveCommand } from './serve.js';
import { checkConfigCommand } from './check-config.js';
import { reportCommand } from './report.js';
import { blocklistCommand } from './blocklist/index.js';

await yargs(hideBin(process.argv))
  .scriptName('sinkd')
  .usage('$0 <command> [options]\n\nDNS sinkhole resolver proxy: sinkholes listed hostnames and everything below them,\nforwards and caches the rest, and logs every client that asked for a sinkholed name.')
  .command(serveCommand)
  .command(blocklistCommand)
  .command(checkConfigCommand)
  .command(reportCommand)
  .demandCommand(1, 'Say what to do: sinkd serve, or sinkd --help for the commands.')
  .strict()
  .help()
  .alias('h', 'help')
  .version()
  .wrap(Math.min(100, process.stdout.columns ?? 100))
  .fail((msg, err, y) => {
    if (err) throw err;
    process.stderr.write(`${y.help() && ''}sinkd: ${msg}\nRun "sinkd --help" for usage.\n`);
    process.exit(2);
  })
  .parseAsync();
