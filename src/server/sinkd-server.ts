// The composition root: builds a running sinkd's components from a validated config, for its
// role, and starts them in the declared order (src/lifecycle). It only wires; each component
// owns its logic, its log events and its metrics. Reload (SIGHUP) swaps in a new Resolver and
// re-imports the lists; stop runs the components' stops in reverse.

import type { SinkdConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { formatEndpoint, type Endpoint } from '../net/address.js';
import { Lifecycle, type Component } from '../lifecycle/component.js';
import { gauge, mergeFamilies, MetricsRegistry, type MetricFamily } from '../metrics/family.js';
import { processMetrics } from '../metrics/process.js';
import type { SinkholeEvent } from '../policy/policy-step.js';
import { SinkholeLog } from '../log/sinkhole-log.js';
import { openStore } from '../store/open-store.js';
import { SharedBlocklist } from '../store/shared-blocklist.js';
import { urlListComponent } from '../blocklist/url-refresh.js';
import type { HitStore } from '../infected/hit-store.js';
import type { HitRecorder } from '../infected/hit-recorder.js';
import { hitWriter, openHitStore } from '../infected/open-hit-store.js';
import { HitTracking } from '../infected/hit-tracking.js';
import { sinkholeHit } from '../infected/sinkhole-hit.js';
import { AdminServer, type NodeStatus } from '../admin/admin-server.js';
import { warnWholeZoneRules } from '../zone/whole-zone-rules.js';
import type { SinkholeCatcher } from '../catcher/catcher.js';
import { sinkholeCatcher } from '../catcher/setup.js';
import { QueryHandler } from './query-handler.js';
import { queryMetrics } from './query-metrics.js';
import { DnsListeners } from './dns-listeners.js';
import { Resolver } from './resolver.js';
import { readiness, type Readiness } from './readiness.js';

export type { Readiness } from './readiness.js';

/**
 * 'single': everything in one process. 'primary' (serve --workers): imports the lists, owns the
 * admin listener and the embedded hit store, answers no DNS (its workers do). 'worker': binds
 * the shared listeners and answers, mirrors the store, never imports lists.
 */
export type ServerRole = 'single' | 'primary' | 'worker';

export interface StartOptions {
  role?: ServerRole;
  /** A primary's /metrics and /readyz: its workers' (the supervisor). */
  status?: NodeStatus;
  /** Where hits go instead of the configured store (a worker hands them to its primary). */
  hitStore?: HitStore | null;
  /** Started last (a primary's worker supervisor). */
  extra?: readonly Component[];
}

/** Settings a reload cannot change under a running process (sockets, connections, stores). */
const RESTART_ONLY = ['listen', 'tcp', 'redis', 'store', 'infected', 'admin', 'catcher'] as const;

export class SinkdServer {
  private readonly lifecycle: Lifecycle;
  private readonly metricsRegistry = new MetricsRegistry();
  private resolver: Resolver | null = null;
  private readonly queryHandler: QueryHandler | null = null;
  private readonly listeners: DnsListeners | null = null;
  private readonly admin: AdminServer | null = null;
  private readonly catcher: SinkholeCatcher | null = null;
  readonly blocklist: SharedBlocklist;
  readonly hits: HitTracking | null;
  private readonly sinkholeLog: SinkholeLog;
  private stopping = false;
  /** Fetches the config's url lists now (a worker has none: its primary fetches them). */
  readonly refreshUrlLists: () => Promise<void> = async () => {};

  private constructor(
    private currentConfig: SinkdConfig,
    private readonly log: Logger,
    readonly role: ServerRole,
    private readonly components: Component[],
    opts: StartOptions,
  ) {
    const config = currentConfig;
    this.lifecycle = new Lifecycle(log);
    this.sinkholeLog = new SinkholeLog(log);
    // 1. the blocklist: its files are read first (an unreadable list stops sinkd before anything
    //    listens), and the list is loaded before the first query is answered.
    this.blocklist = new SharedBlocklist(config, log, openStore(config, 'serve'), { imports: role !== 'worker' });
    components.push(this.blocklist);
    // 2. hit tracking: before the listeners, so the first sinkholed query is recorded.
    const given = opts.hitStore;
    this.hits =
      !config.infected.enabled || given === null ? null : new HitTracking(() => given ?? openHitStore(config, 'serve', { log, writer: hitWriter(config) }), config.infected, log);
    if (this.hits) components.push(this.hits);
    // 3. the DNS listeners and what answers behind them (a primary's workers answer for it).
    if (role !== 'primary') {
      this.resolver = Resolver.build(config, { lists: this.blocklist.mirror, onSinkhole: (e) => this.onSinkhole(e) }, log);
      this.queryHandler = new QueryHandler(
        this.resolver.chain.handle,
        (err, client) => log.error({ event: 'internal-error', client: client.address, err }, 'query handling failed'),
        (qname) => this.resolver!.authoritativeFor(qname),
        (client, reply, questionEnd) => this.resolver!.limitError(client, reply, questionEnd),
      );
      this.listeners = new DnsListeners(config.listen, this.queryHandler, config.tcp);
      components.push(this.listeners);
      this.metricsRegistry.add(() => [...queryMetrics(this.queryHandler!), ...this.resolver!.metrics()]);
    }
    this.metricsRegistry.add(processMetrics);
    this.metricsRegistry.add(() => this.blocklist.metrics());
    // A worker that hands its hits to the primary leaves the hit figures to the primary, which
    // records them again (they would count twice).
    if (this.hits && !(role === 'worker' && opts.hitStore)) this.metricsRegistry.add(() => this.hits!.metrics());
    this.metricsRegistry.add(() => [gauge('sinkd_workers', 'Worker processes serving DNS.', [{ value: role === 'primary' ? 0 : 1 }])]);
    // 3b. the sinkhole catcher: where the sinkhole answers send infected hosts next. One per
    //     node, in the process that owns the hit store (a worker leaves it to its primary).
    //     Catches go to the log; the hit stores record them in phase 2 of issue 15 (a CatchSink).
    if (role !== 'worker') {
      this.catcher = sinkholeCatcher(config, log, null) ?? null;
      if (this.catcher) {
        components.push(this.catcher);
        this.metricsRegistry.add(() => this.catcher!.metrics());
      }
    }
    // 4. admin: once there is something to report on; a worker leaves it to its primary.
    if (config.admin.listen && role !== 'worker') {
      const status = opts.status ? this.primaryStatus(opts.status) : this.status();
      this.admin = new AdminServer(config, config.admin.listen, hitsFor(this.hits), status);
      components.push(this.admin);
    }
    // 5. url lists: in the background, after everything serves (a slow feed must not delay answers).
    if (role !== 'worker') {
      const urlLists = urlListComponent(config, this.blocklist.store, log);
      this.refreshUrlLists = () => urlLists.refreshNow();
      components.push(urlLists);
    }
    // 6. whatever the role adds (a primary's workers, which need the admin and lists in place).
    components.push(...(opts.extra ?? []));
  }

  static async start(config: SinkdConfig, log: Logger, opts: StartOptions = {}): Promise<SinkdServer> {
    if (config.upstreams.length === 0 && config.zones.length === 0) {
      throw new Error('no upstream DNS server: set "upstreams" in the config or pass --upstream (none usable in /etc/resolv.conf)');
    }
    const server = new SinkdServer(config, log, opts.role ?? 'single', [], opts);
    try {
      await server.lifecycle.start(server.components);
    } catch (err) {
      // The blocklist store is opened when the server is built: close it if its component never started.
      await server.blocklist.store.close().catch(() => {});
      throw err;
    }
    warnWholeZoneRules(config.zones, server.blocklist.mirror.matcher, log);
    server.logStart();
    return server;
  }

  /** What answers queries in this process (a primary has none: its workers answer). */
  get handler(): QueryHandler {
    if (this.queryHandler === null) throw new Error('a primary answers no queries; its workers do');
    return this.queryHandler;
  }
  get config(): SinkdConfig {
    return this.currentConfig;
  }
  /** The addresses the DNS listeners bound (port 0 resolved). */
  get bound(): readonly Endpoint[] {
    return this.listeners?.bound ?? [];
  }
  get adminBound(): Endpoint | null {
    return this.admin?.bound ?? null;
  }
  get store() {
    return this.blocklist.store;
  }
  /** Re-reads the config's list files into the store now (SIGHUP does this too). */
  reloadLists(): Promise<boolean> {
    return this.blocklist.reloadLists();
  }
  get mirror() {
    return this.blocklist.mirror;
  }
  get upstreams() {
    return this.resolver!.upstreams;
  }
  get cache() {
    return this.resolver!.cache;
  }
  get recorder() {
    return this.hits?.recorder ?? null;
  }
  get hitStore() {
    return this.hits?.store ?? null;
  }

  /**
   * SIGHUP with a freshly loaded (so already validated) config: the new Resolver is built aside
   * and swapped in at once (queries in flight finish on the old one); list files are
   * re-imported. Settings tied to a socket or a store keep their running values until a restart,
   * and the log says which ones changed.
   */
  async reload(next: SinkdConfig): Promise<boolean> {
    const current = this.currentConfig;
    const changed = (k: (typeof RESTART_ONLY)[number]) => JSON.stringify(next[k]) !== JSON.stringify(current[k]);
    const pinned: string[] = RESTART_ONLY.filter(changed);
    const urls = (c: SinkdConfig) => JSON.stringify([...c.blocklists, ...c.allowlists].filter((l) => l.url !== undefined));
    if (urls(next) !== urls(current)) pinned.push('url lists');
    const merged = { ...next, ...Object.fromEntries(RESTART_ONLY.map((k) => [k, current[k]])) } as SinkdConfig;
    if (this.resolver && this.queryHandler) {
      let resolver: Resolver;
      try {
        resolver = Resolver.build(merged, { lists: this.blocklist.mirror, onSinkhole: (e) => this.onSinkhole(e) }, this.log, this.resolver);
      } catch (err) {
        this.log.error({ event: 'reload-failed', error: (err as Error).message }, `reload failed, keeping the running configuration: ${(err as Error).message}`);
        return false;
      }
      this.resolver = resolver;
      this.queryHandler.setChain(resolver.chain.handle);
    }
    this.currentConfig = merged;
    this.blocklist.setConfig(merged);
    this.log.level = merged.log.level;
    this.log.info({ event: 'config-reloaded', config: merged.configFile, chain: this.resolver?.chain.names }, `configuration reloaded from ${merged.configFile ?? '(built-in defaults)'}`);
    if (pinned.length > 0) {
      this.log.warn({ event: 'reload-needs-restart', settings: pinned }, `changed settings that apply only after a restart: ${pinned.join(', ')}; running with the old values`);
    }
    warnWholeZoneRules(merged.zones, this.blocklist.mirror.matcher, this.log);
    return this.blocklist.reloadLists();
  }

  /** This process's figures for /metrics (a primary's admin adds up its workers' instead). */
  metrics(): MetricFamily[] {
    return this.metricsRegistry.collect();
  }

  readiness(): Readiness {
    const r = readiness(this.lifecycle.health(), { listeners: this.bound.map(formatEndpoint), ...this.blocklist.describe() });
    if (this.stopping) return { ...r, ready: false, problems: ['stopping', ...r.problems] };
    if (this.role !== 'primary' && this.bound.length === 0 && r.problems.length === 0) return { ...r, ready: false, problems: ['no listener bound'] };
    return r;
  }

  /** Stop taking queries, answer those in flight (up to `graceMs`), then stop every component. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    await this.lifecycle.stop(graceMs);
    this.sinkholeLog.flush();
    this.log.info({ event: 'stop', unanswered: this.queryHandler?.inflight ?? 0 }, 'sinkd stopped');
  }

  private status(): NodeStatus {
    return { metrics: async () => this.metrics(), readiness: async () => ({ ...this.readiness() }) };
  }

  /**
   * A primary's /metrics and /readyz: its workers' figures added up with its own (the catcher,
   * the url lists, the hit store it owns); ready while a worker serves and its own parts are up.
   */
  private primaryStatus(workers: NodeStatus): NodeStatus {
    return {
      metrics: async () => {
        const m = await workers.metrics();
        return m === null ? null : mergeFamilies([m, this.metrics()]);
      },
      readiness: async () => {
        const r = await workers.readiness();
        const own = this.readiness();
        return { ...r, ready: r.ready && own.ready, problems: [...r.problems, ...own.problems], primary: own };
      },
    };
  }

  private onSinkhole(e: SinkholeEvent): void {
    const hit = sinkholeHit(e);
    this.hits?.record(hit);
    this.sinkholeLog.write(hit);
  }

  private logStart(): void {
    const { config, role, log } = this;
    const counts = this.blocklist.mirror.matcher.counts();
    const upstreams = this.resolver?.upstreams.labels ?? config.upstreams.map(formatEndpoint);
    log.info(
      {
        event: 'start',
        role,
        zones: config.zones.map((z) => ({ zone: z.name, nameservers: z.nameservers.map(formatEndpoint) })),
        rrl: config.zones.length === 0 ? 'n/a' : config.rrl.enabled ? `${config.rrl.responsesPerSecond}/s, slip ${config.rrl.slip}${config.rrl.logOnly ? ', log only' : ''}` : 'off',
        config: config.configFile ?? '(built-in defaults)',
        listeners: this.bound.map((e) => `${formatEndpoint(e)} udp+tcp`),
        upstreams,
        store: this.blocklist.store.description,
        storeState: this.blocklist.mirror.state,
        hits: this.hits?.store?.description ?? 'off',
        admin: this.adminBound ? `http://${formatEndpoint(this.adminBound)}/report` : 'off',
        catcher: this.catcher?.describe() ?? 'off',
        lists: this.blocklist.lists.map((l) => ({ source: l.spec.source, kind: l.kind, format: l.format, entries: l.rules.length, skipped: l.skipped.length })),
        rules: counts,
        chain: this.resolver?.chain.names,
      },
      `${role === 'primary' ? `sinkd primary: starting workers for ${config.listen.map(formatEndpoint).join(', ')}` : `sinkd ${role === 'worker' ? 'worker ' : ''}listening on ${this.bound.map(formatEndpoint).join(', ')}`}; ${counts.block} block and ${counts.allow} allow rules; forwarding to ${upstreams.join(', ') || '(nowhere)'}` +
        (config.zones.length ? `; authoritative for ${config.zones.map((z) => z.name).join(', ')}` : ''),
    );
  }
}

/** What the admin listener reads of hit tracking, as it is when a request comes (null until started). */
function hitsFor(hits: HitTracking | null): { readonly store: HitStore | null; readonly recorder: HitRecorder | null } {
  return {
    get store() {
      return hits?.store ?? null;
    },
    get recorder() {
      return hits?.recorder ?? null;
    },
  };
}
