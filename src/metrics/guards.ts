// Counters of sinkd's defences against hostile input: what the listeners, the upstream budget and
// the process's last-resort guard refused, reclaimed or survived. Plain data like the rest of a
// MetricsSnapshot; added up over the workers and rendered for /metrics here, in one place.

/** What the DNS listeners count (kept by the QueryHandler they share). */
export interface ListenerCounts {
  /** Replies that could not be sent (a client address no reply can go to, a socket closed meanwhile). */
  sendFailed: number;
  /** TCP connections refused: one address or one /24 (/56) over its share, or every slot busy. */
  tcpRefused: { address: number; prefix: number; full: number };
  /** Idle TCP connections closed to make room for a new one when every slot was taken. */
  tcpReclaimed: number;
}

export interface GuardCounts extends ListenerCounts {
  /** Errors caught by the process's last-resort guard (logged as internal-error; sinkd kept running). */
  uncaught: number;
  /** Upstream queries in flight now (a gauge). */
  inflight: number;
  /** Forwarded queries answered SERVFAIL because too many were in flight (in all, or for one client). */
  inflightLimited: { global: number; client: number };
}

/** This process's count for GuardCounts.uncaught; the last-resort guard (src/cli/process-guard.ts) adds to it. */
export const processCounts = { uncaught: 0 };

export function newListenerCounts(): ListenerCounts {
  return { sendFailed: 0, tcpRefused: { address: 0, prefix: 0, full: 0 }, tcpReclaimed: 0 };
}

/** Adds `b` into `a` (the workers' figures into the node's). */
export function addGuardCounts(a: GuardCounts, b: GuardCounts): void {
  a.sendFailed += b.sendFailed;
  a.tcpRefused.address += b.tcpRefused.address;
  a.tcpRefused.prefix += b.tcpRefused.prefix;
  a.tcpRefused.full += b.tcpRefused.full;
  a.tcpReclaimed += b.tcpReclaimed;
  a.uncaught += b.uncaught;
  a.inflight += b.inflight;
  a.inflightLimited.global += b.inflightLimited.global;
  a.inflightLimited.client += b.inflightLimited.client;
}

type Metric = (name: string, type: 'counter' | 'gauge', help: string, rows: [string, number][]) => void;

export function renderGuardCounts(g: GuardCounts, metric: Metric): void {
  metric('sinkd_uncaught_errors_total', 'counter', 'Errors caught by the last-resort process guard (logged as internal-error); sinkd kept running.', [['', g.uncaught]]);
  metric('sinkd_send_failures_total', 'counter', 'Replies that could not be sent (no reply can go to the client address, or its socket was closed).', [['', g.sendFailed]]);
  metric('sinkd_upstream_inflight', 'gauge', 'Upstream queries in flight now.', [['', g.inflight]]);
  metric('sinkd_upstream_inflight_limited_total', 'counter', 'Queries answered SERVFAIL because too many upstream queries were in flight, by the limit hit (upstream.maxInflight, upstream.maxInflightPerClient).',
    [['{limit="global"}', g.inflightLimited.global], ['{limit="client"}', g.inflightLimited.client]]);
  metric('sinkd_tcp_connections_refused_total', 'counter', 'TCP connections refused, by why: one address or one /24 (/56) over its share, or every slot busy.',
    [['{reason="address"}', g.tcpRefused.address], ['{reason="prefix"}', g.tcpRefused.prefix], ['{reason="full"}', g.tcpRefused.full]]);
  metric('sinkd_tcp_connections_reclaimed_total', 'counter', 'Idle TCP connections closed to make room for a new one.', [['', g.tcpReclaimed]]);
}
