// The query handler's figures: answers by result kind, packets not answered, internal errors,
// and queries by transport.

import { byLabel, counter, type MetricFamily } from '../metrics/family.js';
import type { QueryHandler } from './query-handler.js';
import { listenerMetrics } from './listener-counts.js';

export function queryMetrics(handler: QueryHandler): MetricFamily[] {
  const { dropped, errors, ...results } = handler.counts;
  return [
    counter('sinkd_queries_total', 'Queries answered, by how: sinkholed, cached, forwarded, stale, refused, servfail, authoritative, local, ratelimited, formerr, notimp.', byLabel('result', results)),
    counter('sinkd_queries_dropped_total', 'Packets not answered: runts, responses sent to sinkd, and UDP datagrams from source port 0.', [{ value: dropped }]),
    counter('sinkd_internal_errors_total', 'Queries that hit an internal error (answered SERVFAIL).', [{ value: errors }]),
    counter('sinkd_queries_by_transport_total', 'Queries received, by transport.', byLabel('transport', handler.transports)),
    ...listenerMetrics(handler.listenerCounts),
  ];
}
