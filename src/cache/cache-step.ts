// Chain step: answer from the cache; on a miss ask `next` once for all identical concurrent
// misses (coalescing) and store what comes back; when `next` fails (SERVFAIL) serve the expired
// answer if we still hold one (RFC 8767).

import type { Next, Step } from '../chain/step.js';
import type { DnsRequest } from '../chain/request.js';
import { ResultKind, type Reply } from '../chain/result.js';
import { AnswerCache, cacheKey } from './answer-cache.js';

export class CacheStep implements Step {
  readonly name = 'cache';
  /** Misses being resolved now, by cache key: the first asker's pending reply. */
  private readonly inflight = new Map<string, Promise<Reply>>();

  constructor(readonly cache: AnswerCache) {}

  handle(req: DnsRequest, next: Next): Reply | Promise<Reply> {
    const q = req.query;
    const key = cacheKey(q.qname, q.qtype, q.qclass, q.edns !== null, q.edns?.dnssecOk ?? false, q.checkingDisabled);
    const hit = this.cache.lookup(key, q.id, req.raw, q.nameEnd, false);
    if (hit) return { kind: ResultKind.CACHED, bytes: hit.bytes };
    return this.miss(key, req, next);
  }

  private async miss(key: string, req: DnsRequest, next: Next): Promise<Reply> {
    const q = req.query;
    let pending = this.inflight.get(key);
    const first = pending === undefined;
    if (pending === undefined) {
      pending = this.resolve(key, req, next);
      this.inflight.set(key, pending);
    }
    const reply = await pending;
    if (first) return reply;
    // A follower gets the leader's reply under its own ID and question spelling.
    if (reply.kind === ResultKind.SERVFAIL) return this.staleOr(key, req, reply);
    const out = Buffer.from(reply.bytes);
    out.writeUInt16BE(q.id, 0);
    req.raw.copy(out, 12, 12, q.nameEnd);
    return { kind: reply.kind, bytes: out };
  }

  private async resolve(key: string, req: DnsRequest, next: Next): Promise<Reply> {
    try {
      const reply = await next(req);
      if (reply.kind === ResultKind.FORWARDED) this.cache.store(key, reply.bytes);
      if (reply.kind === ResultKind.SERVFAIL) return this.staleOr(key, req, reply);
      return reply;
    } finally {
      this.inflight.delete(key);
    }
  }

  private staleOr(key: string, req: DnsRequest, failed: Reply): Reply {
    const q = req.query;
    const stale = this.cache.lookup(key, q.id, req.raw, q.nameEnd, true);
    return stale ? { kind: ResultKind.STALE, bytes: stale.bytes } : failed;
  }
}
