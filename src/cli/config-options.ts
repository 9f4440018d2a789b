// The options every command that reads the config shares (--config, --redis and the serve overrides).

import type { Options } from 'yargs';

export const configOption = {
  config: {
    type: 'string',
    describe: 'config file (default: ./config/sinkd.yaml if present, else built-in defaults)',
  },
} satisfies Record<string, Options>;

/** Every command that touches data takes it; SINKD_REDIS_URL is read in overridesFrom(). */
export const redisOption = {
  redis: {
    type: 'string',
    describe: 'shared store redis://[user:pass@]host:port/db or rediss:// (default: $SINKD_REDIS_URL, else the config file; "" = the embedded store)',
  },
} satisfies Record<string, Options>;

export const serveOverrideOptions = {
  ...redisOption,
  listen: { type: 'string', array: true, describe: 'listen address HOST:PORT, UDP and TCP (repeatable; default 127.0.0.1:5353)' },
  upstream: { type: 'string', array: true, describe: 'upstream DNS server HOST[:PORT] (repeatable; default: /etc/resolv.conf)' },
  blocklist: { type: 'string', array: true, describe: 'blocklist file (repeatable; replaces the config file\'s lists)' },
  'sinkhole-ipv4': { type: 'string', describe: 'address for A answers to blocked names (default 0.0.0.0)' },
  'sinkhole-ipv6': { type: 'string', describe: 'address for AAAA answers to blocked names (default ::)' },
  'log-level': { type: 'string', describe: 'fatal|error|warn|info|debug|trace|silent (default info)' },
  admin: { type: 'string', describe: 'admin HTTP listener HOST:PORT for /report, /api/report, /metrics, /healthz, /readyz (default: off)' },
  workers: { type: 'string', describe: 'worker processes serving DNS: N or auto (one per CPU core); default 1' },
  catcher: { type: 'string', array: true, describe: 'sinkhole catcher: record TCP connections to HOST:PORT, an address of this host that --sinkhole-ipv4/-ipv6 answers with (repeatable; default: off)' },
} satisfies Record<string, Options>;
