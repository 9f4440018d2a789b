// The process logger: pino writing JSON lines to stdout through an async buffered destination, so
// a burst of sinkhole lines costs the hot path a string build, not a write syscall each. A timer
// flushes the buffer so a quiet server's lines still appear within FLUSH_INTERVAL_MS.

import pino, { type Logger } from 'pino';

export type { Logger };

const FLUSH_INTERVAL_MS = 250;

export function createLogger(level: string, dest: number | string = 1): Logger {
  const destination = pino.destination({ dest, sync: false, minLength: 4096 });
  const timer = setInterval(() => {
    try {
      destination.flush();
    } catch {
      // Flushing while a write is in progress throws; the next tick will catch up.
    }
  }, FLUSH_INTERVAL_MS);
  timer.unref();
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** Writes out what is buffered; call before exiting. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}
