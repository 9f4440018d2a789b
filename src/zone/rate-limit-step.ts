// Zone step (first): response rate limiting of the authoritative answers, BIND's model
// (src/rrl). Over UDP only: a TCP client has proved its address, and TCP is where a limited
// resolver is sent (TC=1) to get its answer anyway. Sits outermost so that it judges the reply
// actually going out (sinkhole, apex, relayed, stale or SERVFAIL alike).

import type { Next, Step } from '../chain/step.js';
import type { DnsRequest } from '../chain/request.js';
import { ResultKind, type Reply } from '../chain/result.js';
import { HEADER_SIZE, Rcode } from '../wire/index.js';
import type { ResponseKind, ResponseRateLimiter, RrlVerdict } from '../rrl/index.js';

const TC = 0x0200;
const NOTHING = Buffer.alloc(0);

export interface RateLimitEvents {
  /** A client prefix went over a limit; called at most once per prefix per log interval. */
  limited(prefix: string, req: DnsRequest, verdict: Exclude<RrlVerdict, 'send'>): void;
}

export class RateLimitStep implements Step {
  readonly name = 'rrl';
  constructor(
    private readonly limiter: ResponseRateLimiter,
    private readonly zone: string,
    private readonly events: RateLimitEvents,
  ) {}

  handle(req: DnsRequest, next: Next): Reply | Promise<Reply> {
    const reply = next(req);
    if (req.transport !== 'udp') return reply;
    return reply instanceof Promise ? reply.then((r) => this.judge(req, r)) : this.judge(req, reply);
  }

  private judge(req: DnsRequest, reply: Reply): Reply {
    const bytes = reply.bytes;
    if (bytes.length < HEADER_SIZE) return reply;
    const rcode = bytes[3]! & 0x0f;
    // The account: the answer (name + type) for positive answers, NODATA and referrals; the zone
    // for NXDOMAIN, so random-name floods share one account; one account for all errors.
    let kind: ResponseKind;
    let key: string;
    if (rcode === Rcode.NOERROR) {
      kind = 'answer';
      key = `${req.query.qname}/${req.query.qtype}`;
    } else if (rcode === Rcode.NXDOMAIN) {
      kind = 'nxdomain';
      key = this.zone;
    } else {
      kind = 'error';
      key = '';
    }
    const now = Date.now();
    const verdict = this.limiter.check(req.client.address, key, kind, now);
    if (verdict === 'send') return reply;
    const prefix = this.limiter.prefixOf(req.client.address);
    if (this.limiter.shouldLog(prefix, now)) this.events.limited(prefix, req, verdict);
    if (verdict === 'drop') return { kind: ResultKind.RATE_LIMITED, bytes: NOTHING };
    return { kind: ResultKind.RATE_LIMITED, bytes: slipReply(bytes, req.query.questionEnd) };
  }
}

/** Header and question only, TC=1: small enough to be useless for amplification. */
export function slipReply(reply: Buffer, questionEnd: number): Buffer {
  const out = Buffer.from(reply.subarray(0, Math.min(questionEnd, reply.length)));
  out.writeUInt16BE(out.readUInt16BE(2) | TC, 2);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(0, 10);
  return out;
}
