// One sample's value from a process's metric families (what /metrics would show for it).
import type { MetricFamily } from '../../src/metrics/family.js';

export function metricValue(families: readonly MetricFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.find((x) => x.name === name);
  return f?.samples.find((s) => JSON.stringify(s.labels ?? {}) === JSON.stringify(labels))?.value;
}
