// `sinkd serve`: load and validate the config, start the server (one process, or a primary and
// its workers with --workers), and wire the signals: SIGTERM/SIGINT stop gracefully (answer what
// is in flight, flush logs, exit 0); SIGHUP reloads the config and the lists (a config that does
// not validate is rejected and the running one stays).

import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { CommandModule } from 'yargs';
import { loadConfig, ConfigError, type CliOverrides, type SinkdConfig } from '../config/load.js';
import { createLogger, flushLogger, type Logger } from '../log/logger.js';
import { SinkdServer } from '../server/sinkd-server.js';
import { WorkerSupervisor } from '../workers/supervisor.js';
import { component } from '../lifecycle/component.js';
import { IpcHitStore } from '../workers/ipc-hit-store.js';
import { isToWorker, type FromWorker } from '../workers/messages.js';
import { configOption, serveOverrideOptions } from './config-options.js';
import { overridesFrom, type ServeArgs } from './overrides.js';
import { installProcessGuard } from './process-guard.js';

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'run the DNS sinkhole resolver',
  builder: (y) => y.options({ ...configOption, ...serveOverrideOptions }) as never,
  handler: async (args) => {
    const overrides = overridesFrom(args);
    let config: SinkdConfig;
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
    // In every role (single, primary, worker): an uncaught error is logged and counted, never fatal.
    installProcessGuard(log);
    const workers = config.workers === 'auto' ? availableParallelism() : config.workers;
    if (cluster.isWorker) await runWorker(config, overrides, log);
    else if (workers > 1) await runPrimary(config, overrides, log, workers);
    else await runSingle(config, overrides, log);
  },
};

async function started(log: Logger, start: () => Promise<SinkdServer>): Promise<SinkdServer> {
  try {
    return await start();
  } catch (err) {
    log.fatal({ event: 'start-failed', error: (err as Error).message }, (err as Error).message);
    await flushLogger(log);
    process.stderr.write(`sinkd: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

/** The new config for a SIGHUP, or null (logged) when it does not validate. */
function reloadedConfig(overrides: CliOverrides, log: Logger): SinkdConfig | null {
  try {
    return loadConfig(overrides);
  } catch (err) {
    const msg = (err as Error).message;
    log.error({ event: 'reload-rejected', error: msg }, `SIGHUP: the configuration does not validate; keeping the running one:\n${msg}`);
    return null;
  }
}

function onStopSignals(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ event: 'signal', signal }, `${signal}: stopping`);
    void stop().then(async () => {
      await flushLogger(log);
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => handler('SIGTERM'));
  process.on('SIGINT', () => handler('SIGINT'));
}

async function runSingle(config: SinkdConfig, overrides: CliOverrides, log: Logger): Promise<void> {
  const server = await started(log, () => SinkdServer.start(config, log));
  onStopSignals(log, () => server.stop());
  process.on('SIGHUP', () => {
    const next = reloadedConfig(overrides, log);
    if (next) void server.reload(next);
  });
}

/**
 * The primary: imports the lists, owns the admin listener and the embedded hit store, and
 * supervises the workers that answer DNS on the shared listeners.
 */
async function runPrimary(config: SinkdConfig, overrides: CliOverrides, log: Logger, count: number): Promise<void> {
  let server: SinkdServer | null = null;
  const supervisor = new WorkerSupervisor(count, log, {
    hits: (hits) => {
      for (const h of hits) server?.recorder?.record(h);
    },
    dropped: () => {},
  });
  // The workers start last, once the lists are imported and the admin listener is up; a worker
  // that fails to start stops the ones already forked.
  const workers = component(
    'workers',
    async () => {
      try {
        await supervisor.start();
      } catch (err) {
        await supervisor.stop(2000);
        throw err;
      }
      log.info(
        { event: 'workers-started', workers: count, pids: supervisor.pids, listeners: config.listen.map((e) => `${e.host}:${e.port}`) },
        `sinkd primary ${process.pid}: ${count} workers serving (pids ${supervisor.pids.join(', ')})`,
      );
    },
    () => supervisor.stop(10_000),
  );
  server = await started(log, () => SinkdServer.start(config, log, { role: 'primary', status: supervisor, extra: [workers] }));
  const primary = server;
  onStopSignals(log, () => primary.stop(0));
  process.on('SIGHUP', () => {
    const next = reloadedConfig(overrides, log);
    if (next === null) return;
    // Lists are imported here, once; every worker re-reads the (now validated) config itself.
    void primary.reload(next).then(() => supervisor.reload());
  });
}

/** A worker: answers on the listeners it shares with its siblings; told what to do by the primary. */
async function runWorker(config: SinkdConfig, overrides: CliOverrides, log: Logger): Promise<void> {
  const send = (m: FromWorker, done?: (err: Error | null) => void) => process.send!(m, undefined, {}, done);
  const hitStore = config.redis.url === '' ? new IpcHitStore((m, done) => send(m, done)) : undefined;
  const server = await started(log, () => SinkdServer.start(config, log, { role: 'worker', ...(hitStore ? { hitStore } : {}) }));
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.stop();
    await flushLogger(log);
    process.exit(0);
  };
  process.on('message', (m: unknown) => {
    if (!isToWorker(m)) return;
    if (m.t === 'status') send({ t: 'status', id: m.id, metrics: server.metrics(), readiness: server.readiness() });
    else if (m.t === 'reload') {
      const next = reloadedConfig(overrides, log);
      if (next) void server.reload(next);
    } else if (m.t === 'stop') void stop();
  });
  // A signal to the whole process group (systemd, Ctrl-C) reaches workers too; so does a dead primary.
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('SIGHUP', () => {});
  process.on('disconnect', () => void stop());
  send({ t: 'ready' });
}
