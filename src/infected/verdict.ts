// Owns the verdict rule (is a client that asked for sinkholed names likely infected, or was it
// one contact?) and turning stored client records into the Report every renderer reads.
//
// Malware calling home asks again and again: its hits spread over many minutes (a beacon), or
// it tries several C2 names in turn. A person who clicked one bad link asks for one name, a few
// times (A, AAAA, retries) within a minute. So a client is 'likely-infected' when its hits fall in
// at least `minDistinctMinutes` distinct minutes, or it asked for at least `minDistinctNames`
// different listed names; otherwise it is a 'single-contact'.
//
// Only malware counts: hits on names from ads, tracking or other lists (a list's category) are
// reported apart and never make a client likely infected; hits with no category (recorded before
// lists had one, or from a list without one) count as malware, as they always did.
//
// The window: records come from the store already limited to the retention window or --since.
// buildReport still drops the per-minute activity before `since` (so the timeline and the minute
// count cover only the window) and then reports the hits of the minutes kept; per-name counts have
// no times and are used as the store windowed them.
import { countsAsMalware, type ClientIdentity, type ClientRecord, type Report, type ReportClient, type Verdict, type VerdictRule } from './model.js';
import { isoTime } from './iso-time.js';
import { addressKey } from './leases/lease.js';

export const DEFAULT_VERDICT_RULE: VerdictRule = Object.freeze({ minDistinctMinutes: 3, minDistinctNames: 2 });

export interface Judgement {
  readonly verdict: Verdict;
  /** Which condition held, or why neither did, in words. */
  readonly reason: string;
  /** Distinct minutes with hits, within the window. */
  readonly distinctMinutes: number;
}

const MINUTE = 60_000;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A sentence for the report header. */
export function explainRule(rule: VerdictRule): string {
  return (
    `A client is likely infected when its sinkholed queries fall in at least ${plural(rule.minDistinctMinutes, 'distinct minute')} ` +
    `(malware calling home keeps asking) or name at least ${plural(rule.minDistinctNames, 'different listed name')}; ` +
    `otherwise it is a single contact, such as one click on a bad link.`
  );
}

/**
 * Index of the first minute bucket that overlaps the window starting at `sinceMs` (the bucket
 * holding `sinceMs` counts: its hits may be inside the window). Minutes are oldest first.
 */
function firstMinuteInWindow(minutes: ClientRecord['minutes'], sinceMs: number | undefined): number {
  if (sinceMs === undefined || minutes.length === 0 || minutes[0]![0] + MINUTE > sinceMs) return 0;
  let lo = 0;
  let hi = minutes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (minutes[mid]![0] + MINUTE > sinceMs) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

interface WindowStats {
  /** Index of the first minute bucket in the window. */
  from: number;
  /** Distinct minutes with hits that count (malware or uncategorized). */
  distinctMinutes: number;
  hits: number;
  /** Of `hits`, those on ads/tracking/other lists. */
  otherHits: number;
}

/** Fills `out` (reused across a report's clients, to allocate nothing per client). */
function windowStats(record: ClientRecord, sinceMs: number | undefined, out: WindowStats): WindowStats {
  const minutes = record.minutes;
  out.from = 0;
  out.otherHits = 0;
  if (minutes.length === 0) {
    // No per-minute detail: firstSeen and lastSeen still give a lower bound.
    if (record.hits <= 0 || (sinceMs !== undefined && record.lastSeen < sinceMs)) {
      out.distinctMinutes = 0;
      out.hits = 0;
    } else {
      out.distinctMinutes = Math.floor(record.firstSeen / MINUTE) === Math.floor(record.lastSeen / MINUTE) ? 1 : 2;
      out.hits = record.hits;
    }
    return out;
  }
  const from = firstMinuteInWindow(minutes, sinceMs);
  // The non-malware part of each bucket, same keys, oldest first; usually absent.
  const other = record.otherMinutes !== undefined && record.otherMinutes.length > 0 ? record.otherMinutes : undefined;
  let j = 0;
  let distinct = 0;
  let hits = 0;
  let otherHits = 0;
  let prev = NaN;
  for (let i = from; i < minutes.length; i++) {
    const bucket = minutes[i]!;
    const m = bucket[0];
    const n = bucket[1];
    if (n <= 0) continue;
    hits += n;
    let o = 0;
    if (other !== undefined) {
      while (j < other.length && other[j]![0] < m) j++;
      if (j < other.length && other[j]![0] === m) o = Math.min(n, Math.max(0, other[j]![1]));
      otherHits += o;
    }
    if (n - o > 0 && m !== prev) {
      distinct++;
      prev = m;
    }
  }
  out.from = from;
  out.distinctMinutes = distinct;
  // Nothing cut: the record's own total is the authority (it may count hits without minute detail).
  out.hits = from === 0 ? Math.max(record.hits, hits) : hits;
  out.otherHits = otherHits;
  return out;
}

function likelyReason(rule: VerdictRule, m: number, names: number, byMinutes: boolean, byNames: boolean): string {
  const minutes = `hits in ${m} distinct minutes (threshold ${rule.minDistinctMinutes})`;
  const listed = `${names} different listed names (threshold ${rule.minDistinctNames})`;
  return byMinutes && byNames ? `${minutes}; ${listed}` : byMinutes ? minutes : listed;
}

function singleReason(rule: VerdictRule, hits: number, m: number, names: number): string {
  if (hits === 0 && m === 0) return 'no hits in the window';
  const h = plural(hits, 'hit');
  const n = plural(names, 'name');
  return m <= 1
    ? `${h} within 1 minute, ${n}: one contact`
    : `${h} in ${m} distinct minutes (threshold ${rule.minDistinctMinutes}), ${n} ` +
        `(threshold ${rule.minDistinctNames}): too few to be a beacon`;
}

/** Appended when some of the hits were on ads/tracking/other lists. */
function otherNote(otherHits: number, hits: number): string {
  return otherHits >= hits
    ? `only ads/tracking/other lists (${plural(otherHits, 'hit')}), which do not count toward the verdict`
    : `; ${plural(otherHits, 'hit')} on ads/tracking/other lists not counted`;
}

/**
 * Reason texts depend on a few small numbers, and most clients of a big report share one (every
 * "2 hits within 1 minute, 1 name: one contact"). A report keeps one cache per rule.
 */
class ReasonCache {
  private readonly likely = new Map<number, string>();
  private readonly single = new Map<number, string>();
  constructor(private readonly rule: VerdictRule) {}

  likelyReason(m: number, names: number, byMinutes: boolean, byNames: boolean): string {
    const a = byMinutes ? m + 1 : 0;
    const b = byNames ? names + 1 : 0;
    if (a >= 8192 || b >= 65_536) return likelyReason(this.rule, m, names, byMinutes, byNames);
    const key = a * 65_536 + b;
    let r = this.likely.get(key);
    if (r === undefined) {
      r = likelyReason(this.rule, m, names, byMinutes, byNames);
      this.likely.set(key, r);
    }
    return r;
  }

  singleReason(hits: number, m: number, names: number): string {
    if (hits >= 1 << 16 || m >= 64 || names >= 128) return singleReason(this.rule, hits, m, names);
    const key = (hits * 64 + m) * 128 + names;
    let r = this.single.get(key);
    if (r === undefined) {
      r = singleReason(this.rule, hits, m, names);
      this.single.set(key, r);
    }
    return r;
  }
}

/**
 * Different *listed* names that count toward the verdict: a query name and a name below it that
 * match the same blocklist entry (c2.no-ip.biz and x.c2.no-ip.biz) are one listed name; names from
 * ads/tracking/other lists are not counted. Records without the rule count query names.
 */
export function listedNames(record: ClientRecord): number {
  const names = record.names;
  if (names.length < 2) return names.length === 1 && countsAsMalware(names[0]!.category) ? 1 : 0;
  const seen = new Set<string>();
  for (const n of names) if (countsAsMalware(n.category)) seen.add(n.rule ?? n.name);
  return seen.size;
}

/**
 * The verdict on one client. With `sinceMs`, only minute buckets overlapping [sinceMs, ∞) count.
 * A record without per-minute detail counts 1 minute if firstSeen and lastSeen share one, else 2.
 */
export function judge(record: ClientRecord, rule: VerdictRule, sinceMs?: number): Judgement {
  const w = windowStats(record, sinceMs, { from: 0, distinctMinutes: 0, hits: 0, otherHits: 0 });
  const m = w.distinctMinutes;
  const names = listedNames(record);
  const byMinutes = m >= rule.minDistinctMinutes;
  const byNames = names >= rule.minDistinctNames;
  const counted = w.hits - w.otherHits;
  const hasHits = counted > 0 || m > 0;
  if (hasHits && (byMinutes || byNames)) {
    const note = w.otherHits > 0 ? otherNote(w.otherHits, w.hits) : '';
    return { verdict: 'likely-infected', reason: likelyReason(rule, m, names, byMinutes, byNames) + note, distinctMinutes: m };
  }
  return { verdict: 'single-contact', reason: singleVerdictReason(w, names, (h, mm, nn) => singleReason(rule, h, mm, nn)), distinctMinutes: m };
}

/** The single-contact reason, over the hits that count, with the others mentioned. */
function singleVerdictReason(w: WindowStats, names: number, base: (hits: number, m: number, names: number) => string): string {
  if (w.otherHits === 0) return base(w.hits, w.distinctMinutes, names);
  const counted = w.hits - w.otherHits;
  if (counted <= 0) return otherNote(w.otherHits, w.hits);
  return base(counted, w.distinctMinutes, names) + otherNote(w.otherHits, w.hits);
}

export interface BuildReportOptions {
  readonly rule: VerdictRule;
  /** Start of the window (ms), or null for everything retained. */
  readonly since: number | null;
  /** Report time (ms). */
  readonly now: number;
  /** Only clients with this verdict. */
  readonly verdict?: Verdict;
  /** Only this client address (any spelling of it: "::ffff:192.0.2.1" matches "192.0.2.1"). */
  readonly client?: string;
  /** Who held the address at `atMs` (DHCP leases); called with each listed client's lastSeen. */
  readonly identify?: (ip: string, atMs: number) => ClientIdentity | undefined;
  /** Hits the recorders dropped, when known; copied into the summary. */
  readonly droppedHits?: number;
  /** Seized zone apexes (lowercase, no trailing dot): names under them were asked of sinkd as their authority. */
  readonly seizedZones?: readonly string[];
  /** Stored hit records left out as malformed; copied into the summary. */
  readonly malformedRecords?: number;
}

/** The seized zones a client's names fall in; undefined when none (the usual LAN client). */
function zonesAsked(names: readonly { readonly name: string }[], zones: readonly string[]): string[] | undefined {
  let out: string[] | undefined;
  for (const z of zones) {
    const suffix = `.${z}`;
    if (names.some((n) => n.name === z || n.name.endsWith(suffix))) (out ??= []).push(z);
  }
  return out;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

type TimelinePoint = readonly [string, number];

/**
 * Turns minute buckets into timeline points. Clients share minutes, and a minute's hit count is
 * usually small, so the same [ISO minute, hits] pair recurs across clients: each is built once
 * (frozen, since it is shared) and reused. This keeps a 100,000-client report from allocating a
 * pair and formatting a date per bucket.
 */
function timelineBuilder(records: readonly ClientRecord[]): (minutes: ClientRecord['minutes'], from: number) => readonly TimelinePoint[] {
  const SHARED_MAX_HITS = 64;
  const DENSE_MAX_MINUTES = 1 << 20;
  // Per minute, the shared points by hit count. Aligned minutes (the normal case) live in an
  // array indexed by minute number from the earliest one, when the span allows it (a year of
  // minutes is 525,600); anything else in a Map.
  let base = Infinity;
  let top = -Infinity;
  for (const r of records) {
    const ms = r.minutes;
    if (ms.length === 0) continue;
    if (ms[0]![0] < base) base = ms[0]![0];
    if (ms[ms.length - 1]![0] > top) top = ms[ms.length - 1]![0];
  }
  const baseMinute = Math.floor(base / MINUTE);
  const span = top >= base ? Math.floor(top / MINUTE) - baseMinute + 1 : 0;
  const dense: (TimelinePoint[] | undefined)[] | undefined = span > 0 && span <= DENSE_MAX_MINUTES ? new Array(span) : undefined;
  const sparse = new Map<number, TimelinePoint[]>();
  const rowOf = (ms: number): TimelinePoint[] => {
    let row: TimelinePoint[] | undefined;
    const idx = ms / MINUTE - baseMinute;
    const useDense = dense !== undefined && ms % MINUTE === 0 && idx >= 0 && idx < span;
    row = useDense ? dense[idx] : sparse.get(ms);
    if (row === undefined) {
      row = [];
      if (useDense) dense[idx] = row;
      else sparse.set(ms, row);
    }
    return row;
  };
  const point = (ms: number, hits: number): TimelinePoint => {
    const row = rowOf(ms);
    if (hits >= 0 && hits < SHARED_MAX_HITS && Number.isInteger(hits)) {
      let p = row[hits];
      if (p === undefined) {
        p = Object.freeze([isoTime(ms), hits] as const);
        row[hits] = p;
      }
      return p;
    }
    const any = row.find((x) => x !== undefined);
    return [any !== undefined ? any[0] : isoTime(ms), hits];
  };
  const singles = new Map<TimelinePoint, readonly TimelinePoint[]>();
  return (minutes, from) => {
    const n = minutes.length - from;
    if (n === 1) {
      // Most clients of a big report were seen in one minute: share those one-point timelines.
      const p = point(minutes[from]![0], minutes[from]![1]);
      if (!Object.isFrozen(p)) return [p];
      let one = singles.get(p);
      if (one === undefined) {
        one = Object.freeze([p]);
        singles.set(p, one);
      }
      return one;
    }
    const out: TimelinePoint[] = new Array(n);
    for (let k = 0; k < n; k++) {
      const bucket = minutes[from + k]!;
      out[k] = point(bucket[0], bucket[1]);
    }
    return out;
  };
}

/**
 * Judges every record and builds the report: clients filtered by window, verdict and address;
 * likely-infected first, then most hits, then most recently seen (then address, for a stable
 * order); summary counts over the clients listed. Linear in the records and their minute
 * buckets, plus one sort; per client it allocates only what the report keeps.
 */
export function buildReport(records: readonly ClientRecord[], opts: BuildReportOptions): Report {
  const rule = opts.rule;
  const since = opts.since ?? undefined;
  const wantKey = opts.client === undefined ? undefined : (addressKey(opts.client) ?? opts.client.trim());
  const timelineOf = timelineBuilder(records);
  const reasons = new ReasonCache(rule);
  const w: WindowStats = { from: 0, distinctMinutes: 0, hits: 0, otherHits: 0 };

  const kept: ReportClient[] = [];
  // Sort keys, by position in `kept`.
  let likelyFlag = new Uint8Array(1024);
  let hitsKey = new Float64Array(1024);
  let lastSeenKey = new Float64Array(1024);
  let likely = 0;
  let handled = 0;
  let hitsTotal = 0;
  for (const record of records) {
    if (since !== undefined && record.lastSeen < since) continue;
    if (opts.client !== undefined && record.client !== opts.client && addressKey(record.client) !== wantKey) continue;
    windowStats(record, since, w);
    if (since !== undefined && w.hits === 0) continue;
    const m = w.distinctMinutes;
    const names = listedNames(record);
    const byMinutes = m >= rule.minDistinctMinutes;
    const byNames = names >= rule.minDistinctNames;
    const isLikely = (w.hits - w.otherHits > 0 || m > 0) && (byMinutes || byNames);
    const verdict: Verdict = isLikely ? 'likely-infected' : 'single-contact';
    if (opts.verdict !== undefined && verdict !== opts.verdict) continue;

    const isHandled = record.ack !== undefined && record.ack.at >= record.lastSeen;
    const who = opts.identify?.(record.client, record.lastSeen);
    // Built by adding fields in report order (not by spreading optional ones in): this loop
    // runs once per client, and object spread is several times slower.
    const rc = {
      client: record.client,
      firstSeen: isoTime(record.firstSeen),
      lastSeen: isoTime(record.lastSeen),
      hits: w.hits,
      names: record.names,
      families: record.families,
      verdict,
      reason:
        w.otherHits === 0
          ? isLikely
            ? reasons.likelyReason(m, names, byMinutes, byNames)
            : reasons.singleReason(w.hits, m, names)
          : isLikely
            ? reasons.likelyReason(m, names, byMinutes, byNames) + otherNote(w.otherHits, w.hits)
            : singleVerdictReason(w, names, (h, mm, nn) => reasons.singleReason(h, mm, nn)),
      distinctMinutes: m,
      handled: isHandled,
    } as Mutable<ReportClient>;
    if (w.otherHits > 0) rc.otherHits = w.otherHits;
    if (record.unnamedHits !== undefined && record.unnamedHits > 0) rc.unnamedHits = record.unnamedHits;
    if (record.ack !== undefined) {
      rc.ack = record.ack.note !== undefined ? { at: isoTime(record.ack.at), note: record.ack.note } : { at: isoTime(record.ack.at) };
    }
    if (who?.mac !== undefined) rc.mac = who.mac;
    if (who?.hostname !== undefined) rc.hostname = who.hostname;
    if (record.subnets.length > 0) rc.subnets = record.subnets;
    if (opts.seizedZones !== undefined && opts.seizedZones.length > 0) {
      const zones = zonesAsked(record.names, opts.seizedZones);
      if (zones !== undefined) rc.seizedZones = zones;
    }
    rc.timeline = timelineOf(record.minutes, w.from);

    const k = kept.length;
    if (k === likelyFlag.length) {
      likelyFlag = grow(likelyFlag, new Uint8Array(k * 2));
      hitsKey = grow(hitsKey, new Float64Array(k * 2));
      lastSeenKey = grow(lastSeenKey, new Float64Array(k * 2));
    }
    kept.push(rc);
    likelyFlag[k] = isLikely ? 1 : 0;
    hitsKey[k] = w.hits;
    lastSeenKey[k] = record.lastSeen;
    if (isLikely) likely++;
    if (isHandled) handled++;
    hitsTotal += w.hits;
  }

  // Sort positions by typed-array keys rather than wrapper objects: nothing allocated per client.
  const order = new Uint32Array(kept.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => {
    if (likelyFlag[a] !== likelyFlag[b]) return likelyFlag[b]! - likelyFlag[a]!;
    if (hitsKey[a] !== hitsKey[b]) return hitsKey[b]! - hitsKey[a]!;
    if (lastSeenKey[a] !== lastSeenKey[b]) return lastSeenKey[b]! - lastSeenKey[a]!;
    const ca = kept[a]!.client;
    const cb = kept[b]!.client;
    return ca < cb ? -1 : ca > cb ? 1 : 0;
  });
  const clients: ReportClient[] = new Array(kept.length);
  for (let i = 0; i < order.length; i++) clients[i] = kept[order[i]!]!;

  return {
    generatedAt: new Date(opts.now).toISOString(),
    since: since === undefined ? null : new Date(since).toISOString(),
    rule: {
      minDistinctMinutes: opts.rule.minDistinctMinutes,
      minDistinctNames: opts.rule.minDistinctNames,
      explanation: explainRule(opts.rule),
    },
    clients,
    summary: {
      clients: clients.length,
      likelyInfected: likely,
      singleContact: clients.length - likely,
      handled,
      hits: hitsTotal,
      ...(opts.droppedHits !== undefined && { droppedHits: opts.droppedHits }),
      ...(opts.malformedRecords !== undefined && opts.malformedRecords > 0 && { malformedRecords: opts.malformedRecords }),
    },
  };
}

function grow<T extends Uint8Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
