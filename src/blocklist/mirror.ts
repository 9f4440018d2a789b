// The serving node's copy of the blocklist: a full load from the store at start, then the
// store's change feed applied as it comes (each change set inside one event-loop turn, so a
// query sees it whole or not at all). When the feed cannot reach back far enough (a bulk import,
// a long outage) the list is rebuilt aside and swapped in whole. When the store is unreachable
// the node keeps serving the list it has, reports "degraded" once, and retries with backoff.
//
// The store keeps one entry per name, kind and source; the matcher holds one rule per name and
// kind: effective-rule.ts picks it from the name's entries (a change states all of them).

import { effectiveEntry, effectiveRules, ruleOf } from './effective-rule.js';
import { DomainMatcher } from './matcher.js';
import type { Rule } from './rule.js';
import type { BlocklistStore, ChangeSet } from '../store/blocklist-store.js';

export type MirrorState = 'starting' | 'synced' | 'degraded' | 'stopped';

export interface MirrorEvents {
  /** Called on every state change; `reason` says why a node is degraded. */
  state(state: MirrorState, reason?: string): void;
  /** A full (re)load finished. */
  loaded(version: number, rules: number, ms: number): void;
  /** The store's version went backwards (Redis restarted without its data): it lost changes. */
  regressed(from: number, to: number): void;
  /** A rule the matcher refused (skipped; the store checks entries, so this should not happen). */
  rejected?(name: string, reason: string): void;
}

/** Full reloads in a row when a bulk change lands while the snapshot is read; then the snapshot is taken as it is. */
const RELOAD_ATTEMPTS = 3;
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
  /** Runs before each attempt at the first load while degraded (the server imports its config lists there). */
  private beforeFirstLoad: (() => Promise<void>) | undefined;

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
    for (const r of rules) this.addTo(m, r);
    this.current = m;
  }

  /** Full load, then follow the feed in the background. Rejects only if the first load fails. */
  async start(): Promise<void> {
    await this.reload();
    this.setState('synced');
    this.loop = this.follow();
  }

  /**
   * Keep retrying the first load in the background (serving whatever is loaded meanwhile).
   * `beforeLoad` runs first on each attempt and must succeed before the store's list replaces the
   * one served: a store that comes back empty must not replace the fallback list with nothing.
   */
  startDegraded(reason: string, beforeLoad?: () => Promise<void>): void {
    this.beforeFirstLoad = beforeLoad;
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
    let next: DomainMatcher;
    let version: number;
    for (let attempt = 1; ; attempt++) {
      const snap = await this.store.snapshot();
      next = new DomainMatcher();
      for (const rule of effectiveRules(snap.entries)) this.addTo(next, this.interning(rule));
      version = snap.version;
      // Catch up with whatever changed while the snapshot was read, before anyone sees the new
      // list. A bulk change (reset) meanwhile cannot be applied from the feed: read it all again.
      const caught = await this.catchUp(next, version);
      version = caught.version;
      if (!caught.reset || attempt >= RELOAD_ATTEMPTS) {
        if (caught.reset) version = caught.resetAt; // the snapshot was read after it began
        break;
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

  /** Applies the feed after `from` onto `m`, up to the first reset (which it reports) or the end. */
  private async catchUp(m: DomainMatcher, from: number): Promise<{ version: number; reset: boolean; resetAt: number }> {
    let version = from;
    for (;;) {
      const more = await this.store.changesSince(version, 0);
      if (more === 'reset') return { version, reset: true, resetAt: version };
      if (more.length === 0) return { version, reset: false, resetAt: version };
      for (const cs of more) {
        if (cs.reset) return { version, reset: true, resetAt: cs.version };
        this.applyTo(m, cs);
        version = cs.version;
      }
    }
  }

  private async follow(): Promise<void> {
    let backoff = BACKOFF_MIN_MS;
    while (!this.stopped) {
      try {
        if (this.version < 0) {
          await this.beforeFirstLoad?.();
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
      if (c.entries.length === 0) m.delete(c.name, c.kind);
      else this.addTo(m, this.interning(ruleOf(effectiveEntry(c.entries))));
    }
  }

  /** One bad rule never costs the rest of the list. */
  private addTo(m: DomainMatcher, rule: Rule): void {
    try {
      m.add(rule);
    } catch (err) {
      this.events.rejected?.(String(rule.name).slice(0, 100), (err as Error).message.slice(0, 200));
    }
  }

  private interning(rule: Rule): Rule {
    const r = rule as { -readonly [K in keyof Rule]: Rule[K] };
    r.source = this.intern(r.source);
    if (r.family !== undefined) r.family = this.intern(r.family);
    return r;
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
