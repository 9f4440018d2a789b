// A fixed-bucket latency histogram in Prometheus' shape (cumulative buckets, sum, count), cheap
// enough to update on every upstream exchange: a short linear scan over a dozen bounds.

/** Upper bounds in seconds: 1 ms to 5 s, what an upstream DNS exchange can take. */
export const LATENCY_BOUNDS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

export interface HistogramData {
  /** Upper bounds, seconds (the +Inf bucket is `count`). */
  readonly bounds: readonly number[];
  /** Observations <= bounds[i] (not cumulative here; the renderer accumulates). */
  readonly counts: number[];
  sum: number;
  count: number;
}

export class Histogram {
  readonly data: HistogramData;

  constructor(bounds: readonly number[] = LATENCY_BOUNDS_S) {
    this.data = { bounds: [...bounds], counts: bounds.map(() => 0), sum: 0, count: 0 };
  }

  observe(seconds: number): void {
    const d = this.data;
    d.sum += seconds;
    d.count++;
    for (let i = 0; i < d.bounds.length; i++) {
      if (seconds <= d.bounds[i]!) {
        d.counts[i]!++;
        return;
      }
    }
  }
}

/** Adds `b` into `a` (same bounds); for summing the workers' histograms. */
export function addHistogram(a: HistogramData, b: HistogramData): void {
  for (let i = 0; i < a.counts.length; i++) a.counts[i]! += b.counts[i] ?? 0;
  a.sum += b.sum;
  a.count += b.count;
}
