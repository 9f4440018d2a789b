// Owns `sinkd report --format csv`: one row per client for a spreadsheet or a notification mail
// merge. RFC 4180: a header row, CRLF after every record (the last one too), a field quoted when
// it holds a comma, a double quote, CR or LF, a quote inside doubled. UTF-8 without a BOM.
//
// Values: times are the report's ISO 8601 UTC strings (unambiguous in any locale); `handled` is
// "yes"/"no"; lists (families, names as "name (hits)", subnets) are joined with "; "; unknown
// values are empty fields. `names` holds the names that count toward the verdict (malware lists,
// or lists without a category); names on ads/tracking/other lists are in `other_names` as
// "name (hits, category)", their hits in `other_hits`; `sources` lists the lists that matched.
// New columns go at the end, so a sheet that picks columns by position keeps working.
//
// Client-controlled text is made safe for a spreadsheet in two ways:
// - control characters (query names are raw wire bytes) and invisible/bidi characters are shown
//   as \DDD / \u{XXXX} (printable()), so a name cannot break a row or hide what it is (only the
//   ack note, a responder's own text, keeps its line breaks, inside a quoted field);
// - formula injection (OWASP "CSV Injection"): a field whose first non-blank character is one of
//   = + - @ (or that starts with a tab or CR) gets a leading apostrophe, so Excel, LibreOffice
//   and Google Sheets show it as text instead of evaluating it. The rule applies to every field
//   alike: the values sinkd itself produces never trigger it (counts are never negative, ISO
//   times start with a digit, IPv4 with a digit, IPv6 with a hex digit or ":" — "::1" is left
//   alone, as ":" starts no formula), so only odd names, hostnames or notes are changed, and the
//   change is a visible apostrophe, never a silent loss.

import type { Report, ReportClient } from '../infected/model.js';
import { printable, sourcesOf, splitNames } from './format.js';

export const CSV_COLUMNS = [
  'client',
  'hostname',
  'mac',
  'verdict',
  'handled',
  'hits',
  'distinct_minutes',
  'first_seen',
  'last_seen',
  'families',
  'names',
  'subnets',
  'seized_zones',
  'ack_note',
  'sources',
  'other_hits',
  'other_names',
] as const;

const FORMULA_START = /^[\t\r]|^[\s]*[=+\-@]/;

/** The field with a leading apostrophe when a spreadsheet would take it for a formula. */
export function guardFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** One field, quoted per RFC 4180 when it must be. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function row(c: ReportClient): string[] {
  const { counted, other } = splitNames(c);
  const fields = [
    c.client,
    c.hostname ?? '',
    c.mac ?? '',
    c.verdict,
    c.handled ? 'yes' : 'no',
    String(c.hits),
    String(c.distinctMinutes),
    c.firstSeen,
    c.lastSeen,
    c.families.join('; '),
    counted.map((n) => `${n.name} (${n.hits})`).join('; '),
    (c.subnets ?? []).join('; '),
    (c.seizedZones ?? []).join('; '),
  ].map((v) => printable(v));
  // The note is a responder's own text: its line breaks stay (inside a quoted field).
  fields.push(printable(c.ack?.note ?? '', { keepLineBreaks: true }));
  fields.push(
    ...[
      sourcesOf(c.names).join('; '),
      c.otherHits !== undefined && c.otherHits > 0 ? String(c.otherHits) : '',
      other.map((n) => `${n.name} (${n.hits}, ${n.category})`).join('; '),
    ].map((v) => printable(v)),
  );
  return fields.map(guardFormula);
}

/** The report as CSV text: the header row and one record per client, each ending in CRLF. */
export function renderCsv(report: Report): string {
  const records = [[...CSV_COLUMNS], ...report.clients.map(row)];
  return records.map((r) => `${r.map(csvField).join(',')}\r\n`).join('');
}
