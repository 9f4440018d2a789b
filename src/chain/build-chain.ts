// The chains' order, written once. Each position has its reason; change it only with a new one.
// Steps are built from their config sections beside them (each folder's setup.ts); this file
// only says in which order they run.

import { buildSteps, type Chain, type FinalStep, type Step } from './step.js';

/** The resolver: every query that is not for a seized zone. Optional steps are off in the config. */
export interface ResolverSteps {
  /** EDNS Client Subnet only from trusted resolvers. */
  readonly ecs: Step;
  /** Absent when no seized zone is configured (a LAN resolver pays nothing for the feature). */
  readonly zones?: Step;
  /** Present only with seized zones and rrl.enabled (see the position's reason below). */
  readonly refusalLimit?: Step;
  /** Absent when clientLimit.queriesPerSecond is 0. */
  readonly clientLimit?: Step;
  readonly acl: Step;
  readonly policy: Step;
  readonly any: Step;
  readonly cache: Step;
  readonly forward: FinalStep;
}

export function buildChain(s: ResolverSteps): Chain {
  return buildSteps(
    [
      // 0a. ecs: first, so that no later step (a seized zone's hit records, the cache key, forward)
      //    ever sees a client subnet its sender is not trusted to claim.
      s.ecs,
      // 0. zones: before the acl, because a seized zone is answered for the whole Internet (its
      //    resolvers are the clients), under rate limiting instead of an access list; names in a
      //    seized zone leave here through the zone's own chain (buildZoneChain), never below.
      s.zones,
      // 0b. refusal-rrl: around client-limit and the acl, so that every REFUSED they give a client
      //    outside the acl is rate limited per client prefix: with seized zones sinkd faces the
      //    whole Internet, and those are reflected packets. Only in seized-zone mode: a LAN resolver
      //    is not meant to face the Internet, its REFUSEDs are already bounded per client by
      //    client-limit, and its behaviour stays as it was.
      s.refusalLimit,
      // 1. client-limit: before any work is done for a flooding client, and before the acl so
      //    that even REFUSED answers to a flood are bounded.
      s.clientLimit,
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
    ],
    // 6. forward: last; it always answers (SERVFAIL when every upstream failed).
    s.forward,
  );
}

/** One seized zone's chain, run by the zones step for every name in the zone. */
export interface ZoneSteps {
  /** Absent when rrl.enabled is false. */
  readonly rrl?: Step;
  readonly apex: Step;
  readonly policy: Step;
  readonly any: Step;
  readonly cache: Step;
  readonly origin: FinalStep;
}

export function buildZoneChain(s: ZoneSteps): Chain {
  return buildSteps(
    [
      // 1. rrl: outermost, so it judges the reply that actually leaves (any kind) and the cost
      //    of a flood is one account update per packet.
      s.rrl,
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
    ],
    // 6. origin: last; the zone's original name servers, in turn; SERVFAIL when all failed.
    s.origin,
  );
}
