// What the primary and its workers say to each other over the cluster IPC channel.

import type { Hit } from '../infected/model.js';
import type { MetricFamily } from '../metrics/family.js';
import type { Readiness } from '../server/readiness.js';

export type ToWorker =
  /** Send back this worker's metrics and readiness, tagged with `id`. */
  | { readonly t: 'status'; readonly id: number }
  /** Re-read the config (the primary has validated it) and swap the chain. */
  | { readonly t: 'reload' }
  /** Stop gracefully: answer what is in flight, then exit 0. */
  | { readonly t: 'stop' };

export type FromWorker =
  /** Listening and answering. */
  | { readonly t: 'ready' }
  | { readonly t: 'status'; readonly id: number; readonly metrics: MetricFamily[]; readonly readiness: Readiness }
  /** Sinkhole hits, for the primary's embedded hit store (with Redis, workers write it themselves). */
  | { readonly t: 'hits'; readonly hits: readonly Hit[] }
  | { readonly t: 'dropped'; readonly count: number };

export function isFromWorker(m: unknown): m is FromWorker {
  return typeof m === 'object' && m !== null && typeof (m as { t?: unknown }).t === 'string';
}

export function isToWorker(m: unknown): m is ToWorker {
  return typeof m === 'object' && m !== null && ['status', 'reload', 'stop'].includes((m as { t?: string }).t ?? '');
}
