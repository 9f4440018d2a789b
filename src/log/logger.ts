// The process logger: pino writing JSON lines to stdout through an async buffered destination, so
// a burst of sinkhole lines costs the hot path a string build, not a write syscall each.

import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, dest: number | string = 1): Logger {
  const destination = pino.destination({ dest, sync: false, minLength: 4096 });
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** Writes out what is buffered; call before exiting. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}
