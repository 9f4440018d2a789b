// Chain step: a query for a name in a seized zone is answered by that zone's own chain (see
// build-chain.ts), as its authority, to any client; every other query goes on to the resolver.
// Whatever the zone's chain answered, it leaves with RA=0 (an authority offers no recursion) and
// the client's own RD bit (RFC 1035 4.1.1), cache hits included.

import type { Next, Step } from '../chain/step.js';
import type { DnsRequest } from '../chain/request.js';
import type { Reply } from '../chain/result.js';
import type { SeizedZones } from './seized-zones.js';
import { QClass } from '../wire/index.js';

const RD = 0x0100;
const RA = 0x0080;

export class ZoneStep implements Step {
  readonly name = 'zones';
  constructor(private readonly zones: SeizedZones<Next>) {}

  handle(req: DnsRequest, next: Next): Reply | Promise<Reply> {
    // sinkd is the zone's authority for class IN only; CHAOS and friends go the resolver's way.
    const zone = req.query.qclass === QClass.IN ? this.zones.find(req.query.qname) : undefined;
    if (zone === undefined) return next(req);
    const reply = zone(req);
    return reply instanceof Promise ? reply.then((r) => asAuthority(req, r)) : asAuthority(req, reply);
  }
}

function asAuthority(req: DnsRequest, reply: Reply): Reply {
  const b = reply.bytes;
  if (b.length >= 4) b.writeUInt16BE((b.readUInt16BE(2) & ~(RA | RD)) | (req.query.flags & RD), 2);
  return reply;
}
