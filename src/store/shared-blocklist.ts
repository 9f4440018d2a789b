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
import { counter, gauge, type MetricFamily } from '../metrics/family.js';
import { BlocklistMirror, type MirrorState } from '../blocklist/mirror.js';
import { heldByStore, loadConfigLists, syncConfigLists, type LoadedConfigList, type UnreadableList } from '../blocklist/config-lists.js';
import { listOwner } from '../blocklist/list-owner.js';
import { LEGACY_STORE_PATH, legacyStoreNote } from '../config/default-store-path.js';
import { InvalidRecordLog } from './invalid-records.js';
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
  /** Records the store skipped as invalid: logged (rate-limited) and counted for /metrics. */
  private readonly invalidRecords: InvalidRecordLog;
  /** Who this instance claims its config lists as (list-owner.ts), fixed at start. */
  private readonly owner: string;

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
      rejected: (name, reason) => this.invalidRecords.note({ where: 'matcher', reason, key: name }),
    });
    this.invalidRecords = new InvalidRecordLog(log, store.description);
    this.owner = listOwner(config);
    store.onInvalidRecord = (r) => this.invalidRecords.note(r);
  }

  async start(): Promise<void> {
    // Files first: an unreadable list stops sinkd before anything listens, unless the store
    // still holds that list, which then goes on being served as stored.
    const { lists, unreadable } = await loadConfigLists(this.config.blocklists, this.config.allowlists);
    this.lists = lists;
    if (this.options.imports) {
      // A store this process cannot write would serve nothing it is told: refuse to start.
      await this.store.checkWritable?.();
      await this.checkUnreadable(unreadable);
      this.logListReports(lists);
      const moved = this.config.redis.url === '' ? legacyStoreNote(this.config.store.path) : undefined;
      if (moved !== undefined) this.log.warn({ event: 'store-moved', store: this.config.store.path, old: LEGACY_STORE_PATH }, moved);
    }
    try {
      if (this.options.imports) await this.importLists(lists);
      await this.mirror.start();
    } catch (err) {
      const reason = `blocklist store ${this.store.description} unreachable: ${(err as Error).message}`;
      if (this.config.redis.required) {
        await this.store.close().catch(() => {});
        throw new Error(`${reason} (redis.required is true, so sinkd does not start without it)`);
      }
      // Serve the config's own lists meanwhile; import them once the store is back, before its
      // list replaces these (a store that comes back empty must not mean an empty list).
      if (this.options.imports) this.pendingImport = lists;
      this.mirror.useFallback(lists.flatMap((l) => l.rules));
      this.mirror.startDegraded(reason, () => this.importPending());
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
      const { lists, unreadable } = await loadConfigLists(this.config.blocklists, this.config.allowlists);
      await this.checkUnreadable(unreadable);
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
      counter('sinkd_store_invalid_records_total', 'Records read from the blocklist store that are not valid entries (skipped).', [{ value: this.invalidRecords.total }]),
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
    const declared = [...this.config.blocklists, ...this.config.allowlists].map((s) => s.source);
    const sync = await syncConfigLists(this.store, this.owner, lists, declared);
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
