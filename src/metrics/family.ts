// What /metrics is made of, as plain data: metric families, each owned by the component that
// counts it (a component exposes a collector; adding a metric is one edit in that component's
// metrics file). Plain data so that a worker can send its families to the primary over IPC,
// and the primary can add them up (mergeFamilies) before rendering (prometheus.ts).

import { addHistogram, type HistogramData } from './histogram.js';

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  readonly labels?: Labels;
  readonly value: number;
}

export interface HistogramSample {
  readonly labels?: Labels;
  readonly data: HistogramData;
}

export interface MetricFamily {
  /** Prometheus name, `sinkd_` prefixed. */
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  /**
   * How the workers' values add up to the node's: 'sum' for counters and per-process amounts
   * (cache entries), 'max' for what every worker holds the same copy of (the list size).
   */
  readonly merge: 'sum' | 'max';
  readonly samples: readonly Sample[];
  readonly histograms?: readonly HistogramSample[];
}

/** A component's figures, read when /metrics is asked (never on the query path). */
export type Collector = () => readonly MetricFamily[];

export function counter(name: string, help: string, samples: readonly Sample[]): MetricFamily {
  return { name, help, type: 'counter', merge: 'sum', samples };
}

export function gauge(name: string, help: string, samples: readonly Sample[], merge: 'sum' | 'max' = 'sum'): MetricFamily {
  return { name, help, type: 'gauge', merge, samples };
}

export function histogram(name: string, help: string, histograms: readonly HistogramSample[]): MetricFamily {
  return { name, help, type: 'histogram', merge: 'sum', samples: [], histograms };
}

/** Samples from a record of counts: `{udp: 3}` → `[{labels: {transport: 'udp'}, value: 3}]`. */
export function byLabel(label: string, counts: Readonly<Record<string, number>>): Sample[] {
  return Object.entries(counts).map(([k, value]) => ({ labels: { [label]: k }, value }));
}

/** The collectors of one process, in registration order. */
export class MetricsRegistry {
  private readonly collectors: Collector[] = [];

  add(collector: Collector): void {
    this.collectors.push(collector);
  }

  collect(): MetricFamily[] {
    return this.collectors.flatMap((c) => c());
  }
}

function labelKey(labels: Labels | undefined): string {
  return labels === undefined ? '' : JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The node's families from its processes': same name and labels add up (or take the max), by each family's rule. */
export function mergeFamilies(parts: readonly (readonly MetricFamily[])[]): MetricFamily[] {
  const out = new Map<string, { family: MetricFamily; samples: Map<string, Sample>; histograms: Map<string, HistogramSample> }>();
  for (const part of parts) {
    for (const f of part) {
      let acc = out.get(f.name);
      if (acc === undefined) {
        acc = { family: f, samples: new Map(), histograms: new Map() };
        out.set(f.name, acc);
      }
      for (const s of f.samples) {
        const key = labelKey(s.labels);
        const mine = acc.samples.get(key);
        const value = mine === undefined ? s.value : f.merge === 'max' ? Math.max(mine.value, s.value) : mine.value + s.value;
        acc.samples.set(key, { ...s, value });
      }
      for (const h of f.histograms ?? []) {
        const key = labelKey(h.labels);
        const mine = acc.histograms.get(key);
        if (mine === undefined) acc.histograms.set(key, structuredClone(h));
        else addHistogram(mine.data, h.data);
      }
    }
  }
  return [...out.values()].map(({ family, samples, histograms }) => ({
    ...family,
    samples: [...samples.values()],
    ...(family.histograms ? { histograms: [...histograms.values()] } : {}),
  }));
}
