import { describe, expect, it } from 'vitest';
import { Histogram } from '../../src/metrics/histogram.js';
import { counter, gauge, histogram, mergeFamilies, MetricsRegistry, type MetricFamily } from '../../src/metrics/family.js';
import { renderPrometheus } from '../../src/metrics/prometheus.js';
import { cacheHitRatio } from '../../src/cache/metrics.js';
import { listenerMetrics } from '../../src/server/listener-counts.js';
import { processCounts, processMetrics } from '../../src/metrics/process.js';
import { InflightLimit } from '../../src/upstream/inflight-limit.js';
import { inflightMetrics } from '../../src/upstream/metrics.js';

/** One worker's families, shaped like a running process's. */
function families(over: { sinkholed?: number; state?: string; version?: number } = {}): MetricFamily[] {
  const h = new Histogram();
  h.observe(0.0004);
  h.observe(0.03);
  return [
    counter('sinkd_queries_total', 'Queries answered.', [
      { labels: { result: 'sinkholed' }, value: over.sinkholed ?? 5 },
      { labels: { result: 'cached' }, value: 30 },
      { labels: { result: 'forwarded' }, value: 10 },
    ]),
    counter('sinkd_queries_by_transport_total', 'By transport.', [
      { labels: { transport: 'udp' }, value: 40 },
      { labels: { transport: 'tcp' }, value: 6 },
    ]),
    histogram('sinkd_upstream_latency_seconds', 'Latency.', [{ labels: { pool: 'resolver' }, data: h.data }]),
    gauge('sinkd_cache_entries', 'Entries.', [{ value: 10 }]),
    gauge('sinkd_blocklist_version', 'Version.', [{ value: over.version ?? 7 }], 'max'),
    gauge(
      'sinkd_store_state',
      'State.',
      ['synced', 'degraded'].map((s) => ({ labels: { state: s }, value: (over.state ?? 'synced') === s ? 1 : 0 })),
      'max',
    ),
    gauge('sinkd_workers', 'Workers.', [{ value: 1 }]),
  ];
}

function value(fs: readonly MetricFamily[], name: string, labels?: Record<string, string>): number | undefined {
  const f = fs.find((x) => x.name === name);
  return f?.samples.find((s) => JSON.stringify(s.labels ?? {}) === JSON.stringify(labels ?? {}))?.value;
}

describe('Histogram', () => {
  it('puts each observation in the first bucket whose bound holds it; larger ones only in the count', () => {
    const h = new Histogram([0.01, 0.1]);
    for (const s of [0.005, 0.01, 0.05, 3]) h.observe(s);
    expect(h.data.counts).toEqual([2, 1]);
    expect(h.data.count).toBe(4);
    expect(h.data.sum).toBeCloseTo(3.065);
  });
});

describe('mergeFamilies', () => {
  it("adds the workers' counters, caches and histograms, keeps what every worker holds once (max), and counts the workers", () => {
    const m = mergeFamilies([families(), families({ sinkholed: 7, state: 'degraded', version: 8 })]);
    expect(value(m, 'sinkd_queries_total', { result: 'sinkholed' })).toBe(12);
    expect(value(m, 'sinkd_queries_by_transport_total', { transport: 'tcp' })).toBe(12);
    expect(m.find((f) => f.name === 'sinkd_upstream_latency_seconds')!.histograms![0]!.data.count).toBe(4);
    expect(value(m, 'sinkd_cache_entries')).toBe(20);
    expect(value(m, 'sinkd_blocklist_version')).toBe(8);
    expect(value(m, 'sinkd_store_state', { state: 'degraded' })).toBe(1);
    expect(value(m, 'sinkd_workers')).toBe(2);
  });
  it('does not change the parts it adds up', () => {
    const a = families();
    mergeFamilies([a, families()]);
    expect(value(a, 'sinkd_queries_total', { result: 'sinkholed' })).toBe(5);
    expect(a.find((f) => f.name === 'sinkd_upstream_latency_seconds')!.histograms![0]!.data.count).toBe(2);
  });
});

describe('MetricsRegistry', () => {
  it("collects every registered component's families at read time", () => {
    const r = new MetricsRegistry();
    let n = 0;
    r.add(() => [counter('sinkd_a_total', 'A.', [{ value: n }])]);
    r.add(() => [gauge('sinkd_b', 'B.', [{ value: 2 }])]);
    n = 3;
    expect(r.collect().map((f) => [f.name, f.samples[0]!.value])).toEqual([
      ['sinkd_a_total', 3],
      ['sinkd_b', 2],
    ]);
  });
});

describe('renderPrometheus', () => {
  const fs = families();
  const text = renderPrometheus([...fs, cacheHitRatio(fs)]);
  it('writes only HELP/TYPE comments and well-formed samples', () => {
    for (const line of text.trimEnd().split('\n')) {
      expect(line).toMatch(/^(# (HELP|TYPE) sinkd_\w+ .+|sinkd_\w+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? -?[\d.e+-]+)$/);
    }
  });
  it('has queries by result kind, cumulative latency buckets, the hit ratio and the store state', () => {
    expect(text).toContain('sinkd_queries_total{result="sinkholed"} 5');
    expect(text).toContain('sinkd_queries_by_transport_total{transport="tcp"} 6');
    expect(text).toContain('sinkd_upstream_latency_seconds_bucket{pool="resolver",le="0.001"} 1');
    expect(text).toContain('sinkd_upstream_latency_seconds_bucket{pool="resolver",le="0.05"} 2');
    expect(text).toContain('sinkd_upstream_latency_seconds_bucket{pool="resolver",le="+Inf"} 2');
    expect(text).toContain('sinkd_cache_hit_ratio 0.75');
    expect(text).toContain('sinkd_store_state{state="synced"} 1');
  });
  it('escapes label values', () => {
    expect(renderPrometheus([gauge('sinkd_x', 'X.', [{ labels: { pool: 'a"b\\c\nd' }, value: 1 }])])).toContain('sinkd_x{pool="a\\"b\\\\c\\nd"} 1');
  });
});

describe('guard counters (hostile input)', () => {
  const counts = () => ({ sendFailed: 1, tcpRefused: { address: 2, prefix: 3, full: 4 }, tcpReclaimed: 5 });
  it('add up over the workers', () => {
    const m = mergeFamilies([listenerMetrics(counts()), listenerMetrics(counts())]);
    expect(value(m, 'sinkd_send_failures_total')).toBe(2);
    expect(value(m, 'sinkd_tcp_connections_refused_total', { reason: 'full' })).toBe(8);
  });
  it('are rendered, each with its labels', () => {
    processCounts.uncaught = 6;
    const inflight = new InflightLimit({ maxInflight: 10, maxInflightPerClient: 5 });
    inflight.limited.global = 8;
    inflight.limited.client = 9;
    const text = renderPrometheus([...processMetrics(), ...listenerMetrics(counts()), ...inflightMetrics(inflight)]);
    processCounts.uncaught = 0;
    for (const line of [
      'sinkd_uncaught_errors_total 6',
      'sinkd_send_failures_total 1',
      'sinkd_upstream_inflight 0',
      'sinkd_upstream_inflight_limited_total{limit="global"} 8',
      'sinkd_upstream_inflight_limited_total{limit="client"} 9',
      'sinkd_tcp_connections_refused_total{reason="address"} 2',
      'sinkd_tcp_connections_refused_total{reason="prefix"} 3',
      'sinkd_tcp_connections_refused_total{reason="full"} 4',
      'sinkd_tcp_connections_reclaimed_total 5',
    ]) {
      expect(text).toContain(`\n${line}\n`);
    }
  });
});
