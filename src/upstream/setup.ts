// From the config to upstream pools: the resolver's forwarders and each seized zone's original
// servers, each pool with its own log events (upstream-down/up, origin-down/up).

import type { SinkdConfig, ZoneSpec } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { UpstreamPool } from './upstream-pool.js';

export function resolverUpstreams(config: Pick<SinkdConfig, 'upstreams' | 'upstream'>, log: Logger): UpstreamPool {
  return new UpstreamPool(config.upstreams, config.upstream, {
    down: (server, reason) => log.warn({ event: 'upstream-down', upstream: server, reason }, `upstream ${server} failed: ${reason}`),
    up: (server) => log.info({ event: 'upstream-up', upstream: server }, `upstream ${server} answers again`),
  });
}

export function zoneOrigins(zone: ZoneSpec, config: Pick<SinkdConfig, 'upstream'>, log: Logger): UpstreamPool {
  return new UpstreamPool(zone.nameservers, config.upstream, {
    down: (server, reason) => log.warn({ event: 'origin-down', zone: zone.name, upstream: server, reason }, `${zone.name}: original name server ${server} failed: ${reason}`),
    up: (server) => log.info({ event: 'origin-up', zone: zone.name, upstream: server }, `${zone.name}: original name server ${server} answers again`),
  });
}
