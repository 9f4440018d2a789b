// The answer cache: raw upstream replies kept with the offsets of their TTL fields, so a hit is a
// copy plus a few integer writes (ID, question case, TTLs counted down). Bounded by entries and
// bytes (lru-cache). Entries outlive their TTL by `maxStale` so they can be served stale when
// every upstream is down (RFC 8767).

import { LRUCache } from 'lru-cache';
import { Rcode, inspectResponse } from '../wire/index.js';

export interface CacheSettings {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly minTtl: number;
  readonly maxTtl: number;
  readonly maxNegativeTtl: number;
  /** TTL written into answers served stale (RFC 8767 recommends 30 s). */
  readonly staleAnswerTtl: number;
  /** How long past expiry an answer may still be served stale, in seconds. */
  readonly maxStale: number;
}

interface CacheEntry {
  readonly bytes: Buffer;
  readonly ttlOffsets: readonly number[];
  /** Clamped TTL per record at the time of storing. */
  readonly ttls: readonly number[];
  readonly storedAt: number;
  /** Fresh until storedAt + ttl * 1000. */
  readonly ttl: number;
}

export type CacheHit = { readonly fresh: boolean; readonly bytes: Buffer };

/**
 * 'resolver': TTLs count down on a hit (RFC 1035 recursive behaviour). 'authority' (a seized
 * zone's relayed answers): a fresh hit keeps the TTLs the original servers gave, as an
 * authoritative server would, and referrals to delegated subzones (no answer, NS in the
 * authority section, no SOA) are kept for their NS TTL, so they too can be served stale.
 */
export type CacheRole = 'resolver' | 'authority';

/** Cache key: same name, type, class and the EDNS bits that change an upstream's answer. */
export function cacheKey(qname: string, qtype: number, qclass: number, hasEdns: boolean, dnssecOk: boolean, cd: boolean): string {
  return `${qname}|${qtype}|${qclass}|${hasEdns ? 1 : 0}${dnssecOk ? 1 : 0}${cd ? 1 : 0}`;
}

export class AnswerCache {
  private readonly lru: LRUCache<string, CacheEntry>;

  constructor(
    private readonly settings: CacheSettings,
    private readonly now: () => number = Date.now,
    private readonly role: CacheRole = 'resolver',
  ) {
    this.lru = new LRUCache<string, CacheEntry>({
      max: settings.maxEntries,
      maxSize: settings.maxBytes,
      // Key and bookkeeping cost roughly as much as a small reply; count both so maxBytes means memory.
      sizeCalculation: (e, k) => e.bytes.length + k.length * 2 + 64 + e.ttlOffsets.length * 16,
    });
  }

  get size(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  /**
   * Stores an upstream reply if it is cacheable: NOERROR with answers (TTL = smallest record TTL,
   * clamped), or NXDOMAIN/NODATA with a SOA (RFC 2308 TTL, clamped to maxNegativeTtl). Returns
   * whether it was stored.
   */
  store(key: string, reply: Buffer): boolean {
    const info = inspectResponse(reply);
    if (info === null || info.truncated) return false;
    const { minTtl, maxTtl, maxNegativeTtl } = this.settings;
    const clamp = (t: number, hi: number) => Math.min(Math.max(t, minTtl), hi);
    const negative = info.rcode === Rcode.NXDOMAIN || (info.rcode === Rcode.NOERROR && info.answerCount === 0);
    let ttl: number;
    let ttls: number[];
    if (negative && info.negativeTtl === null && this.role === 'authority' && info.rcode === Rcode.NOERROR && info.ttls.length > 0) {
      // A referral: fresh as long as its shortest record.
      ttls = info.ttls.map((t) => clamp(t, maxTtl));
      ttl = Math.min(...ttls);
    } else if (negative) {
      if (info.negativeTtl === null) return false; // RFC 2308 5: no SOA, no negative caching
      ttl = clamp(info.negativeTtl, Math.min(maxNegativeTtl, maxTtl));
      ttls = info.ttls.map((t) => Math.min(clamp(t, maxTtl), ttl));
    } else if (info.rcode === Rcode.NOERROR) {
      ttls = info.ttls.map((t) => clamp(t, maxTtl));
      ttl = Math.min(...ttls.slice(0, info.answerCount));
    } else {
      return false;
    }
    if (ttl <= 0) return false;
    this.lru.set(key, { bytes: reply, ttlOffsets: info.ttlOffsets, ttls, storedAt: this.now(), ttl }, { ttl: (ttl + this.settings.maxStale) * 1000 });
    return true;
  }

  /**
   * A copy of the cached reply for a client: its ID, the client's own spelling of the question,
   * TTLs counted down (or set to staleAnswerTtl when `allowStale` and past expiry).
   * Undefined on a miss, or when the entry is past expiry and `allowStale` is false.
   */
  lookup(key: string, id: number, query: Buffer, nameEnd: number, allowStale: boolean): CacheHit | undefined {
    const e = this.lru.get(key);
    if (e === undefined) return undefined;
    const elapsed = Math.floor((this.now() - e.storedAt) / 1000);
    const fresh = elapsed < e.ttl;
    if (!fresh && !allowStale) return undefined;
    const out = Buffer.allocUnsafe(e.bytes.length);
    e.bytes.copy(out);
    out.writeUInt16BE(id, 0);
    query.copy(out, 12, 12, nameEnd);
    if (fresh && this.role === 'authority') return { fresh, bytes: out };
    for (let i = 0; i < e.ttlOffsets.length; i++) {
      out.writeUInt32BE(fresh ? Math.max(0, e.ttls[i]! - elapsed) : this.settings.staleAnswerTtl, e.ttlOffsets[i]!);
    }
    return { fresh, bytes: out };
  }

  clear(): void {
    this.lru.clear();
  }
}
