// The hit aggregate in memory: per client, hits by name, family and minute, within the per-client
// bounds (client-bounds.ts) and at most `maxClients` clients (the least recently seen are
// forgotten first, and counted). It is the embedded store's state (the journal thread keeps one
// and writes it to disk, `sinkd report` rebuilds one from the files) and, on its own, the
// memory-only store the tests compare Redis with. Nothing here touches a file.

import type { ClientRecord, Hit, NameStat } from './model.js';
import { foldBatch, MINUTE_MS, type HitQuery, type HitStore } from './hit-store.js';
import { boundMinutes, DEFAULT_CLIENT_BOUNDS, mergeCategory, MAX_SOURCES_PER_NAME, MAX_SUBNETS_PER_CLIENT, type ClientBounds } from './client-bounds.js';
import type { ClientDelta } from './hit-delta.js';

export type Acks = Map<string, { at: number; note?: string }>;

export interface MemoryHitStoreOptions {
  readonly bounds?: ClientBounds;
  /** Most clients kept; past it the least recently seen are forgotten. */
  readonly maxClients?: number;
  readonly now?: () => number;
}

export const DEFAULT_MAX_CLIENTS = 100_000;

export class MemoryHitStore implements HitStore {
  readonly description: string = 'memory';
  private readonly byClient = new Map<string, ClientDelta>();
  private droppedCount = 0;
  private readonly bounds: ClientBounds;
  private readonly maxClients: number;
  private readonly now: () => number;
  acks: Acks = new Map();
  /** Clients forgotten because of maxClients, since start. */
  evicted = 0;

  constructor(
    private readonly retentionMs: number,
    opts: MemoryHitStoreOptions = {},
  ) {
    this.bounds = opts.bounds ?? DEFAULT_CLIENT_BOUNDS;
    this.maxClients = opts.maxClients ?? DEFAULT_MAX_CLIENTS;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.byClient.size;
  }

  async add(hits: readonly Hit[]): Promise<void> {
    for (const b of foldBatch(hits).values()) this.apply({ ...b, unnamed: 0 });
  }

  /** Folds one client's delta in (a batch, a journal line's entry, a snapshot's client), within the bounds. */
  apply(d: ClientDelta): void {
    let c = this.byClient.get(d.client);
    if (c === undefined) {
      c = { client: d.client, first: d.first, last: d.last, hits: 0, unnamed: 0, names: new Map(), families: new Map(), minutes: new Map(), other: new Map(), subnets: new Set() };
      this.byClient.set(d.client, c);
      if (this.byClient.size > this.maxClients) this.evictOldest();
    }
    if (d.first < c.first) c.first = d.first;
    if (d.last > c.last) c.last = d.last;
    c.hits += d.hits;
    c.unnamed += d.unnamed;
    for (const [name, n] of d.names) {
      const known = c.names.get(name);
      if (known === undefined) {
        if (c.names.size >= this.bounds.maxNamesPerClient) {
          c.unnamed += n.hits;
          continue;
        }
        c.names.set(name, { ...n, sources: n.sources.slice(0, MAX_SOURCES_PER_NAME) });
        continue;
      }
      known.hits += n.hits;
      const category = mergeCategory(known.category, n.category);
      if (category === undefined) delete known.category;
      else known.category = category;
      for (const s of n.sources) if (!known.sources.includes(s) && known.sources.length < MAX_SOURCES_PER_NAME) known.sources.push(s);
    }
    for (const [f, k] of d.families) c.families.set(f, (c.families.get(f) ?? 0) + k);
    for (const [m, k] of d.minutes) c.minutes.set(m, (c.minutes.get(m) ?? 0) + k);
    for (const [m, k] of d.other) c.other.set(m, (c.other.get(m) ?? 0) + k);
    for (const s of d.subnets) if (c.subnets.size < MAX_SUBNETS_PER_CLIENT) c.subnets.add(s);
    boundMinutes(c.minutes, c.other, this.bounds.maxMinutesPerClient, this.now() - this.retentionMs);
  }

  /** Forgets the least recently seen 1% (at least one) past maxClients: sorting once per 1% keeps this rare. */
  private evictOldest(): void {
    const excess = this.byClient.size - this.maxClients;
    const n = Math.max(excess, Math.ceil(this.maxClients / 100));
    const oldest = [...this.byClient.values()].sort((a, b) => a.last - b.last).slice(0, n);
    for (const c of oldest) this.byClient.delete(c.client);
    this.evicted += oldest.length;
  }

  async clients(query: HitQuery): Promise<ClientRecord[]> {
    this.expire();
    const out: ClientRecord[] = [];
    if (query.client !== undefined) {
      const c = this.byClient.get(query.client);
      const rec = c && toRecord(c, query.since, this.acks.get(c.client));
      if (rec) out.push(rec);
      return out;
    }
    for (const c of this.byClient.values()) {
      const rec = toRecord(c, query.since, this.acks.get(c.client));
      if (rec) out.push(rec);
    }
    return out;
  }

  async ack(client: string, note: string | undefined, at: number): Promise<boolean> {
    if (!this.byClient.has(client)) return false;
    this.acks.set(client, note === undefined ? { at } : { at, note });
    return true;
  }

  async addDropped(count: number): Promise<void> {
    this.droppedCount += count;
  }

  async dropped(): Promise<number> {
    return this.droppedCount;
  }

  get droppedTotal(): number {
    return this.droppedCount;
  }

  async close(): Promise<void> {}

  /** Every client's aggregate, for a snapshot (read only). */
  all(): IterableIterator<ClientDelta> {
    return this.byClient.values();
  }

  has(client: string): boolean {
    return this.byClient.has(client);
  }

  /** Forgets clients and minutes past the retention window. */
  expire(): void {
    const cutoff = this.now() - this.retentionMs;
    for (const [ip, c] of this.byClient) {
      if (c.last < cutoff) {
        this.byClient.delete(ip);
        continue;
      }
      for (const m of c.minutes.keys()) {
        if (m < cutoff - MINUTE_MS) {
          c.minutes.delete(m);
          c.other.delete(m);
        }
      }
    }
  }
}

function toRecord(c: ClientDelta, since: number | null, ack: { at: number; note?: string } | undefined): ClientRecord | undefined {
  if (since !== null && c.last < since) return undefined;
  const inWindow = (m: number) => since === null || m + MINUTE_MS > since;
  const minutes = [...c.minutes].filter(([m]) => inWindow(m)).sort((a, b) => a[0] - b[0]);
  const hits = since === null ? c.hits : minutes.reduce((s, [, k]) => s + k, 0);
  const names: NameStat[] = [...c.names]
    .map(([name, n]) => {
      const s: { -readonly [K in keyof NameStat]: NameStat[K] } = { name, hits: n.hits };
      if (n.family !== undefined) s.family = n.family;
      if (n.rule !== undefined) s.rule = n.rule;
      if (n.category !== undefined) s.category = n.category;
      if (n.sources.length > 0) s.sources = [...n.sources];
      return s;
    })
    .sort((a, b) => b.hits - a.hits || a.name.localeCompare(b.name));
  const rec: { -readonly [K in keyof ClientRecord]: ClientRecord[K] } = {
    client: c.client,
    firstSeen: since === null ? c.first : Math.max(c.first, minutes[0]?.[0] ?? c.first),
    lastSeen: c.last,
    hits,
    names,
    families: [...c.families.keys()].sort(),
    minutes,
    subnets: [...c.subnets],
  };
  if (c.other.size > 0) {
    const other = [...c.other].filter(([m]) => inWindow(m)).sort((a, b) => a[0] - b[0]);
    if (other.length > 0) rec.otherMinutes = other;
  }
  if (c.unnamed > 0) rec.unnamedHits = c.unnamed;
  if (ack) rec.ack = ack;
  return rec;
}
