// Chain step (first): EDNS Client Subnet (RFC 7871) is a claim about who is behind the asker, and
// any client can make it. It is taken only from the resolvers in ecs.trustFrom; from any other
// client the option is removed from the query before another step sees it, so it names no subnet
// in the hit records and the sinkhole log (the report would blame whichever network the sender
// chose), is never forwarded, and cannot make the cache keep an answer per subnet of its choosing.
// A trusted resolver's ECS that does not parse is removed too, so that after this step a query
// holds an ECS option exactly when its `edns.clientSubnet` is set.

import type { Next, Step } from '../chain/step.js';
import type { DnsRequest } from '../chain/request.js';
import type { Reply } from '../chain/result.js';
import type { CidrSet } from '../net/cidr.js';
import { EDNS_OPTION_ECS, withoutEdnsOption } from '../wire/index.js';

/** An OPT record with no options at all (the common case) is this long: nothing to look at. */
const EMPTY_OPT = 11;

export class EcsStep implements Step {
  readonly name = 'ecs';
  constructor(private readonly trusted: CidrSet) {}

  handle(req: DnsRequest, next: Next): Reply | Promise<Reply> {
    const edns = req.query.edns;
    if (edns === null || edns.length <= EMPTY_OPT) return next(req);
    if (edns.clientSubnet !== undefined && this.trusted.contains(req.client.address)) return next(req);
    const raw = withoutEdnsOption(req.raw, edns.offset, edns.length, EDNS_OPTION_ECS);
    if (raw === null) return next(req);
    const { clientSubnet: _claimed, ...kept } = edns;
    return next({ ...req, raw, query: { ...req.query, edns: { ...kept, length: edns.length - (req.raw.length - raw.length) } } });
  }
}
