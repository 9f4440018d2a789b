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
}

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
  const records = await store.clients({ since: query.since, ...(query.client !== undefined ? { client: query.client } : {}) });
  const report = buildReport(records, {
    rule: config.infected.verdict,
    since: query.since,
    now,
    ...(query.verdict ? { verdict: query.verdict } : {}),
    ...(query.client !== undefined ? { client: query.client } : {}),
    ...(identify ? { identify } : {}),
    droppedHits: await store.dropped(),
    seizedZones: (config.zones ?? []).map((z) => z.name),
  });
  return { report, leaseProblems };
}
