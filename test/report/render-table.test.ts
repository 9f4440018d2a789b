import { describe, expect, it } from 'vitest';
import { clientCell, renderTable, topNames, truncate } from '../../src/report/render-table.js';
import { emptyReport, makeClient, makeReport, realisticClients, realisticReport } from './fixture.js';

const TZ = { timeZone: 'Europe/Berlin' };
const ESC = '\u001b';

function rows(text: string): string[] {
  const lines = text.trimEnd().split('\n');
  const head = lines.findIndex((l) => l.startsWith('CLIENT'));
  return lines.slice(head + 1);
}

describe('renderTable', () => {
  const report = realisticReport({ summary: { ...realisticReport().summary, droppedHits: 12 } });

  it('starts with when, the window, the verdict rule in one sentence and the counts', () => {
    const lines = renderTable(report, TZ).split('\n');
    expect(lines[0]).toBe(
      'sinkd infected-host report, generated 2024-05-01 14:00 UTC+02:00; window: since 2024-04-30 14:00 (the last 1d)',
    );
    expect(lines[1]).toBe(
      "Verdict rule: likely-infected when a client's hits fall in at least 3 distinct minutes (a beacon) or cover at least 2 different listed names; single-contact otherwise.",
    );
    expect(lines[2]).toBe(`5 clients (3 likely-infected, 2 single-contact; 2 handled), ${report.summary.hits} hits`);
    expect(lines[3]).toBe('Warning: 12 hits were dropped by recorders (buffer full while the store was down): the counts are lower bounds.');
    expect(renderTable(realisticReport({ since: null }), TZ).split('\n')[0]).toContain('window: everything retained');
  });

  it('has one row per client in the order given, with every column', () => {
    const text = renderTable(report, { ...TZ, width: Infinity });
    const header = text.split('\n').find((l) => l.startsWith('CLIENT'))!;
    expect(header.split(/ {2,}/)).toEqual(['CLIENT', 'VERDICT', 'HITS', 'MINUTES', 'FIRST SEEN', 'LAST SEEN', 'FAMILIES', 'TOP NAMES']);
    const r = rows(text);
    expect(r).toHaveLength(5);
    expect(r.map((l) => l.split(' ')[0])).toEqual(['10.0.0.53', '192.168.1.23', '2001:db8::7', '192.168.1.9', '::1']);
    expect(r[0]).toMatch(/^10\.0\.0\.53 resolver for 10\.0\.0\.0\/24, 10\.0\.1\.0\/24 +likely-infected +773 +331 +Apr 30 15:00 +May 01 13:58 +Bladabindi, Jenxcus, njRAT +kr1s\.no-ip\.biz \(766\), update-svc\.hopto\.org \(1\), /);
    expect(r[1]).toMatch(/^192\.168\.1\.23 \(desk-7, 3c:52:82:1a:7f:0e\) +likely-infected +46 +14 +May 01 12:50 +May 01 13:55 +Bladabindi, Jenxcus +evil\.no-ip\.biz \(45\), c2\.hopto\.org \(1\)$/);
    expect(r[2]).toMatch(/^2001:db8::7 \(lab-printer\) +likely-infected \(handled\) +5 +4 +Apr 30 17:20 +Apr 30 17:50 +Jenxcus +mail-sync\.zapto\.org \(5\)$/);
    expect(r[4]).toMatch(/^::1 +single-contact \(handled\) +2 +1 +May 01 10:00 +May 01 10:00 +- +test\.no-ip\.biz \(2\)$/);
  });

  it('aligns columns: counts right-aligned under their headers, times in one column', () => {
    const text = renderTable(report, { ...TZ, width: Infinity });
    const header = text.split('\n').find((l) => l.startsWith('CLIENT'))!;
    const hitsEnd = header.indexOf('HITS') + 'HITS'.length;
    const minutesEnd = header.indexOf('MINUTES') + 'MINUTES'.length;
    const first = header.indexOf('FIRST SEEN');
    for (const line of rows(text)) {
      expect(line.slice(hitsEnd - 1, hitsEnd + 1)).toMatch(/^\d $/);
      expect(line.slice(minutesEnd - 1, minutesEnd + 1)).toMatch(/^\d $/);
      expect(line.slice(first)).toMatch(/^(Apr|May) \d\d \d\d:\d\d  (Apr|May) \d\d \d\d:\d\d /);
    }
  });

  it('fits the width: top names cut first (keeping the hit count), never the address', () => {
    for (const width of [200, 160, 140, 120]) {
      const r = rows(renderTable(report, { ...TZ, width }));
      for (const line of r) expect([...line].length).toBeLessThanOrEqual(width);
      expect(r.map((l) => l.split(' ')[0])).toEqual(['10.0.0.53', '192.168.1.23', '2001:db8::7', '192.168.1.9', '::1']);
    }
    const narrow = rows(renderTable(report, { ...TZ, width: 140 }));
    expect(narrow[0]).toMatch(/ kr1s\.no-ip\.biz \(766\),? \+7( more)?$/);
    const hundred = rows(renderTable(report, { ...TZ, width: 100 }));
    expect(hundred[0]).toMatch(/^10\.0\.0\.53 … +likely-infected .* kr1s\.no-ip… \(766\) \+7$/);
    expect(hundred[1]).toMatch(/ evil\.no-ip\.… \(45\) \+1$/);
    // A terminal too narrow for the fixed columns: rows overflow, but addresses stay whole.
    const tiny = rows(renderTable(report, { ...TZ, width: 60 }));
    expect(tiny.map((l) => l.split(' ')[0])).toEqual(['10.0.0.53', '192.168.1.23', '2001:db8::7', '192.168.1.9', '::1']);
  });

  it('colours likely-infected red and "handled" green only when asked', () => {
    expect(renderTable(report, TZ)).not.toContain(ESC);
    const coloured = renderTable(report, { ...TZ, color: true });
    expect(coloured).toContain(`${ESC}[1;31mlikely-infected${ESC}[0m`);
    expect(coloured).toContain(`${ESC}[32m(handled)${ESC}[39m`);
    expect(coloured).not.toContain(`${ESC}[1;31msingle-contact`);
    // Colour codes do not count towards the widths: stripping them gives the plain table.
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, '')).toBe(renderTable(report, TZ));
  });

  it('never passes control or bidi characters from names or hostnames to the terminal', () => {
    const text = renderTable(report, { ...TZ, width: Infinity });
    expect(text).not.toContain(ESC);
    expect(text).not.toContain('\u202e');
    expect(text).toContain('red\\027[31m\\027[2J.zapto.org (1)');
    expect(text).toContain('moc.\\u{202E}evil.ddns.net (1)');
    const evil = makeReport([makeClient({ client: '192.168.1.50', verdict: 'single-contact', minutes: [5], names: [['x.no-ip.biz', undefined]], hostname: 'pc\r\n\u001b]0;pwned\u0007' })]);
    const r = rows(renderTable(evil, { ...TZ, width: Infinity }));
    expect(r).toHaveLength(1);
    expect(r[0]).toContain('pc\\013\\010\\027]0;pwned\\007');
  });

  it('says so when there are no hits (and still warns about dropped hits)', () => {
    const text = renderTable(emptyReport(), TZ);
    expect(text).toContain('no sinkhole hits in this window');
    expect(text).not.toContain('CLIENT');
    const dropped = renderTable(makeReport([], { summary: { clients: 0, likelyInfected: 0, singleContact: 0, handled: 0, hits: 0, droppedHits: 3 } }), TZ);
    expect(dropped).toContain('Warning: 3 hits were dropped');
    expect(dropped).toContain('no sinkhole hits in this window');
  });

  it('shows the year when a time is in another year than the report', () => {
    const c = makeClient({ client: '192.168.1.60', verdict: 'single-contact', minutes: [0], names: [['x.no-ip.biz', undefined]] });
    const old = makeReport([{ ...c, firstSeen: '2023-12-31T22:59:00.000Z' }]);
    expect(renderTable(old, { timeZone: 'UTC', width: Infinity })).toContain('2023-12-31 22:59');
  });
});

describe('table helpers', () => {
  const [resolver, desk] = realisticClients();

  it('clientCell: address, then hostname and MAC, or the subnets a resolver serves', () => {
    expect(clientCell(desk!)).toBe('192.168.1.23 (desk-7, 3c:52:82:1a:7f:0e)');
    expect(clientCell(resolver!)).toBe('10.0.0.53 resolver for 10.0.0.0/24, 10.0.1.0/24');
  });

  it('topNames: whole names while they fit, then "+N more"; cuts the name, not the count', () => {
    expect(topNames(desk!, 100)).toBe('evil.no-ip.biz (45), c2.hopto.org (1)');
    expect(topNames(desk!, 30)).toBe('evil.no-ip.biz (45), +1 more');
    expect(topNames(desk!, 25)).toBe('evil.no-ip.biz (45) +1');
    expect(topNames(desk!, 16)).toBe('evil.no… (45) +1');
    for (const max of [12, 20, 33, 40]) expect([...topNames(resolver!, max)].length).toBeLessThanOrEqual(max);
  });

  it('truncate: an ellipsis as the last character', () => {
    expect(truncate('abcdef', 6)).toBe('abcdef');
    expect(truncate('abcdef', 4)).toBe('abc…');
  });
});
