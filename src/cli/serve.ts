// `sinkd serve`: load and validate the config, start the server, and wire the signals:
// SIGTERM/SIGINT stop gracefully (answer what is in flight, flush logs, exit 0), SIGHUP reloads
// the config and the lists (a config that does not validate is rejected; the running one stays).

import type { CommandModule } from 'yargs';
import { loadConfig, ConfigError } from '../config/load.js';
import { createLogger, flushLogger } from '../log/logger.js';
import { SinkdServer } from '../server/sinkd-server.js';
import { configOption, serveOverrideOptions } from './config-options.js';
import { overridesFrom, type ServeArgs } from './overrides.js';

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'run the DNS sinkhole resolver',
  builder: (y) => y.options({ ...configOption, ...serveOverrideOptions }) as never,
  handler: async (args) => {
    let config;
    const overrides = overridesFrom(args);
    try {
      config = loadConfig(overrides);
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`sinkd: invalid configuration:\n${err.message}\n`);
        process.exit(2);
      }
      throw err;
    }
    const log = createLogger(config.log.level);
    let server: SinkdServer;
    try {
      server = await SinkdServer.start(config, log);
    } catch (err) {
      log.fatal({ event: 'start-failed', error: (err as Error).message }, (err as Error).message);
      await flushLogger(log);
      process.stderr.write(`sinkd: ${(err as Error).message}\n`);
      process.exit(1);
    }
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ event: 'signal', signal }, `${signal}: stopping`);
      await server.stop();
      await flushLogger(log);
      process.exit(0);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGHUP', () => {
      let next;
      try {
        next = loadConfig(overrides);
      } catch (err) {
        const msg = (err as Error).message;
        log.error({ event: 'reload-rejected', error: msg }, `SIGHUP: the configuration does not validate; keeping the running one:\n${msg}`);
        return;
      }
      void server.reload(next);
    });
  },
};
