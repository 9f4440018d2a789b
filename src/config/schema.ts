// Owns what a valid configuration is: every key once, with its type, range, default and cross-field
// rules, and messages written for the admin. The types in types.ts are derived from it.
import { basename, extname, join } from 'node:path';
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseEndpoint } from '../net/address.js';
import { DEFAULT_RECURSION_ALLOW, parseCidr } from '../net/cidr.js';
import { RRL_DEFAULTS } from '../rrl/options.js';
import { PACKAGE_ROOT } from './defaults.js';

const DNS_PORT = 53;
const DAY = 86_400;
const WEEK = 7 * DAY;

/** Every object is strict (a misspelt key is an error, not a silently ignored setting), and says which keys it knows. */
function strict<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') return `unknown key; expected one of: ${known}`;
      if (iss.code === 'invalid_type') {
        return iss.input === null
          ? `has no value; give { ${known} } or remove the key to keep the defaults`
          : `must be a mapping with keys: ${known}`;
      }
      return undefined;
    },
  });
}

function list<T extends z.ZodType>(item: T, what: string) {
  return z.array(item, {
    error: (iss) => (iss.input === null ? 'has no value; write [] for an empty list' : `must be a list of ${what}`),
  });
}

/** One message for wrong type and out of range alike, so the admin learns the whole rule at once. */
function int(min: number, max: number) {
  const msg = `must be a whole number from ${min} to ${max}`;
  // abort: a bad number is reported once, and cross-field rules (minTtl <= maxTtl) do not run on it.
  const check = { error: msg, abort: true };
  return z.number({ error: msg }).int(check).min(min, check).max(max, check);
}

function text(what: string) {
  return z.string({ error: `must be ${what}` }).min(1, `must be ${what}, not empty`);
}

/** Rethrows a parser's one-line Error as a zod issue, so all problems are collected rather than the first thrown. */
function parsedBy<T>(parse: (s: string) => T, what: string) {
  return z.string({ error: `must be ${what} (a string)` }).transform((s, ctx) => {
    try {
      return parse(s);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });
}

const endpoint = parsedBy((s) => parseEndpoint(s, DNS_PORT), 'an address');

const cidr = parsedBy((s) => {
  parseCidr(s);
  return s;
}, 'a CIDR');

function ipLiteral(family: 4 | 6, example: string) {
  return z
    .string({ error: `must be an IPv${family} address such as ${example}` })
    .refine((s) => isIP(s) === family && !s.includes('%'), `must be an IPv${family} address such as ${example}`);
}

const LABEL = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;
function isDomainName(s: string): boolean {
  const name = s.endsWith('.') ? s.slice(0, -1) : s;
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => LABEL.test(l));
}
const domainName = z
  .string({ error: 'must be a domain name such as ns1.example.' })
  .refine(isDomainName, 'must be a domain name such as ns1.example.');

/**
 * A list: a bare path string, or {path | url, format, source, family, refreshSeconds}. Paths
 * arrive already absolute (see load.ts). A url list is fetched at start and every
 * refreshSeconds with conditional requests; a failed refresh keeps the list already stored.
 */
const LIST_KEYS = 'path, url, format, source, family, refreshSeconds';
const listSpec = z.preprocess(
  (v) => (typeof v === 'string' ? { path: v } : v),
  z
    .strictObject(
      {
        path: text('a file path').optional(),
        url: z
          .string({ error: 'must be an http:// or https:// URL' })
          .refine((s) => /^https?:\/\/[^/\s]+/i.test(s), 'must be an http:// or https:// URL')
          .optional(),
        format: z
          .enum(['auto', 'plain', 'hosts', 'adblock', 'rpz'], { error: 'must be one of auto, plain, hosts, adblock, rpz' })
          .default('auto'),
        source: text('a name for this list').optional(),
        family: text('a malware family name').optional(),
        refreshSeconds: int(60, WEEK).optional(),
      },
      {
        error: (iss) =>
          iss.code === 'unrecognized_keys'
            ? `unknown key; expected one of: ${LIST_KEYS}`
            : `must be a file path, or a mapping with keys: ${LIST_KEYS}`,
      },
    )
    .superRefine((v, ctx) => {
      if ((v.path === undefined) === (v.url === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of path or url' });
      if (v.path !== undefined && v.refreshSeconds !== undefined) ctx.addIssue({ code: 'custom', path: ['refreshSeconds'], message: 'applies to url lists only (a file is re-read on SIGHUP)' });
    })
    .transform(({ path, url, format, source, family, refreshSeconds }) => ({
      ...(path !== undefined ? { path } : {}),
      ...(url !== undefined ? { url, refreshSeconds: refreshSeconds ?? 3600 } : {}),
      format,
      source: source ?? (path !== undefined ? basename(path, extname(path)) : urlSourceName(url!)),
      ...(family === undefined ? {} : { family }),
    })),
);

/** The last path segment without extension ("threatfox" for .../threatfox.rpz), else the host. */
function urlSourceName(url: string): string {
  try {
    const u = new URL(url);
    const last = u.pathname.split('/').filter(Boolean).pop();
    return last ? basename(last, extname(last)) || u.hostname : u.hostname;
  } catch {
    return url;
  }
}

const zone = strict({
  name: domainName.transform((s) => s.toLowerCase().replace(/\.$/, '')),
  nameservers: list(endpoint, 'addresses').min(1, 'must name at least one server'),
  soa: strict({
    mname: domainName,
    rname: domainName,
    serial: int(0, 0xffff_ffff),
    refresh: int(0, 0x7fff_ffff),
    retry: int(0, 0x7fff_ffff),
    expire: int(0, 0x7fff_ffff),
    minimum: int(0, 0x7fff_ffff),
  }),
  ns: list(domainName, 'domain names').min(1, 'must name at least one name server'),
  sinkhole: strict({ ipv4: ipLiteral(4, '192.0.2.66').optional(), ipv6: ipLiteral(6, '2001:db8::66').optional() }).optional(),
  // TTL of the apex SOA and NS records sinkd publishes (the zone's own records keep theirs).
  ttl: int(0, WEEK).default(3600),
});

/** Response rate limiting for the seized zones' answers; the defaults and their reasons are the limiter's own (src/rrl/options.ts). */
const rrl = strict({
  // On for seized zones (it does nothing without them).
  enabled: z.boolean({ error: 'must be true or false' }).prefault(true),
  responsesPerSecond: int(0, 1_000_000).prefault(RRL_DEFAULTS.responsesPerSecond),
  nxdomainsPerSecond: int(0, 1_000_000).prefault(RRL_DEFAULTS.nxdomainsPerSecond),
  errorsPerSecond: int(0, 1_000_000).prefault(RRL_DEFAULTS.errorsPerSecond),
  window: int(1, 3600).prefault(RRL_DEFAULTS.window),
  slip: int(0, 10).prefault(RRL_DEFAULTS.slip),
  ipv4PrefixLength: int(0, 32).prefault(RRL_DEFAULTS.ipv4PrefixLength),
  ipv6PrefixLength: int(0, 128).prefault(RRL_DEFAULTS.ipv6PrefixLength),
  maxTableSize: int(1, 100_000_000).prefault(RRL_DEFAULTS.maxTableSize),
  logOnly: z.boolean({ error: 'must be true or false' }).prefault(RRL_DEFAULTS.logOnly),
  exempt: list(cidr, 'CIDR prefixes').prefault([]),
}).prefault({});

/** The sinkhole catcher's TCP addresses: the port is part of what the malware connects to, so it must be given. */
const catcherEndpoint = parsedBy((s) => {
  const e = parseEndpoint(s, 0);
  if (e.port === 0) throw new Error(`bad address ${JSON.stringify(s)}: give the port, e.g. 192.0.2.66:80 or [2001:db8::66]:443`);
  return e;
}, 'HOST:PORT');

/** The sinkhole catcher (src/catcher): records what infected hosts do at the sinkhole address. */
const catcher = strict({
  // [] = off. The addresses must be the sinkhole addresses DNS answers with, on this host.
  listen: list(catcherEndpoint, 'HOST:PORT addresses')
    .superRefine((eps, ctx) => {
      const seen = new Map<string, number>();
      eps.forEach((e, i) => {
        const key = `${e.host}|${e.port}`;
        const first = seen.get(key);
        if (first === undefined) seen.set(key, i);
        else ctx.addIssue({ code: 'custom', path: [i], message: `same address as catcher.listen[${first}]` });
      });
    })
    .prefault([]),
  // A check-in or a request head is a few hundred bytes; a ClientHello with post-quantum key shares ~2 KB.
  maxBytes: int(512, 1_048_576).prefault(8192),
  // From the accept: malware speaks first and at once; a trickle is not waited for.
  timeoutMs: int(100, 600_000).prefault(5000),
  maxConnections: int(1, 1_000_000).prefault(1024),
  maxConnectionsPerClient: int(1, 1_000_000).prefault(16),
  // The operator's signature files, tried before the shipped config/catcher-signatures.yaml.
  signatures: list(text('a file path'), 'signature files').prefault([]),
})
  .superRefine((c, ctx) => {
    if (c.maxConnectionsPerClient > c.maxConnections) {
      ctx.addIssue({ code: 'custom', path: ['maxConnectionsPerClient'], message: `must not exceed catcher.maxConnections (${c.maxConnections})` });
    }
  })
  .prefault({});

/** redis://[user:pass@]host:port[/db] or rediss:// (TLS); empty means the embedded store. */
const redisUrl = z.string({ error: 'must be a redis:// or rediss:// URL, or "" for the embedded store' }).refine((s) => {
  if (s === '') return true;
  try {
    const u = new URL(s);
    return (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '';
  } catch {
    return false;
  }
}, 'must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379/0, or "" for the embedded store');

/** Sentinel and Cluster seed nodes may be host names (a compose service called "redis"). */
const redisNode = z
  .string({ error: 'must be HOST:PORT' })
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):[0-9]{1,5}$/, 'must be HOST:PORT, e.g. 10.0.0.5:26379 or [fd00::5]:7000');

/**
 * The complete configuration: every key, its type and range, and its default, written once.
 * The config file and the flags are merged and parsed here; whatever they leave out takes the
 * default (`prefault`: the default goes through the same parsing as a written value). The types
 * the rest of sinkd sees are derived from this (types.ts); config/sinkd.yaml documents the same
 * defaults (a test checks they agree).
 */
export const configSchema = strict({
  listen: list(endpoint, 'addresses')
    .min(1, 'must name at least one address to listen on')
    .superRefine((eps, ctx) => {
      const seen = new Map<string, number>();
      eps.forEach((e, i) => {
        const key = `${e.host}|${e.port}`;
        const first = seen.get(key);
        if (first === undefined) seen.set(key, i);
        else ctx.addIssue({ code: 'custom', path: [i], message: `same address as listen[${first}]` });
      });
    })
    // Loopback and an unprivileged port, so a first run needs no root.
    .prefault(['127.0.0.1:5353']),
  // Worker processes serving DNS: a number, or "auto" for one per CPU core.
  workers: z.union([z.literal('auto'), int(1, 256)], { error: 'must be "auto" or a whole number from 1 to 256' }).prefault(1),
  // [] = the nameservers of /etc/resolv.conf (see load.ts).
  upstreams: list(endpoint, 'addresses').prefault([]),
  upstream: strict({
    // A healthy upstream answers in well under a second; waiting longer only delays the next one.
    timeoutMs: int(1, 60_000).prefault(1000),
    tcpTimeoutMs: int(1, 120_000).prefault(3000),
    // Each query in flight holds a socket: the cap keeps the process below its descriptor limit.
    maxInflight: int(1, 1_000_000).prefault(1000),
    // A client is one IPv4 address or one IPv6 /64.
    maxInflightPerClient: int(1, 1_000_000).prefault(250),
  }).prefault({}),
  blocklists: list(listSpec, 'list files').prefault([{ path: join(PACKAGE_ROOT, 'blocklists/ddns-malware-sample.txt'), format: 'auto', source: 'ddns-malware-sample' }]),
  allowlists: list(listSpec, 'list files').prefault([]),
  sinkhole: strict({
    mode: z.enum(['sinkhole', 'nxdomain'], { error: 'must be sinkhole or nxdomain' }).prefault('sinkhole'),
    ipv4: ipLiteral(4, '0.0.0.0').prefault('0.0.0.0'),
    ipv6: ipLiteral(6, '::').prefault('::'),
    ttl: int(0, DAY).prefault(60),
  }).prefault({}),
  cache: strict({
    maxEntries: int(1, 100_000_000).prefault(100_000),
    // At least one maximum-size DNS message (64 KiB); at most 64 GiB.
    maxBytes: int(65_536, 64 * 1024 ** 3).prefault(64 * 1024 * 1024),
    minTtl: int(0, DAY).prefault(0),
    maxTtl: int(0, WEEK).prefault(DAY),
    maxNegativeTtl: int(0, WEEK).prefault(3600),
    staleAnswerTtl: int(0, DAY).prefault(30),
    maxStale: int(0, WEEK).prefault(DAY),
  })
    .superRefine((c, ctx) => {
      if (c.minTtl > c.maxTtl) {
        ctx.addIssue({ code: 'custom', path: ['minTtl'], message: `must not exceed cache.maxTtl (${c.maxTtl})` });
      }
    })
    .prefault({}),
  acl: strict({ allow: list(cidr, 'CIDR prefixes').prefault([...DEFAULT_RECURSION_ALLOW]) }).prefault({}),
  clientLimit: strict({
    queriesPerSecond: int(0, 10_000_000).prefault(1000),
    action: z.enum(['refused', 'drop'], { error: 'must be refused or drop' }).prefault('refused'),
    exempt: list(cidr, 'CIDR prefixes').prefault(['127.0.0.0/8', '::1/128']),
  }).prefault({}),
  tcp: strict({
    idleTimeoutMs: int(1, 600_000).prefault(10_000),
    maxConnections: int(1, 65_535).prefault(256),
    maxConnectionsPerClient: int(1, 65_535).prefault(32),
    // Per /24 (IPv4) or /56 (IPv6): one network, or one IPv6 host with its /64, is one client here.
    maxConnectionsPerPrefix: int(1, 65_535).prefault(64),
  }).prefault({}),
  log: strict({
    level: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: 'must be one of fatal, error, warn, info, debug, trace, silent',
      })
      .prefault('info'),
  }).prefault({}),
  redis: strict({
    url: redisUrl.prefault(''),
    mode: z.enum(['standalone', 'sentinel', 'cluster'], { error: 'must be standalone, sentinel or cluster' }).prefault('standalone'),
    nodes: list(redisNode, 'HOST:PORT seed nodes').prefault([]),
    sentinelName: text('the Sentinel master name').prefault('mymaster'),
    prefix: z.string({ error: 'must be a key prefix string' }).regex(/^[A-Za-z0-9:_.-]*$/, 'may hold only letters, digits and : _ . -').prefault('sinkd:'),
    required: z.boolean({ error: 'must be true or false' }).prefault(false),
    connectTimeoutMs: int(100, 60_000).prefault(2000),
    // For rediss://: PEM files ("" = none): the CA to trust instead of the system's, a client
    // certificate and its key. They apply to every connection, Sentinels and Cluster nodes too.
    tls: strict({
      ca: z.string({ error: 'must be a file path or ""' }).prefault(''),
      cert: z.string({ error: 'must be a file path or ""' }).prefault(''),
      key: z.string({ error: 'must be a file path or ""' }).prefault(''),
    }).prefault({}),
  })
    .superRefine((r, ctx) => {
      if (r.mode !== 'standalone' && r.url !== '' && r.nodes.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['nodes'], message: `${r.mode} mode needs seed nodes (HOST:PORT)` });
      }
      // TLS files with a redis:// URL would silently send everything in clear text.
      for (const key of ['ca', 'cert', 'key'] as const) {
        if (r.tls[key] !== '' && r.url.startsWith('redis://')) ctx.addIssue({ code: 'custom', path: ['tls', key], message: 'is set, but redis.url starts with redis:// (clear text); use rediss:// for TLS' });
      }
      if ((r.tls.cert === '') !== (r.tls.key === '')) ctx.addIssue({ code: 'custom', path: ['tls', r.tls.cert === '' ? 'cert' : 'key'], message: 'a client certificate needs both redis.tls.cert and redis.tls.key' });
    })
    .prefault({}),
  // "" = the default location for the user running sinkd (config/default-store-path.ts), resolved
  // on load: never inside the installed package.
  store: strict({ path: z.string({ error: 'must be a file path, or "" for the default location' }).prefault('') }).prefault({}),
  infected: strict({
    enabled: z.boolean({ error: 'must be true or false' }).prefault(true),
    retentionDays: int(1, 3650).prefault(30),
    verdict: strict({ minDistinctMinutes: int(1, 100_000).prefault(3), minDistinctNames: int(1, 100_000).prefault(2) }).prefault({}),
    leases: list(
      z.preprocess(
        (v) => (typeof v === 'string' ? { path: v } : v),
        z.strictObject(
          {
            path: text('a lease file path'),
            format: z.enum(['auto', 'dnsmasq', 'isc', 'kea'], { error: 'must be one of auto, dnsmasq, isc, kea' }).default('auto'),
          },
          { error: (iss) => (iss.code === 'unrecognized_keys' ? 'unknown key; expected one of: path, format' : 'must be a file path, or a mapping with keys: path, format') },
        ),
      ),
      'lease files',
    ).prefault([]),
    bufferHits: int(1000, 10_000_000).prefault(100_000),
    flushIntervalMs: int(50, 60_000).prefault(1000),
    // Per-client bounds of every hit store (src/infected/client-bounds.ts): a client beaconing for
    // a month, or one flooding random names, holds a bounded record.
    maxNamesPerClient: int(1, 1_000_000).prefault(1000),
    maxMinutesPerClient: int(16, 1_000_000).prefault(4096),
    // The embedded store: most clients kept (least recently seen forgotten first).
    maxClients: int(100, 100_000_000).prefault(100_000),
    // The embedded store: the journal is compacted into a snapshot past this size.
    journalMaxBytes: int(4096, 1 << 30).prefault(16 * 1024 * 1024),
  }).prefault({}),
  admin: strict({
    // "" = off. The admin listener serves the infected-host report: keep it on loopback or a management network.
    listen: z
      .union([z.literal(''), parsedBy((s) => parseEndpoint(s, 9053), 'HOST:PORT')])
      .transform((v) => (v === '' ? null : v))
      .prefault(''),
    // Host header names served besides the listener's own address: a page on another site that
    // rebinds its name to this address (DNS rebinding) sends its own name and gets 421.
    allowedHosts: list(
      z
        .string({ error: 'must be a host name' })
        .regex(/^[A-Za-z0-9.-]{1,253}$/, 'must be a host name (letters, digits, dots, hyphens)')
        .transform((h) => h.toLowerCase()),
      'host names',
    ).prefault([]),
    maxConnections: int(1, 10_000).prefault(32),
    // A request must arrive whole within this long.
    requestTimeoutMs: int(1000, 300_000).prefault(10_000),
  }).prefault({}),
  zones: list(zone, 'zones')
    .superRefine((zs, ctx) => {
      const seen = new Set<string>();
      zs.forEach((z, i) => {
        if (seen.has(z.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `zone ${z.name} is listed twice` });
        seen.add(z.name);
      });
    })
    .prefault([]),
  rrl,
  catcher,
  // EDNS Client Subnet is taken only from these resolvers (default none): a subnet anyone can
  // claim must not name the infected network in the report (see src/ecs/ecs-step.ts).
  ecs: strict({ trustFrom: list(cidr, 'CIDR prefixes').prefault([]) }).prefault({}),
});
