// Owns the start of a report window as people write it: a duration back from now (90s, 30m, 24h,
// 7d, 2w) or an ISO 8601 time. Shared by `sinkd report --since` and the admin listener's
// `?since=`; the message names no flag or parameter, so each caller says which one was wrong.

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** The start of the window in ms since the epoch; throws a one-line message on bad input. */
export function parseSince(text: string, now = Date.now()): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(text.trim());
  if (m) return now - Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const t = Date.parse(text);
    if (!Number.isNaN(t)) return t;
  }
  throw new Error(`"${text}": give a duration such as 30m, 24h, 7d, 2w, or an ISO time such as 2026-11-20T08:00:00Z`);
}
