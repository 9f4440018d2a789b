import { describe, expect, it } from 'vitest';
import { Histogram } from '../../src/metrics/histogram.js';
import { mergeSnapshots, type MetricsSnapshot } from '../../src/metrics/snapshot.js';
import { renderPrometheus } from '../../src/metrics/prometheus.js';

function snapshot(over: Partial<MetricsSnapshot> = {}): MetricsSnapshot {
  const h = new Histogram();
  h.observe(0.0004);
  h.observe(0.03);
  return {
    queries: { sinkholed: 5, cached: 30, forwarded: 10, stale: 0, servfail: 0, dropped: 1, errors: 0 },
    transports: { udp: 40, tcp: 6 },
    upstreams: [{ pool: 'resolver', latency: h.data, errors: 2, rejected: 1 }],
    cache: { entries: 10, bytes: 1000 },
    blocklist: { block: 100, allow: 2, version: 7 },
    store: { state: 'synced' },
    hits: { recorded: 5, dropped: 0, buffered: 1 },
    rrl: null,
    workers: 1,
    ...over,
  };
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

describe('mergeSnapshots', () => {
  it('adds the workers counters and caches, keeps the list size once, and reports the worst store state', () => {
    const m = mergeSnapshots([snapshot(), snapshot({ store: { state: 'degraded', reason: 'redis down' }, blocklist: { block: 100, allow: 2, version: 8 } })])!;
    expect(m.workers).toBe(2);
    expect(m.queries.sinkholed).toBe(10);
    expect(m.transports).toEqual({ udp: 80, tcp: 12 });
    expect(m.upstreams[0]!.latency.count).toBe(4);
    expect(m.upstreams[0]!.errors).toBe(4);
    expect(m.cache.entries).toBe(20);
    expect(m.blocklist).toEqual({ block: 100, allow: 2, version: 8 });
    expect(m.store).toEqual({ state: 'degraded', reason: 'redis down' });
    expect(m.hits!.recorded).toBe(10);
  });
  it('is null with no workers', () => {
    expect(mergeSnapshots([])).toBeNull();
  });
});

describe('renderPrometheus', () => {
  const text = renderPrometheus(snapshot());
  it('writes only HELP/TYPE comments and well-formed samples', () => {
    for (const line of text.trimEnd().split('\n')) {
      expect(line).toMatch(/^(# (HELP|TYPE) sinkd_\w+ .+|sinkd_\w+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? -?[\d.e+-]+)$/);
    }
  });
  it('adds up the records each worker\'s store skipped as invalid, and renders the counter', () => {
    const m = mergeSnapshots([snapshot({ store: { state: 'synced', invalidRecords: 2 } }), snapshot({ store: { state: 'degraded', reason: 'x', invalidRecords: 3 } })])!;
    expect(m.store).toEqual({ state: 'degraded', reason: 'x', invalidRecords: 5 });
    expect(renderPrometheus(m)).toContain('\nsinkd_store_invalid_records_total 5\n');
  });

  it('has queries by result kind, cumulative latency buckets, the hit ratio and the store state', () => {
    expect(text).toContain('sinkd_queries_total{result="sinkholed"} 5');
    expect(text).toContain('sinkd_queries_by_transport_total{transport="tcp"} 6');
    expect(text).toContain('sinkd_upstream_latency_seconds_bucket{pool="resolver",le="0.001"} 1');
    expect(text).toContain('sinkd_upstream_latency_seconds_bucket{pool="resolver",le="0.05"} 2');
    expect(text).toContain('sinkd_upstream_latency_seconds_bucket{pool="resolver",le="+Inf"} 2');
    expect(text).toContain('sinkd_cache_hit_ratio 0.75');
    expect(text).toContain('sinkd_store_state{state="synced"} 1');
    expect(text).toContain('sinkd_blocklist_rules{kind="block"} 100');
  });
});
