// What one sinkd process reports for /metrics, as plain data (so a worker can send it to the
// primary over IPC), and how the workers' reports add up to the node's.

import { addHistogram, type HistogramData } from './histogram.js';

export interface UpstreamMetrics {
  /** "resolver" for the recursive upstreams, "zone:<name>" for a seized zone's original servers. */
  readonly pool: string;
  readonly latency: HistogramData;
  errors: number;
  /** Replies rejected by the RFC 5452 checks (wrong ID, question or address). */
  rejected: number;
}

export type StoreState = 'starting' | 'synced' | 'degraded' | 'stopped';

export interface MetricsSnapshot {
  /** Answers by result kind (sinkholed, cached, forwarded, ...) plus dropped packets and internal errors. */
  queries: Record<string, number>;
  transports: Record<string, number>;
  upstreams: UpstreamMetrics[];
  cache: { entries: number; bytes: number };
  blocklist: { block: number; allow: number; version: number };
  store: { state: StoreState; reason?: string; invalidRecords?: number };
  hits: { recorded: number; dropped: number; buffered: number } | null;
  rrl: { sent: number; slipped: number; dropped: number } | null;
  /** Worker processes serving DNS (1 without --workers). */
  workers: number;
}

const STATE_RANK: Record<StoreState, number> = { synced: 0, starting: 1, degraded: 2, stopped: 3 };

function addCounts(a: Record<string, number>, b: Record<string, number>): void {
  for (const [k, v] of Object.entries(b)) a[k] = (a[k] ?? 0) + v;
}

/** The node's figures from its workers': counters and per-worker caches add up; the list is the same everywhere (max); the worst store state wins. */
export function mergeSnapshots(parts: readonly MetricsSnapshot[]): MetricsSnapshot | null {
  if (parts.length === 0) return null;
  const out: MetricsSnapshot = structuredClone(parts[0]!);
  out.workers = parts.length;
  for (const p of parts.slice(1)) {
    addCounts(out.queries, p.queries);
    addCounts(out.transports, p.transports);
    for (const u of p.upstreams) {
      const mine = out.upstreams.find((x) => x.pool === u.pool);
      if (mine === undefined) out.upstreams.push(structuredClone(u));
      else {
        addHistogram(mine.latency, u.latency);
        mine.errors += u.errors;
        mine.rejected += u.rejected;
      }
    }
    out.cache.entries += p.cache.entries;
    out.cache.bytes += p.cache.bytes;
    out.blocklist.block = Math.max(out.blocklist.block, p.blocklist.block);
    out.blocklist.allow = Math.max(out.blocklist.allow, p.blocklist.allow);
    out.blocklist.version = Math.max(out.blocklist.version, p.blocklist.version);
    const counted = out.store.invalidRecords !== undefined || p.store.invalidRecords !== undefined;
    const invalid = (out.store.invalidRecords ?? 0) + (p.store.invalidRecords ?? 0);
    if (STATE_RANK[p.store.state] > STATE_RANK[out.store.state]) out.store = { ...p.store };
    if (counted) out.store.invalidRecords = invalid;
    if (p.hits) {
      out.hits ??= { recorded: 0, dropped: 0, buffered: 0 };
      out.hits.recorded += p.hits.recorded;
      out.hits.dropped += p.hits.dropped;
      out.hits.buffered += p.hits.buffered;
    }
    if (p.rrl) {
      out.rrl ??= { sent: 0, slipped: 0, dropped: 0 };
      out.rrl.sent += p.rrl.sent;
      out.rrl.slipped += p.rrl.slipped;
      out.rrl.dropped += p.rrl.dropped;
    }
  }
  return out;
}
