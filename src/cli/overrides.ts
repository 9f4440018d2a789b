// Turns parsed flags into the config loader's overrides (flags win over the file).

import type { CliOverrides } from '../config/load.js';

export interface ServeArgs {
  config?: string;
  listen?: string[];
  upstream?: string[];
  blocklist?: string[];
  'sinkhole-ipv4'?: string;
  'sinkhole-ipv6'?: string;
  'log-level'?: string;
  redis?: string;
  admin?: string;
  workers?: string;
  catcher?: string[];
}

/** The environment variable that stands in for --redis (the flag wins). */
export const REDIS_URL_ENV = 'SINKD_REDIS_URL';

export function overridesFrom(args: ServeArgs, env: NodeJS.ProcessEnv = process.env): CliOverrides {
  return {
    config: args.config,
    listen: args.listen,
    upstream: args.upstream,
    blocklist: args.blocklist,
    sinkholeIpv4: args['sinkhole-ipv4'],
    sinkholeIpv6: args['sinkhole-ipv6'],
    logLevel: args['log-level'],
    // An unset or empty variable leaves the config file's redis.url (`--redis ""` picks the embedded store).
    redis: args.redis ?? (env[REDIS_URL_ENV] || undefined),
    admin: args.admin,
    workers: args.workers,
    catcher: args.catcher,
  };
}
