// Owns `sinkd report --format json`: the DESIGN.md contract shape, pretty-printed with a stable
// key order so that two reports diff cleanly and scripts (jq) can rely on the layout.
//
// Key order: the contract's keys first, in the contract's order (generatedAt, since, clients;
// per client: client, firstSeen, lastSeen, hits, names, verdict), then the rest. The contract's
// keys are always present (a name's unknown family is `null`); optional extras (ack, mac,
// hostname, subnets, a name's category and sources, otherHits, unnamedHits, droppedHits,
// malformedRecords) are left out when unknown. Strings are written as they were
// recorded (JSON escapes everything it must): this is the faithful, machine-readable form.

import type { NameStat, Report, ReportClient } from '../infected/model.js';

type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json | undefined };

function nameJson(n: NameStat): Json {
  return {
    name: n.name,
    hits: n.hits,
    family: n.family ?? null,
    // Absent: recorded without a list category (counts as malware), or by an earlier version.
    category: n.category,
    sources: n.sources !== undefined && n.sources.length > 0 ? (n.sources as readonly string[]) : undefined,
  };
}

function clientJson(c: ReportClient): Json {
  return {
    client: c.client,
    firstSeen: c.firstSeen,
    lastSeen: c.lastSeen,
    hits: c.hits,
    names: c.names.map(nameJson),
    verdict: c.verdict,
    reason: c.reason,
    distinctMinutes: c.distinctMinutes,
    // Hits on ads/tracking/other lists (in `hits`, not counted toward the verdict).
    otherHits: c.otherHits,
    unnamedHits: c.unnamedHits,
    families: c.families as readonly string[],
    handled: c.handled,
    ack: c.ack === undefined ? undefined : { at: c.ack.at, note: c.ack.note },
    hostname: c.hostname,
    mac: c.mac,
    subnets: c.subnets,
    seizedZones: c.seizedZones,
    // Already [ISO minute, hits] pairs (shared between clients by the report builder): printed as they are.
    timeline: c.timeline as readonly (readonly [string, number])[],
  };
}

function docJson(report: Report, clients: Json): Json {
  return {
    generatedAt: report.generatedAt,
    since: report.since,
    clients,
    rule: {
      minDistinctMinutes: report.rule.minDistinctMinutes,
      minDistinctNames: report.rule.minDistinctNames,
      explanation: report.rule.explanation,
    },
    summary: {
      clients: report.summary.clients,
      likelyInfected: report.summary.likelyInfected,
      singleContact: report.summary.singleContact,
      handled: report.summary.handled,
      hits: report.summary.hits,
      droppedHits: report.summary.droppedHits,
      malformedRecords: report.summary.malformedRecords,
    },
  };
}

/** The report as the contract's JSON document, with a trailing newline. */
export function renderJson(report: Report): string {
  // Past a screenful of clients nobody reads the indentation, and pretty-printing was a quarter
  // of the time of a 100,000-client report: emit compact JSON then.
  if (report.clients.length > PRETTY_MAX_CLIENTS) return [...renderJsonChunks(report)].join('');
  return `${pretty(docJson(report, report.clients.map(clientJson)), '')}\n`;
}

/** Clients serialized per chunk of the compact form. */
const CHUNK_CLIENTS = 500;

/**
 * renderJson's text in pieces (concatenated, exactly renderJson's text), so a large report can be
 * written to a file or a socket as it is serialized: no 100 MB string, and only one chunk's
 * worth of JSON objects alive at a time.
 */
export function* renderJsonChunks(report: Report): Generator<string, void, undefined> {
  if (report.clients.length <= PRETTY_MAX_CLIENTS) {
    yield renderJson(report);
    return;
  }
  // JSON.stringify of the whole document, cut where the client array goes: the same bytes.
  const MARK = 0;
  const whole = JSON.stringify(docJson(report, [MARK]));
  const at = whole.indexOf(',"rule":');
  const open = whole.lastIndexOf('[', at);
  yield whole.slice(0, open + 1);
  const clients = report.clients;
  const batch: Json[] = [];
  for (let i = 0; i < clients.length; i += CHUNK_CLIENTS) {
    batch.length = 0;
    const end = Math.min(clients.length, i + CHUNK_CLIENTS);
    for (let k = i; k < end; k++) batch.push(clientJson(clients[k]!));
    const text = JSON.stringify(batch);
    yield i === 0 ? text.slice(1, -1) : `,${text.slice(1, -1)}`;
  }
  yield `${whole.slice(at - 1)}\n`;
}

/** Reports with more clients than this are printed as compact JSON. */
export const PRETTY_MAX_CLIENTS = 1000;

// JSON.stringify(doc, null, 2), except that an array of plain values (a timeline entry, a list of
// families) and an array element made of plain values only (a name) stay on one line: a day-long
// timeline is 1440 lines instead of 5760, and each name is one line.
function pretty(v: Json | undefined, indent: string, inArray = false): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    const arr = v as readonly Json[];
    if (arr.length === 0) return '[]';
    if (arr.every(isPlain)) return `[${arr.map((x) => JSON.stringify(x)).join(', ')}]`;
    return `[\n${arr.map((x) => inner + pretty(x, inner, true)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(v as { readonly [key: string]: Json | undefined }).filter(([, x]) => x !== undefined);
  if (entries.length === 0) return '{}';
  if (inArray && entries.every(([, x]) => isPlain(x as Json) || (Array.isArray(x) && (x as readonly Json[]).every(isPlain)))) {
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}: ${pretty(x as Json, '')}`).join(', ')}}`;
  }
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${pretty(x, inner)}`).join(',\n')}\n${indent}}`;
}

function isPlain(x: Json): boolean {
  return x === null || typeof x !== 'object';
}
