// The chain's order, written once. Each position has its reason; change it only with a new one.

import type { Next, Step } from './step.js';
import { composeSteps } from './step.js';
import type { AclStep } from '../acl/acl-step.js';
import type { PolicyStep } from '../policy/policy-step.js';
import type { CacheStep } from '../cache/cache-step.js';
import type { ForwardStep } from '../upstream/forward-step.js';

export interface ChainSteps {
  readonly acl: AclStep;
  readonly policy: PolicyStep;
  readonly cache: CacheStep;
  readonly forward: ForwardStep;
}

export function buildChain(s: ChainSteps): { handle: Next; names: string[] } {
  const steps: Step[] = [
    // 1. acl: first, so a client outside the allowed networks learns nothing, not even whether a
    //    name is listed, and cannot use sinkd to reflect traffic.
    s.acl,
    // 2. policy: above the cache, so a list change applies at once to names already cached, and
    //    a blocked name of any type never reaches an upstream.
    s.policy,
    // 3. cache: in front of forward, so hits and coalesced misses never leave the box.
    s.cache,
    // 4. forward: last; it always answers (SERVFAIL when every upstream failed).
    s.forward,
  ];
  const last: Next = (req) => s.forward.handle(req);
  return { handle: composeSteps(steps.slice(0, -1), last), names: steps.map((x) => x.name) };
}
