// Owns the built-in defaults: what sinkd runs on with no config file. config/sinkd.yaml must say exactly this (a test checks).
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { DEFAULT_RECURSION_ALLOW } from '../net/cidr.js';
import { RRL_DEFAULTS } from '../rrl/options.js';

/** Every RRL default but the log interval, which is not a config key. */
const { logIntervalMs: _logInterval, ...RRL_CONFIG_DEFAULTS } = RRL_DEFAULTS;

/**
 * The package's root. This module sits at src/config/ (tests) or dist/config/ (built),
 * both two levels down, so the installed CLI finds its own blocklists/ without a checkout.
 */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Relative paths in DEFAULT_SETTINGS are read from here, as if the defaults were the
 * shipped config/sinkd.yaml, which is what keeps the two identical after loading.
 */
export const DEFAULTS_BASE_DIR = join(PACKAGE_ROOT, 'config');

/** In the config file's own (unvalidated) form, so that it goes through the same merge and checks as a file. */
export const DEFAULT_SETTINGS = deepFreeze({
  listen: ['127.0.0.1:5353'],
  workers: 1,
  upstreams: [],
  upstream: { timeoutMs: 1000, tcpTimeoutMs: 3000 },
  blocklists: [{ path: '../blocklists/ddns-malware-sample.txt', format: 'auto', source: 'ddns-malware-sample' }],
  allowlists: [],
  sinkhole: { mode: 'sinkhole', ipv4: '0.0.0.0', ipv6: '::', ttl: 60 },
  cache: {
    maxEntries: 100_000,
    maxBytes: 64 * 1024 * 1024,
    minTtl: 0,
    maxTtl: 86_400,
    maxNegativeTtl: 3600,
    staleAnswerTtl: 30,
    maxStale: 86_400,
  },
  acl: { allow: [...DEFAULT_RECURSION_ALLOW] },
  clientLimit: { queriesPerSecond: 1000, action: 'refused', exempt: ['127.0.0.0/8', '::1/128'] },
  tcp: { idleTimeoutMs: 10_000, maxConnections: 256, maxConnectionsPerClient: 32 },
  log: { level: 'info' },
  redis: { url: '', mode: 'standalone', nodes: [], sentinelName: 'mymaster', prefix: 'sinkd:', required: false, connectTimeoutMs: 2000, tls: { ca: '', cert: '', key: '' } },
  // "" = the default location (default-store-path.ts): the user's state directory, not the package.
  store: { path: '' },
  infected: {
    enabled: true,
    retentionDays: 30,
    verdict: { minDistinctMinutes: 3, minDistinctNames: 2 },
    leases: [],
    bufferHits: 100_000,
    flushIntervalMs: 1000,
  },
  admin: { listen: '' },
  zones: [],
  // The limiter's own defaults (src/rrl/options.ts says why each), on for seized zones.
  rrl: { enabled: true, ...RRL_CONFIG_DEFAULTS, exempt: [] },
});

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
