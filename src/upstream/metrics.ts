// The upstream pools' figures: latency to an acceptable answer, failed exchanges, and replies
// refused by the RFC 5452 checks, per pool ("resolver", or "zone:<name>" for a seized zone).

import { counter, gauge, histogram, type MetricFamily } from '../metrics/family.js';
import type { InflightLimit } from './inflight-limit.js';
import type { UpstreamPool } from './upstream-pool.js';

export interface NamedPool {
  readonly pool: string;
  readonly upstreams: UpstreamPool;
}

export function upstreamMetrics(pools: readonly NamedPool[]): MetricFamily[] {
  const labels = (p: NamedPool) => ({ pool: p.pool });
  return [
    histogram(
      'sinkd_upstream_latency_seconds',
      "Time to an acceptable answer from an upstream (or a seized zone's original server).",
      pools.map((p) => ({ labels: labels(p), data: structuredClone(p.upstreams.latency.data) })),
    ),
    counter('sinkd_upstream_errors_total', 'Upstream exchanges that failed (timeout, network error, SERVFAIL, REFUSED).', pools.map((p) => ({ labels: labels(p), value: p.upstreams.errors }))),
    counter(
      'sinkd_upstream_rejected_replies_total',
      'Upstream replies rejected by the RFC 5452 checks (wrong ID, question or source): spoofing attempts.',
      pools.map((p) => ({ labels: labels(p), value: p.upstreams.stats.rejected })),
    ),
  ];
}

/** The budget of upstream queries in flight (upstream.maxInflight, maxInflightPerClient). */
export function inflightMetrics(inflight: InflightLimit): MetricFamily[] {
  return [
    gauge('sinkd_upstream_inflight', 'Upstream queries in flight now.', [{ value: inflight.inflight }]),
    counter(
      'sinkd_upstream_inflight_limited_total',
      'Queries answered SERVFAIL because too many upstream queries were in flight, by the limit hit (upstream.maxInflight, upstream.maxInflightPerClient).',
      [
        { labels: { limit: 'global' }, value: inflight.limited.global },
        { labels: { limit: 'client' }, value: inflight.limited.client },
      ],
    ),
  ];
}
