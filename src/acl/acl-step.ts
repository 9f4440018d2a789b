// Chain step: recursion only for allowed client networks; everyone else gets REFUSED, so sinkd
// cannot be used as an open resolver (and reflection amplifier) by the wider Internet.

import type { Next, Step } from '../chain/step.js';
import type { DnsRequest } from '../chain/request.js';
import { refused } from '../chain/replies.js';
import type { CidrSet } from '../net/cidr.js';

export class AclStep implements Step {
  readonly name = 'acl';
  constructor(private readonly allowed: CidrSet) {}

  handle(req: DnsRequest, next: Next) {
    return this.allowed.contains(req.client.address) ? next(req) : refused(req);
  }
}
