// The serving node's copy of the blocklist: a full load from the store at start, then the
// store's change feed applied as it comes (each change set inside one event-loop turn, so a
// query sees it whole or not at all). When the feed cannot reach back far enough (a bulk import,
// a long outage) the list is rebuilt aside and swapped in whole. When the store is unreachable
// the node keeps serving the list it has, reports "degraded" once, and retries with backoff.

import { DomainMatcher } from './matcher.js';
import type { Rule } from './rule.js';
import type { BlocklistStore, ChangeSet, StoredEntry } from '../store/blocklist-store.js';

export type MirrorState = 'starting' | 'synced' | 'degraded' | 'stopped';

export interface MirrorEvents {
  /** Called on every state change; `reason` says why a node is degraded. */
  state(state: MirrorState, reason?: string): void;
  /** A full (re)load finished. */
  loaded(version: number, rules: number, ms: number): void;
  /** The store's version went backwards (Redis restarted without its data): it lost changes. */
  regressed(from: number, to: number): void;
}

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5_000;
/** How long one feed read waits for news before asking again (also bounds stop()). */
const FEED_WAIT_MS = 1_000;

export class BlocklistMirror {
  private current = new DomainMatcher();
  private stopped = false;
  private loop: Promise<void> | null = null;
  /** Store version the matcher reflects; -1 before the first load. */
  version = -1;
  state: MirrorState = 'starting';
  degradedReason: string | undefined;
  // Sources and families repeat across a million entries; one string each saves ~30 bytes a name.
  private readonly interned = new Map<string, string>();

  constructor(
    private readonly store: BlocklistStore,
    private readonly events: MirrorEvents,
  ) {}

  get matcher(): DomainMatcher {
    return this.current;
  }

  /** Serve `rules` until the store can be read (used when the store is down at start). */
  useFallback(rules: Iterable<Rule>): void {
    const m = new DomainMatcher();
    for (const r of rules) m.add(r);
    this.current = m;
  }

  /** Full load, then follow the feed in the background. Rejects only if the first load fails. */
  async start(): Promise<void> {
    await this.reload();
    this.setState('synced');
    this.loop = this.follow();
  }

  /** Keep retrying the first load in the background (serving whatever is loaded meanwhile). */
  startDegraded(reason: string): void {
    this.setState('degraded', reason);
    this.loop = this.follow();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.setState('stopped');
    await this.loop;
  }

  /** Resolves once the matcher reflects at least `version` (tests and the CLI's "applied" wait). */
  async waitFor(version: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.version < version && Date.now() < deadline) await sleep(20);
    return this.version >= version;
  }

  /**
   * Loads the store's list afresh even if it went back in version (after the lost data was put
   * back: the server re-imports its config lists, then calls this).
   */
  async resync(): Promise<void> {
    await this.reload(true);
  }

  private async reload(acceptRegression = false): Promise<void> {
    const t0 = Date.now();
    const snap = await this.store.snapshot();
    const next = new DomainMatcher();
    for (const e of snap.entries) next.add(this.toRule(e));
    let version = snap.version;
    // Catch up with whatever changed while the snapshot was read, before anyone sees the new list.
    for (;;) {
      const more = await this.store.changesSince(version, 0);
      if (more === 'reset' || more.length === 0) break;
      for (const cs of more) {
        if (cs.reset) break;
        this.applyTo(next, cs);
        version = cs.version;
      }
    }
    const previous = this.version;
    if (version < previous && !acceptRegression) {
      // The store lost data (a Redis restarted empty). Swapping in what it holds now would stop
      // sinkholing everything that was lost until someone puts it back; so keep serving the list
      // we have, follow the store from its new version (changes apply on top), and let the
      // server re-import its lists and then resync().
      this.version = version;
      this.events.regressed(previous, version);
      return;
    }
    this.current = next;
    this.version = version;
    this.events.loaded(version, next.size, Date.now() - t0);
  }

  private async follow(): Promise<void> {
    let backoff = BACKOFF_MIN_MS;
    while (!this.stopped) {
      try {
        if (this.version < 0) {
          await this.reload();
        } else {
          const sets = await this.store.changesSince(this.version, FEED_WAIT_MS);
          if (this.stopped) return;
          if (sets === 'reset' || sets.some((cs) => cs.reset)) {
            await this.reload();
          } else {
            for (const cs of sets) {
              this.applyTo(this.current, cs);
              this.version = cs.version;
            }
          }
        }
        if (this.state !== 'synced') this.setState('synced');
        backoff = BACKOFF_MIN_MS;
      } catch (err) {
        if (this.stopped) return;
        if (this.state !== 'degraded') this.setState('degraded', (err as Error).message);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      }
    }
  }

  private applyTo(m: DomainMatcher, cs: ChangeSet): void {
    for (const c of cs.changes) {
      if (c.op === 'put') m.add(this.toRule(c.entry));
      else m.delete(c.name, c.kind);
    }
  }

  private toRule(e: StoredEntry): Rule {
    const rule: { name: string; kind: Rule['kind']; source: string; family?: string; action?: Rule['action'] } = {
      name: e.name,
      kind: e.kind,
      source: this.intern(e.source),
    };
    if (e.family !== undefined) rule.family = this.intern(e.family);
    if (e.action !== undefined && e.action !== 'sinkhole') rule.action = e.action;
    return rule;
  }

  private intern(s: string): string {
    const known = this.interned.get(s);
    if (known !== undefined) return known;
    this.interned.set(s, s);
    return s;
  }

  private setState(state: MirrorState, reason?: string): void {
    this.state = state;
    this.degradedReason = state === 'degraded' ? reason : undefined;
    this.events.state(state, reason);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
