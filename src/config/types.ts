// Owns the shape of sinkd's validated configuration, as the rest of the program sees it.
import type { Endpoint } from '../net/address.js';

export type ListFormat = 'auto' | 'plain' | 'hosts' | 'adblock' | 'rpz';

export interface ListSpec {
  /** Absolute. Exactly one of path and url is set. */
  path?: string;
  /** An http(s) feed, fetched at start and every refreshSeconds. */
  url?: string;
  refreshSeconds?: number;
  format: ListFormat;
  /** Recorded with every entry and hit; defaults to the file name without its extension. */
  source: string;
  family?: string;
}

export type SinkholeMode = 'sinkhole' | 'nxdomain';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** A seized zone that sinkd answers for authoritatively (DESIGN.md, "zones:"). */
export interface ZoneSpec {
  /** Lowercase, without the trailing dot: `no-ip.info`. */
  name: string;
  /** The original provider's servers, asked for every name not on the blocklist. */
  nameservers: Endpoint[];
  soa: {
    mname: string;
    rname: string;
    serial: number;
    refresh: number;
    retry: number;
    expire: number;
    minimum: number;
  };
  ns: string[];
  /** Per-zone sinkhole addresses; a missing one falls back to the global sinkhole. */
  sinkhole?: { ipv4?: string; ipv6?: string };
  /** TTL of the apex SOA and NS records published from this config. */
  ttl: number;
}

/** Response rate limiting of seized-zone answers over UDP (BIND's RRL; see src/rrl/options.ts). */
export interface RrlSettings {
  enabled: boolean;
  responsesPerSecond: number;
  nxdomainsPerSecond: number;
  errorsPerSecond: number;
  window: number;
  slip: number;
  ipv4PrefixLength: number;
  ipv6PrefixLength: number;
  maxTableSize: number;
  logOnly: boolean;
  /** CIDR text of clients never limited. */
  exempt: string[];
}

export interface SinkdConfig {
  /** Absolute path of the file read, or null when running on built-in defaults. */
  configFile: string | null;
  listen: Endpoint[];
  /** Worker processes serving DNS; "auto" = one per CPU core (see cli/serve.ts). */
  workers: number | 'auto';
  /** Never empty unless resolv.conf had no usable nameserver either. */
  upstreams: Endpoint[];
  upstream: { timeoutMs: number; tcpTimeoutMs: number };
  blocklists: ListSpec[];
  allowlists: ListSpec[];
  sinkhole: { mode: SinkholeMode; ipv4: string; ipv6: string; ttl: number };
  cache: {
    maxEntries: number;
    maxBytes: number;
    minTtl: number;
    maxTtl: number;
    maxNegativeTtl: number;
    staleAnswerTtl: number;
    maxStale: number;
  };
  /** CIDR text as written; build a CidrSet from it. */
  acl: { allow: string[] };
  /** Per-client query rate limit of the resolver side; queriesPerSecond 0 = off. CIDR text in exempt. */
  clientLimit: { queriesPerSecond: number; action: 'refused' | 'drop'; exempt: string[] };
  tcp: { idleTimeoutMs: number; maxConnections: number; maxConnectionsPerClient: number };
  log: { level: LogLevel };
  /** Where the shared blocklist lives; url "" = the embedded store (store.path). */
  redis: {
    url: string;
    mode: 'standalone' | 'sentinel' | 'cluster';
    nodes: string[];
    sentinelName: string;
    prefix: string;
    required: boolean;
    connectTimeoutMs: number;
    /** For rediss://: PEM files (absolute paths; "" = none): the CA to trust instead of the system's, a client certificate and its key. */
    tls: { ca: string; cert: string; key: string };
  };
  /** The embedded store: a local change-log file (absolute path; "" in the file = default-store-path.ts's choice, resolved on load). */
  store: { path: string };
  /** Infected-host tracking (every sinkholed query is a hit) and its report. */
  infected: {
    enabled: boolean;
    retentionDays: number;
    verdict: { minDistinctMinutes: number; minDistinctNames: number };
    /** DHCP lease files (absolute paths) giving MAC and hostname for client IPs. */
    leases: { path: string; format: 'auto' | 'dnsmasq' | 'isc' | 'kea' }[];
    bufferHits: number;
    flushIntervalMs: number;
  };
  /** The admin HTTP listener (report, later metrics and health); null = off. */
  admin: { listen: Endpoint | null };
  zones: ZoneSpec[];
  rrl: RrlSettings;
}
