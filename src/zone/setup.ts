// From `zones:` to one chain per seized zone (order in src/chain/build-chain.ts), looked up by
// the zones step; each zone's original servers are a pool of their own.

import type { SinkdConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { Next } from '../chain/step.js';
import { buildZoneChain } from '../chain/build-chain.js';
import type { CacheStep } from '../cache/cache-step.js';
import { MinimalAnyStep } from '../any/minimal-any-step.js';
import { PolicyStep, type MatcherSource, type SinkholeEvent } from '../policy/policy-step.js';
import { ResponseRateLimiter } from '../rrl/rate-limiter.js';
import type { Account } from '../rrl/index.js';
import { WildcardProber } from './wildcard-prober.js';
import { CidrSet } from '../net/cidr.js';
import { zoneOrigins } from '../upstream/setup.js';
import type { InflightLimit } from '../upstream/inflight-limit.js';
import type { NamedPool } from '../upstream/metrics.js';
import { ApexStep } from './apex-step.js';
import { OriginForwardStep } from './origin-forward-step.js';
import { RateLimitStep } from './rate-limit-step.js';
import { SeizedZones } from './seized-zones.js';
import { ZoneStep } from './zone-step.js';

export interface ZoneDeps {
  readonly lists: MatcherSource;
  readonly onSinkhole: (event: SinkholeEvent) => void;
  /** The authority cache every zone shares (TTLs kept, referrals cached). */
  readonly cache: CacheStep;
  readonly rrl: ResponseRateLimiter | null;
  /** The process's budget of upstream queries in flight (shared with the resolver's forward step). */
  readonly inflight: InflightLimit;
}

export interface BuiltZones {
  readonly step: ZoneStep;
  readonly seized: SeizedZones<Next>;
  readonly pools: NamedPool[];
}

/** The rrl-limit log event: one line per limited client prefix a minute (the limiter's log interval). */
export function rrlLimitLogger(log: Logger): (prefix: string, qname: string, verdict: string, account: Account) => void {
  return (prefix, qname, verdict, account) => {
    const what = account.kind === 'error' ? 'error answers' : account.kind === 'nxdomain' ? `NXDOMAIN answers (${account.key})` : `answers (${account.key})`;
    log.warn(
      { event: 'rrl-limit', prefix, qname, verdict, kind: account.kind, account: account.key },
      `rate limiting ${what} to ${prefix}${qname ? `, e.g. ${qname}` : ''}: ${verdict}; logged once a minute per prefix`,
    );
  };
}

export function seizedZones(config: SinkdConfig, deps: ZoneDeps, log: Logger): BuiltZones {
  const logLimit = rrlLimitLogger(log);
  const rrlEvents = {
    limited: (prefix: string, req: { query: { qname: string } }, verdict: string, account: Account) => logLimit(prefix, req.query.qname, verdict, account),
  };
  const pools: NamedPool[] = [];
  const seized = new SeizedZones(
    config.zones.map((zone) => {
      const origins = zoneOrigins(zone, config, log);
      pools.push({ pool: `zone:${zone.name}`, upstreams: origins });
      const sinkhole = { ...config.sinkhole, ipv4: zone.sinkhole?.ipv4 ?? config.sinkhole.ipv4, ipv6: zone.sinkhole?.ipv6 ?? config.sinkhole.ipv6 };
      const listed = (name: string) => {
        const rule = deps.lists.matcher.match(name);
        return rule !== undefined && rule.name.length > zone.name.length;
      };
      const wildcards = deps.rrl
        ? new WildcardProber(origins, zone.name, listed, {
            found: (ancestor) =>
              log.info({ event: 'rrl-wildcard', zone: zone.name, wildcard: `*.${ancestor}` }, `${zone.name}: the provider synthesises names below ${ancestor} (a wildcard); rate limiting counts those answers as one`),
          })
        : undefined;
      wildcards?.prime();
      const chain = buildZoneChain({
        ...(deps.rrl ? { rrl: new RateLimitStep(deps.rrl, zone.name, rrlEvents, wildcards) } : {}),
        apex: new ApexStep(zone),
        policy: new PolicyStep(deps.lists, sinkhole, deps.onSinkhole, { apex: zone.name, soa: zone.soa }),
        any: new MinimalAnyStep({ authoritative: true, recursionAvailable: false }),
        cache: deps.cache,
        origin: new OriginForwardStep(origins, zone.name, listed, deps.inflight),
      });
      return [zone.name, chain.handle] as const;
    }),
  );
  return { step: new ZoneStep(seized), seized, pools };
}

/** From `rrl:` to the limiter the seized zones share (null without zones or when switched off). */
export function responseRateLimiter(config: Pick<SinkdConfig, 'zones' | 'rrl'>): ResponseRateLimiter | null {
  if (config.zones.length === 0 || !config.rrl.enabled) return null;
  return new ResponseRateLimiter({ ...config.rrl, exemptClients: new CidrSet(config.rrl.exempt) });
}
