import { describe, expect, it } from 'vitest';
import type { ClientRecord, NameStat } from '../../src/infected/model.js';
import { buildReport, DEFAULT_VERDICT_RULE, explainRule, judge } from '../../src/infected/verdict.js';
import { LeaseIndex } from '../../src/infected/leases/index.js';

const T0 = Date.parse('2026-11-18T10:00:00Z');
const MIN = 60_000;

/** A record from per-minute hit counts (minute offsets from T0) and name stats. */
function record(
  client: string,
  minutes: [offsetMin: number, hits: number][],
  names: NameStat[] = [{ name: 'evil.no-ip.biz', hits: minutes.reduce((s, [, h]) => s + h, 0), family: 'njRAT' }],
  extra: Partial<ClientRecord> = {},
): ClientRecord {
  const ms = minutes.map(([o, h]) => [T0 + o * MIN, h] as const);
  const hits = minutes.reduce((s, [, h]) => s + h, 0);
  return {
    client,
    firstSeen: ms.length ? ms[0]![0] + 5_000 : T0,
    lastSeen: ms.length ? ms[ms.length - 1]![0] + 30_000 : T0,
    hits,
    names,
    families: [...new Set(names.flatMap((n) => (n.family ? [n.family] : [])))],
    minutes: ms,
    subnets: [],
    ...extra,
  };
}

describe('judge', () => {
  const rule = DEFAULT_VERDICT_RULE;

  it('calls a beacon over many minutes likely infected', () => {
    const r = record('192.168.1.23', Array.from({ length: 14 }, (_, i) => [i * 5, 2] as [number, number]));
    expect(judge(r, rule)).toEqual({ verdict: 'likely-infected', reason: 'hits in 14 distinct minutes (threshold 3)', distinctMinutes: 14 });
  });

  it('calls several listed names likely infected, even within one minute', () => {
    const names = [
      { name: 'a.no-ip.biz', hits: 1 },
      { name: 'b.hopto.org', hits: 1 },
      { name: 'c.zapto.org', hits: 1 },
    ];
    expect(judge(record('192.168.1.24', [[0, 3]], names), rule)).toEqual({
      verdict: 'likely-infected',
      reason: '3 different listed names (threshold 2)',
      distinctMinutes: 1,
    });
  });

  it('names both conditions when both hold', () => {
    const names = [
      { name: 'a.no-ip.biz', hits: 3 },
      { name: 'b.hopto.org', hits: 3 },
    ];
    expect(judge(record('192.168.1.25', [[0, 2], [1, 2], [9, 2]], names), rule).reason).toBe(
      'hits in 3 distinct minutes (threshold 3); 2 different listed names (threshold 2)',
    );
  });

  it('calls a burst within one minute for one name a single contact', () => {
    expect(judge(record('192.168.1.26', [[0, 4]]), rule)).toEqual({
      verdict: 'single-contact',
      reason: '4 hits within 1 minute, 1 name: one contact',
      distinctMinutes: 1,
    });
    expect(judge(record('192.168.1.26', [[0, 1]]), rule).reason).toBe('1 hit within 1 minute, 1 name: one contact');
  });

  it('says why when below the thresholds over more than one minute', () => {
    expect(judge(record('192.168.1.27', [[0, 2], [7, 1]]), rule)).toEqual({
      verdict: 'single-contact',
      reason: '3 hits in 2 distinct minutes (threshold 3), 1 name (threshold 2): too few to be a beacon',
      distinctMinutes: 2,
    });
  });

  it('follows the thresholds it is given', () => {
    const r = record('192.168.1.28', [[0, 1], [1, 1]]);
    expect(judge(r, { minDistinctMinutes: 2, minDistinctNames: 5 }).verdict).toBe('likely-infected');
    expect(judge(r, { minDistinctMinutes: 3, minDistinctNames: 1 }).verdict).toBe('likely-infected');
    expect(judge(r, { minDistinctMinutes: 3, minDistinctNames: 2 }).verdict).toBe('single-contact');
  });

  it('counts only minutes overlapping the window when given sinceMs', () => {
    const r = record('192.168.1.29', [[0, 1], [10, 1], [20, 1], [30, 1]]);
    expect(judge(r, rule).distinctMinutes).toBe(4);
    // The bucket that holds `since` counts; earlier ones do not.
    expect(judge(r, rule, T0 + 20 * MIN + 30_000)).toMatchObject({ verdict: 'single-contact', distinctMinutes: 2 });
    expect(judge(r, rule, T0 + 60 * MIN)).toEqual({ verdict: 'single-contact', reason: 'no hits in the window', distinctMinutes: 0 });
  });

  it('ignores empty buckets and counts a repeated bucket once', () => {
    const r: ClientRecord = {
      ...record('192.168.1.30', []),
      hits: 3,
      minutes: [[T0, 1], [T0, 1], [T0 + MIN, 0], [T0 + 2 * MIN, 1]],
    };
    expect(judge(r, rule).distinctMinutes).toBe(2);
  });

  it('uses firstSeen and lastSeen as a lower bound when there is no per-minute detail', () => {
    const base = record('192.168.1.31', []);
    expect(judge({ ...base, hits: 5, firstSeen: T0, lastSeen: T0 + 10_000 }, rule).distinctMinutes).toBe(1);
    expect(judge({ ...base, hits: 5, firstSeen: T0, lastSeen: T0 + 3 * MIN }, rule).distinctMinutes).toBe(2);
  });
});

describe('explainRule', () => {
  it('is one sentence with both thresholds', () => {
    const s = explainRule(DEFAULT_VERDICT_RULE);
    expect(s).toContain('at least 3 distinct minutes');
    expect(s).toContain('at least 2 different listed names');
    expect(s).toMatch(/^A client .*\.$/);
    expect(s).not.toContain('\n');
    expect(explainRule({ minDistinctMinutes: 1, minDistinctNames: 1 })).toContain('at least 1 distinct minute (');
  });
});

describe('buildReport', () => {
  const rule = DEFAULT_VERDICT_RULE;
  const now = T0 + 120 * MIN;
  const beacon = record('192.168.1.23', Array.from({ length: 10 }, (_, i) => [i * 10, 3] as [number, number]));
  const clicker = record('192.168.1.40', [[50, 2]]);
  const bigClicker = record('192.168.1.41', [[55, 9]]);
  const multi = record('2001:db8:1::23', [[5, 2]], [
    { name: 'x.ddns.net', hits: 1, family: 'Jenxcus' },
    { name: 'y.ddns.net', hits: 1, family: 'Jenxcus' },
  ]);
  const handled = record('192.168.1.60', [[1, 1], [2, 1], [3, 1]], undefined, {
    ack: { at: T0 + 100 * MIN, note: 'reimaged' },
  });
  const seenAgain = record('192.168.1.61', [[1, 1], [2, 1], [90, 1]], undefined, { ack: { at: T0 + 60 * MIN } });
  const resolver = record('10.0.0.53', [[0, 1], [1, 1], [2, 1]], undefined, { subnets: ['198.51.100.0/24'] });
  const all = [clicker, beacon, bigClicker, multi, handled, seenAgain, resolver];

  it('judges and sorts: likely-infected first, then hits, then lastSeen', () => {
    const report = buildReport(all, { rule, since: null, now });
    expect(report.clients.map((c) => [c.client, c.verdict, c.hits])).toEqual([
      ['192.168.1.23', 'likely-infected', 30],
      ['192.168.1.61', 'likely-infected', 3],
      ['192.168.1.60', 'likely-infected', 3],
      ['10.0.0.53', 'likely-infected', 3],
      ['2001:db8:1::23', 'likely-infected', 2],
      ['192.168.1.41', 'single-contact', 9],
      ['192.168.1.40', 'single-contact', 2],
    ]);
    expect(report.summary).toEqual({ clients: 7, likelyInfected: 5, singleContact: 2, handled: 1, hits: 52 });
    expect(report.generatedAt).toBe(new Date(now).toISOString());
    expect(report.since).toBeNull();
    expect(report.rule).toEqual({ ...rule, explanation: explainRule(rule) });
  });

  it('fills the per-client fields', () => {
    const report = buildReport(all, { rule, since: null, now });
    const c = report.clients.find((x) => x.client === '192.168.1.23')!;
    expect(c).toEqual({
      client: '192.168.1.23',
      firstSeen: '2026-11-18T10:00:05.000Z',
      lastSeen: '2026-11-18T11:30:30.000Z',
      hits: 30,
      names: beacon.names,
      families: ['njRAT'],
      verdict: 'likely-infected',
      reason: 'hits in 10 distinct minutes (threshold 3)',
      distinctMinutes: 10,
      handled: false,
      timeline: Array.from({ length: 10 }, (_, i) => [new Date(T0 + i * 10 * MIN).toISOString(), 3]),
    });
    expect(report.clients.find((x) => x.client === '10.0.0.53')?.subnets).toEqual(['198.51.100.0/24']);
  });

  it('marks a client handled only while it has not been seen since the ack', () => {
    const report = buildReport(all, { rule, since: null, now });
    expect(report.clients.find((x) => x.client === '192.168.1.60')).toMatchObject({
      handled: true,
      ack: { at: new Date(T0 + 100 * MIN).toISOString(), note: 'reimaged' },
    });
    const again = report.clients.find((x) => x.client === '192.168.1.61')!;
    expect(again.handled).toBe(false);
    expect(again.ack).toEqual({ at: new Date(T0 + 60 * MIN).toISOString() });
  });

  it('filters by verdict and by client (any spelling of the address)', () => {
    const single = buildReport(all, { rule, since: null, now, verdict: 'single-contact' });
    expect(single.clients.map((c) => c.client)).toEqual(['192.168.1.41', '192.168.1.40']);
    expect(single.summary).toMatchObject({ clients: 2, likelyInfected: 0, singleContact: 2, hits: 11 });

    expect(buildReport(all, { rule, since: null, now, client: '::ffff:192.168.1.40' }).clients.map((c) => c.client)).toEqual([
      '192.168.1.40',
    ]);
    expect(buildReport(all, { rule, since: null, now, client: '2001:DB8:1:0:0:0:0:23' }).clients).toHaveLength(1);
    expect(buildReport(all, { rule, since: null, now, client: '192.168.1.99' }).clients).toHaveLength(0);
  });

  it('limits minutes, timeline, hits and verdict to the window since `since`', () => {
    const since = T0 + 45 * MIN;
    const report = buildReport(all, { rule, since, now });
    expect(report.since).toBe(new Date(since).toISOString());
    const b = report.clients.find((c) => c.client === '192.168.1.23')!;
    expect(b.timeline.map(([t]) => t)).toEqual([50, 60, 70, 80, 90].map((o) => new Date(T0 + o * MIN).toISOString()));
    expect(b).toMatchObject({ hits: 15, distinctMinutes: 5 });
    // Seen again in the window, but only in one minute of it.
    expect(report.clients.find((c) => c.client === '192.168.1.61')).toMatchObject({ verdict: 'single-contact', hits: 1, distinctMinutes: 1 });
    // Last seen before the window: not listed.
    expect(report.clients.map((c) => c.client).sort()).toEqual(['192.168.1.23', '192.168.1.40', '192.168.1.41', '192.168.1.61']);
    expect(report.summary).toMatchObject({ clients: 4, hits: 15 + 1 + 2 + 9 });
  });

  it('names the host from the leases held at lastSeen', () => {
    const leases = new LeaseIndex([
      { ip: '192.168.1.23', mac: '00:1b:21:0a:0b:0c', hostname: 'old', start: T0 - 24 * 60 * MIN, end: T0 - 12 * 60 * MIN },
      { ip: '192.168.1.23', mac: '00:11:22:33:44:55', hostname: 'laptop', start: T0, end: T0 + 12 * 60 * MIN },
    ]);
    const seen: [string, number][] = [];
    const report = buildReport(all, {
      rule,
      since: null,
      now,
      identify: (ip, at) => {
        seen.push([ip, at]);
        return leases.identify(ip, at);
      },
    });
    expect(report.clients[0]).toMatchObject({ client: '192.168.1.23', mac: '00:11:22:33:44:55', hostname: 'laptop' });
    expect(report.clients[1]).not.toHaveProperty('mac');
    expect(seen).toContainEqual(['192.168.1.23', beacon.lastSeen]);
  });

  it('agrees with judge() on every client, with and without a window', () => {
    for (const since of [null, T0 + 45 * MIN]) {
      const report = buildReport(all, { rule, since, now });
      for (const c of report.clients) {
        const j = judge(all.find((r) => r.client === c.client)!, rule, since ?? undefined);
        expect({ verdict: c.verdict, reason: c.reason, distinctMinutes: c.distinctMinutes }).toEqual(j);
      }
    }
  });

  it('shares timeline points between clients without changing what they say', () => {
    const a = record('10.0.0.1', [[0, 2]]);
    const b = record('10.0.0.2', [[0, 2], [1, 200]]);
    const report = buildReport([a, b], { rule, since: null, now });
    const [tb, ta] = [report.clients[0]!.timeline, report.clients[1]!.timeline];
    expect(ta).toEqual([[new Date(T0).toISOString(), 2]]);
    expect(tb).toEqual([[new Date(T0).toISOString(), 2], [new Date(T0 + MIN).toISOString(), 200]]);
    expect(ta[0]).toBe(tb[0]);
    expect(Object.isFrozen(ta[0])).toBe(true);
  });

  it('copes with unaligned minute starts and minutes far apart', () => {
    const odd: ClientRecord = { ...record('10.0.0.3', []), hits: 2, minutes: [[T0 + 1234, 1], [Date.parse('2030-01-01T00:00:00Z'), 1]] };
    const report = buildReport([odd, clicker], { rule, since: null, now });
    expect(report.clients.find((c) => c.client === '10.0.0.3')?.timeline).toEqual([
      [new Date(T0 + 1234).toISOString(), 1],
      ['2030-01-01T00:00:00.000Z', 1],
    ]);
  });

  it('copies droppedHits into the summary and survives JSON', () => {
    const report = buildReport([clicker], { rule, since: null, now, droppedHits: 12 });
    expect(report.summary.droppedHits).toBe(12);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    expect(buildReport([], { rule, since: null, now }).summary).toEqual({ clients: 0, likelyInfected: 0, singleContact: 0, handled: 0, hits: 0 });
  });
});

describe('buildReport in seized-zone mode', () => {
  it('marks a client whose listed names lie in a seized zone as a resolver asking that zone, and only those', () => {
    const now = T0 + 200 * MIN;
    const viaZone = record('203.0.113.53', [[0, 2]], [{ name: 'x.evil.no-ip.biz', hits: 2 }], { subnets: ['198.51.100.0/24'] });
    const lan = record('192.168.1.23', [[0, 1]], [{ name: 'evil.hopto.org', hits: 1 }]);
    const report = buildReport([viaZone, lan], { rule: DEFAULT_VERDICT_RULE, since: null, now, seizedZones: ['no-ip.biz', 'no-ip.info'] });
    const by = new Map(report.clients.map((c) => [c.client, c]));
    expect(by.get('203.0.113.53')!.seizedZones).toEqual(['no-ip.biz']);
    expect(by.get('203.0.113.53')!.subnets).toEqual(['198.51.100.0/24']);
    expect(by.get('192.168.1.23')!.seizedZones).toBeUndefined();
  });
});

describe('list categories: only malware counts toward likely-infected', () => {
  const rule = DEFAULT_VERDICT_RULE;
  const now = T0 + 200 * MIN;
  const everyMinute = (n: number, per = 2) => Array.from({ length: n }, (_, i) => [i, per] as [number, number]);
  /** A record whose hits in the given minutes are all on non-malware lists. */
  function withOther(r: ClientRecord, otherMinutes: [number, number][]): ClientRecord {
    return { ...r, otherMinutes: otherMinutes.map(([o, h]) => [T0 + o * MIN, h] as const) };
  }

  it('a client whose hits are all ads/tracking is never likely-infected, however many minutes and names', () => {
    const names: NameStat[] = [
      { name: 'ads.example', hits: 60, category: 'ads', sources: ['easylist'] },
      { name: 'pixel.tracker.example', hits: 60, category: 'tracking', sources: ['easyprivacy'] },
      { name: 'cdn.other.example', hits: 40, category: 'other', sources: ['misc'] },
    ];
    const r = withOther(record('192.168.1.70', everyMinute(80), names), everyMinute(80));
    const j = judge(r, rule);
    expect(j.verdict).toBe('single-contact');
    expect(j.distinctMinutes).toBe(0);
    expect(j.reason).toBe('only ads/tracking/other lists (160 hits), which do not count toward the verdict');
    const [c] = buildReport([r], { rule, since: null, now }).clients;
    expect(c).toMatchObject({ verdict: 'single-contact', hits: 160, otherHits: 160, distinctMinutes: 0, reason: j.reason });
  });

  it('malware in one minute and ads in many: a single contact, its ads hits named apart', () => {
    const names: NameStat[] = [
      { name: 'c2.no-ip.biz', hits: 2, category: 'malware', family: 'njRAT' },
      { name: 'ads.example', hits: 40, category: 'ads' },
    ];
    // Minute 0: the 2 malware hits; minutes 1-20: ads only.
    const r = withOther(record('192.168.1.71', [[0, 2], ...Array.from({ length: 20 }, (_, i) => [i + 1, 2] as [number, number])], names), Array.from({ length: 20 }, (_, i) => [i + 1, 2] as [number, number]));
    expect(judge(r, rule)).toEqual({ verdict: 'single-contact', reason: '2 hits within 1 minute, 1 name: one contact; 40 hits on ads/tracking/other lists not counted', distinctMinutes: 1 });
  });

  it('two names only one of which is malware are one listed name', () => {
    const names: NameStat[] = [
      { name: 'c2.no-ip.biz', hits: 1, category: 'malware' },
      { name: 'tracker.example', hits: 1, category: 'tracking' },
    ];
    const r = withOther(record('192.168.1.72', [[0, 2]], names), [[0, 1]]);
    expect(judge(r, rule).verdict).toBe('single-contact');
  });

  it('a malware beacon stays likely-infected with ads hits beside it, and says how many were not counted', () => {
    const names: NameStat[] = [
      { name: 'c2.no-ip.biz', hits: 20, category: 'malware' },
      { name: 'ads.example', hits: 10, category: 'ads' },
    ];
    const r = withOther(record('192.168.1.73', everyMinute(10, 3), names), everyMinute(5, 2));
    expect(judge(r, rule)).toEqual({ verdict: 'likely-infected', reason: 'hits in 10 distinct minutes (threshold 3); 10 hits on ads/tracking/other lists not counted', distinctMinutes: 10 });
  });

  it('hits without a category (recorded before lists had one) count as malware, as before', () => {
    const r = record('192.168.1.74', everyMinute(5), [{ name: 'c2.no-ip.biz', hits: 10 }]);
    expect(judge(r, rule).verdict).toBe('likely-infected');
  });

  it('buildReport agrees with judge() with categories, with and without a window', () => {
    const recs = [
      withOther(record('10.1.0.1', everyMinute(30), [{ name: 'a.example', hits: 60, category: 'ads' }]), everyMinute(30)),
      withOther(record('10.1.0.2', everyMinute(30), [{ name: 'a.example', hits: 30, category: 'ads' }, { name: 'c2.no-ip.biz', hits: 30 }]), everyMinute(15)),
      withOther(record('10.1.0.3', [[0, 1], [40, 1]], [{ name: 'a.example', hits: 1, category: 'tracking' }, { name: 'c2.no-ip.biz', hits: 1, category: 'malware' }]), [[0, 1]]),
    ];
    for (const since of [null, T0 + 20 * MIN]) {
      const report = buildReport(recs, { rule, since, now });
      for (const c of report.clients) {
        const j = judge(recs.find((r) => r.client === c.client)!, rule, since ?? undefined);
        expect({ verdict: c.verdict, reason: c.reason, distinctMinutes: c.distinctMinutes }).toEqual(j);
      }
      expect(report.clients.find((c) => c.client === '10.1.0.1')!.verdict).toBe('single-contact');
    }
  });
});
