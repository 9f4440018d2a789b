// The answer caches' figures, and the hit ratio, which is derived from the query counts of the
// whole node (so it is computed after the workers' figures are added up, never per worker).

import { gauge, type MetricFamily } from '../metrics/family.js';
import type { AnswerCache } from './answer-cache.js';

export function cacheMetrics(caches: readonly AnswerCache[]): MetricFamily[] {
  return [
    gauge('sinkd_cache_entries', 'Answers in the cache (all workers).', [{ value: caches.reduce((n, c) => n + c.size, 0) }]),
    gauge('sinkd_cache_bytes', 'Bytes the cache accounts for (all workers).', [{ value: caches.reduce((n, c) => n + c.bytes, 0) }]),
  ];
}

/** cached / (cached + forwarded + stale + servfail), from sinkd_queries_total. */
export function cacheHitRatio(families: readonly MetricFamily[]): MetricFamily {
  const queries = families.find((f) => f.name === 'sinkd_queries_total');
  const count = (result: string) => queries?.samples.find((s) => s.labels?.result === result)?.value ?? 0;
  const cached = count('cached');
  const missed = count('forwarded') + count('stale') + count('servfail');
  return gauge('sinkd_cache_hit_ratio', 'cached / (cached + forwarded + stale + servfail) since start.', [{ value: cached + missed === 0 ? 0 : cached / (cached + missed) }]);
}
