// Zone step (first): response rate limiting of the authoritative answers, BIND's model
// (src/rrl). Over UDP only: a TCP client has proved its address, and TCP is where a limited
// resolver is sent (TC=1) to get its answer anyway. Sits outermost so that it judges the reply
// actually going out (sinkhole, apex, relayed, stale or SERVFAIL alike). Which account a reply
// is debited to (so that unique names, labels and types share one) is src/rrl/response-account.ts.

import type { Next, Step } from '../chain/step.js';
import type { DnsRequest } from '../chain/request.js';
import { ResultKind, type Reply } from '../chain/result.js';
import { accountFor, limitReply, NO_WILDCARDS, type Account, type ReplyOrigin, type ResponseRateLimiter, type RrlVerdict, type WildcardKnowledge } from '../rrl/index.js';

export { slipReply } from '../rrl/index.js';

export interface RateLimitEvents {
  /** A client prefix went over a limit; called at most once per prefix per log interval. */
  limited(prefix: string, req: DnsRequest, verdict: Exclude<RrlVerdict, 'send'>, account: Account): void;
}

export class RateLimitStep implements Step {
  readonly name = 'rrl';
  constructor(
    private readonly limiter: ResponseRateLimiter,
    private readonly zone: string,
    private readonly events: RateLimitEvents,
    /** The provider's wildcards as learned so far (wildcard-prober.ts). */
    private readonly wildcards: WildcardKnowledge = NO_WILDCARDS,
  ) {}

  handle(req: DnsRequest, next: Next): Reply | Promise<Reply> {
    const reply = next(req);
    if (req.transport !== 'udp') return reply;
    return reply instanceof Promise ? reply.then((r) => this.judge(req, r)) : this.judge(req, reply);
  }

  private judge(req: DnsRequest, reply: Reply): Reply {
    const q = req.query;
    const origin: ReplyOrigin =
      reply.kind === ResultKind.SINKHOLED ? { sinkholed: reply.rule ?? q.qname } : reply.kind === ResultKind.LOCAL ? 'local' : 'relayed';
    const now = Date.now();
    const account = accountFor(reply.bytes, q.questionEnd, q.qname, q.qtype, this.zone, origin, this.wildcards, now);
    const out = limitReply(
      this.limiter,
      req.client.address,
      reply.bytes,
      q.questionEnd,
      account.kind,
      account.key,
      (prefix, verdict) => this.events.limited(prefix, req, verdict, account),
      now,
    );
    return out === reply.bytes ? reply : { kind: ResultKind.RATE_LIMITED, bytes: out };
  }
}
