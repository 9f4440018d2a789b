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
}

export function overridesFrom(args: ServeArgs): CliOverrides {
  return {
    config: args.config,
    listen: args.listen,
    upstream: args.upstream,
    blocklist: args.blocklist,
    sinkholeIpv4: args['sinkhole-ipv4'],
    sinkholeIpv6: args['sinkhole-ipv6'],
    logLevel: args['log-level'],
  };
}
