// A running sinkd: builds the chain from a validated config, binds UDP and TCP on every listen
// address, and owns reload (SIGHUP) and graceful stop (SIGTERM/SIGINT).

import type { SinkdConfig } from '../config/types.js';
import { formatEndpoint, type Endpoint } from '../net/address.js';
import { CidrSet } from '../net/cidr.js';
import type { Logger } from '../log/logger.js';
import { AclStep } from '../acl/acl-step.js';
import { PolicyStep, type SinkholeEvent } from '../policy/policy-step.js';
import { AnswerCache } from '../cache/answer-cache.js';
import { CacheStep } from '../cache/cache-step.js';
import { UpstreamPool } from '../upstream/upstream-pool.js';
import { ForwardStep } from '../upstream/forward-step.js';
import { buildChain, buildZoneChain } from '../chain/build-chain.js';
import type { Next } from '../chain/step.js';
import { SeizedZones } from '../zone/seized-zones.js';
import { ZoneStep } from '../zone/zone-step.js';
import { ApexStep } from '../zone/apex-step.js';
import { OriginForwardStep } from '../zone/origin-forward-step.js';
import { RateLimitStep } from '../zone/rate-limit-step.js';
import { ResponseRateLimiter } from '../rrl/index.js';
import { ClientLimitStep } from '../client-limit/client-limit-step.js';
import { MinimalAnyStep } from '../any/minimal-any-step.js';
import type { MetricsSnapshot } from '../metrics/snapshot.js';
import { BlocklistMirror, type MirrorState } from '../blocklist/mirror.js';
import { heldByStore, loadConfigLists, syncConfigLists, type LoadedConfigList, type UnreadableList } from '../blocklist/config-lists.js';
import { listOwner } from '../blocklist/list-owner.js';
import { LEGACY_STORE_PATH, legacyStoreNote } from '../config/default-store-path.js';
import type { BlocklistStore } from '../store/blocklist-store.js';
import { InvalidRecordLog } from '../store/invalid-records.js';
import { openStore } from '../store/open-store.js';
import { UrlListRefresher } from '../blocklist/url-refresh.js';
import { HitRecorder } from '../infected/hit-recorder.js';
import type { HitStore } from '../infected/hit-store.js';
import { openHitStore } from '../infected/open-hit-store.js';
import { AdminServer, type NodeStatus } from '../admin/admin-server.js';
import { qtypeName } from '../wire/index.js';
import { SinkholeLog } from '../log/sinkhole-log.js';
import { QueryHandler } from './query-handler.js';
import { UdpListener } from './udp-listener.js';
import { TcpListener } from './tcp-listener.js';

/** What /readyz reports for one process. Degraded (store unreachable) is still ready: it serves the list it has. */
export interface Readiness {
  ready: boolean;
  pid: number;
  problems: string[];
  listeners: string[];
  blocklist: { block: number; allow: number; version: number };
  store: { description: string; state: string; reason?: string };
}

export type ServerRole = 'single' | 'primary' | 'worker';

export interface StartOptions {
  /**
   * 'single' (default): everything in one process. 'primary' (serve --workers): imports the
   * config lists, refreshes url lists, owns the admin listener and the embedded hit store, but
   * binds no DNS listener. 'worker': binds the (shared) listeners and answers, mirrors the store,
   * never imports lists.
   */
  role?: ServerRole;
  /** /metrics and /readyz for the admin listener; default: this process's own. */
  status?: NodeStatus;
  /** Where hits go instead of the configured store (a worker hands them to its primary). */
  hitStore?: HitStore | null;
}

/** Settings a reload cannot change under a running process (sockets, connections, stores). */
const RESTART_ONLY = ['listen', 'tcp', 'redis', 'store', 'infected', 'admin'] as const;

/** What a config builds to answer queries (see assemble). */
interface ChainParts {
  readonly chain: { handle: Next; names: string[] };
  readonly cache: AnswerCache;
  readonly cacheSettings: SinkdConfig['cache'];
  /** The seized zones' relayed answers (TTLs kept, referrals cached); null without zones. */
  readonly zoneCache: AnswerCache | null;
  readonly rrl: ResponseRateLimiter | null;
  readonly upstreams: UpstreamPool;
  readonly zonePools: { zone: string; pool: UpstreamPool }[];
  readonly seized: SeizedZones<Next> | null;
}

/** Skipped list lines logged one by one per file; the rest are counted. */
const SKIPPED_LINES_LOGGED = 20;

export class SinkdServer {
  readonly mirror: BlocklistMirror;
  /** The answering machinery built from the config; replaced whole by a config reload. */
  private parts: ChainParts;
  readonly handler: QueryHandler;
  /** The addresses actually bound (port 0 in the config resolved to the real port). */
  readonly bound: Endpoint[] = [];
  private readonly udp: UdpListener[] = [];
  private readonly tcp: TcpListener[] = [];
  private readonly sinkholeLog: SinkholeLog;
  private readonly urlLists: UrlListRefresher;
  readonly hitStore: HitStore | null;
  readonly recorder: HitRecorder | null;
  private admin: AdminServer | null = null;
  /** The admin listener's bound address, when it is on. */
  adminBound: Endpoint | null = null;
  private stopping = false;
  /** Config lists still to be imported because the store was down when they were read. */
  private pendingImport: LoadedConfigList[] | null = null;
  /** Records the store skipped as invalid: logged (rate-limited) and counted for /metrics. */
  private readonly invalidRecords: InvalidRecordLog;
  /** Who this instance claims its config lists as (list-owner.ts), fixed at start. */
  private readonly listOwner: string;

  private constructor(
    private currentConfig: SinkdConfig,
    private readonly log: Logger,
    readonly store: BlocklistStore,
    private readonly opts: StartOptions,
  ) {
    this.mirror = new BlocklistMirror(store, {
      state: (state, reason) => this.onMirrorState(state, reason),
      loaded: (version, rules, ms) =>
        log.info({ event: 'blocklist-loaded', version, rules, ms, store: store.description }, `blocklist loaded: ${rules} rules, version ${version} (${ms} ms)`),
      regressed: (from, to) => {
        // The store lost data (a Redis restarted without persistence): put the config's lists back.
        log.warn({ event: 'store-regressed', from, to }, `blocklist store went back from version ${from} to ${to}; serving the list loaded before, re-importing the config lists`);
        // Meanwhile the mirror keeps serving the list it had; once the lists are back, load afresh.
        void this.reloadLists().then(() => this.mirror.resync().catch(() => {}));
      },
      rejected: (name, reason) => this.invalidRecords.note({ where: 'matcher', reason, key: name }),
    });
    const config = currentConfig;
    this.invalidRecords = new InvalidRecordLog(log, store.description);
    this.listOwner = listOwner(config);
    store.onInvalidRecord = (r) => this.invalidRecords.note(r);
    this.sinkholeLog = new SinkholeLog(log);
    this.hitStore = !config.infected.enabled ? null : opts.hitStore !== undefined ? opts.hitStore : openHitStore(config, 'serve');
    this.recorder = this.hitStore
      ? new HitRecorder(
          this.hitStore,
          { maxBuffered: config.infected.bufferHits, flushIntervalMs: config.infected.flushIntervalMs, maxBatch: 10_000 },
          {
            dropped: (count, total) =>
              log.warn({ event: 'hits-dropped', count, total }, `dropped ${count} sinkhole hits (${total} in all): the hit buffer was full while the hit store was unreachable`),
            storeFailed: (reason) => log.warn({ event: 'hit-store-down', store: this.hitStore!.description, reason }, `cannot record hits in ${this.hitStore!.description}: ${reason}; buffering (newest ${config.infected.bufferHits} kept)`),
            storeRecovered: () => log.info({ event: 'hit-store-up', store: this.hitStore!.description }, `recording hits in ${this.hitStore!.description} again`),
          },
        )
      : null;
    const urlSpecs = [
      ...config.blocklists.filter((s) => s.url !== undefined).map((spec) => ({ spec, kind: 'block' as const })),
      ...config.allowlists.filter((s) => s.url !== undefined).map((spec) => ({ spec, kind: 'allow' as const })),
    ];
    this.urlLists = new UrlListRefresher(store, urlSpecs, {
      done: (spec, r) => {
        if (r.status === 'not-modified') log.debug({ event: 'list-refresh', source: spec.source, url: spec.url, result: 'not-modified' }, `${spec.source}: unchanged`);
        else log.info({ event: 'list-refresh', source: spec.source, url: spec.url, ...r.summary, skipped: r.skipped }, `${spec.source}: refreshed from ${spec.url}: added ${r.summary.added}, removed ${r.summary.removed}`);
      },
      failed: (spec, error) =>
        log.warn({ event: 'list-refresh-failed', source: spec.source, url: spec.url, error }, `${spec.source}: refresh from ${spec.url} failed, keeping the stored list: ${error}`),
    });
    this.parts = this.assemble(config, null);
    this.handler = new QueryHandler(
      this.parts.chain.handle,
      (err, client) => log.error({ event: 'internal-error', client: client.address, err }, 'query handling failed'),
      (qname) => this.parts.seized?.find(qname) !== undefined,
    );
  }

  get config(): SinkdConfig {
    return this.currentConfig;
  }
  get cache(): AnswerCache {
    return this.parts.cache;
  }
  get upstreams(): UpstreamPool {
    return this.parts.upstreams;
  }
  get chainNames(): string[] {
    return this.parts.chain.names;
  }

  /**
   * Everything that answers queries, from one config. `previous`: the parts a reload replaces;
   * their caches are kept when the cache settings did not change, so a reload does not empty them.
   */
  private assemble(config: SinkdConfig, previous: ChainParts | null): ChainParts {
    const log = this.log;
    const sameCache = previous !== null && JSON.stringify(previous.cacheSettings) === JSON.stringify(config.cache);
    const cache = sameCache ? previous.cache : new AnswerCache(config.cache);
    const upstreams = new UpstreamPool(config.upstreams, config.upstream, {
      down: (server, reason) => log.warn({ event: 'upstream-down', upstream: server, reason }, `upstream ${server} failed: ${reason}`),
      up: (server) => log.info({ event: 'upstream-up', upstream: server }, `upstream ${server} answers again`),
    });
    const zoneCache = config.zones.length === 0 ? null : sameCache && previous.zoneCache ? previous.zoneCache : new AnswerCache(config.cache, Date.now, 'authority');
    const rrl = config.zones.length > 0 && config.rrl.enabled ? new ResponseRateLimiter({ ...config.rrl, exemptClients: new CidrSet(config.rrl.exempt) }) : null;
    const zonePools: { zone: string; pool: UpstreamPool }[] = [];
    const zones = zoneCache ? this.buildZones(config, zoneCache, rrl, zonePools) : null;
    const limit = config.clientLimit;
    const chain = buildChain({
      ...(zones ? { zones: new ZoneStep(zones) } : {}),
      ...(limit.queriesPerSecond > 0
        ? {
            clientLimit: new ClientLimitStep(
              { queriesPerSecond: limit.queriesPerSecond, action: limit.action, exempt: new CidrSet(limit.exempt) },
              {
                limited: (client, action) =>
                  log.warn({ event: 'client-limit', client, limit: limit.queriesPerSecond, action }, `client ${client} asks more than ${limit.queriesPerSecond} queries a second: ${action === 'drop' ? 'dropping' : 'refusing'} the excess (logged once a minute per client)`),
              },
            ),
          }
        : {}),
      acl: new AclStep(new CidrSet(config.acl.allow)),
      policy: new PolicyStep(this.mirror, config.sinkhole, (e) => this.logSinkhole(e)),
      any: new MinimalAnyStep(),
      cache: new CacheStep(cache),
      forward: new ForwardStep(upstreams),
    });
    return { chain, cache, cacheSettings: config.cache, zoneCache, rrl, upstreams, zonePools, seized: zones };
  }

  /** One chain per seized zone (order in build-chain.ts); null when none is configured. */
  private buildZones(
    config: SinkdConfig,
    zoneCacheStore: AnswerCache,
    rrl: ResponseRateLimiter | null,
    zonePools: { zone: string; pool: UpstreamPool }[],
  ): SeizedZones<Next> {
    const log = this.log;
    const rrlEvents = {
      limited: (prefix: string, req: { query: { qname: string } }, verdict: string) =>
        log.warn({ event: 'rrl-limit', prefix, qname: req.query.qname, verdict }, `rate limiting answers to ${prefix} (${req.query.qname}: ${verdict}); logged once a minute per prefix`),
    };
    const zoneCache = new CacheStep(zoneCacheStore);
    return new SeizedZones(
      config.zones.map((zone) => {
        const pool = new UpstreamPool(zone.nameservers, config.upstream, {
          down: (server, reason) => log.warn({ event: 'origin-down', zone: zone.name, upstream: server, reason }, `${zone.name}: original name server ${server} failed: ${reason}`),
          up: (server) => log.info({ event: 'origin-up', zone: zone.name, upstream: server }, `${zone.name}: original name server ${server} answers again`),
        });
        zonePools.push({ zone: zone.name, pool });
        const sinkhole = { ...config.sinkhole, ipv4: zone.sinkhole?.ipv4 ?? config.sinkhole.ipv4, ipv6: zone.sinkhole?.ipv6 ?? config.sinkhole.ipv6 };
        const chain = buildZoneChain({
          ...(rrl ? { rrl: new RateLimitStep(rrl, zone.name, rrlEvents) } : {}),
          apex: new ApexStep(zone),
          policy: new PolicyStep(this.mirror, sinkhole, (e) => this.logSinkhole(e), { apex: zone.name, soa: zone.soa }),
          any: new MinimalAnyStep({ authoritative: true, recursionAvailable: false }),
          cache: zoneCache,
          origin: new OriginForwardStep(pool, zone.name, (name) => {
            const rule = this.mirror.matcher.match(name);
            return rule !== undefined && rule.name.length > zone.name.length;
          }),
        });
        return [zone.name, chain.handle] as const;
      }),
    );
  }

  /** The role of this process: see StartOptions. */
  get role(): ServerRole {
    return this.opts.role ?? 'single';
  }

  static async start(config: SinkdConfig, log: Logger, opts: StartOptions = {}): Promise<SinkdServer> {
    const role = opts.role ?? 'single';
    if (config.upstreams.length === 0 && config.zones.length === 0) {
      throw new Error('no upstream DNS server: set "upstreams" in the config or pass --upstream (none usable in /etc/resolv.conf)');
    }
    // Files first: an unreadable list stops sinkd before anything listens, unless the store
    // still holds that list (checked below), which then goes on being served as stored.
    const { lists, unreadable } = await loadConfigLists(config.blocklists, config.allowlists);
    const store = openStore(config, 'serve');
    const server = new SinkdServer(config, log, store, opts);
    // Workers only mirror the store; their primary imports the config lists, once for all.
    if (role !== 'worker') {
      try {
        // A store this process cannot write would serve nothing it is told: refuse to start.
        await store.checkWritable?.();
        await server.checkUnreadable(unreadable);
      } catch (err) {
        await store.close().catch(() => {});
        throw err;
      }
      server.logListReports(lists);
      const moved = config.redis.url === '' ? legacyStoreNote(config.store.path) : undefined;
      if (moved !== undefined) log.warn({ event: 'store-moved', store: config.store.path, old: LEGACY_STORE_PATH }, moved);
    }
    try {
      if (role !== 'worker') await server.importLists(lists);
      await server.mirror.start();
    } catch (err) {
      const reason = `blocklist store ${store.description} unreachable: ${(err as Error).message}`;
      if (config.redis.required) {
        await store.close().catch(() => {});
        throw new Error(`${reason} (redis.required is true, so sinkd does not start without it)`);
      }
      // Serve the config's own lists meanwhile; import them once the store is back, before its
      // list replaces these (a store that comes back empty must not mean an empty list).
      server.pendingImport = role === 'worker' ? null : lists;
      server.mirror.useFallback(lists.flatMap((l) => l.rules));
      server.mirror.startDegraded(reason, () => server.importPending());
    }
    try {
      // A primary leaves the listeners to its workers.
      if (role !== 'primary') for (const endpoint of config.listen) await server.listen(endpoint);
    } catch (err) {
      await server.closeListeners();
      await server.mirror.stop();
      await store.close().catch(() => {});
      throw err;
    }
    if (config.admin.listen && role !== 'worker') {
      server.admin = new AdminServer(config, { store: server.hitStore, recorder: server.recorder }, opts.status ?? {
        metrics: async () => server.metrics(),
        readiness: async () => ({ ...server.readiness() }),
      });
      try {
        const port = await server.admin.start(config.admin.listen);
        server.adminBound = { host: config.admin.listen.host, port };
      } catch (err) {
        await server.stop(0);
        throw new Error(`cannot listen on ${formatEndpoint(config.admin.listen)} (admin http): ${(err as Error).message}`);
      }
    }
    // Feeds are fetched in the background: a slow feed server must not delay answering.
    if (role !== 'worker') void server.urlLists.start();
    server.recorder?.start();
    server.warnWholeZoneRules();
    const counts = server.mirror.matcher.counts();
    log.info(
      {
        event: 'start',
        role,
        zones: config.zones.map((z) => ({ zone: z.name, nameservers: z.nameservers.map(formatEndpoint) })),
        rrl: config.zones.length === 0 ? 'n/a' : config.rrl.enabled ? `${config.rrl.responsesPerSecond}/s, slip ${config.rrl.slip}${config.rrl.logOnly ? ', log only' : ''}` : 'off',
        config: config.configFile ?? '(built-in defaults)',
        listeners: server.bound.map((e) => `${formatEndpoint(e)} udp+tcp`),
        upstreams: server.upstreams.labels,
        store: store.description,
        storeState: server.mirror.state,
        hits: server.hitStore?.description ?? 'off',
        admin: server.adminBound ? `http://${formatEndpoint(server.adminBound)}/report` : 'off',
        lists: lists.map((l) => ({ source: l.spec.source, kind: l.kind, format: l.format, entries: l.rules.length, skipped: l.skipped.length })),
        rules: counts,
        chain: server.chainNames,
      },
      `${role === 'primary' ? `sinkd primary: starting workers for ${config.listen.map(formatEndpoint).join(', ')}` : `sinkd ${role === 'worker' ? 'worker ' : ''}listening on ${server.bound.map(formatEndpoint).join(', ')}`}; ${counts.block} block and ${counts.allow} allow rules; forwarding to ${server.upstreams.labels.join(', ') || '(nowhere)'}` +
        (config.zones.length ? `; authoritative for ${config.zones.map((z) => z.name).join(', ')}` : ''),
    );
    return server;
  }

  /** A rule for a seized zone's apex (or above) does not sinkhole the zone: say so once. */
  private warnWholeZoneRules(): void {
    for (const zone of this.config.zones) {
      const rule = this.mirror.matcher.match(zone.name);
      if (rule === undefined) continue;
      this.log.warn(
        { event: 'zone-rule-ignored', zone: zone.name, rule: rule.name, source: rule.source },
        `blocklist entry ${rule.name} (${rule.source}) covers all of the seized zone ${zone.name}; inside the zone only listed hosts below ${zone.name} are sinkholed, every other name is passed to its original servers`,
      );
    }
  }

  /** UDP and TCP on the same port; with port 0 the kernel's pick for UDP is reused for TCP. */
  private async listen(endpoint: Endpoint): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const udp = new UdpListener(endpoint, this.handler);
      const port = await udp.start().catch((err: NodeJS.ErrnoException) => {
        throw new Error(`cannot listen on ${formatEndpoint(endpoint)} (udp): ${err.code === 'EACCES' ? 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)' : err.message}`);
      });
      const tcp = new TcpListener({ host: endpoint.host, port }, this.handler, this.config.tcp);
      try {
        await tcp.start();
      } catch (err) {
        await udp.close();
        if (endpoint.port === 0 && attempt < 10) continue; // the TCP side of a random port was taken; pick again
        throw new Error(`cannot listen on ${formatEndpoint(endpoint)} (tcp): ${(err as Error).message}`);
      }
      this.udp.push(udp);
      this.tcp.push(tcp);
      this.bound.push({ host: endpoint.host, port });
      return;
    }
  }

  /**
   * SIGHUP with a freshly loaded (and so already validated) config: the new answering chain is
   * built first and swapped in at once (queries in flight finish on the old one); caches are
   * kept unless their settings changed; list files are re-imported. Settings that belong to a
   * socket or a connection (listen, tcp, redis, store, infected, admin, url lists) keep their
   * running values until a restart, and the log says which ones changed.
   */
  async reload(next: SinkdConfig): Promise<boolean> {
    const current = this.currentConfig;
    const changed = (k: (typeof RESTART_ONLY)[number]) => JSON.stringify(next[k]) !== JSON.stringify(current[k]);
    const pinned: string[] = RESTART_ONLY.filter(changed);
    const urls = (c: SinkdConfig) => JSON.stringify([...c.blocklists, ...c.allowlists].filter((l) => l.url !== undefined));
    if (urls(next) !== urls(current)) pinned.push('url lists');
    const merged: SinkdConfig = { ...next, ...Object.fromEntries(RESTART_ONLY.map((k) => [k, current[k]])) } as SinkdConfig;
    let parts: ChainParts;
    try {
      parts = this.assemble(merged, this.parts);
    } catch (err) {
      this.log.error({ event: 'reload-failed', error: (err as Error).message }, `reload failed, keeping the running configuration: ${(err as Error).message}`);
      return false;
    }
    this.parts = parts;
    this.currentConfig = merged;
    this.handler.setChain(parts.chain.handle);
    this.log.level = merged.log.level;
    this.log.info({ event: 'config-reloaded', config: merged.configFile, chain: parts.chain.names }, `configuration reloaded from ${merged.configFile ?? '(built-in defaults)'}`);
    if (pinned.length > 0) {
      this.log.warn({ event: 'reload-needs-restart', settings: pinned }, `changed settings that apply only after a restart: ${pinned.join(', ')}; running with the old values`);
    }
    this.warnWholeZoneRules();
    return this.reloadLists();
  }

  /**
   * SIGHUP: re-read the config's list files and import them into the store; the mirror applies
   * the change from the feed. On any error the current list keeps serving.
   */
  async reloadLists(): Promise<boolean> {
    if (this.role === 'worker') return true; // the primary imports; this worker's mirror follows the store
    try {
      const { lists, unreadable } = await loadConfigLists(this.config.blocklists, this.config.allowlists);
      await this.checkUnreadable(unreadable);
      this.logListReports(lists);
      await this.importLists(lists);
      const counts = this.mirror.matcher.counts();
      this.log.info({ event: 'reload', rules: counts }, `list files re-imported; serving ${counts.block} block and ${counts.allow} allow rules`);
      return true;
    } catch (err) {
      this.log.error({ event: 'reload-failed', error: (err as Error).message }, `reload failed, keeping the current lists: ${(err as Error).message}`);
      return false;
    }
  }

  /**
   * A list file that cannot be read is a warning when the store still holds its source (that
   * copy keeps being served, and the source stays this config's); otherwise it is an error.
   */
  private async checkUnreadable(unreadable: readonly UnreadableList[]): Promise<void> {
    if (unreadable.length === 0) return;
    let held: UnreadableList[];
    let lost: UnreadableList[];
    try {
      ({ held, lost } = await heldByStore(this.store, unreadable));
    } catch {
      ({ held, lost } = { held: [], lost: [...unreadable] }); // the store cannot say: as before, an error
    }
    if (lost.length > 0) throw new Error(lost.map((u) => u.error).join('; '));
    for (const u of held) {
      this.log.warn({ event: 'list-missing', source: u.spec.source, path: u.spec.path, error: u.error }, `${u.error}; serving the ${u.spec.source} list the store still holds`);
    }
  }

  /**
   * Each config file replaces its own source, claimed for this instance (list-owner.ts); a
   * source this instance declared before and no longer does is emptied once no other instance
   * declares it. Lists other instances declared are never touched.
   */
  private async importLists(lists: readonly LoadedConfigList[]): Promise<void> {
    const owner = this.listOwner;
    const declared = [...this.config.blocklists, ...this.config.allowlists].map((s) => s.source);
    const sync = await syncConfigLists(this.store, owner, lists, declared);
    for (const { source, summary: sum, sharedWith } of sync.imported) {
      if (sum.added + sum.removed + sum.updated > 0) {
        this.log.info({ event: 'list-imported', source, ...sum }, `${source}: added ${sum.added}, removed ${sum.removed}, updated ${sum.updated}, unchanged ${sum.unchanged}`);
      }
      if (sharedWith.length > 0 && sum.added + sum.removed + sum.updated > 0) {
        this.log.warn(
          { event: 'list-shared', source, owners: sharedWith },
          `${source} is also a config list of ${sharedWith.join('; ')}, with other entries: each import replaces the other's; give the lists their own source names`,
        );
      }
    }
    for (const { source, owners } of sync.released) {
      this.log.info({ event: 'list-released', source, owners }, `${source} is no longer in this config; kept for ${owners.length} other instance(s) that still list it`);
    }
    for (const { source, removed } of sync.dropped) {
      this.log.info({ event: 'list-dropped', source, removed }, `${source} is no longer in the config: removed its ${removed} entries`);
    }
  }

  /** Runs before the first load from a store that was down at start: the config lists go in first. */
  private async importPending(): Promise<void> {
    const pending = this.pendingImport;
    if (pending === null) return;
    await this.importLists(pending);
    this.pendingImport = null;
  }

  private onMirrorState(state: MirrorState, reason?: string): void {
    if (state === 'degraded') {
      this.log.warn({ event: 'store-degraded', store: this.store.description, reason }, `degraded: ${reason}; serving the list loaded so far and retrying`);
    } else if (state === 'synced') {
      this.log.info({ event: 'store-synced', store: this.store.description, version: this.mirror.version }, `blocklist store ${this.store.description} reachable; in sync`);
    }
  }

  /** This process's figures for /metrics (a primary adds up its workers'). */
  metrics(): MetricsSnapshot {
    const counts = this.mirror.matcher.counts();
    const { parts } = this;
    const rrl = parts.rrl?.stats();
    return {
      queries: { ...this.handler.counts },
      transports: { ...this.handler.transports },
      upstreams: [
        { pool: 'resolver', latency: structuredClone(this.upstreams.latency.data), errors: this.upstreams.errors, rejected: this.upstreams.stats.rejected },
        ...parts.zonePools.map(({ zone, pool }) => ({ pool: `zone:${zone}`, latency: structuredClone(pool.latency.data), errors: pool.errors, rejected: pool.stats.rejected })),
      ],
      cache: { entries: parts.cache.size + (parts.zoneCache?.size ?? 0), bytes: parts.cache.bytes + (parts.zoneCache?.bytes ?? 0) },
      blocklist: { block: counts.block, allow: counts.allow, version: Math.max(0, this.mirror.version) },
      store: { state: this.mirror.state, ...(this.mirror.degradedReason !== undefined ? { reason: this.mirror.degradedReason } : {}), invalidRecords: this.invalidRecords.total },
      hits: this.recorder ? { recorded: this.recorder.stats.recorded, dropped: this.recorder.stats.dropped, buffered: this.recorder.buffered } : null,
      rrl: rrl ? { sent: rrl.sent, slipped: rrl.slipped, dropped: rrl.dropped } : null,
      workers: 1,
    };
  }

  /** For /readyz: serving (listeners bound, a list loaded), and in what state the store is. */
  readiness(): Readiness {
    const problems: string[] = [];
    if (this.stopping) problems.push('stopping');
    if (this.bound.length === 0) problems.push('no listener bound');
    if (this.mirror.state === 'starting') problems.push('blocklist not loaded yet');
    const counts = this.mirror.matcher.counts();
    return {
      ready: problems.length === 0,
      pid: process.pid,
      problems,
      listeners: this.bound.map(formatEndpoint),
      blocklist: { ...counts, version: this.mirror.version },
      store: { description: this.store.description, state: this.mirror.state, ...(this.mirror.degradedReason !== undefined ? { reason: this.mirror.degradedReason } : {}) },
    };
  }

  /** Stop taking queries, answer those in flight (up to `graceMs`), then close every socket. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    for (const l of this.udp) l.stopAccepting();
    for (const l of this.tcp) l.stopAccepting();
    const deadline = Date.now() + graceMs;
    while (this.handler.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await this.closeListeners();
    await this.admin?.stop();
    await this.urlLists.stop();
    await this.recorder?.stop();
    await this.hitStore?.close().catch(() => {});
    await this.mirror.stop();
    await this.store.close().catch(() => {});
    this.sinkholeLog.flush();
    this.log.info({ event: 'stop', unanswered: this.handler.inflight }, 'sinkd stopped');
  }

  private async closeListeners(): Promise<void> {
    await Promise.all([...this.udp.map((l) => l.close()), ...this.tcp.map((l) => l.close())]);
  }

  private logSinkhole({ req, rule }: SinkholeEvent): void {
    this.recorder?.record({
      time: Date.now(),
      client: req.client.address,
      qname: req.query.qname,
      qtype: qtypeName(req.query.qtype),
      rule: rule.name,
      source: rule.source,
      ...(rule.family !== undefined ? { family: rule.family } : {}),
      transport: req.transport,
      ...(req.query.edns?.clientSubnet !== undefined ? { clientSubnet: req.query.edns.clientSubnet } : {}),
    });
    this.sinkholeLog.write({
      client: req.client.address,
      qname: req.query.qname,
      qtype: qtypeName(req.query.qtype),
      rule: rule.name,
      source: rule.source,
      family: rule.family ?? null,
      transport: req.transport,
      clientSubnet: req.query.edns?.clientSubnet,
    });
  }

  private logListReports(lists: readonly LoadedConfigList[]): void {
    for (const l of lists) {
      const path = l.spec.path;
      if (l.rules.length === 0) this.log.warn({ event: 'list-empty', source: l.spec.source, path }, `list ${path} has no entries`);
      for (const note of l.notes) this.log.warn({ event: 'list-note', path, note }, `${path}: ${note}`);
      for (const s of l.skipped.slice(0, SKIPPED_LINES_LOGGED)) {
        this.log.warn({ event: 'list-skip', at: `${path}:${s.line}`, reason: s.reason }, `${path}:${s.line}: skipped: ${s.reason}`);
      }
      if (l.skipped.length > SKIPPED_LINES_LOGGED) {
        this.log.warn({ event: 'list-skip', path, more: l.skipped.length - SKIPPED_LINES_LOGGED }, `${path}: ${l.skipped.length - SKIPPED_LINES_LOGGED} more lines skipped`);
      }
    }
  }
}
