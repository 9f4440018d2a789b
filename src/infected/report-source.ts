// Turns what the hit store holds into a Report: the window and filters, the verdict rule from
// the config, client identities from the DHCP lease files, and the dropped-hit count. Shared by
// `sinkd report` and the admin listener's /report and /api/report.

import type { SinkdConfig } from '../config/types.js';
import type { HitStore } from './hit-store.js';
import type { ClientIdentity, Report, Verdict } from './model.js';
import { buildReport } from './verdict.js';
import { loadLeaseFile, type LeaseIndex } from './leases/index.js';

export interface ReportQuery {
  readonly since: number | null;
  readonly client?: string;
  readonly verdict?: Verdict;
}

export interface ReportInputs {
  readonly report: Report;
  /** Lease files that could not be read (the report is still produced without them). */
  readonly leaseProblems: readonly string[];
  /** The first few stored hit records left out as malformed, in words (all are counted in the summary). */
  readonly malformed: readonly string[];
}

/** Malformed records described one by one, at most; the rest are only counted. */
const MALFORMED_DESCRIBED = 10;

export async function produceReport(config: Pick<SinkdConfig, 'infected'> & Partial<Pick<SinkdConfig, 'zones'>>, store: HitStore, query: ReportQuery, now = Date.now()): Promise<ReportInputs> {
  const indexes: LeaseIndex[] = [];
  const leaseProblems: string[] = [];
  for (const l of config.infected.leases) {
    try {
      indexes.push(await loadLeaseFile(l.path, l.format));
    } catch (err) {
      leaseProblems.push((err as Error).message);
    }
  }
  const identify = indexes.length === 0 ? undefined : (ip: string, at: number): ClientIdentity | undefined => {
    for (const idx of indexes) {
      const who = idx.identify(ip, at);
      if (who) return who;
    }
    return undefined;
  };
  let malformedCount = 0;
  const malformed: string[] = [];
  const onMalformed = (client: string, why: string) => {
    malformedCount++;
    if (malformed.length < MALFORMED_DESCRIBED) malformed.push(`hit record of ${client}: ${why}`);
  };
  const records = await store.clients({ since: query.since, onMalformed, ...(query.client !== undefined ? { client: query.client } : {}) });
  const report = buildReport(records, {
    rule: config.infected.verdict,
    since: query.since,
    now,
    ...(query.verdict ? { verdict: query.verdict } : {}),
    ...(query.client !== undefined ? { client: query.client } : {}),
    ...(identify ? { identify } : {}),
    droppedHits: await store.dropped(),
    seizedZones: (config.zones ?? []).map((z) => z.name),
    ...(malformedCount > 0 ? { malformedRecords: malformedCount } : {}),
  });
  return { report, leaseProblems, malformed };
}
