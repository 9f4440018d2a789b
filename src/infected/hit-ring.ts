// A fixed-capacity FIFO of hits: push drops the oldest when full (returns true then), so the
// hot path never copies or grows anything.

import type { Hit } from './model.js';

export class HitRing {
  private readonly slots: (Hit | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.slots = new Array<Hit | undefined>(capacity);
  }

  get length(): number {
    return this.count;
  }

  /** Appends; when full the oldest hit is overwritten and true is returned. */
  push(hit: Hit): boolean {
    const full = this.count === this.capacity;
    this.slots[(this.head + this.count) % this.capacity] = hit;
    if (full) this.head = (this.head + 1) % this.capacity;
    else this.count++;
    return full;
  }

  /** Removes and returns up to `n` of the oldest hits. */
  take(n: number): Hit[] {
    const k = Math.min(n, this.count);
    const out = new Array<Hit>(k);
    for (let i = 0; i < k; i++) {
      const idx = (this.head + i) % this.capacity;
      out[i] = this.slots[idx]!;
      this.slots[idx] = undefined;
    }
    this.head = (this.head + k) % this.capacity;
    this.count -= k;
    return out;
  }

  /** Puts hits back in front of newer ones, as many as fit; returns how many did not. */
  unshift(hits: readonly Hit[]): number {
    const fit = Math.min(hits.length, this.capacity - this.count);
    // The newest of the returned hits are kept: they are closer to what is happening now.
    for (let i = hits.length - 1; i >= hits.length - fit; i--) {
      this.head = (this.head - 1 + this.capacity) % this.capacity;
      this.slots[this.head] = hits[i];
      this.count++;
    }
    return hits.length - fit;
  }
}
