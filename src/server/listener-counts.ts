// What the DNS listeners count as they defend themselves (kept by the QueryHandler they share),
// and those counts as metric families.

import { counter, type MetricFamily } from '../metrics/family.js';

export interface ListenerCounts {
  /** Replies that could not be sent (a client address no reply can go to, a socket closed meanwhile). */
  sendFailed: number;
  /** TCP connections refused: one address or one /24 (/56) over its share, or every slot busy. */
  tcpRefused: { address: number; prefix: number; full: number };
  /** Idle TCP connections closed to make room for a new one when every slot was taken. */
  tcpReclaimed: number;
}

export function newListenerCounts(): ListenerCounts {
  return { sendFailed: 0, tcpRefused: { address: 0, prefix: 0, full: 0 }, tcpReclaimed: 0 };
}

export function listenerMetrics(c: ListenerCounts): MetricFamily[] {
  return [
    counter('sinkd_send_failures_total', 'Replies that could not be sent (no reply can go to the client address, or its socket was closed).', [{ value: c.sendFailed }]),
    counter('sinkd_tcp_connections_refused_total', 'TCP connections refused, by why: one address or one /24 (/56) over its share, or every slot busy.', [
      { labels: { reason: 'address' }, value: c.tcpRefused.address },
      { labels: { reason: 'prefix' }, value: c.tcpRefused.prefix },
      { labels: { reason: 'full' }, value: c.tcpRefused.full },
    ]),
    counter('sinkd_tcp_connections_reclaimed_total', 'Idle TCP connections closed to make room for a new one.', [{ value: c.tcpReclaimed }]),
  ];
}
