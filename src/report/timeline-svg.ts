// Owns the per-client timeline of the HTML report: hits per minute as bars on a time axis, drawn
// as an inline <svg> (no script, no external resource). Every client's timeline shares one axis
// (the report's window), so a responder can see at a glance which hosts started first and which
// are still active at the right-hand edge. Long windows are binned (at most MAX_BARS bars), so a
// month-long window stays a small drawing; each bar's <title> says its time range and hits.

import type { Report, ReportClient } from '../infected/model.js';
import { localDateTime, localShort, type TimeOptions } from './format.js';
import { html, type Html } from './html.js';

const MINUTE = 60_000;
export const MAX_BARS = 240;
/** The shortest axis drawn (minutes), so a single burst is not one bar the width of the chart. */
const MIN_SPAN_MINUTES = 30;
/** Bar widths a reader can reason about ("hits per 10 minutes"), smallest that keeps <= MAX_BARS. */
const BIN_MINUTES = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];

// Drawing units (the viewBox; the SVG scales to the page width).
const W = 960;
const H = 132;
const LEFT = 44;
const RIGHT = 16;
const TOP = 14;
const PLOT_H = 78;
const BASE = TOP + PLOT_H;

export interface TimeAxis {
  /** Minute-aligned start and end (ms), end exclusive. */
  readonly start: number;
  readonly end: number;
  /** Minutes per bar. */
  readonly bin: number;
}

/**
 * The shared axis: from the window's start (or the first hit when the report covers everything
 * retained) to the generation time (or the last hit, if later), whole minutes.
 */
export function timeAxis(report: Report): TimeAxis {
  // Loops, not Math.min(...xs): a seized zone's report can have more clients than a call has arguments.
  let firstHit = Infinity;
  let lastHit = -Infinity;
  for (const c of report.clients) {
    const f = Date.parse(c.firstSeen);
    const l = Date.parse(c.lastSeen);
    if (f < firstHit) firstHit = f;
    if (l > lastHit) lastHit = l;
  }
  const generated = Date.parse(report.generatedAt);
  const since = report.since === null ? NaN : Date.parse(report.since);
  let start = Number.isFinite(since) ? since : Number.isFinite(firstHit) ? firstHit : generated;
  let end = Number.isFinite(generated) ? generated : lastHit;
  if (!Number.isFinite(start) || !Number.isFinite(end)) start = end = 0;
  start = Math.floor(start / MINUTE) * MINUTE;
  // The axis ends at the generation time, or just after the last active minute if that is later.
  const lastMinuteEnd = Number.isFinite(lastHit) ? Math.floor(lastHit / MINUTE) * MINUTE + MINUTE : -Infinity;
  end = Math.max(Math.ceil(end / MINUTE) * MINUTE, lastMinuteEnd);
  if (end - start < MIN_SPAN_MINUTES * MINUTE) start = end - MIN_SPAN_MINUTES * MINUTE;
  const minutes = (end - start) / MINUTE;
  const bin = BIN_MINUTES.find((b) => minutes / b <= MAX_BARS) ?? Math.ceil(minutes / MAX_BARS / 1440) * 1440;
  // Bars start on whole bins (12:00, 12:10, ... for 10-minute bars).
  start = Math.floor(start / (bin * MINUTE)) * bin * MINUTE;
  return { start, end, bin };
}

interface Bar {
  readonly from: number;
  readonly hits: number;
}

/** The client's timeline folded into the axis's bins (hits outside the axis are left out). */
export function bins(c: ReportClient, axis: TimeAxis): Bar[] {
  const size = axis.bin * MINUTE;
  const byBin = new Map<number, number>();
  for (const [iso, hits] of c.timeline) {
    const t = Date.parse(iso);
    if (!Number.isFinite(t) || t < axis.start || t >= axis.end || !(hits > 0)) continue;
    const from = axis.start + Math.floor((t - axis.start) / size) * size;
    byBin.set(from, (byBin.get(from) ?? 0) + hits);
  }
  return [...byBin.entries()].sort((a, b) => a[0] - b[0]).map(([from, hits]) => ({ from, hits }));
}

/** "minute", "10 minutes", "hour", "6 hours", "day". */
export function binLabel(minutes: number): string {
  if (minutes === 1) return 'minute';
  if (minutes % 1440 === 0) return minutes === 1440 ? 'day' : `${minutes / 1440} days`;
  if (minutes % 60 === 0) return minutes === 60 ? 'hour' : `${minutes / 60} hours`;
  return `${minutes} minutes`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The timeline drawing for one client; `id` makes its title/desc ids unique in the page. */
export function timelineSvg(report: Report, c: ReportClient, axis: TimeAxis, id: string, opts: TimeOptions = {}): Html {
  const bars = bins(c, axis);
  const plotW = W - LEFT - RIGHT;
  const span = axis.end - axis.start;
  const x = (t: number) => LEFT + ((t - axis.start) / span) * plotW;
  const binW = (axis.bin * MINUTE * plotW) / span;
  const barW = Math.max(1.5, binW > 4 ? binW - 1 : binW);
  const peak = Math.max(1, ...bars.map((b) => b.hits));
  const per = binLabel(axis.bin);
  const title = `Hits per ${per} from ${c.client}`;
  const peakBin = bars.find((b) => b.hits === peak);
  const desc =
    `${plural(c.hits, 'hit')} in ${plural(c.distinctMinutes, 'distinct minute')} between ${localDateTime(c.firstSeen, opts)} ` +
    `and ${localDateTime(c.lastSeen, opts)}` +
    (peakBin !== undefined ? `; at most ${plural(peak, 'hit')} per ${per} (at ${localDateTime(new Date(peakBin.from).toISOString(), opts)})` : '') +
    `. Axis from ${localDateTime(new Date(axis.start).toISOString(), opts)} to ${localDateTime(new Date(axis.end).toISOString(), opts)}.`;

  const rects = bars.map((b) => {
    const h = Math.max(2, (b.hits / peak) * PLOT_H);
    const fromIso = new Date(b.from).toISOString();
    const toIso = new Date(b.from + axis.bin * MINUTE).toISOString();
    const when =
      axis.bin === 1
        ? localShort(fromIso, report.generatedAt, opts)
        : `${localShort(fromIso, report.generatedAt, opts)} to ${localShort(toIso, report.generatedAt, opts)}`;
    return html`<rect class="bar" x="${round(x(b.from))}" y="${round(BASE - h)}" width="${round(barW)}" height="${round(h)}"><title>${when}: ${plural(b.hits, 'hit')}</title></rect>`;
  });

  let ackMark: Html | null = null;
  if (c.ack !== undefined) {
    const at = Date.parse(c.ack.at);
    if (Number.isFinite(at) && at >= axis.start && at <= axis.end) {
      const ax = round(x(at));
      ackMark = html`<g class="ack"><line x1="${ax}" x2="${ax}" y1="${TOP - 6}" y2="${BASE}"/><title>Marked handled ${localDateTime(c.ack.at, opts)}</title></g>`;
    }
  }

  const startLabel = localDateTime(new Date(axis.start).toISOString(), opts);
  const endLabel = localDateTime(new Date(axis.end).toISOString(), opts);
  const mid = axis.start + span / 2;
  return html`<svg class="timeline" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-title ${id}-desc" data-bars="${bars.length}" data-bin-minutes="${axis.bin}">
<title id="${id}-title">${title}</title>
<desc id="${id}-desc">${desc}</desc>
<line class="grid" x1="${LEFT}" x2="${W - RIGHT}" y1="${TOP}" y2="${TOP}"/>
<line class="grid" x1="${LEFT}" x2="${W - RIGHT}" y1="${round(TOP + PLOT_H / 2)}" y2="${round(TOP + PLOT_H / 2)}"/>
<text class="ylabel" x="${LEFT - 6}" y="${TOP + 4}" text-anchor="end">${peak}</text>
<text class="ylabel" x="${LEFT - 6}" y="${BASE + 4}" text-anchor="end">0</text>
<g class="bars">${rects}</g>
${ackMark}
<line class="axis" x1="${LEFT}" x2="${W - RIGHT}" y1="${BASE}" y2="${BASE}"/>
<line class="tick" x1="${LEFT}" x2="${LEFT}" y1="${BASE}" y2="${BASE + 5}"/>
<line class="tick" x1="${round(x(mid))}" x2="${round(x(mid))}" y1="${BASE}" y2="${BASE + 5}"/>
<line class="tick" x1="${W - RIGHT}" x2="${W - RIGHT}" y1="${BASE}" y2="${BASE + 5}"/>
<text class="xlabel start" x="${LEFT}" y="${BASE + 20}" text-anchor="start">${startLabel}</text>
<text class="xlabel mid" x="${round(x(mid))}" y="${BASE + 20}" text-anchor="middle">${localShort(new Date(mid).toISOString(), report.generatedAt, opts)}</text>
<text class="xlabel end" x="${W - RIGHT}" y="${BASE + 20}" text-anchor="end">${endLabel}</text>
<text class="unit" x="${LEFT}" y="${BASE + 36}" text-anchor="start">hits per ${per}</text>
</svg>`;
}
