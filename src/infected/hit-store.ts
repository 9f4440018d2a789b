// Where sinkhole hits are kept, aggregated per client: the embedded default (a journal and a
// snapshot beside the blocklist store, written by a server's journal thread and read by
// `sinkd report`; in memory for tests) or Redis, where every node's hits add up to one picture.
// All implement this contract and are checked against each other by one test suite.

import { countsAsMalware, type ClientRecord, type Hit, type HitCategory } from './model.js';
import { MAX_SOURCES_PER_NAME, MAX_SUBNETS_PER_CLIENT, mergeCategory } from './client-bounds.js';

export interface HitQuery {
  /** Only activity at or after this time (ms); null for everything retained. */
  readonly since: number | null;
  readonly client?: string;
  /**
   * Told of each stored record (or part of one) that failed validation and was left out: stored
   * data is input like any other, and one bad record must not stop a report.
   */
  readonly onMalformed?: (client: string, why: string) => void;
}

export interface HitStore {
  readonly description: string;
  /** Adds a batch. Rejects when the backend cannot be reached: the caller keeps the hits. */
  add(hits: readonly Hit[]): Promise<void>;
  /** Every client with activity in the window, aggregated. */
  clients(query: HitQuery): Promise<ClientRecord[]>;
  /** Marks a client handled; false when the client has no record. */
  ack(client: string, note: string | undefined, at: number): Promise<boolean>;
  /** Hits dropped by recorders (buffer full while the store was down), as reported to the store. */
  addDropped(count: number): Promise<void>;
  dropped(): Promise<number>;
  close(): Promise<void>;
}

export interface BatchName {
  hits: number;
  family?: string;
  rule?: string;
  category?: HitCategory;
  sources: string[];
}

/** One client's hits of a batch, folded together so a store writes each client once per batch. */
export interface ClientBatch {
  client: string;
  first: number;
  last: number;
  hits: number;
  /** In the order first met (a store past its per-client name bound keeps the earliest). */
  names: Map<string, BatchName>;
  families: Map<string, number>;
  minutes: Map<number, number>;
  /** Of `minutes`, hits on ads/tracking/other lists. */
  other: Map<number, number>;
  subnets: Set<string>;
}

export const MINUTE_MS = 60_000;

export function foldBatch(hits: readonly Hit[]): Map<string, ClientBatch> {
  const out = new Map<string, ClientBatch>();
  for (const h of hits) {
    let c = out.get(h.client);
    if (c === undefined) {
      c = { client: h.client, first: h.time, last: h.time, hits: 0, names: new Map(), families: new Map(), minutes: new Map(), other: new Map(), subnets: new Set() };
      out.set(h.client, c);
    }
    c.hits++;
    if (h.time < c.first) c.first = h.time;
    if (h.time > c.last) c.last = h.time;
    let n = c.names.get(h.qname);
    if (n === undefined) {
      n = { hits: 0, sources: [] };
      if (h.family !== undefined) n.family = h.family;
      n.rule = h.rule;
      if (h.category !== undefined) n.category = h.category;
      c.names.set(h.qname, n);
    } else n.category = mergeCategory(n.category, h.category);
    if (n.category === undefined) delete n.category;
    n.hits++;
    if (!n.sources.includes(h.source) && n.sources.length < MAX_SOURCES_PER_NAME) n.sources.push(h.source);
    if (h.family !== undefined) c.families.set(h.family, (c.families.get(h.family) ?? 0) + 1);
    const minute = h.time - (h.time % MINUTE_MS);
    c.minutes.set(minute, (c.minutes.get(minute) ?? 0) + 1);
    if (!countsAsMalware(h.category)) c.other.set(minute, (c.other.get(minute) ?? 0) + 1);
    if (h.clientSubnet !== undefined && c.subnets.size < MAX_SUBNETS_PER_CLIENT) c.subnets.add(h.clientSubnet);
  }
  return out;
}
