// The chain's order, written once. Each position has its reason; change it only with a new one.

import type { Next, Step } from './step.js';
import { composeSteps } from './step.js';
import type { AclStep } from '../acl/acl-step.js';
import type { PolicyStep } from '../policy/policy-step.js';
import type { CacheStep } from '../cache/cache-step.js';
import type { ForwardStep } from '../upstream/forward-step.js';
import type { ZoneStep } from '../zone/zone-step.js';
import type { RateLimitStep } from '../zone/rate-limit-step.js';
import type { ApexStep } from '../zone/apex-step.js';
import type { OriginForwardStep } from '../zone/origin-forward-step.js';
import type { ClientLimitStep } from '../client-limit/client-limit-step.js';
import type { MinimalAnyStep } from '../any/minimal-any-step.js';
import type { EcsStep } from '../ecs/ecs-step.js';

export interface ChainSteps {
  /** EDNS Client Subnet only from trusted resolvers (absent: queries pass as they came). */
  readonly ecs?: EcsStep;
  /** Absent when no seized zone is configured (a LAN resolver pays nothing for the feature). */
  readonly zones?: ZoneStep;
  /** Absent when clientLimit.queriesPerSecond is 0. */
  readonly clientLimit?: ClientLimitStep;
  readonly acl: AclStep;
  readonly policy: PolicyStep;
  readonly any: MinimalAnyStep;
  readonly cache: CacheStep;
  readonly forward: ForwardStep;
}

export function buildChain(s: ChainSteps): { handle: Next; names: string[] } {
  const steps: Step[] = [
    // 0. ecs: first, so that no later step (a seized zone's hit records, the cache key, forward)
    //    ever sees a client subnet its sender is not trusted to claim.
    ...(s.ecs ? [s.ecs] : []),
    // 0. zones: before the acl, because a seized zone is answered for the whole Internet (its
    //    resolvers are the clients), under rate limiting instead of an access list; names in a
    //    seized zone leave here through the zone's own chain (buildZoneChain), never below.
    ...(s.zones ? [s.zones] : []),
    // 1. client-limit: before any work is done for a flooding client, and before the acl so
    //    that even REFUSED answers to a flood are bounded.
    ...(s.clientLimit ? [s.clientLimit] : []),
    // 2. acl: so a client outside the allowed networks learns nothing, not even whether a name
    //    is listed, and cannot use sinkd to reflect traffic.
    s.acl,
    // 3. policy: above the cache, so a list change applies at once to names already cached, and
    //    a blocked name of any type never reaches an upstream.
    s.policy,
    // 4. any: below policy (a listed name's ANY still gets the sinkhole), above the cache and
    //    forward, so ANY never costs an upstream query (RFC 8482).
    s.any,
    // 5. cache: in front of forward, so hits and coalesced misses never leave the box.
    s.cache,
    // 6. forward: last; it always answers (SERVFAIL when every upstream failed).
    s.forward,
  ];
  const last: Next = (req) => s.forward.handle(req);
  return { handle: composeSteps(steps.slice(0, -1), last), names: steps.map((x) => x.name) };
}

export interface ZoneChainSteps {
  /** Absent when rrl.enabled is false. */
  readonly rrl?: RateLimitStep;
  readonly apex: ApexStep;
  readonly policy: PolicyStep;
  readonly any: MinimalAnyStep;
  readonly cache: CacheStep;
  readonly origin: OriginForwardStep;
}

/** One seized zone's chain, run by the zones step for every name in the zone. */
export function buildZoneChain(s: ZoneChainSteps): { handle: Next; names: string[] } {
  const steps: Step[] = [
    // 1. rrl: outermost, so it judges the reply that actually leaves (any kind) and the cost
    //    of a flood is one account update per packet.
    ...(s.rrl ? [s.rrl] : []),
    // 2. apex: the SOA and NS that make sinkd the zone's authority come from the config, never
    //    from the original servers.
    s.apex,
    // 3. policy: listed hosts (strictly below the apex) get the sinkhole, authoritatively, and
    //    never reach the original servers; above the cache for the same reason as the resolver's.
    s.policy,
    // 4. any: RFC 8482 minimal answer, so ANY floods are never relayed to the original servers.
    s.any,
    // 5. cache: the original servers' answers, TTLs kept, and served stale when they all fail
    //    (the 2014 failure was empty answers when the sinkhole could not keep up).
    s.cache,
    // 6. origin: last; the zone's original name servers, in turn; SERVFAIL when all failed.
    s.origin,
  ];
  const last: Next = (req) => s.origin.handle(req);
  return { handle: composeSteps(steps.slice(0, -1), last), names: steps.map((x) => x.name) };
}
