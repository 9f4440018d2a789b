// Owns the JSON form of one client's hits, as the embedded hit store writes it: a journal line
// holds the clients of one batch, a snapshot holds every client's whole aggregate, in this same
// form. Reading it back is reading a file that a crash, a full disk or a person may have
// damaged: every field is checked, a bad part is left out and told to `problem`, never thrown.
//
//   { "c": client, "f": first ms, "l": last ms, "h": hits,
//     "n": [[name, hits, family|null, rule|null, category|null, [source, ...]], ...],
//     "u": hits on names not kept (optional), "fa": [[family, hits], ...],
//     "m": [minute ms, hits, minute ms, hits, ...], "o": the same for ads/tracking/other hits (optional),
//     "s": [ECS subnet, ...] }

import type { ClientBatch, BatchName } from './hit-store.js';
import { isCategory, MAX_LABEL_CHARS, MAX_NAME_CHARS, MAX_SOURCES_PER_NAME, MAX_SUBNETS_PER_CLIENT } from './client-bounds.js';

/** A client's aggregate (or one batch of it): a folded batch plus the hits on names not kept. */
export interface ClientDelta extends ClientBatch {
  unnamed: number;
}

export interface ClientDeltaJson {
  c: string;
  f: number;
  l: number;
  h: number;
  n: [string, number, string | null, string | null, string | null, string[]][];
  u?: number;
  fa: [string, number][];
  m: number[];
  o?: number[];
  s: string[];
}

export function encodeDelta(d: ClientBatch & { unnamed?: number }): ClientDeltaJson {
  const n: ClientDeltaJson['n'] = [];
  for (const [name, v] of d.names) n.push([name, v.hits, v.family ?? null, v.rule ?? null, v.category ?? null, v.sources]);
  const out: ClientDeltaJson = { c: d.client, f: d.first, l: d.last, h: d.hits, n, fa: [...d.families], m: flat(d.minutes), s: [...d.subnets] };
  if (d.unnamed !== undefined && d.unnamed > 0) out.u = d.unnamed;
  if (d.other.size > 0) out.o = flat(d.other);
  return out;
}

function flat(m: Map<number, number>): number[] {
  const out: number[] = [];
  for (const [k, v] of m) out.push(k, v);
  return out;
}

/** Latest time accepted: year 2100 (a bad clock or a damaged file is not a timeline to draw). */
const MAX_TIME = 4_102_444_800_000;

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_TIME;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER;
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/**
 * The delta in `v`, checked; undefined (and one problem told) when the client itself is unusable.
 * Bad names, minutes, families or subnets are left out one by one, each told.
 */
export function decodeDelta(v: unknown, problem: (client: string, why: string) => void): ClientDelta | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    problem('?', 'not a client record');
    return undefined;
  }
  const o = v as Record<string, unknown>;
  if (!isText(o.c, MAX_LABEL_CHARS)) {
    problem('?', 'no usable client address');
    return undefined;
  }
  const client = o.c;
  if (!isTime(o.f) || !isTime(o.l) || o.f > o.l || !isCount(o.h)) {
    problem(client, 'first/last/hits missing or out of range');
    return undefined;
  }
  const d: ClientDelta = {
    client,
    first: o.f,
    last: o.l,
    hits: o.h,
    unnamed: isCount(o.u) ? o.u : 0,
    names: new Map(),
    families: new Map(),
    minutes: new Map(),
    other: new Map(),
    subnets: new Set(),
  };
  let bad = 0;
  for (const e of Array.isArray(o.n) ? o.n : []) {
    const name = readName(e);
    if (name === undefined) bad++;
    else d.names.set(name[0], name[1]);
  }
  if (bad > 0) problem(client, `${bad} malformed name entr${bad === 1 ? 'y' : 'ies'} left out`);
  for (const e of Array.isArray(o.fa) ? o.fa : []) {
    if (Array.isArray(e) && isText(e[0], MAX_LABEL_CHARS) && isCount(e[1])) d.families.set(e[0], e[1]);
  }
  if (!readBuckets(o.m, d.minutes)) problem(client, 'malformed minute buckets left out');
  if (o.o !== undefined && !readBuckets(o.o, d.other)) problem(client, 'malformed minute buckets left out');
  for (const s of Array.isArray(o.s) ? o.s : []) if (isText(s, MAX_LABEL_CHARS) && d.subnets.size < MAX_SUBNETS_PER_CLIENT) d.subnets.add(s);
  return d;
}

function readName(e: unknown): [string, BatchName] | undefined {
  if (!Array.isArray(e) || !isText(e[0], MAX_NAME_CHARS) || !isCount(e[1]) || e[1] === 0) return undefined;
  const [, hits, family, rule, category, sources] = e as unknown[];
  if (family !== null && family !== undefined && !isText(family, MAX_LABEL_CHARS)) return undefined;
  if (rule !== null && rule !== undefined && !isText(rule, MAX_NAME_CHARS)) return undefined;
  if (category !== null && category !== undefined && !isCategory(category)) return undefined;
  const n: BatchName = { hits: hits as number, sources: [] };
  if (typeof family === 'string') n.family = family;
  if (typeof rule === 'string') n.rule = rule;
  if (isCategory(category)) n.category = category;
  if (Array.isArray(sources)) {
    for (const s of sources) if (isText(s, MAX_LABEL_CHARS) && !n.sources.includes(s) && n.sources.length < MAX_SOURCES_PER_NAME) n.sources.push(s);
  }
  return [e[0] as string, n];
}

/** Flat [minute, hits, ...] into `into`; false when anything in it was unusable (the rest is kept). */
function readBuckets(v: unknown, into: Map<number, number>): boolean {
  if (v === undefined) return true;
  if (!Array.isArray(v)) return false;
  let ok = v.length % 2 === 0;
  for (let i = 0; i + 1 < v.length; i += 2) {
    const m = v[i];
    const k = v[i + 1];
    if (isTime(m) && m % 60_000 === 0 && isCount(k)) into.set(m, (into.get(m) ?? 0) + k);
    else ok = false;
  }
  return ok;
}
