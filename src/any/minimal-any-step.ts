// Chain step: ANY queries get the minimal answer of RFC 8482 4.2, one synthesized HINFO record
// ("RFC8482", ""), never the name's whole record set: ANY is the favourite query of
// reflection attacks (a small question, a large answer), and no legitimate client needs it.
// Sits below the policy step, so a listed name still gets its sinkhole answer.

import type { Next, Step } from '../chain/step.js';
import type { DnsRequest } from '../chain/request.js';
import { replyOpt } from '../chain/replies.js';
import { ResultKind, type Reply } from '../chain/result.js';
import { QClass, QType, recordsReply, type OwnRecord, type ReplyFlags } from '../wire/index.js';

/** RFC 8482 4.2: HINFO with CPU "RFC8482" and an empty OS; the TTL is ours to pick (an hour). */
const HINFO: OwnRecord = { type: QType.HINFO, ttl: 3600, rdata: Buffer.from([7, ...Buffer.from('RFC8482'), 0]) };

export class MinimalAnyStep implements Step {
  readonly name = 'any';
  /** `flags`: AA=1 RA=0 inside a seized zone; the resolver's defaults elsewhere. */
  constructor(private readonly flags: ReplyFlags = {}) {}

  handle(req: DnsRequest, next: Next): Reply | ReturnType<Next> {
    const q = req.query;
    if (q.qtype !== QType.ANY || q.qclass !== QClass.IN) return next(req);
    return { kind: ResultKind.LOCAL, bytes: recordsReply(req.raw, q.questionEnd, [HINFO], [], replyOpt(req), this.flags) };
  }
}
