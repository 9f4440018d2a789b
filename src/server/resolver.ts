// Everything that answers queries, built from one config: the resolver chain (and the seized
// zones' chains inside it), its caches, upstream pools and rate limiter. A config reload builds
// a new Resolver beside the running one, keeping the caches when their settings did not change,
// and the query handler swaps to it at once.

import type { SinkdConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { Chain } from '../chain/step.js';
import { buildChain } from '../chain/build-chain.js';
import { AclStep } from '../acl/acl-step.js';
import { RefusalLimitStep } from '../acl/refusal-limit-step.js';
import { CidrSet } from '../net/cidr.js';
import { limitReply } from '../rrl/index.js';
import type { ClientAddress } from '../chain/request.js';
import { clientLimitStep } from '../client-limit/setup.js';
import { PolicyStep, type MatcherSource, type SinkholeEvent } from '../policy/policy-step.js';
import { MinimalAnyStep } from '../any/minimal-any-step.js';
import { AnswerCache } from '../cache/answer-cache.js';
import { CacheStep } from '../cache/cache-step.js';
import { cacheMetrics } from '../cache/metrics.js';
import { ForwardStep } from '../upstream/forward-step.js';
import { InflightLimit } from '../upstream/inflight-limit.js';
import { EcsStep } from '../ecs/ecs-step.js';
import { resolverUpstreams } from '../upstream/setup.js';
import { inflightMetrics, upstreamMetrics, type NamedPool } from '../upstream/metrics.js';
import type { UpstreamPool } from '../upstream/upstream-pool.js';
import { rrlMetrics } from '../rrl/metrics.js';
import type { ResponseRateLimiter } from '../rrl/rate-limiter.js';
import { responseRateLimiter, rrlLimitLogger, seizedZones } from '../zone/setup.js';
import type { MetricFamily } from '../metrics/family.js';

export interface ResolverDeps {
  /** The blocklist the policy steps read (swapped atomically by the mirror). */
  readonly lists: MatcherSource;
  readonly onSinkhole: (event: SinkholeEvent) => void;
}

export class Resolver {
  private constructor(
    readonly chain: Chain,
    readonly cache: AnswerCache,
    /** The seized zones' relayed answers; null without zones. */
    readonly zoneCache: AnswerCache | null,
    readonly upstreams: UpstreamPool,
    readonly inflight: InflightLimit,
    private readonly pools: readonly NamedPool[],
    private readonly rrl: ResponseRateLimiter | null,
    /** Which names sinkd answers as an authority (their error replies say RA=0). */
    readonly authoritativeFor: (qname: string) => boolean,
    /** Response rate limiting of the error answers the query handler makes itself (see build). */
    readonly limitError: (client: ClientAddress, reply: Buffer, questionEnd: number) => Buffer | null,
    private readonly cacheSettings: SinkdConfig['cache'],
  ) {}

  /** `previous`: the resolver a reload replaces; its caches are kept if the cache settings are the same. */
  static build(config: SinkdConfig, deps: ResolverDeps, log: Logger, previous: Resolver | null = null): Resolver {
    const sameCache = previous !== null && JSON.stringify(previous.cacheSettings) === JSON.stringify(config.cache);
    const cache = sameCache ? previous.cache : new AnswerCache(config.cache);
    const zoneCache = config.zones.length === 0 ? null : sameCache && previous.zoneCache ? previous.zoneCache : new AnswerCache(config.cache, Date.now, 'authority');
    const upstreams = resolverUpstreams(config, log);
    // One budget of upstream queries in flight for the process, kept (with its counts) across reloads.
    const inflight = previous?.inflight ?? new InflightLimit(config.upstream);
    inflight.configure(config.upstream);
    const rrl = responseRateLimiter(config);
    const zones = zoneCache ? seizedZones(config, { ...deps, cache: new CacheStep(zoneCache), rrl, inflight }, log) : null;
    const acl = new CidrSet(config.acl.allow);
    const logLimit = rrlLimitLogger(log);
    const chain = buildChain({
      ecs: new EcsStep(new CidrSet(config.ecs.trustFrom)),
      zones: zones?.step,
      refusalLimit:
        zones && rrl ? new RefusalLimitStep(rrl, acl, { limited: (prefix, req, verdict) => logLimit(prefix, req.query.qname, verdict, { kind: 'error', key: '' }) }) : undefined,
      clientLimit: clientLimitStep(config.clientLimit, log),
      acl: new AclStep(acl),
      policy: new PolicyStep(deps.lists, config.sinkhole, deps.onSinkhole),
      any: new MinimalAnyStep(),
      cache: new CacheStep(cache),
      forward: new ForwardStep(upstreams, inflight),
    });
    const pools = [{ pool: 'resolver', upstreams }, ...(zones?.pools ?? [])];
    const seized = zones?.seized;
    // FORMERR/NOTIMP/BADVERS are made by the wire parser, outside the chain; with seized zones
    // anyone on the Internet can make sinkd send them, so they share the prefix's error account.
    const limitError = (client: ClientAddress, reply: Buffer, questionEnd: number): Buffer | null => {
      if (rrl === null) return reply;
      const out = limitReply(rrl, client.address, reply, questionEnd, 'error', '', (prefix, verdict) => logLimit(prefix, '', verdict, { kind: 'error', key: '' }));
      return out.length === 0 ? null : out;
    };
    return new Resolver(chain, cache, zoneCache, upstreams, inflight, pools, rrl, (qname) => seized?.find(qname) !== undefined, limitError, config.cache);
  }

  metrics(): MetricFamily[] {
    return [
      ...upstreamMetrics(this.pools),
      ...inflightMetrics(this.inflight),
      ...cacheMetrics(this.zoneCache ? [this.cache, this.zoneCache] : [this.cache]),
      ...(this.rrl ? rrlMetrics(this.rrl) : []),
    ];
  }
}
