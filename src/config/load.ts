// Owns building the one frozen SinkdConfig: built-in defaults, then the config file, then CLI flags, validated together.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { z } from 'zod';
import { readResolvConf } from '../net/resolv-conf.js';
import { deepFreeze } from './defaults.js';
import { defaultStorePath } from './default-store-path.js';
import { ConfigError, formatKeyPath } from './errors.js';
import { configSchema } from './schema.js';
import type { SinkdConfig } from './types.js';
import { readYamlFile } from './yaml-file.js';

export { ConfigError } from './errors.js';
export type { ListFormat, ListSpec, LogLevel, SinkdConfig, SinkholeMode, ZoneSpec } from './types.js';

/** What the CLI passes in; an absent or empty flag leaves the setting to the file or defaults. */
export interface CliOverrides {
  config?: string;
  listen?: string[];
  upstream?: string[];
  blocklist?: string[];
  sinkholeIpv4?: string;
  sinkholeIpv6?: string;
  logLevel?: string;
  /** --redis URL, or SINKD_REDIS_URL (the caller picks). */
  redis?: string;
  /** --admin HOST:PORT */
  admin?: string;
  /** --workers N|auto */
  workers?: string;
  /** --catcher HOST:PORT (repeatable) */
  catcher?: string[];
}

export interface LoadOptions {
  /** Where relative flag paths and ./config/sinkd.yaml are looked up; default process.cwd(). */
  cwd?: string;
  /** Where upstreams come from when none are configured; default /etc/resolv.conf. */
  resolvConfPath?: string;
  /** The environment the default store location is derived from (default-store-path.ts); default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Which settings each flag replaces; its problems are reported under the flag's name. */
const FLAG_KEYS: ReadonlyArray<[flag: string, path: readonly string[]]> = [
  ['--listen', ['listen']],
  ['--upstream', ['upstreams']],
  ['--blocklist', ['blocklists']],
  ['--sinkhole-ipv4', ['sinkhole', 'ipv4']],
  ['--sinkhole-ipv6', ['sinkhole', 'ipv6']],
  ['--log-level', ['log', 'level']],
  ['--redis', ['redis', 'url']],
  ['--admin', ['admin', 'listen']],
  ['--workers', ['workers']],
  ['--catcher', ['catcher', 'listen']],
];

interface Layer {
  values: Record<string, unknown>;
  /** Where a problem in a value this layer set is reported. */
  describe(path: readonly PropertyKey[]): string;
}

/**
 * Flags override the file and the file overrides the defaults: objects merge key by key,
 * lists and scalars replace. Throws ConfigError listing every problem found.
 */
export function loadConfig(overrides: CliOverrides, opts: LoadOptions = {}): SinkdConfig {
  const cwd = resolve(opts.cwd ?? process.cwd());
  // The defaults are the schema's own: whatever the file and flags leave out.
  const defaults: Layer = { values: {}, describe: (path) => `built-in defaults: ${formatKeyPath(path)}` };
  const fileLayer = readConfigLayer(overrides.config, cwd);
  const flags = flagLayer(overrides, cwd);

  const merged = [fileLayer?.layer, flags].reduce<unknown>(
    (acc, layer) => (layer === undefined ? acc : merge(acc, layer.values)),
    defaults.values,
  );
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const sources = (path: readonly PropertyKey[]): Layer => {
      if (FLAG_KEYS.some(([, keys]) => startsWith(path, keys)) && definesPath(flags.values, path)) return flags;
      // The parent suffices: a cross-field problem (cache.minTtl vs maxTtl) belongs to the file if it set either.
      if (fileLayer && definesPath(fileLayer.layer.values, path.slice(0, Math.max(1, path.length - 1)))) return fileLayer.layer;
      return defaults;
    };
    throw new ConfigError(parsed.error.issues.flatMap((iss) => describeIssue(iss, sources)));
  }

  const config = parsed.data;
  let upstreams = config.upstreams;
  if (upstreams.length === 0) {
    const path = opts.resolvConfPath ?? '/etc/resolv.conf';
    try {
      upstreams = readResolvConf(path, config.listen);
    } catch (err) {
      throw new ConfigError(`cannot read ${path} for default upstreams (${(err as Error).message}); set upstreams or pass --upstream`);
    }
  }
  // store.path "" = the default location, which depends on who runs sinkd (default-store-path.ts).
  const store = config.store.path === '' ? { ...config.store, path: defaultStorePath(opts.env) } : config.store;
  return deepFreeze({ configFile: fileLayer?.path ?? null, ...config, upstreams, store });
}

/** --config FILE if given (it must exist), else <cwd>/config/sinkd.yaml if present, else none. */
function readConfigLayer(given: string | undefined, cwd: string): { path: string; layer: Layer } | undefined {
  const path = resolve(cwd, given ?? 'config/sinkd.yaml');
  if (given === undefined && !existsSync(path)) return undefined;
  const rel = relative(cwd, path);
  const display = given !== undefined && isAbsolute(given) ? given : rel.startsWith('..') || isAbsolute(rel) ? path : rel;

  const file = readYamlFile(path, display);
  if (!isPlainObject(file.values)) {
    throw new ConfigError(`${display}:1: the top level must be a mapping of settings (key: value), not a ${kindOf(file.values)}`);
  }
  return {
    path,
    layer: {
      // Paths in a config file are relative to the file, so it works whatever the cwd.
      values: withAbsoluteListPaths(file.values, dirname(path)),
      describe: (keyPath) => {
        const line = file.lineOf(keyPath);
        return `${display}${line === undefined ? '' : `:${line}`}: ${formatKeyPath(keyPath)}`;
      },
    },
  };
}

function flagLayer(o: CliOverrides, cwd: string): Layer {
  const values: Record<string, unknown> = {};
  if (o.listen?.length) values.listen = o.listen;
  if (o.upstream?.length) values.upstreams = o.upstream;
  // Flag paths are relative to where the admin typed the command.
  if (o.blocklist?.length) values.blocklists = o.blocklist.map((p) => (p === '' ? p : resolve(cwd, p)));
  const sinkhole: Record<string, unknown> = {};
  if (o.sinkholeIpv4 !== undefined) sinkhole.ipv4 = o.sinkholeIpv4;
  if (o.sinkholeIpv6 !== undefined) sinkhole.ipv6 = o.sinkholeIpv6;
  if (Object.keys(sinkhole).length > 0) values.sinkhole = sinkhole;
  if (o.logLevel !== undefined) values.log = { level: o.logLevel };
  if (o.redis !== undefined) values.redis = { url: o.redis };
  if (o.admin !== undefined) values.admin = { listen: o.admin };
  if (o.workers !== undefined) values.workers = /^\d+$/.test(o.workers) ? Number(o.workers) : o.workers;
  if (o.catcher?.length) values.catcher = { listen: o.catcher };
  return {
    values,
    // The offending value is quoted in the message, so the flag name is enough to find it.
    describe: (path) => FLAG_KEYS.find(([, keys]) => startsWith(path, keys))?.[0] ?? formatKeyPath(path),
  };
}

function describeIssue(iss: z.core.$ZodIssue, sourceOf: (path: readonly PropertyKey[]) => Layer): string[] {
  // One line per unknown key, each with its own path and line.
  if (iss.code === 'unrecognized_keys') {
    return iss.keys.map((key) => {
      const path = [...iss.path, key];
      return `${sourceOf(path).describe(path)}: ${iss.message}`;
    });
  }
  return [`${sourceOf(iss.path).describe(iss.path)}: ${iss.message}`];
}

/** Resolves blocklists/allowlists paths against `base`; leaves anything malformed for the schema to report. */
function withAbsoluteListPaths(values: Record<string, unknown>, base: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...values };
  const infected = values.infected;
  if (isPlainObject(infected) && Array.isArray(infected.leases)) {
    out.infected = {
      ...infected,
      leases: infected.leases.map((e: unknown) => {
        if (typeof e === 'string') return e === '' ? e : resolve(base, e);
        if (isPlainObject(e) && typeof e.path === 'string' && e.path !== '') return { ...e, path: resolve(base, e.path) };
        return e;
      }),
    };
  }
  const catcher = values.catcher;
  if (isPlainObject(catcher) && Array.isArray(catcher.signatures)) {
    out.catcher = { ...catcher, signatures: catcher.signatures.map((p: unknown) => (typeof p === 'string' && p !== '' ? resolve(base, p) : p)) };
  }
  const redis = values.redis;
  if (isPlainObject(redis) && isPlainObject(redis.tls)) {
    const tls: Record<string, unknown> = { ...redis.tls };
    for (const key of ['ca', 'cert', 'key']) if (typeof tls[key] === 'string' && tls[key] !== '') tls[key] = resolve(base, tls[key]);
    out.redis = { ...redis, tls };
  }
  const store = values.store;
  if (isPlainObject(store) && typeof store.path === 'string' && store.path !== '') out.store = { ...store, path: resolve(base, store.path) };
  for (const key of ['blocklists', 'allowlists']) {
    const entries = values[key];
    if (!Array.isArray(entries)) continue;
    out[key] = entries.map((e: unknown) => {
      if (typeof e === 'string') return e === '' ? e : resolve(base, e);
      if (isPlainObject(e) && typeof e.path === 'string' && e.path !== '') return { ...e, path: resolve(base, e.path) };
      return e;
    });
  }
  return out;
}

function merge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = {};
  for (const [k, v] of [...Object.entries(base), ...Object.entries(over)]) {
    // defineProperty, so a "__proto__" key in a file is an unknown key rather than a prototype change.
    Object.defineProperty(out, k, { value: Object.hasOwn(out, k) ? merge(out[k], v) : v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** True if `values` sets `path`, or replaces a list or scalar on the way to it. */
function definesPath(values: unknown, path: readonly PropertyKey[]): boolean {
  let node = values;
  for (const seg of path) {
    if (!isPlainObject(node)) return true;
    if (!Object.hasOwn(node, seg)) return false;
    node = node[seg as string];
  }
  return true;
}

function startsWith(path: readonly PropertyKey[], prefix: readonly string[]): boolean {
  return prefix.every((seg, i) => path[i] === seg);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kindOf(v: unknown): string {
  if (Array.isArray(v)) return 'list';
  return v === null ? 'null' : typeof v;
}
