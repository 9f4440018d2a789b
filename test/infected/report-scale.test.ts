import { describe, expect, it } from 'vitest';
import type { ClientRecord, NameStat } from '../../src/infected/model.js';
import { buildReport, DEFAULT_VERDICT_RULE } from '../../src/infected/verdict.js';
import { LeaseIndex, type Lease } from '../../src/infected/leases/index.js';

const MIN = 60_000;
const T0 = Date.parse('2026-11-18T00:00:00Z');
const CLIENTS = 100_000;
const BEACONS = 10_000;
const BEACON_MINUTES = 200;
const BEACON_HITS_PER_MINUTE = 5;

function ipOf(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

/**
 * 100,000 clients, 10,000,000+ hits: 10,000 beacons calling home every 5 minutes for
 * 1000 minutes (200 buckets × 5 hits), 90,000 one-off lookups of 1-3 hits.
 */
function syntheticRecords(): ClientRecord[] {
  const c2: NameStat[] = [
    { name: 'njrat-c2.no-ip.biz', hits: 600, family: 'Bladabindi' },
    { name: 'backup-c2.hopto.org', hits: 400, family: 'Bladabindi' },
  ];
  const records: ClientRecord[] = new Array(CLIENTS);
  for (let i = 0; i < CLIENTS; i++) {
    const offset = (i % 97) * MIN;
    if (i < BEACONS) {
      const minutes: (readonly [number, number])[] = new Array(BEACON_MINUTES);
      for (let k = 0; k < BEACON_MINUTES; k++) minutes[k] = [T0 + offset + k * 5 * MIN, BEACON_HITS_PER_MINUTE];
      records[i] = {
        client: ipOf(i),
        firstSeen: minutes[0]![0],
        lastSeen: minutes[BEACON_MINUTES - 1]![0] + 10_000,
        hits: BEACON_MINUTES * BEACON_HITS_PER_MINUTE,
        names: i % 2 === 0 ? c2 : [c2[0]!],
        families: ['Bladabindi'],
        minutes,
        subnets: [],
      };
    } else {
      const hits = 1 + (i % 3);
      const at = T0 + offset + (i % 1000) * MIN;
      records[i] = {
        client: ipOf(i),
        firstSeen: at,
        lastSeen: at + 2_000,
        hits,
        names: [{ name: `click${i % 50}.zapto.org`, hits }],
        families: [],
        minutes: [[at, hits]],
        subnets: [],
        ...(i % 10 === 0 && { ack: { at: at + MIN } }),
      };
    }
  }
  return records;
}

describe('buildReport at scale', () => {
  it('reports on 100,000 clients / 10,000,000 hits in well under 3 s', () => {
    const records = syntheticRecords();
    const leases: Lease[] = [];
    for (let i = 0; i < CLIENTS; i += 2) {
      leases.push({ ip: ipOf(i), mac: `52:54:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`, hostname: `pc-${i}`, start: T0 - 3600_000, end: T0 + 86_400_000 });
    }
    const index = new LeaseIndex(leases, 'synthetic');
    const now = T0 + 86_400_000;

    let t = performance.now();
    const report = buildReport(records, { rule: DEFAULT_VERDICT_RULE, since: null, now, identify: (ip, at) => index.identify(ip, at) });
    const full = performance.now() - t;

    t = performance.now();
    const windowed = buildReport(records, { rule: DEFAULT_VERDICT_RULE, since: T0 + 500 * MIN, now, verdict: 'likely-infected' });
    const cut = performance.now() - t;

    console.log(
      `buildReport: ${CLIENTS} clients, ${report.summary.hits} hits: ${full.toFixed(0)} ms with lease lookups; ` +
        `windowed + verdict filter: ${cut.toFixed(0)} ms`,
    );

    expect(report.summary).toMatchObject({ clients: CLIENTS, likelyInfected: BEACONS, singleContact: CLIENTS - BEACONS });
    expect(report.summary.hits).toBeGreaterThanOrEqual(10_000_000);
    expect(report.clients[0]!.verdict).toBe('likely-infected');
    expect(report.clients[BEACONS]!.verdict).toBe('single-contact');
    expect(report.clients[0]!.timeline).toHaveLength(BEACON_MINUTES);
    expect(report.clients.filter((c) => c.mac !== undefined)).toHaveLength(CLIENTS / 2);
    expect(windowed.clients).toHaveLength(BEACONS);
    expect(windowed.clients.every((c) => c.timeline.length < BEACON_MINUTES)).toBe(true);

    expect(full).toBeLessThan(3000);
    expect(cut).toBeLessThan(3000);
  });
});
