// URL lists named in the config (`blocklists: [{ url, refreshSeconds }]`): fetched at start and
// then every refreshSeconds with conditional requests, each replacing its own source in the
// store. A failed or partial fetch changes nothing: the list already stored keeps serving.

import { fetchSource, parseFeedUrl } from './fetch-source.js';
import { ListImport, readLines } from './import-stream.js';
import type { ListFormat } from './parsers.js';
import type { RuleKind } from './rule.js';
import type { BlocklistStore, ImportSummary } from '../store/blocklist-store.js';
import type { Component } from '../lifecycle/component.js';

export interface UrlListSpec {
  readonly url?: string;
  readonly format: ListFormat;
  readonly source: string;
  readonly family?: string;
  readonly refreshSeconds?: number;
}

export type UrlImportResult =
  | { readonly status: 'not-modified' }
  | { readonly status: 'imported'; readonly summary: ImportSummary; readonly skipped: number; readonly notes: readonly string[] };

/** One conditional fetch of `spec.url` into its source. Rejects (one line) when it fails. */
export async function importUrlList(store: BlocklistStore, spec: UrlListSpec & { url: string }, kind: RuleKind): Promise<UrlImportResult> {
  const url = parseFeedUrl(spec.url);
  const known = await store.getSourceInfo(spec.source);
  // Conditions only apply to the same URL: a config pointing the source elsewhere fetches in full.
  const conditions = known?.url === url.href ? { etag: known.etag, lastModified: known.lastModified } : {};
  const fetched = await fetchSource(url, conditions);
  if (fetched.status === 'not-modified') return { status: 'not-modified' };
  const reader = new ListImport({ format: spec.format, source: spec.source, family: spec.family, kind });
  const summary = await store.replaceSource(spec.source, reader.entries(readLines(fetched.body)));
  await store.setSourceInfo({ source: spec.source, url: url.href, etag: fetched.etag, lastModified: fetched.lastModified, importedAt: Date.now(), fromConfig: true });
  return { status: 'imported', summary, skipped: reader.stats.skipped, notes: reader.stats.notes };
}

export interface RefreshEvents {
  done(spec: UrlListSpec, result: UrlImportResult): void;
  failed(spec: UrlListSpec, error: string): void;
}

/** Runs importUrlList for every url list now and then on its interval, until stop(). */
export class UrlListRefresher {
  private readonly timers: NodeJS.Timeout[] = [];
  private running = new Set<Promise<void>>();

  constructor(
    private readonly store: BlocklistStore,
    private readonly lists: readonly { spec: UrlListSpec; kind: RuleKind }[],
    private readonly events: RefreshEvents,
  ) {}

  get size(): number {
    return this.lists.length;
  }

  /** Fetches every list once (failures are reported, not thrown), then schedules refreshes. */
  async start(): Promise<void> {
    await this.refreshAll();
    for (const l of this.lists) {
      const t = setInterval(() => void this.refresh(l), (l.spec.refreshSeconds ?? 3600) * 1000);
      t.unref();
      this.timers.push(t);
    }
  }

  /** Fetches every list now; failures are reported, not thrown. */
  async refreshAll(): Promise<void> {
    await Promise.all(this.lists.map((l) => this.refresh(l)));
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await Promise.allSettled([...this.running]);
  }

  private refresh(l: { spec: UrlListSpec; kind: RuleKind }): Promise<void> {
    const run = importUrlList(this.store, { ...l.spec, url: l.spec.url! }, l.kind).then(
      (result) => this.events.done(l.spec, result),
      (err: Error) => this.events.failed(l.spec, err.message),
    );
    this.running.add(run);
    return run.finally(() => this.running.delete(run));
  }
}

/**
 * The config's url lists as a component, with their log events (list-refresh,
 * list-refresh-failed). Starting it schedules the first fetches and returns at once: a slow
 * feed server must not delay answering.
 */
export function urlListComponent(
  config: { blocklists: readonly UrlListSpec[]; allowlists: readonly UrlListSpec[] },
  store: BlocklistStore,
  log: { info(o: object, msg: string): void; warn(o: object, msg: string): void; debug(o: object, msg: string): void },
): Component & { refreshNow(): Promise<void> } {
  const lists = [
    ...config.blocklists.filter((s) => s.url !== undefined).map((spec) => ({ spec, kind: 'block' as const })),
    ...config.allowlists.filter((s) => s.url !== undefined).map((spec) => ({ spec, kind: 'allow' as const })),
  ];
  const refresher = new UrlListRefresher(store, lists, {
    done: (spec, r) => {
      if (r.status === 'not-modified') log.debug({ event: 'list-refresh', source: spec.source, url: spec.url, result: 'not-modified' }, `${spec.source}: unchanged`);
      else log.info({ event: 'list-refresh', source: spec.source, url: spec.url, ...r.summary, skipped: r.skipped }, `${spec.source}: refreshed from ${spec.url}: added ${r.summary.added}, removed ${r.summary.removed}`);
    },
    failed: (spec, error) => log.warn({ event: 'list-refresh-failed', source: spec.source, url: spec.url, error }, `${spec.source}: refresh from ${spec.url} failed, keeping the stored list: ${error}`),
  });
  return {
    name: 'url-lists',
    start: async () => {
      void refresher.start();
    },
    stop: () => refresher.stop(),
    refreshNow: () => refresher.refreshAll(),
  };
}
