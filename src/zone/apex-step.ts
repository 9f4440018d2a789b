// Zone step: the seized zone's apex SOA and NS, answered from the config. They name the
// operator's servers, not the provider's, so resolvers that re-check the delegation stay with
// sinkd. Every other type at the apex, and every name below it, goes on down the zone's chain.

import type { Next, Step } from '../chain/step.js';
import type { DnsRequest } from '../chain/request.js';
import { replyOpt } from '../chain/replies.js';
import { ResultKind, type Reply } from '../chain/result.js';
import type { ZoneSpec } from '../config/types.js';
import { QClass, QType, encodeName, recordsReply, soaRdata, type OwnRecord } from '../wire/index.js';

const AUTHORITY = { authoritative: true, recursionAvailable: false } as const;

export class ApexStep implements Step {
  readonly name = 'apex';
  private readonly soa: OwnRecord;
  private readonly ns: readonly OwnRecord[];

  constructor(private readonly zone: Pick<ZoneSpec, 'name' | 'soa' | 'ns' | 'ttl'>) {
    this.soa = { type: QType.SOA, ttl: zone.ttl, rdata: soaRdata(zone.soa) };
    this.ns = zone.ns.map((n) => ({ type: QType.NS, ttl: zone.ttl, rdata: encodeName(n) }));
  }

  handle(req: DnsRequest, next: Next): Reply | ReturnType<Next> {
    const q = req.query;
    if (q.qname !== this.zone.name || q.qclass !== QClass.IN || (q.qtype !== QType.SOA && q.qtype !== QType.NS)) return next(req);
    // SOA: the SOA, with the NS set in the authority section as authorities do; NS: the NS set.
    const [answers, authority] = q.qtype === QType.SOA ? [[this.soa], this.ns] : [this.ns, []];
    return { kind: ResultKind.AUTHORITATIVE, bytes: recordsReply(req.raw, q.questionEnd, answers, authority, replyOpt(req), AUTHORITY) };
  }
}
