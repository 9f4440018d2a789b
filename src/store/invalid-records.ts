// Owns what a serving node does with the records its store skipped as invalid (entry-check.ts):
// counts them for /metrics (sinkd_store_invalid_records_total) and logs them as
// `store-record-invalid`, at most LOG_PER_MINUTE lines a minute, the rest counted in one line,
// so a store full of bad records cannot flood the log.

import type { Logger } from '../log/logger.js';
import type { InvalidRecord } from './blocklist-store.js';

const LOG_PER_MINUTE = 20;

export class InvalidRecordLog {
  /** Every record skipped since start. */
  total = 0;
  private windowStart = 0;
  private inWindow = 0;
  private unlogged = 0;

  constructor(
    private readonly log: Logger,
    private readonly store: string,
    private readonly now: () => number = Date.now,
  ) {}

  note(r: InvalidRecord): void {
    this.total++;
    const t = this.now();
    if (t - this.windowStart >= 60_000) {
      if (this.unlogged > 0) {
        this.log.warn({ event: 'store-record-invalid', store: this.store, more: this.unlogged }, `${this.unlogged} more invalid records in ${this.store} skipped in the last minute`);
      }
      this.windowStart = t;
      this.inWindow = 0;
      this.unlogged = 0;
    }
    if (this.inWindow >= LOG_PER_MINUTE) {
      this.unlogged++;
      return;
    }
    this.inWindow++;
    this.log.warn(
      { event: 'store-record-invalid', store: this.store, where: r.where, reason: r.reason, ...(r.key !== undefined ? { key: r.key } : {}) },
      `skipped an invalid record in ${this.store} (${r.where}${r.key !== undefined ? `, ${r.key}` : ''}): ${r.reason}`,
    );
  }
}
