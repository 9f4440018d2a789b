// The process logger: pino writing JSON lines to stdout through an async buffered destination, so
// a burst of sinkhole lines costs the hot path a string build, not a write syscall each. A timer
// flushes the buffer so a quiet server's lines still appear within FLUSH_INTERVAL_MS. Every line
// leaves as one line for any reader: see escapeLineBreakers.

import pino, { type Logger } from 'pino';

export type { Logger };

const FLUSH_INTERVAL_MS = 250;

// DEL, the C1 controls (U+0085 NEL among them: a query name read as latin1 carries it for the
// octet 0x85) and U+2028/U+2029 end a line for many line-splitting readers (Python's splitlines,
// log shippers), while JSON.stringify, and so pino, writes them raw. JSON's own syntax is ASCII,
// so in a JSON line they can only sit inside strings, where \uXXXX means the same character.
const LINE_BREAKER = /[\u007f-\u009f\u2028\u2029]/;
const LINE_BREAKERS = /[\u007f-\u009f\u2028\u2029]/g;

/** JSON text with every character a line-splitting reader might break on written as a \uXXXX escape. */
export function escapeLineBreakers(json: string): string {
  if (!LINE_BREAKER.test(json)) return json;
  return json.replace(LINE_BREAKERS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function createLogger(level: string, dest: number | string = 1): Logger {
  const destination = pino.destination({ dest, sync: false, minLength: 4096 });
  // Every line goes through here: pino's own and the sinkhole log's (which writes to this stream).
  const write = destination.write.bind(destination);
  destination.write = (chunk: string) => write(escapeLineBreakers(chunk));
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
