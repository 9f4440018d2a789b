// Records sinkhole hits without ever slowing or blocking the DNS answer: record() appends to a
// bounded in-memory buffer and returns; a timer flushes it to the hit store in batches. While
// the store is slow or down the buffer keeps the NEWEST hits up to its bound and counts every
// hit it had to drop, so nothing is lost silently and memory stays bounded.

import type { Hit } from './model.js';
import type { HitStore } from './hit-store.js';
import { HitRing } from './hit-ring.js';

export interface RecorderSettings {
  /** Most hits held while the store is unreachable. */
  readonly maxBuffered: number;
  readonly flushIntervalMs: number;
  /** Most hits per store write. */
  readonly maxBatch: number;
}

export interface RecorderEvents {
  /** Hits were dropped (buffer full); called at most once per `reportEveryMs` with the count since the last call. */
  dropped(count: number, total: number): void;
  storeFailed(reason: string): void;
  storeRecovered(): void;
}

export interface RecorderStats {
  recorded: number;
  flushed: number;
  dropped: number;
}

const DROP_REPORT_EVERY_MS = 60_000;

export class HitRecorder {
  readonly stats: RecorderStats = { recorded: 0, flushed: 0, dropped: 0 };
  private readonly buffer: HitRing;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private failing = false;
  private droppedUnreported = 0;
  private droppedUnstored = 0;
  private lastDropReport = 0;

  constructor(
    private readonly store: HitStore,
    private readonly settings: RecorderSettings,
    private readonly events: RecorderEvents,
  ) {
    this.buffer = new HitRing(settings.maxBuffered);
  }

  get buffered(): number {
    return this.buffer.length;
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.settings.flushIntervalMs);
    this.timer.unref();
  }

  /** O(1); never throws, never waits. When full, the oldest hit makes room: an ongoing
   * infection is what a responder needs to see. */
  record(hit: Hit): void {
    this.stats.recorded++;
    if (this.buffer.push(hit)) this.noteDropped(1);
  }

  /** Writes what is buffered (in batches); resolves when done or when the store failed. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.drain().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
    this.reportDropped(true);
  }

  private async drain(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.take(this.settings.maxBatch);
      try {
        await this.store.add(batch);
        this.stats.flushed += batch.length;
        if (this.droppedUnstored > 0) {
          await this.store.addDropped(this.droppedUnstored);
          this.droppedUnstored = 0;
        }
        if (this.failing) {
          this.failing = false;
          this.events.storeRecovered();
        }
      } catch (err) {
        // Put the batch back in front of newer hits, within the bound.
        const lost = this.buffer.unshift(batch);
        if (lost > 0) this.noteDropped(lost);
        if (!this.failing) {
          this.failing = true;
          this.events.storeFailed((err as Error).message);
        }
        this.reportDropped(false);
        return;
      }
    }
    this.reportDropped(false);
  }

  private noteDropped(n: number): void {
    this.stats.dropped += n;
    this.droppedUnreported += n;
    this.droppedUnstored += n;
  }

  private reportDropped(force: boolean): void {
    if (this.droppedUnreported === 0) return;
    const now = Date.now();
    if (!force && now - this.lastDropReport < DROP_REPORT_EVERY_MS && this.lastDropReport !== 0) return;
    this.events.dropped(this.droppedUnreported, this.stats.dropped);
    this.droppedUnreported = 0;
    this.lastDropReport = now;
  }
}
