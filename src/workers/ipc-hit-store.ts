// A worker's hit store when the hits live in the embedded store: the batches go to the primary,
// which owns the one hits file (several processes writing it would lose each other's data).
// Only what a HitRecorder calls is supported; reports are the primary's business.

import type { HitQuery, HitStore } from '../infected/hit-store.js';
import type { ClientRecord, Hit } from '../infected/model.js';
import type { FromWorker } from './messages.js';

export class IpcHitStore implements HitStore {
  readonly description = 'the primary process (embedded hit store)';

  constructor(private readonly send: (m: FromWorker, done: (err: Error | null) => void) => boolean) {}

  add(hits: readonly Hit[]): Promise<void> {
    return this.post({ t: 'hits', hits });
  }

  addDropped(count: number): Promise<void> {
    return this.post({ t: 'dropped', count });
  }

  clients(_query: HitQuery): Promise<ClientRecord[]> {
    return Promise.reject(new Error('a worker does not read hits; ask the primary'));
  }

  ack(): Promise<boolean> {
    return Promise.reject(new Error('a worker does not ack clients; ask the primary'));
  }

  dropped(): Promise<number> {
    return Promise.resolve(0);
  }

  async close(): Promise<void> {}

  /** Resolves once the message is handed to the channel; rejects (the recorder keeps the hits) if it cannot be. */
  private post(m: FromWorker): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        this.send(m, (err) => (err ? reject(err) : resolve()));
      } catch (err) {
        reject(err as Error);
      }
    });
  }
}
