// The embedded hit store: aggregates in memory, saved (atomically, at most every few seconds) to
// a JSON file beside the embedded blocklist store, which `sinkd report` reads. Acks made by
// `sinkd report ack` go to their own small file, so the serving process never overwrites them.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ClientRecord, Hit } from './model.js';
import { foldBatch, MINUTE_MS, type HitQuery, type HitStore } from './hit-store.js';

interface MutableClient {
  client: string;
  firstSeen: number;
  lastSeen: number;
  hits: number;
  names: Record<string, { hits: number; family?: string; rule?: string }>;
  families: Record<string, number>;
  minutes: Record<string, number>;
  subnets: string[];
}

interface SavedState {
  version: 1;
  dropped: number;
  clients: MutableClient[];
}

type Acks = Record<string, { at: number; note?: string }>;

export class MemoryHitStore implements HitStore {
  readonly description: string;
  private readonly clientsByIp = new Map<string, MutableClient>();
  private droppedCount = 0;
  private dirty = false;
  private lastSave = 0;

  /**
   * `path`: the JSON file (null: memory only, for tests). `retentionMs`: older activity is
   * forgotten. `saveEveryMs`: the longest a hit waits in memory before it is on disk.
   */
  constructor(
    private readonly path: string | null,
    private readonly retentionMs: number,
    private readonly saveEveryMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {
    this.description = path ? `file ${path}` : 'memory';
    if (path) this.load(path);
  }

  async add(hits: readonly Hit[]): Promise<void> {
    for (const b of foldBatch(hits).values()) {
      let c = this.clientsByIp.get(b.client);
      if (c === undefined) {
        c = { client: b.client, firstSeen: b.first, lastSeen: b.last, hits: 0, names: dict(), families: dict(), minutes: dict(), subnets: [] };
        this.clientsByIp.set(b.client, c);
      }
      c.firstSeen = Math.min(c.firstSeen, b.first);
      c.lastSeen = Math.max(c.lastSeen, b.last);
      c.hits += b.hits;
      for (const [name, n] of b.names) {
        const known = c.names[name];
        if (known) known.hits += n.hits;
        else c.names[name] = { ...n };
      }
      for (const [f, k] of b.families) c.families[f] = (c.families[f] ?? 0) + k;
      for (const [m, k] of b.minutes) c.minutes[m] = (c.minutes[m] ?? 0) + k;
      for (const s of b.subnets) if (!c.subnets.includes(s)) c.subnets.push(s);
    }
    this.dirty = true;
    this.maybeSave(false);
  }

  async clients(query: HitQuery): Promise<ClientRecord[]> {
    this.expire();
    const acks = this.readAcks();
    const out: ClientRecord[] = [];
    const pick = query.client !== undefined ? [this.clientsByIp.get(query.client)].filter((c) => c !== undefined) : this.clientsByIp.values();
    for (const c of pick) {
      const rec = toRecord(c, query.since, acks[c.client]);
      if (rec) out.push(rec);
    }
    return out;
  }

  async ack(client: string, note: string | undefined, at: number): Promise<boolean> {
    if (!this.clientsByIp.has(client)) return false;
    const acks = this.readAcks();
    acks[client] = note === undefined ? { at } : { at, note };
    if (this.path) writeAtomic(acksPath(this.path), JSON.stringify(acks));
    else this.memoryAcks = acks;
    return true;
  }

  async addDropped(count: number): Promise<void> {
    this.droppedCount += count;
    this.dirty = true;
  }

  async dropped(): Promise<number> {
    return this.droppedCount;
  }

  async close(): Promise<void> {
    this.maybeSave(true);
  }

  private memoryAcks: Acks = {};

  private readAcks(): Acks {
    if (!this.path) return this.memoryAcks;
    try {
      return JSON.parse(readFileSync(acksPath(this.path), 'utf8')) as Acks;
    } catch {
      return {};
    }
  }

  private expire(): void {
    const cutoff = this.now() - this.retentionMs;
    for (const [ip, c] of this.clientsByIp) {
      if (c.lastSeen < cutoff) {
        this.clientsByIp.delete(ip);
        continue;
      }
      for (const m of Object.keys(c.minutes)) if (Number(m) < cutoff - MINUTE_MS) delete c.minutes[m];
    }
  }

  private maybeSave(force: boolean): void {
    if (!this.path || !this.dirty) return;
    const now = this.now();
    if (!force && now - this.lastSave < this.saveEveryMs) return;
    this.expire();
    const state: SavedState = { version: 1, dropped: this.droppedCount, clients: [...this.clientsByIp.values()] };
    writeAtomic(this.path, JSON.stringify(state));
    this.lastSave = now;
    this.dirty = false;
  }

  private load(path: string): void {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new Error(`cannot read hit store ${path}: ${(err as Error).message}`);
    }
    const state = JSON.parse(text) as SavedState;
    this.droppedCount = state.dropped ?? 0;
    for (const c of state.clients ?? []) {
      this.clientsByIp.set(c.client, { ...c, names: dict(c.names), families: dict(c.families), minutes: dict(c.minutes) });
    }
  }
}

function acksPath(path: string): string {
  return path.replace(/(\.json)?$/, '.acks.json');
}

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function toRecord(c: MutableClient, since: number | null, ack: { at: number; note?: string } | undefined): ClientRecord | undefined {
  if (since !== null && c.lastSeen < since) return undefined;
  const minutes = Object.entries(c.minutes)
    .map(([m, k]) => [Number(m), k] as const)
    .filter(([m]) => since === null || m + MINUTE_MS > since)
    .sort((a, b) => a[0] - b[0]);
  const inWindow = since === null ? c.hits : minutes.reduce((s, [, k]) => s + k, 0);
  const names = Object.entries(c.names)
    .map(([name, n]) => ({ name, hits: n.hits, ...(n.family !== undefined ? { family: n.family } : {}), ...(n.rule !== undefined ? { rule: n.rule } : {}) }))
    .sort((a, b) => b.hits - a.hits || a.name.localeCompare(b.name));
  const rec: ClientRecord = {
    client: c.client,
    firstSeen: since === null ? c.firstSeen : Math.max(c.firstSeen, minutes[0]?.[0] ?? c.firstSeen),
    lastSeen: c.lastSeen,
    hits: inWindow,
    names,
    families: Object.keys(c.families).sort(),
    minutes,
    subnets: [...c.subnets],
    ...(ack ? { ack } : {}),
  };
  return rec;
}

/**
 * A prototype-free map object: query names are whatever a client asked, and a name such as
 * "__proto__" or "constructor" must be a key like any other, never Object.prototype's.
 */
function dict<V>(from?: Record<string, V>): Record<string, V> {
  const out = Object.create(null) as Record<string, V>;
  if (from) for (const k of Object.keys(from)) out[k] = from[k]!;
  return out;
}
