// Owns `sinkd report --format json`: the DESIGN.md contract shape, pretty-printed with a stable
// key order so that two reports diff cleanly and scripts (jq) can rely on the layout.
//
// Key order: the contract's keys first, in the contract's order (generatedAt, since, clients;
// per client: client, firstSeen, lastSeen, hits, names, verdict), then the rest. The contract's
// keys are always present (a name's unknown family is `null`); optional extras (ack, mac,
// hostname, subnets, droppedHits) are left out when unknown. Strings are written as they were
// recorded (JSON escapes everything it must): this is the faithful, machine-readable form.

import type { NameStat, Report, ReportClient } from '../infected/model.js';

type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json | undefined };

function nameJson(n: NameStat): Json {
  return { name: n.name, hits: n.hits, family: n.family ?? null };
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
    families: [...c.families],
    handled: c.handled,
    ack: c.ack === undefined ? undefined : { at: c.ack.at, note: c.ack.note },
    hostname: c.hostname,
    mac: c.mac,
    subnets: c.subnets === undefined ? undefined : [...c.subnets],
    timeline: c.timeline.map(([minute, hits]) => [minute, hits]),
  };
}

/** The report as the contract's JSON document, with a trailing newline. */
export function renderJson(report: Report): string {
  const doc: Json = {
    generatedAt: report.generatedAt,
    since: report.since,
    clients: report.clients.map(clientJson),
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
    },
  };
  // Past a screenful of clients nobody reads the indentation, and pretty-printing was a quarter
  // of the time of a 100,000-client report: emit compact JSON then.
  if (report.clients.length > PRETTY_MAX_CLIENTS) return `${JSON.stringify(doc)}\n`;
  return `${pretty(doc, '')}\n`;
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
  if (inArray && entries.every(([, x]) => isPlain(x as Json))) {
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}: ${JSON.stringify(x)}`).join(', ')}}`;
  }
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${pretty(x, inner)}`).join(',\n')}\n${indent}}`;
}

function isPlain(x: Json): boolean {
  return x === null || typeof x !== 'object';
}
