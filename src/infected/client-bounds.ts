// Owns how much one client may occupy in a hit store, the same in memory and in Redis: at most
// `maxNamesPerClient` names (hits on further names still count, as unnamed hits), a few sources
// per name, a few ECS subnets, at most `maxMinutesPerClient` activity buckets, and the size of
// every stored text. A host beaconing every minute for 30 days (43,200 minutes) or a client asking
// random names must not grow the store without end; the oldest minutes are merged into hours
// (then days) first, since a months-old beacon needs no per-minute detail to be recognised.
//
// The Redis hit store's add script implements boundMinutes line for line (redis-hit-store.ts):
// the one store test suite checks that both give the same records.

import type { HitCategory } from './model.js';

export interface ClientBounds {
  readonly maxNamesPerClient: number;
  readonly maxMinutesPerClient: number;
}

export const DEFAULT_CLIENT_BOUNDS: ClientBounds = Object.freeze({ maxNamesPerClient: 1000, maxMinutesPerClient: 4096 });

export const MAX_SOURCES_PER_NAME = 8;
export const MAX_SUBNETS_PER_CLIENT = 64;

/**
 * Longest stored texts, in UTF-16 units. A query name is at most 255 octets on the wire, but sinkd
 * keeps it in presentation form, where one octet can take four characters (\DDD).
 */
export const MAX_NAME_CHARS = 1024;
/** Family, source, subnet, client address. */
export const MAX_LABEL_CHARS = 256;
export const MAX_NOTE_CHARS = 4096;

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

export const CATEGORIES: readonly HitCategory[] = ['malware', 'ads', 'tracking', 'other'];

/** Malware first, then no category (older lists: counted as malware), then other, tracking, ads. */
function rank(c: HitCategory | undefined): number {
  return c === 'malware' ? 4 : c === undefined ? 3 : c === 'other' ? 2 : c === 'tracking' ? 1 : 0;
}

/** The category a name keeps when hits of two categories meet: the more severe. */
export function mergeCategory(known: HitCategory | undefined, seen: HitCategory | undefined): HitCategory | undefined {
  return rank(seen) > rank(known) ? seen : known;
}

export function isCategory(v: unknown): v is HitCategory {
  return v === 'malware' || v === 'ads' || v === 'tracking' || v === 'other';
}

/**
 * Keeps `all` (hits per bucket start) at most `cap` buckets: past the cap, buckets older than
 * `cutoff` (the retention window) go; if that is not enough, the oldest buckets are merged into
 * their hour, then their day, until a quarter of the cap is free (so this runs seldom); as a last
 * resort the oldest are dropped (their hits stay in the client's total). `other` (the part of each
 * bucket on non-malware lists, keys a subset of `all`'s) follows every step.
 */
export function boundMinutes(all: Map<number, number>, other: Map<number, number>, cap: number, cutoff: number): void {
  if (all.size <= cap) return;
  for (const k of [...all.keys()]) {
    if (k < cutoff - MINUTE) {
      all.delete(k);
      other.delete(k);
    }
  }
  if (all.size <= cap) return;
  const target = Math.floor((cap * 3) / 4);
  let keys = [...all.keys()].sort((a, b) => a - b);
  for (const unit of [HOUR, DAY]) {
    for (const k of keys) {
      if (all.size <= target) return;
      const n = all.get(k);
      if (n === undefined) continue;
      const b = k - (k % unit);
      if (b === k) continue;
      all.set(b, (all.get(b) ?? 0) + n);
      all.delete(k);
      const o = other.get(k);
      if (o !== undefined) {
        other.set(b, (other.get(b) ?? 0) + o);
        other.delete(k);
      }
    }
    if (all.size <= target) return;
    keys = [...all.keys()].sort((a, b) => a - b);
  }
  for (const k of keys) {
    if (all.size <= target) return;
    all.delete(k);
    other.delete(k);
  }
}
