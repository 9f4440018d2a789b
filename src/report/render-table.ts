// Owns `sinkd report --format table`: the infected-host report for a terminal. Three header lines
// (when and over what window, the verdict rule in one sentence, the counts), then one row per
// client in the report's order, columns separated by two spaces, no borders. Everything a client
// controls goes through printable(): a query name cannot move the cursor or recolour the screen.

import type { NameStat, Report, ReportClient } from '../infected/model.js';
import {
  countsText,
  droppedText,
  localDateTime,
  localShort,
  malformedText,
  nameWithHits,
  printable,
  sourcesOf,
  splitNames,
  ruleSentence,
  windowText,
  zoneLabel,
  type TimeOptions,
} from './format.js';

export interface TableOptions extends TimeOptions {
  /** ANSI colour (red for likely-infected). Default false: the caller decides (a TTY, NO_COLOR). */
  readonly color?: boolean;
  /**
   * Columns the rows should fit in: top names are cut to fit, then families and the client's
   * hostname/MAC/subnets give way (never the address). Pass process.stdout.columns for a terminal;
   * default 160 (a file or a pipe); Infinity: nothing is cut. Rows can still be wider on a very
   * narrow terminal: the fixed columns are never cut.
   */
  readonly width?: number;
}

const DEFAULT_WIDTH = 160;
const GAP = '  ';
/** The client cell (address, hostname, MAC or ECS subnets) is cut beyond this. */
const MAX_CLIENT = 48;
const MAX_FAMILIES = 24;
/** The lists that matched a client's names: cut beyond this. */
const MAX_SOURCES = 24;
/** Top names always get at least this much, even on a terminal too narrow for the row. */
const MIN_NAMES = 20;
/** What top names should get before other columns give way. */
const WANT_NAMES = 36;
const FAMILIES_FLOOR = 12;
/** Of the client cell, the address and at least this much of what follows it stay when it is cut. */
const CLIENT_EXTRA_FLOOR = 16;

const ANSI = {
  bold: (s: string) => `\u001b[1m${s}\u001b[22m`,
  red: (s: string) => `\u001b[1;31m${s}\u001b[0m`,
  green: (s: string) => `\u001b[32m${s}\u001b[39m`,
  yellow: (s: string) => `\u001b[33m${s}\u001b[39m`,
};

/** Cuts to `max` characters, the last one an ellipsis. */
export function truncate(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  if (max <= 0) return '';
  return `${chars.slice(0, max - 1).join('')}…`;
}

function len(s: string): number {
  return [...s].length;
}

/** "192.168.1.23 (desk-7, aa:bb:cc:dd:ee:ff)" / "10.0.0.53 resolver for 10.0.0.0/24, 10.0.1.0/24". */
export function clientCell(c: ReportClient): string {
  const ident = [c.hostname, c.mac].filter((x): x is string => x !== undefined && x !== '').map((x) => printable(x));
  let cell = printable(c.client);
  if (ident.length > 0) cell += ` (${ident.join(', ')})`;
  if (c.subnets !== undefined && c.subnets.length > 0) cell += ` resolver for ${c.subnets.map((x) => printable(x)).join(', ')}`;
  else if (c.seizedZones !== undefined) cell += ' (resolver)';
  return cell;
}

/**
 * As many "name (hits)" as fit in `max`, then "+N more"; never longer than `max`. Names that count
 * toward the verdict come first; names on ads/tracking/other lists follow as "ads: name (hits)".
 * When not even the first name fits, "+N" gets shorter, then the name is cut, not its hit count:
 * "kr1s.no… (766) +7".
 */
export function topNames(c: ReportClient, max: number): string {
  const { counted, other } = splitNames(c);
  const ordered = [...counted, ...other];
  const items = [...counted.map(nameWithHits), ...other.map((n) => `${n.category}: ${nameWithHits(n)}`)];
  if (items.length === 0) return '-';
  const more = (left: number) => (left > 0 ? `, +${left} more` : '');
  let out = '';
  for (let i = 0; i < items.length; i++) {
    const next = out === '' ? (items[i] as string) : `${out}, ${items[i]}`;
    if (len(next) + len(more(items.length - i - 1)) > max) {
      if (out !== '') return truncate(`${out}${more(items.length - i)}`, max);
      // Not even the first name fits with "+N more": the first name whole with a shorter "+N",
      // else the name cut (its hit count kept).
      const first = ordered[0] as NameStat;
      const rest = items.length - 1;
      const suffixes = rest > 0 ? [more(rest), ` +${rest}`] : [''];
      const whole = suffixes.map((x) => `${items[0]}${x}`).find((x) => len(x) <= max);
      if (whole !== undefined) return whole;
      const tail = ` (${first.hits})${suffixes[suffixes.length - 1]}`;
      if (len(tail) + 6 <= max) return truncate(printable(first.name), max - len(tail)) + tail;
      return truncate(`${items[0]}${suffixes[suffixes.length - 1]}`, max);
    }
    out = next;
  }
  return out;
}

/** The client cell cut to `max`, never into the address ("10.0.0.53 …" when little else fits). */
function clientText(c: ReportClient, cell: string, max: number): string {
  if (len(cell) <= max) return cell;
  const address = printable(c.client);
  if (len(address) + 8 <= max) return truncate(cell, max);
  return len(address) + 2 <= max ? `${address} …` : address;
}

interface Cell {
  readonly text: string;
  readonly align?: 'right';
  /** The text as shown, with colour codes (not counted in the width). */
  readonly paint?: (text: string) => string;
}

/** The report as terminal text (ends with a newline). */
export function renderTable(report: Report, opts: TableOptions = {}): string {
  const color = opts.color === true;
  const width = opts.width !== undefined && opts.width > 0 ? opts.width : DEFAULT_WIDTH;
  const paint = (f: (s: string) => string) => (color ? f : (s: string) => s);

  const zone = zoneLabel(report.generatedAt, opts);
  const lines: string[] = [
    `sinkd infected-host report, generated ${localDateTime(report.generatedAt, opts)} ${zone}; window: ${windowText(report, opts)}`,
    `Verdict rule: ${ruleSentence(report.rule)}`,
    countsText(report),
  ];
  const dropped = droppedText(report);
  if (dropped !== null) lines.push(paint(ANSI.yellow)(`Warning: ${dropped}`));
  const malformed = malformedText(report);
  if (malformed !== null) lines.push(paint(ANSI.yellow)(`Warning: ${malformed}`));

  if (report.clients.length === 0) {
    lines.push('', 'no sinkhole hits in this window');
    return `${lines.join('\n')}\n`;
  }

  const sources = report.clients.map((c) => sourcesOf(c.names).map((x) => printable(x)).join(', ') || '-');
  // Hits recorded by earlier versions name no list: then the column is left out.
  const withSources = sources.some((x) => x !== '-');
  const header = ['CLIENT', 'VERDICT', 'HITS', 'MINUTES', 'FIRST SEEN', 'LAST SEEN', 'FAMILIES', ...(withSources ? ['SOURCES'] : []), 'TOP NAMES'];
  const clients = report.clients.map(clientCell);
  const families = report.clients.map((c) => (c.families.length > 0 ? c.families.map((x) => printable(x)).join(', ') : '-'));
  const fixed: Cell[][] = report.clients.map((c) => [
    {
      text: c.handled ? `${c.verdict} (handled)` : c.verdict,
      paint: () => {
        const v = c.verdict === 'likely-infected' ? paint(ANSI.red)(c.verdict) : c.verdict;
        return c.handled ? `${v} ${paint(ANSI.green)('(handled)')}` : v;
      },
    },
    { text: String(c.hits), align: 'right' },
    { text: String(c.distinctMinutes), align: 'right' },
    { text: localShort(c.firstSeen, report.generatedAt, opts) },
    { text: localShort(c.lastSeen, report.generatedAt, opts) },
  ]);

  // Widths: the fixed columns take what they need; client, families and top names share the rest.
  const widest = (texts: readonly string[], h: string) => texts.reduce((w, t) => Math.max(w, len(t)), len(h));
  const fixedWidths = [1, 2, 3, 4, 5].map((col, k) => widest(fixed.map((r) => (r[k] as Cell).text), header[col] as string));
  let clientW = widest(clients, header[0] as string);
  let familiesW = widest(families, header[6] as string);
  let sourcesW = withSources ? widest(sources, 'SOURCES') : 0;
  let namesW = Number.MAX_SAFE_INTEGER;
  if (Number.isFinite(width)) {
    clientW = Math.min(clientW, MAX_CLIENT);
    familiesW = Math.min(familiesW, MAX_FAMILIES);
    sourcesW = Math.min(sourcesW, MAX_SOURCES);
    let avail = width - fixedWidths.reduce((a, b) => a + b, 0) - sourcesW - GAP.length * (header.length - 1);
    // A narrow terminal: the sources give way first, down to their header's width.
    if (withSources && avail - clientW - familiesW < WANT_NAMES) {
      const give = Math.min(sourcesW - len('SOURCES'), WANT_NAMES - (avail - clientW - familiesW));
      sourcesW -= give;
      avail += give;
    }
    const addressW = widest(report.clients.map((c) => printable(c.client)), header[0] as string);
    const clientFloor = widest(
      report.clients.map((c, i) => (clients[i] as string).slice(0, len(printable(c.client)) + CLIENT_EXTRA_FLOOR)),
      header[0] as string,
    );
    // Give way in turn until top names have what they want, then (a narrow terminal) until they
    // have their minimum: families to FAMILIES_FLOOR, the client cell to its floor; then
    // families to their header's width, the client cell to the bare address.
    const stages: [want: number, column: 'client' | 'families', floor: number][] = [
      [WANT_NAMES, 'families', Math.max(FAMILIES_FLOOR, len(header[6] as string))],
      [WANT_NAMES, 'client', clientFloor],
      [MIN_NAMES, 'families', len(header[6] as string)],
      [MIN_NAMES, 'client', addressW],
    ];
    for (const [want, column, floor] of stages) {
      const short = want - (avail - clientW - familiesW);
      if (short <= 0) continue;
      if (column === 'families') familiesW -= Math.min(short, Math.max(0, familiesW - floor));
      else clientW -= Math.min(short, Math.max(0, clientW - floor));
    }
    namesW = Math.max(MIN_NAMES, avail - clientW - familiesW);
  }

  const rows: Cell[][] = report.clients.map((c, i) => [
    { text: clientText(c, clients[i] as string, clientW) },
    ...(fixed[i] as Cell[]),
    { text: truncate(families[i] as string, familiesW) },
    ...(withSources ? [{ text: truncate(sources[i] as string, sourcesW) }] : []),
    { text: topNames(c, namesW) },
  ]);
  const widths = header.slice(0, header.length - 1).map((h, col) => widest(rows.map((r) => (r[col] as Cell).text), h));

  const fmt = (cells: readonly Cell[], isHeader: boolean) =>
    cells
      .map((cell, col) => {
        const last = col === cells.length - 1;
        const pad = last ? 0 : (widths[col] as number) - len(cell.text);
        // Padding is computed on the visible text and added outside the colour codes.
        const shown = isHeader ? paint(ANSI.bold)(cell.text) : cell.paint ? cell.paint(cell.text) : cell.text;
        return cell.align === 'right' ? ' '.repeat(pad) + shown : shown + ' '.repeat(pad);
      })
      .join(GAP)
      .trimEnd();

  lines.push('', fmt(header.map((text, col) => ({ text, align: col === 2 || col === 3 ? 'right' : undefined })), true));
  for (const row of rows) lines.push(fmt(row, false));
  return `${lines.join('\n')}\n`;
}
