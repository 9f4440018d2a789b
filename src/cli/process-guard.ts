// The last-resort guard of a sinkd process (single, primary or worker): an exception or promise
// rejection that no code handled is logged as an `internal-error` event and counted
// (sinkd_uncaught_errors_total), and the process keeps running. One packet must never stop sinkd:
// the answering code guards its own sends and steps, so reaching this guard is a bug to fix, but
// a DNS server that exits on a bug hands whoever finds it a way to take it down, and for a seized
// zone that is anyone on the Internet. Node's default (print and exit) is what this replaces.

import type { Logger } from '../log/logger.js';
import { processCounts } from '../metrics/process.js';

/** At most this many guard lines a minute (a packet that reaches a bug may come a million times). */
const LINES_PER_MINUTE = 20;

export function installProcessGuard(log: Logger): void {
  let windowStart = 0;
  let logged = 0;
  let suppressed = 0;
  const caught = (origin: 'uncaughtException' | 'unhandledRejection') => (err: unknown) => {
    processCounts.uncaught++;
    const now = Date.now();
    if (now - windowStart >= 60_000) {
      if (suppressed > 0) {
        log.error({ event: 'internal-error', origin: 'process', suppressed }, `${suppressed} more uncaught errors in the last minute were counted but not logged`);
      }
      windowStart = now;
      logged = 0;
      suppressed = 0;
    }
    if (logged >= LINES_PER_MINUTE) {
      suppressed++;
      return;
    }
    logged++;
    try {
      log.error({ event: 'internal-error', origin, err }, `uncaught error (${origin}), sinkd keeps running: ${err instanceof Error ? err.message : String(err)}`);
    } catch {
      // Logging itself failed (stdout gone): the count above still shows it.
    }
  };
  process.on('uncaughtException', caught('uncaughtException'));
  process.on('unhandledRejection', caught('unhandledRejection'));
}
