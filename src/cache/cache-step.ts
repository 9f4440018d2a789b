// Chain step: answer from the cache; on a miss ask `next` once for all identical concurrent
// misses (coalescing) and store what comes back; when `next` fails (SERVFAIL) serve the expired
// answer if we still hold one (RFC 8767). A query with EDNS Client Subnet (only a trusted
// resolver's gets this far, see src/ecs/ecs-step.ts) has its own entries, keyed by its subnet: the
// upstream's answer may be tailored to that subnet (RFC 7871 scope > 0) and echoes the subnet,
// so it is right for that subnet only. Keying by the exact subnet sent is stricter than RFC 7871's
// scope matching (a few more misses for trusted resolvers), and never serves one network's answer
// to another, nor names one client's subnet to another. Untrusted clients cannot add such entries.
// A reply with an ECS option to a query without one breaks RFC 7871 7.2.1 and is not cached.

import type { Next, Step } from '../chain/step.js';
import type { DnsRequest } from '../chain/request.js';
import { ResultKind, type Reply } from '../chain/result.js';
import { AnswerCache, cacheKey } from './answer-cache.js';
import { EDNS_OPTION_ECS, replyHasEdnsOption } from '../wire/index.js';

export class CacheStep implements Step {
  readonly name = 'cache';
  /** Misses being resolved now, by cache key: the first asker's pending reply. */
  private readonly inflight = new Map<string, Promise<Reply>>();

  constructor(readonly cache: AnswerCache) {}

  handle(req: DnsRequest, next: Next): Reply | Promise<Reply> {
    const q = req.query;
    const subnet = q.edns?.clientSubnet;
    const key = cacheKey(q.qname, q.qtype, q.qclass, q.edns !== null, q.edns?.dnssecOk ?? false, q.checkingDisabled) + (subnet === undefined ? '' : `|${subnet}`);
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
      if (reply.kind === ResultKind.FORWARDED && (req.query.edns?.clientSubnet !== undefined || !replyHasEdnsOption(reply.bytes, EDNS_OPTION_ECS))) {
        this.cache.store(key, reply.bytes);
      }
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
