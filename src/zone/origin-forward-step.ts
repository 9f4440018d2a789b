// Zone step (last): a name in a seized zone that is not listed is asked of the zone's original
// name servers, recursion not desired, and their answer relayed as they gave it (records, TTLs,
// rcode; relay-filter.ts says what is left out and why), marked authoritative: sinkd now is the zone's authority. The one exception is a
// referral to a delegated subzone, which an authority sends with AA=0 (RFC 1034 4.3.2); with
// AA=1 resolvers would take it for an empty answer.

import type { Step } from '../chain/step.js';
import type { DnsRequest } from '../chain/request.js';
import { servfail } from '../chain/replies.js';
import { ResultKind, type Reply } from '../chain/result.js';
import { Rcode } from '../wire/index.js';
import type { UpstreamPool } from '../upstream/upstream-pool.js';
import type { InflightLimit } from '../upstream/inflight-limit.js';
import { filterRelayed } from './relay-filter.js';

const AA = 0x0400;
const RA = 0x0080;
const RD = 0x0100;

export class OriginForwardStep implements Step {
  readonly name = 'origin';
  constructor(
    private readonly pool: UpstreamPool,
    private readonly zone: string,
    /** Whether a name is sinkholed in this zone (see relay-filter.ts). */
    private readonly listed: (name: string) => boolean,
    /** The process's budget of upstream queries in flight (shared with the resolver's forward step). */
    private readonly inflight: InflightLimit,
  ) {}

  handle(req: DnsRequest): Promise<Reply> {
    return this.inflight.run(req, () => this.relay(req));
  }

  private async relay(req: DnsRequest): Promise<Reply> {
    const query = Buffer.from(req.raw);
    query.writeUInt16BE(query.readUInt16BE(2) & ~RD, 2);
    const reply = await this.pool.resolve(query, req.query.questionEnd);
    if (reply === null) return servfail(req, `no name server of ${this.zone} answered`);
    const out = filterRelayed(reply, req.query.questionEnd, this.zone, this.listed);
    out.writeUInt16BE(req.query.id, 0);
    out.writeUInt16BE(authorityFlags(reply), 2);
    return { kind: ResultKind.FORWARDED, bytes: out };
  }
}

/** The reply's flags as the zone's authority sends them: AA=1 except on a referral, RA=0. */
export function authorityFlags(reply: Buffer): number {
  const flags = reply.readUInt16BE(2);
  const referral = (flags & AA) === 0 && (flags & 0x0f) === Rcode.NOERROR && reply.readUInt16BE(6) === 0 && reply.readUInt16BE(8) > 0;
  return (referral ? flags : flags | AA) & ~RA;
}
