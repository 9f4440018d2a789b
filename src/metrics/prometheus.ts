// The Prometheus text exposition format (version 0.0.4) of a MetricsSnapshot.

import type { MetricsSnapshot } from './snapshot.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Label values escaped as the format asks: backslash, double quote, newline. */
function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function renderPrometheus(m: MetricsSnapshot): string {
  const out: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge' | 'histogram', help: string, rows: [string, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of rows) out.push(`${name}${labels} ${Number.isFinite(value) ? value : 0}`);
  };
  const kinds = Object.entries(m.queries).filter(([k]) => k !== 'dropped' && k !== 'errors');
  metric('sinkd_queries_total', 'counter', 'Queries answered, by how: sinkholed, cached, forwarded, stale, refused, servfail, authoritative, local, ratelimited, formerr, notimp.',
    kinds.map(([k, v]) => [`{result="${label(k)}"}`, v]));
  metric('sinkd_queries_dropped_total', 'counter', 'Packets not answered: runts and responses sent to sinkd.', [['', m.queries.dropped ?? 0]]);
  metric('sinkd_internal_errors_total', 'counter', 'Queries that hit an internal error (answered SERVFAIL).', [['', m.queries.errors ?? 0]]);
  metric('sinkd_queries_by_transport_total', 'counter', 'Queries received, by transport.', Object.entries(m.transports).map(([k, v]) => [`{transport="${label(k)}"}`, v]));

  out.push('# HELP sinkd_upstream_latency_seconds Time to an acceptable answer from an upstream (or a seized zone\'s original server).', '# TYPE sinkd_upstream_latency_seconds histogram');
  for (const u of m.upstreams) {
    const pool = label(u.pool);
    let cumulative = 0;
    u.latency.bounds.forEach((b, i) => {
      cumulative += u.latency.counts[i] ?? 0;
      out.push(`sinkd_upstream_latency_seconds_bucket{pool="${pool}",le="${b}"} ${cumulative}`);
    });
    out.push(`sinkd_upstream_latency_seconds_bucket{pool="${pool}",le="+Inf"} ${u.latency.count}`);
    out.push(`sinkd_upstream_latency_seconds_sum{pool="${pool}"} ${u.latency.sum}`);
    out.push(`sinkd_upstream_latency_seconds_count{pool="${pool}"} ${u.latency.count}`);
  }
  metric('sinkd_upstream_errors_total', 'counter', 'Upstream exchanges that failed (timeout, network error, SERVFAIL, REFUSED).', m.upstreams.map((u) => [`{pool="${label(u.pool)}"}`, u.errors]));
  metric('sinkd_upstream_rejected_replies_total', 'counter', 'Upstream replies rejected by the RFC 5452 checks (wrong ID, question or source): spoofing attempts.', m.upstreams.map((u) => [`{pool="${label(u.pool)}"}`, u.rejected]));

  metric('sinkd_cache_entries', 'gauge', 'Answers in the cache (all workers).', [['', m.cache.entries]]);
  metric('sinkd_cache_bytes', 'gauge', 'Bytes the cache accounts for (all workers).', [['', m.cache.bytes]]);
  const cached = m.queries.cached ?? 0;
  const missed = (m.queries.forwarded ?? 0) + (m.queries.stale ?? 0) + (m.queries.servfail ?? 0);
  metric('sinkd_cache_hit_ratio', 'gauge', 'cached / (cached + forwarded + stale + servfail) since start.', [['', cached + missed === 0 ? 0 : cached / (cached + missed)]]);

  metric('sinkd_blocklist_rules', 'gauge', 'Rules in the in-memory blocklist.', [['{kind="block"}', m.blocklist.block], ['{kind="allow"}', m.blocklist.allow]]);
  metric('sinkd_blocklist_version', 'gauge', 'Store version of the blocklist served (the change feed position).', [['', m.blocklist.version]]);
  metric('sinkd_store_state', 'gauge', '1 for the blocklist store\'s current state (synced, starting, degraded).',
    (['synced', 'starting', 'degraded', 'stopped'] as const).map((s) => [`{state="${s}"}`, m.store.state === s ? 1 : 0]));
  metric('sinkd_store_invalid_records_total', 'counter', 'Records read from the blocklist store that are not valid entries (skipped).', [['', m.store.invalidRecords ?? 0]]);
  if (m.hits) {
    metric('sinkd_hits_recorded_total', 'counter', 'Sinkhole hits handed to the infected-host recorder.', [['', m.hits.recorded]]);
    metric('sinkd_hits_dropped_total', 'counter', 'Sinkhole hits dropped because the buffer was full while the hit store was down.', [['', m.hits.dropped]]);
    metric('sinkd_hits_buffered', 'gauge', 'Sinkhole hits waiting to be written to the hit store.', [['', m.hits.buffered]]);
  }
  if (m.rrl) {
    metric('sinkd_rrl_responses_total', 'counter', 'Seized-zone answers over UDP by rate-limit verdict.', [['{verdict="sent"}', m.rrl.sent], ['{verdict="slipped"}', m.rrl.slipped], ['{verdict="dropped"}', m.rrl.dropped]]);
  }
  metric('sinkd_workers', 'gauge', 'Worker processes serving DNS.', [['', m.workers]]);
  return out.join('\n') + '\n';
}
