// The catcher's figures: what it recorded (by protocol, by signature tag), what its limits cut
// short, and the connections open now. The counts live in one plain object the listener
// increments; this file turns them into metric families.

import { byLabel, counter, gauge, type MetricFamily } from '../metrics/family.js';
import type { CatchProtocol } from './catch.js';

/** Which limit ended a connection before the catcher had recognised it. */
export type CatcherLimit = 'bytes' | 'time' | 'connections' | 'client-connections';

export class CatcherCounts {
  readonly catches: Record<CatchProtocol, number> = { http: 0, tls: 0, tcp: 0 };
  /** By signature tag; bounded by the signature table. */
  readonly tags: Record<string, number> = {};
  readonly limited: Record<CatcherLimit, number> = { bytes: 0, time: 0, connections: 0, 'client-connections': 0 };
  open = 0;
}

export function catcherMetrics(c: CatcherCounts): MetricFamily[] {
  return [
    counter('sinkd_catches_total', 'Connections to the sinkhole address recorded by the catcher, by protocol (http, tls, tcp).', byLabel('protocol', c.catches)),
    counter('sinkd_catch_tags_total', 'Recorded connections whose signature named a malware family, by tag.', byLabel('tag', c.tags)),
    counter(
      'sinkd_catcher_limited_total',
      'Connections a limit ended before they were recognised (still recorded with what arrived): bytes, time, connections (the oldest gave way to a new one), client-connections (the same, per client).',
      byLabel('limit', c.limited),
    ),
    gauge('sinkd_catcher_connections', 'Connections the catcher holds open now.', [{ value: c.open }]),
  ];
}
