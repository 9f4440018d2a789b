// Chain step (seized-zone mode only): response rate limiting of the REFUSED answers sinkd gives
// clients outside acl.allow, per client prefix, in the same "errors" account as the zones' own
// errors (BIND: all errors to a prefix are one account). With seized zones sinkd listens on the
// Internet, and a REFUSED to a spoofed address is a reflected packet (about twice the question's
// size with the EDE text), so a flood of questions for names outside the zones must be bounded
// like any other answer. Clients inside the acl are left as they are: their REFUSED comes only
// from their own per-client limit (client-limit), which already bounds it.

import type { Next, Step } from '../chain/step.js';
import type { DnsRequest } from '../chain/request.js';
import { ResultKind, type Reply } from '../chain/result.js';
import { HEADER_SIZE, Rcode } from '../wire/index.js';
import { limitReply, type ResponseRateLimiter, type RrlVerdict } from '../rrl/index.js';
import type { CidrSet } from '../net/cidr.js';

export interface RefusalLimitEvents {
  /** A client prefix went over the limit; at most once per prefix per log interval. */
  limited(prefix: string, req: DnsRequest, verdict: Exclude<RrlVerdict, 'send'>): void;
}

export class RefusalLimitStep implements Step {
  readonly name = 'refusal-rrl';
  constructor(
    private readonly limiter: ResponseRateLimiter,
    private readonly allowed: CidrSet,
    private readonly events: RefusalLimitEvents,
  ) {}

  handle(req: DnsRequest, next: Next): Reply | Promise<Reply> {
    const reply = next(req);
    // sinkd's own refusals (acl, client-limit) are built synchronously; a promise is a forwarded
    // or cached answer for an allowed client, left alone without paying for a .then().
    if (reply instanceof Promise || req.transport !== 'udp') return reply;
    const b = reply.bytes;
    if (b.length < HEADER_SIZE || (b[3]! & 0x0f) !== Rcode.REFUSED) return reply;
    if (reply.kind !== ResultKind.REFUSED && reply.kind !== ResultKind.RATE_LIMITED) return reply;
    if (this.allowed.contains(req.client.address)) return reply;
    const out = limitReply(this.limiter, req.client.address, b, req.query.questionEnd, 'error', '', (prefix, verdict) => this.events.limited(prefix, req, verdict));
    return out === b ? reply : { kind: ResultKind.RATE_LIMITED, bytes: out };
  }
}
