// Where sinkhole hits are kept, aggregated per client: in memory (the embedded default, saved to
// a file the `sinkd report` command reads) or in Redis, where every node's hits add up to one
// picture. Both implement this contract and pass one test suite.

import type { ClientRecord, Hit } from './model.js';

export interface HitQuery {
  /** Only activity at or after this time (ms); null for everything retained. */
  readonly since: number | null;
  readonly client?: string;
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

/** One client's hits of a batch, folded together so a store writes each client once per batch. */
export interface ClientBatch {
  client: string;
  first: number;
  last: number;
  hits: number;
  names: Map<string, { hits: number; family?: string; rule?: string }>;
  families: Map<string, number>;
  minutes: Map<number, number>;
  subnets: Set<string>;
}

export const MINUTE_MS = 60_000;

export function foldBatch(hits: readonly Hit[]): Map<string, ClientBatch> {
  const out = new Map<string, ClientBatch>();
  for (const h of hits) {
    let c = out.get(h.client);
    if (c === undefined) {
      c = { client: h.client, first: h.time, last: h.time, hits: 0, names: new Map(), families: new Map(), minutes: new Map(), subnets: new Set() };
      out.set(h.client, c);
    }
    c.hits++;
    if (h.time < c.first) c.first = h.time;
    if (h.time > c.last) c.last = h.time;
    const n = c.names.get(h.qname);
    if (n) n.hits++;
    else c.names.set(h.qname, h.family === undefined ? { hits: 1, rule: h.rule } : { hits: 1, family: h.family, rule: h.rule });
    if (h.family !== undefined) c.families.set(h.family, (c.families.get(h.family) ?? 0) + 1);
    const minute = h.time - (h.time % MINUTE_MS);
    c.minutes.set(minute, (c.minutes.get(minute) ?? 0) + 1);
    if (h.clientSubnet !== undefined) c.subnets.add(h.clientSubnet);
  }
  return out;
}
