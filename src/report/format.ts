// Owns the small text helpers every report renderer shares: showing client-controlled strings
// safely, local-time forms, durations, and the verdict rule and counts in words.

import { countsAsMalware, type NameStat, type Report, type ReportClient, type VerdictRule } from '../infected/model.js';

/** Options every human-facing renderer takes. */
export interface TimeOptions {
  /** IANA time zone for displayed times; default: the process's local zone. */
  readonly timeZone?: string;
}

// C0 controls, DEL and C1 controls: query names are raw wire bytes (decoded as latin1), DHCP
// hostnames are chosen by the host, so any of these can arrive and must not reach a terminal or
// a spreadsheet as themselves (escape sequences, line breaks, NUL).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// Invisible formatting and bidi overrides (Trojan-Source style): they can make one name look like
// another or reorder what a responder reads.
const INVISIBLE = /[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/**
 * The string with every control character shown as DNS presentation `\DDD` (RFC 1035, the form
 * dig prints) and every invisible or bidi formatting character as `\u{XXXX}`: what is shown is
 * what was asked, and nothing in it can act on the terminal, the spreadsheet or the page layout.
 * `keepLineBreaks` (for text a responder typed, such as an ack note) keeps LF and tab, CRLF as LF.
 */
export function printable(s: string, opts: { keepLineBreaks?: boolean } = {}): string {
  const keep = opts.keepLineBreaks === true;
  return (keep ? s.replace(/\r\n?/g, '\n') : s)
    .replace(CONTROL, (c) => (keep && (c === '\n' || c === '\t') ? c : `\\${c.charCodeAt(0).toString().padStart(3, '0')}`))
    .replace(INVISIBLE, (c) => `\\u{${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}}`);
}

const partsCache = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? '';
  let f = partsCache.get(key);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'short',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
    partsCache.set(key, f);
  }
  return f;
}

interface LocalParts {
  year: string;
  month: string;
  monthName: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
  zone: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function localParts(iso: string, timeZone: string | undefined): LocalParts | null {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return null;
  const p: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(d)) p[part.type] = part.value;
  const monthName = p.month ?? '';
  const month = String(MONTHS.indexOf(monthName) + 1).padStart(2, '0');
  const zoneRaw = p.timeZoneName ?? 'GMT';
  const zone = zoneRaw === 'GMT' || zoneRaw === 'GMT+00:00' ? 'UTC' : zoneRaw.replace(/^GMT/, 'UTC');
  return {
    year: p.year ?? '',
    month,
    monthName,
    day: p.day ?? '',
    hour: p.hour ?? '',
    minute: p.minute ?? '',
    second: p.second ?? '',
    zone,
  };
}

/** "2024-05-01 14:03" in the display zone; the input itself when it is not a valid time. */
export function localDateTime(iso: string, opts: TimeOptions = {}): string {
  const p = localParts(iso, opts.timeZone);
  if (p === null) return printable(iso);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/**
 * The short form for table cells: "May 01 14:03" (fixed width, no day/month order to misread);
 * "2023-12-31 23:59" when the year differs from `refIso`'s (the report's generation time).
 */
export function localShort(iso: string, refIso: string, opts: TimeOptions = {}): string {
  const p = localParts(iso, opts.timeZone);
  if (p === null) return printable(iso);
  const ref = localParts(refIso, opts.timeZone);
  if (ref !== null && ref.year !== p.year) return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
  return `${p.monthName} ${p.day} ${p.hour}:${p.minute}`;
}

/** "UTC+02:00" / "UTC": the offset of the display zone at that time. */
export function zoneLabel(iso: string, opts: TimeOptions = {}): string {
  return localParts(iso, opts.timeZone)?.zone ?? 'UTC';
}

/** "45s", "1h 30m", "2d 3h": the two largest units. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const min = Math.floor(s / 60);
  const d = Math.floor(min / 1440);
  const h = Math.floor((min % 1440) / 60);
  const m = min % 60;
  const [first, second]: [number, string][] = d > 0 ? [[d, 'd'], [h, 'h']] : h > 0 ? [[h, 'h'], [m, 'm']] : [[m, 'm'], [0, '']];
  return second[0] > 0 ? `${first[0]}${first[1]} ${second[0]}${second[1]}` : `${first[0]}${first[1]}`;
}

/** "since 2024-05-01 12:00 (the last 2h)" or "everything retained". */
export function windowText(report: Report, opts: TimeOptions = {}): string {
  if (report.since === null) return 'everything retained';
  const span = Date.parse(report.generatedAt) - Date.parse(report.since);
  const last = Number.isFinite(span) && span >= 0 ? ` (the last ${formatDuration(span)})` : '';
  return `since ${localDateTime(report.since, opts)}${last}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The verdict rule in one sentence, from its thresholds (always agrees with the numbers). */
export function ruleSentence(rule: VerdictRule): string {
  return (
    `likely-infected when a client's hits fall in at least ${plural(rule.minDistinctMinutes, 'distinct minute')} ` +
    `(a beacon) or cover at least ${plural(rule.minDistinctNames, 'different listed name')}; single-contact otherwise.`
  );
}

/** "4 clients (2 likely-infected, 2 single-contact; 1 handled), 137 hits". */
export function countsText(report: Report): string {
  const s = report.summary;
  return (
    `${plural(s.clients, 'client')} (${s.likelyInfected} likely-infected, ${s.singleContact} single-contact; ` +
    `${s.handled} handled), ${plural(s.hits, 'hit')}`
  );
}

/** The dropped-hits warning, or null when none were dropped (or the count is unknown). */
export function droppedText(report: Report): string | null {
  const d = report.summary.droppedHits;
  if (d === undefined || d <= 0) return null;
  return `${plural(d, 'hit was', 'hits were')} dropped by recorders (buffer full while the store was down): the counts are lower bounds.`;
}

/** "likely-infected" / "single-contact (handled)". */
export function verdictText(c: ReportClient): string {
  return c.handled ? `${c.verdict} (handled)` : c.verdict;
}

/** Stored hit records that failed validation and were left out, or null when none. */
export function malformedText(report: Report): string | null {
  const m = report.summary.malformedRecords;
  if (m === undefined || m <= 0) return null;
  return `${plural(m, 'stored hit record was', 'stored hit records were')} malformed and left out (see the warnings of sinkd report).`;
}

/** A client's names split: those that count toward the verdict (malware, or no category) and the rest. */
export function splitNames(c: ReportClient): { counted: NameStat[]; other: NameStat[] } {
  const counted: NameStat[] = [];
  const other: NameStat[] = [];
  for (const n of c.names) (countsAsMalware(n.category) ? counted : other).push(n);
  return { counted, other };
}

/** The list sources of the names, each once, in order. */
export function sourcesOf(names: readonly NameStat[]): string[] {
  const out: string[] = [];
  for (const n of names) for (const s of n.sources ?? []) if (!out.includes(s)) out.push(s);
  return out;
}

/** "evil.no-ip.biz (12)". */
export function nameWithHits(n: { readonly name: string; readonly hits: number }): string {
  return `${printable(n.name)} (${n.hits})`;
}
