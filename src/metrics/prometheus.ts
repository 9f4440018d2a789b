// The Prometheus text exposition format (version 0.0.4) of metric families.

import type { Labels, MetricFamily } from './family.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Label values escaped as the format asks: backslash, double quote, newline. */
function escape(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(labels: Labels | undefined, extra?: [string, string]): string {
  const pairs = Object.entries(labels ?? {});
  if (extra) pairs.push(extra);
  return pairs.length === 0 ? '' : `{${pairs.map(([k, v]) => `${k}="${escape(v)}"`).join(',')}}`;
}

function num(v: number): string {
  return Number.isFinite(v) ? String(v) : '0';
}

export function renderPrometheus(families: readonly MetricFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) out.push(`${f.name}${labelText(s.labels)} ${num(s.value)}`);
    for (const h of f.histograms ?? []) {
      let cumulative = 0;
      h.data.bounds.forEach((b, i) => {
        cumulative += h.data.counts[i] ?? 0;
        out.push(`${f.name}_bucket${labelText(h.labels, ['le', String(b)])} ${cumulative}`);
      });
      out.push(`${f.name}_bucket${labelText(h.labels, ['le', '+Inf'])} ${h.data.count}`);
      out.push(`${f.name}_sum${labelText(h.labels)} ${num(h.data.sum)}`);
      out.push(`${f.name}_count${labelText(h.labels)} ${h.data.count}`);
    }
  }
  return out.join('\n') + '\n';
}
