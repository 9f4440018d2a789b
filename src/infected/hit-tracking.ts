// Infected-host tracking as a component: the hit store (embedded, Redis, or a worker's channel
// to its primary) and the recorder that buffers hits in front of it. It owns the hit log events
// (hits-dropped, hit-store-down, hit-store-up) and the hit metrics.

import type { SinkdConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { Component, Health } from '../lifecycle/component.js';
import { counter, gauge, type MetricFamily } from '../metrics/family.js';
import { HitRecorder } from './hit-recorder.js';
import type { HitStore } from './hit-store.js';
import type { Hit } from './model.js';

/** Most hits per store write. */
const MAX_BATCH = 10_000;

export class HitTracking implements Component {
  readonly name = 'hits';
  private opened: HitStore | null = null;
  private rec: HitRecorder | null = null;
  private failing: string | null = null;

  /**
   * `open`: the store is opened when the component starts, after the blocklist's store: a data
   * directory this process cannot write is reported once, by the blocklist store, naming it.
   */
  constructor(
    private readonly open: () => HitStore,
    private readonly settings: SinkdConfig['infected'],
    private readonly log: Logger,
  ) {}

  /** Null until started. */
  get store(): HitStore | null {
    return this.opened;
  }

  /** Null until started. */
  get recorder(): HitRecorder | null {
    return this.rec;
  }

  async start(): Promise<void> {
    const { settings, log } = this;
    const store = this.open();
    this.opened = store;
    this.rec = new HitRecorder(
      store,
      { maxBuffered: settings.bufferHits, flushIntervalMs: settings.flushIntervalMs, maxBatch: MAX_BATCH },
      {
        dropped: (count, total) =>
          log.warn({ event: 'hits-dropped', count, total }, `dropped ${count} sinkhole hits (${total} in all): the hit buffer was full while the hit store was unreachable`),
        storeFailed: (reason) => {
          this.failing = reason;
          log.warn({ event: 'hit-store-down', store: store.description, reason }, `cannot record hits in ${store.description}: ${reason}; buffering (newest ${settings.bufferHits} kept)`);
        },
        storeRecovered: () => {
          this.failing = null;
          log.info({ event: 'hit-store-up', store: store.description }, `recording hits in ${store.description} again`);
        },
      },
    );
    this.rec.start();
  }

  async stop(): Promise<void> {
    await this.rec?.stop();
    await this.opened?.close().catch(() => {});
  }

  health(): Health {
    return this.failing === null ? { state: 'ok' } : { state: 'degraded', reason: `hit store ${this.opened?.description}: ${this.failing}` };
  }

  record(hit: Hit): void {
    this.rec?.record(hit);
  }

  metrics(): MetricFamily[] {
    const r = this.rec;
    return [
      counter('sinkd_hits_recorded_total', 'Sinkhole hits handed to the infected-host recorder.', [{ value: r?.stats.recorded ?? 0 }]),
      counter('sinkd_hits_dropped_total', 'Sinkhole hits dropped because the buffer was full while the hit store was down.', [{ value: r?.stats.dropped ?? 0 }]),
      gauge('sinkd_hits_buffered', 'Sinkhole hits waiting to be written to the hit store.', [{ value: r?.buffered ?? 0 }]),
    ];
  }
}
