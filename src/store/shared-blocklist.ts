// The node's blocklist as a component: the store it shares (embedded file or Redis), the config's
// list files imported into it, and the mirror the policy steps read. It owns the list's log
// events (blocklist-loaded, list-imported, list-dropped, list-skip, store-degraded,
// store-synced, store-regressed) and its metrics.
//
// Workers only mirror: their primary imports the config lists, once for all. When the store is
// unreachable at start, the config's own lists are served from memory and imported once the
// store is back; `redis.required` turns that into a refusal to start.

import type { SinkdConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { Component, Health } from '../lifecycle/component.js';
import { gauge, type MetricFamily } from '../metrics/family.js';
import { BlocklistMirror, type MirrorState } from '../blocklist/mirror.js';
import { importConfigLists, loadConfigLists, type LoadedConfigList } from '../blocklist/config-lists.js';
import type { BlocklistStore } from './blocklist-store.js';

/** Skipped list lines logged one by one per file; the rest are counted. */
const SKIPPED_LINES_LOGGED = 20;

export interface SharedBlocklistOptions {
  /** Import the config's list files (false in a worker: its primary does). */
  readonly imports: boolean;
}

export class SharedBlocklist implements Component {
  readonly name = 'blocklist';
  readonly mirror: BlocklistMirror;
  /** Config lists still to be imported because the store was down when they were read. */
  private pendingImport: LoadedConfigList[] | null = null;
  /** What the last start or reload read from the config's files (for the start log line). */
  lists: LoadedConfigList[] = [];

  constructor(
    private config: SinkdConfig,
    private readonly log: Logger,
    readonly store: BlocklistStore,
    private readonly options: SharedBlocklistOptions,
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
    });
  }

  async start(): Promise<void> {
    // Files first: an unreadable list stops sinkd before anything listens.
    const lists = await loadConfigLists(this.config.blocklists, this.config.allowlists);
    this.lists = lists;
    if (this.options.imports) this.logListReports(lists);
    try {
      if (this.options.imports) await this.importLists(lists);
      await this.mirror.start();
    } catch (err) {
      const reason = `blocklist store ${this.store.description} unreachable: ${(err as Error).message}`;
      if (this.config.redis.required) {
        await this.store.close().catch(() => {});
        throw new Error(`${reason} (redis.required is true, so sinkd does not start without it)`);
      }
      // Serve the config's own lists meanwhile; import them once the store is back.
      if (this.options.imports) this.pendingImport = lists;
      this.mirror.useFallback(lists.flatMap((l) => l.rules));
      this.mirror.startDegraded(reason);
    }
  }

  async stop(): Promise<void> {
    await this.mirror.stop();
    await this.store.close().catch(() => {});
  }

  health(): Health {
    const m = this.mirror;
    if (m.state === 'starting') return { state: 'down', reason: 'blocklist not loaded yet' };
    if (m.state === 'degraded') return { state: 'degraded', reason: m.degradedReason ?? 'store unreachable' };
    return { state: 'ok' };
  }

  /** A reload's config: the list files it names are what the next reloadLists imports. */
  setConfig(config: SinkdConfig): void {
    this.config = config;
  }

  /**
   * SIGHUP: re-read the config's list files and import them into the store; the mirror applies
   * the change from the feed. On any error the current list keeps serving.
   */
  async reloadLists(): Promise<boolean> {
    if (!this.options.imports) return true; // the primary imports; this worker's mirror follows the store
    try {
      const lists = await loadConfigLists(this.config.blocklists, this.config.allowlists);
      this.lists = lists;
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

  metrics(): MetricFamily[] {
    const counts = this.mirror.matcher.counts();
    const state = this.mirror.state;
    return [
      gauge('sinkd_blocklist_rules', 'Rules in the in-memory blocklist.', [{ labels: { kind: 'block' }, value: counts.block }, { labels: { kind: 'allow' }, value: counts.allow }], 'max'),
      gauge('sinkd_blocklist_version', 'Store version of the blocklist served (the change feed position).', [{ value: Math.max(0, this.mirror.version) }], 'max'),
      gauge(
        'sinkd_store_state',
        "1 for the blocklist store's current state (synced, starting, degraded).",
        (['synced', 'starting', 'degraded', 'stopped'] as const).map((s) => ({ labels: { state: s }, value: state === s ? 1 : 0 })),
        'max',
      ),
    ];
  }

  /** For /readyz. */
  describe(): { blocklist: { block: number; allow: number; version: number }; store: { description: string; state: MirrorState; reason?: string } } {
    const m = this.mirror;
    return {
      blocklist: { ...m.matcher.counts(), version: m.version },
      store: { description: this.store.description, state: m.state, ...(m.degradedReason !== undefined ? { reason: m.degradedReason } : {}) },
    };
  }

  /**
   * Each config file replaces its own source. With the embedded store (one node's own file),
   * sources imported from an earlier config but gone from this one are emptied, so the list
   * served is the list configured; on a shared Redis other nodes may still name them, so they stay.
   */
  private async importLists(lists: readonly LoadedConfigList[]): Promise<void> {
    const summaries = await importConfigLists(this.store, lists);
    for (const [source, sum] of summaries) {
      await this.store.setSourceInfo({ ...(await this.store.getSourceInfo(source)), source, fromConfig: true, importedAt: Date.now() });
      if (sum.added + sum.removed + sum.updated > 0) {
        this.log.info({ event: 'list-imported', source, ...sum }, `${source}: added ${sum.added}, removed ${sum.removed}, updated ${sum.updated}, unchanged ${sum.unchanged}`);
      }
    }
    if (this.config.redis.url !== '') return;
    const current = new Set([...lists.map((l) => l.spec.source), ...[...this.config.blocklists, ...this.config.allowlists].map((s) => s.source)]);
    for (const source of Object.keys((await this.store.stats()).bySource)) {
      if (current.has(source) || !(await this.store.getSourceInfo(source))?.fromConfig) continue;
      const sum = await this.store.replaceSource(source, []);
      await this.store.setSourceInfo({ source, fromConfig: false });
      this.log.info({ event: 'list-dropped', source, removed: sum.removed }, `${source} is no longer in the config: removed its ${sum.removed} entries`);
    }
  }

  private onMirrorState(state: MirrorState, reason?: string): void {
    if (state === 'degraded') {
      this.log.warn({ event: 'store-degraded', store: this.store.description, reason }, `degraded: ${reason}; serving the list loaded so far and retrying`);
    } else if (state === 'synced') {
      this.log.info({ event: 'store-synced', store: this.store.description, version: this.mirror.version }, `blocklist store ${this.store.description} reachable; in sync`);
      const pending = this.pendingImport;
      if (pending) {
        this.pendingImport = null;
        this.importLists(pending).catch((err: Error) => {
          this.pendingImport = pending;
          this.log.warn({ event: 'list-import-failed', error: err.message }, `importing the config lists failed: ${err.message}`);
        });
      }
    }
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
