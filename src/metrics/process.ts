// This process's own count of errors that no code handled: the last-resort guard
// (src/cli/process-guard.ts) logs each as internal-error, adds it here, and sinkd keeps running.

import { counter, type MetricFamily } from './family.js';

export const processCounts = { uncaught: 0 };

export function processMetrics(): MetricFamily[] {
  return [counter('sinkd_uncaught_errors_total', 'Errors caught by the last-resort process guard (logged as internal-error); sinkd kept running.', [{ value: processCounts.uncaught }])];
}
