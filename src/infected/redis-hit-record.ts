// Owns turning what Redis holds for one client into a ClientRecord, checked like any other input:
// Redis is shared, older versions and other tools write it, and a person can HSET anything. A
// field that is unusable (a name of 5,000 characters, a hit count that is not a number, a minute
// "NaN") is left out and told to `malformed`; a record whose times are unusable is left out whole.
// One bad record never stops a report. Bounds as in client-bounds.ts: at most maxNamesPerClient
// names (the most hit kept; the others' hits become unnamed hits), at most maxMinutesPerClient
// buckets, texts cut or refused past their caps.
//
// Fields of the agg hash (redis-hit-store.ts): first, last, hits, nn (names kept), u (unnamed
// hits), sc (subnets kept), n:<qname> → hits, nf:<qname> → family, nr:<qname> → rule,
// nc:<qname> → category, ns:<qname> → JSON array of sources, f:<family> → hits, s:<subnet> → 1,
// ack_at, ack_note. Anything else is ignored (a later version's field).

import type { ClientRecord, NameStat } from './model.js';
import { boundMinutes, DEFAULT_CLIENT_BOUNDS, isCategory, MAX_LABEL_CHARS, MAX_NAME_CHARS, MAX_NOTE_CHARS, MAX_SOURCES_PER_NAME, MAX_SUBNETS_PER_CLIENT, type ClientBounds } from './client-bounds.js';

const MAX_TIME = 4_102_444_800_000;

export type Malformed = (client: string, why: string) => void;

type MutableName = { name: string; hits: number; family?: string; rule?: string; category?: NameStat['category']; sources?: readonly string[] };
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function count(v: string): number | undefined {
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function time(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 && n <= MAX_TIME ? n : undefined;
}

/** Sources as stored (a JSON array), parsed once per distinct text: most clients share a few lists. */
const sourcesCache = new Map<string, readonly string[] | null>();
const SOURCES_CACHE_MAX = 4096;

function parseSources(value: string): readonly string[] | null {
  let v = sourcesCache.get(value);
  if (v !== undefined) return v;
  let list: unknown;
  try {
    list = JSON.parse(value);
  } catch {
    list = undefined;
  }
  if (!Array.isArray(list)) v = null;
  else {
    const ok = list.filter((x): x is string => typeof x === 'string' && x.length > 0 && x.length <= MAX_LABEL_CHARS).slice(0, MAX_SOURCES_PER_NAME);
    v = ok.length === list.length && ok.length > 0 ? Object.freeze(ok) : null;
  }
  if (sourcesCache.size >= SOURCES_CACHE_MAX) sourcesCache.clear();
  sourcesCache.set(value, v);
  return v;
}

/**
 * Collects one client's fields, then checks and bounds them. `paged`: fields come from HSCAN,
 * which may repeat one (a repeat overwrites); from HGETALL each comes once, in any order.
 */
export class RecordBuilder {
  private first: string | undefined;
  private last: string | undefined;
  private total: string | undefined;
  private unnamed = 0;
  private ackAt: string | undefined;
  private ackNote: string | undefined;
  private names: MutableName[] = [];
  /** Names by name: built when a lookup misses the last few names, or from the start when paged. */
  private byName: Map<string, MutableName> | undefined;
  /** nf:/nr:/nc:/ns: met before their n: field (big hashes come back in any order). */
  private early: [kind: 'family' | 'rule' | 'category' | 'sources', name: string, value: string][] | undefined;
  private readonly families: string[] = [];
  private readonly subnets: string[] = [];
  private problems = 0;
  private firstProblem = '';

  constructor(
    readonly client: string,
    private readonly bounds: ClientBounds,
    paged = false,
  ) {
    if (paged) this.byName = new Map();
  }

  private problem(why: string): void {
    if (this.problems === 0) this.firstProblem = why;
    this.problems++;
  }

  /** The name an nf:/nr:/nc:/ns: field is about: small hashes come back in the order written (n: first). */
  private find(name: string): MutableName | undefined {
    if (this.byName !== undefined) return this.byName.get(name);
    const names = this.names;
    for (let k = names.length - 1; k >= 0 && k >= names.length - 4; k--) if (names[k]!.name === name) return names[k];
    return undefined;
  }

  field(field: string, value: string): void {
    // Most fields are per name: test the prefix by its characters, not by slicing.
    const c0 = field.charCodeAt(0);
    if (c0 === 110 /* n */ && field.charCodeAt(1) === 58 /* : */) {
      const name = field.slice(2);
      const hits = count(value);
      if (hits === undefined || name.length === 0 || name.length > MAX_NAME_CHARS) {
        this.problem(`name field of ${field.length} characters with hits "${value.slice(0, 20)}"`);
        return;
      }
      if (this.byName !== undefined) {
        const known = this.byName.get(name);
        if (known) {
          known.hits = hits;
          return;
        }
      }
      const n: MutableName = { name, hits };
      this.names.push(n);
      this.byName?.set(name, n);
      // Past twice the bound (a flooded client read page by page), keep the most hit.
      if (this.names.length > 2 * this.bounds.maxNamesPerClient) this.trimNames();
      return;
    }
    if (c0 === 110 && field.charCodeAt(2) === 58) {
      const k = field.charCodeAt(1);
      const kind = k === 102 /* f */ ? 'family' : k === 114 /* r */ ? 'rule' : k === 99 /* c */ ? 'category' : k === 115 /* s */ ? 'sources' : undefined;
      if (kind === undefined) return;
      const name = field.slice(3);
      const n = this.find(name);
      if (n !== undefined) this.setNameField(n, kind, value);
      else (this.early ??= []).push([kind, name, value]);
      return;
    }
    if (c0 === 102 /* f */ && field.charCodeAt(1) === 58) {
      if (field.length - 2 > MAX_LABEL_CHARS) this.problem('a family name too long');
      else this.families.push(field.slice(2));
    } else if (c0 === 115 /* s */ && field.charCodeAt(1) === 58) {
      if (field.length - 2 > MAX_LABEL_CHARS) this.problem('a subnet too long');
      else if (this.subnets.length < MAX_SUBNETS_PER_CLIENT) this.subnets.push(field.slice(2));
    } else if (field === 'first') this.first = value;
    else if (field === 'last') this.last = value;
    else if (field === 'hits') this.total = value;
    else if (field === 'u') this.unnamed = count(value) ?? 0;
    else if (field === 'ack_at') this.ackAt = value;
    else if (field === 'ack_note') this.ackNote = value;
  }

  private setNameField(n: MutableName, kind: 'family' | 'rule' | 'category' | 'sources', value: string): void {
    if (value === '') return;
    if (kind === 'category') {
      if (isCategory(value)) n.category = value;
      else this.problem(`category "${value.slice(0, 20)}"`);
    } else if (kind === 'sources') {
      const list = parseSources(value);
      if (list === null) this.problem('sources that are not a list of names');
      else n.sources = list;
    } else if (value.length > (kind === 'rule' ? MAX_NAME_CHARS : MAX_LABEL_CHARS)) this.problem(`a ${kind} too long`);
    else n[kind] = value;
  }

  /** Keeps the maxNamesPerClient most hit names (ties: by name); the others' hits become unnamed. */
  private trimNames(): void {
    const max = this.bounds.maxNamesPerClient;
    if (this.names.length <= max) return;
    this.names.sort((a, b) => b.hits - a.hits || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const n of this.names.splice(max)) {
      this.byName?.delete(n.name);
      this.unnamed += n.hits;
    }
  }

  /**
   * The record, or undefined: when there is no last-seen time (an expired or half-written hash,
   * not an error) or, told to `malformed`, when its times are unusable. `minutes`/`other`: the
   * buckets in the window, as read.
   */
  finish(minutes: (readonly [number, number])[], other: (readonly [number, number])[], since: number | null, malformed?: Malformed): ClientRecord | undefined {
    if (this.last === undefined) return undefined;
    const last = time(this.last);
    const first = time(this.first);
    const total = this.total === undefined ? 0 : count(this.total);
    if (last === undefined || first === undefined || first > last || total === undefined) {
      malformed?.(this.client, `first/last/hits unusable (first "${String(this.first).slice(0, 20)}", last "${this.last.slice(0, 20)}", hits "${String(this.total).slice(0, 20)}")`);
      return undefined;
    }
    if (this.early !== undefined) {
      this.byName ??= new Map(this.names.map((n) => [n.name, n]));
      for (const [kind, name, value] of this.early) {
        const n = this.byName.get(name);
        if (n !== undefined) this.setNameField(n, kind, value);
      }
    }
    this.trimNames();
    const names = this.names;
    if (names.length > 1) names.sort((a, b) => b.hits - a.hits || a.name.localeCompare(b.name));
    const mins = this.checkedBuckets(minutes);
    const others = other.length === 0 ? other : this.checkedBuckets(other);
    const bounded = this.bound(mins, others);
    let hits: number;
    if (since === null) hits = total;
    else {
      hits = 0;
      for (const [, k] of bounded.minutes) hits += k;
    }
    const rec: Mutable<ClientRecord> = {
      client: this.client,
      firstSeen: since === null ? first : Math.max(first, bounded.minutes[0]?.[0] ?? first),
      lastSeen: last,
      hits,
      names,
      families: this.families.length > 1 ? this.families.sort() : this.families,
      minutes: bounded.minutes,
      subnets: this.subnets,
    };
    if (bounded.other.length > 0) rec.otherMinutes = bounded.other;
    if (this.unnamed > 0) rec.unnamedHits = this.unnamed;
    if (this.ackAt !== undefined) {
      const at = time(this.ackAt);
      if (at === undefined) this.problem('an unusable ack time');
      else rec.ack = this.ackNote ? { at, note: this.ackNote.slice(0, MAX_NOTE_CHARS) } : { at };
    }
    if (this.problems > 0) malformed?.(this.client, `${this.problems} unusable field${this.problems === 1 ? '' : 's'} left out (first: ${this.firstProblem})`);
    return rec;
  }

  private checkedBuckets(buckets: (readonly [number, number])[]): (readonly [number, number])[] {
    let bad = 0;
    for (const [m, k] of buckets) if (!(Number.isInteger(m) && m >= 0 && m <= MAX_TIME && Number.isSafeInteger(k) && k > 0)) bad++;
    if (bad === 0) return buckets;
    this.problem(`${bad} unusable minute bucket${bad === 1 ? '' : 's'}`);
    return buckets.filter(([m, k]) => Number.isInteger(m) && m >= 0 && m <= MAX_TIME && Number.isSafeInteger(k) && k > 0);
  }

  /** Written before the per-client bound (or by hand): merged as the store would have. */
  private bound(minutes: (readonly [number, number])[], other: (readonly [number, number])[]): { minutes: (readonly [number, number])[]; other: (readonly [number, number])[] } {
    if (minutes.length <= this.bounds.maxMinutesPerClient) return { minutes, other };
    const all = new Map<number, number>(minutes.map(([m, k]) => [m, k]));
    const oth = new Map<number, number>(other.map(([m, k]) => [m, k]));
    boundMinutes(all, oth, this.bounds.maxMinutesPerClient, 0);
    const sort = (m: Map<number, number>) => [...m].sort((a, b) => a[0] - b[0]) as (readonly [number, number])[];
    return { minutes: sort(all), other: sort(oth) };
  }
}

/**
 * READ_SCRIPT's reply: `JSON array of the agg hash's fields and values` LF `minute,hits,...` LF
 * `the same for ads/tracking/other hits`. Undefined for a client that has expired meanwhile, or
 * (told to `malformed`) for one whose hash is not usable at all.
 */
export function unpackRecord(ip: string, packed: string, since: number | null, bounds: ClientBounds = DEFAULT_CLIENT_BOUNDS, malformed?: Malformed): ClientRecord | undefined {
  const nl = packed.indexOf('\n');
  let agg: unknown;
  try {
    agg = JSON.parse(nl < 0 ? packed : packed.slice(0, nl));
  } catch {
    agg = undefined;
  }
  if (!Array.isArray(agg)) {
    malformed?.(ip, 'its hash could not be read');
    return undefined;
  }
  const b = new RecordBuilder(ip, bounds);
  for (let i = 0; i + 1 < agg.length; i += 2) {
    const field = agg[i];
    const value = agg[i + 1];
    // cjson writes numbers for numeric-looking strings only when asked; anything else is not ours.
    if (typeof field === 'string' && (typeof value === 'string' || typeof value === 'number')) b.field(field, String(value));
  }
  // The script already left out minutes before the window.
  const nl2 = nl < 0 ? -1 : packed.indexOf('\n', nl + 1);
  const minutes = nl < 0 ? [] : parseMinutes(packed, nl + 1, nl2 < 0 ? packed.length : nl2);
  // Usually empty: the line feed is the last character.
  const other = nl2 < 0 || nl2 === packed.length - 1 ? [] : parseMinutes(packed, nl2 + 1);
  return b.finish(minutes, other, since, malformed);
}

/**
 * "minute,hits,minute,hits" from `from` on, as [minute, hits] oldest first. Digits are read by
 * hand (a 100,000-client report has millions of them; split and Number were a tenth of it).
 */
export function parseMinutes(s: string, from: number, to = s.length): (readonly [number, number])[] {
  const out: [number, number][] = [];
  let v = 0;
  let digits = 0;
  let minute = 0;
  let second = false;
  let sorted = true;
  for (let i = from; i <= to; i++) {
    const ch = i < to ? s.charCodeAt(i) : 44;
    if (ch >= 48 && ch <= 57) {
      v = v * 10 + (ch - 48);
      digits++;
    } else if (ch === 44 && digits > 0 && digits < 16) {
      if (second) {
        if (out.length > 0 && minute < out[out.length - 1]![0]) sorted = false;
        out.push([minute, v]);
      } else minute = v;
      second = !second;
      v = 0;
      digits = 0;
    } else if (ch === 44 && digits === 0 && i === to && !second) {
      break; // empty list
    } else return parseMinutesSlowly(s.slice(0, to), from);
  }
  if (!sorted) {
    if (out.length <= 32) {
      for (let k = 1; k < out.length; k++) {
        const x = out[k]!;
        let q = k - 1;
        while (q >= 0 && out[q]![0] > x[0]) {
          out[q + 1] = out[q]!;
          q--;
        }
        out[q + 1] = x;
      }
    } else out.sort((a, b) => a[0] - b[0]);
  }
  return out;
}

/** Anything but plain digits (a sign, an exponent; nothing sinkd writes): Number() decides. */
function parseMinutesSlowly(s: string, from: number): (readonly [number, number])[] {
  const text = s.slice(from);
  if (text === '') return [];
  const parts = text.split(',');
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) out.push([Number(parts[i]), Number(parts[i + 1])]);
  return out.sort((a, b) => a[0] - b[0]);
}
