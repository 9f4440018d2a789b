// The HTML page as text: self-contained, escaped, with the structure tests and people rely on.
// (render-html.chromium.test.ts opens it in a real browser.)

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addressSortKey, CONTENT_SECURITY_POLICY, MAX_DETAILS, MAX_TABLE_ROWS, renderHtml } from '../../src/report/render-html.js';
import { bins, binLabel, MAX_BARS, timeAxis } from '../../src/report/timeline-svg.js';
import { ACK_NOTE, ANSI_NAME, emptyReport, FORMULA_NAME, makeClient, makeReport, realisticReport, SCRIPT_NAME, XSS_NAME } from './fixture.js';

const TZ = { timeZone: 'Europe/Berlin' };

function all(re: RegExp, s: string): RegExpExecArray[] {
  return [...s.matchAll(new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`))];
}

function between(s: string, open: string, close: string): string {
  const a = s.indexOf(open);
  const b = s.indexOf(close, a + open.length);
  if (a < 0 || b < 0) throw new Error(`no ${open}`);
  return s.slice(a + open.length, b);
}

describe('renderHtml', () => {
  const report = realisticReport({ summary: { ...realisticReport().summary, droppedHits: 12 } });
  const page = renderHtml(report, TZ);

  it('is one self-contained document: no external script, style, font, image or link', () => {
    expect(page.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(page.trimEnd().endsWith('</html>')).toBe(true);
    expect(all(/<script\b/i, page)).toHaveLength(1);
    expect(all(/<style\b/i, page)).toHaveLength(1);
    expect(page).not.toMatch(/<(link|img|iframe|object|embed|base|form|image)\b/i);
    expect(page).not.toMatch(/<[^>]*\ssrc\s*=/i);
    expect(page).not.toMatch(/url\(|@import|@font-face/i);
    for (const [, href] of all(/\shref="([^"]*)"/, page)) expect(href!.startsWith('#')).toBe(true);
    expect(page).not.toMatch(/\sstyle\s*=/i);
  });

  it('declares a CSP that allows exactly its own inline style and script, by hash', () => {
    const csp = between(page, '<meta http-equiv="Content-Security-Policy" content="', '"');
    expect(csp).toBe(CONTENT_SECURITY_POLICY);
    expect(csp).toContain("default-src 'none'");
    const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
    expect(csp).toContain(`script-src ${hash(between(page, '<script>', '</script>'))};`);
    expect(csp).toContain(`style-src ${hash(between(page, '<style>', '</style>'))};`);
    expect(csp).not.toContain('unsafe');
  });

  it('summarises: counts, window, verdict rule and explanation, dropped hits', () => {
    const summary = between(page, '<section id="summary"', '</section>');
    expect(summary).toMatch(/<b>3<\/b>likely infected/);
    expect(summary).toMatch(/<b>2<\/b>single contact/);
    expect(summary).toMatch(/<b>2<\/b>handled/);
    expect(summary).toMatch(new RegExp(`<b>${report.summary.hits}</b>sinkhole hits`));
    expect(summary).toContain('at least 3 distinct minutes (a beacon) or cover at least 2 different listed names');
    expect(summary).toContain('Malware beacons to its command-and-control name again and again');
    expect(summary).toContain('12 hits were dropped by recorders');
    expect(page).toContain('window: since 2024-04-30 14:00 (the last 1d) · times in UTC+02:00');
    expect(renderHtml(realisticReport(), TZ)).not.toContain('id="dropped"');
  });

  it('has table#clients with one tr.client per client, in report order, with data attributes', () => {
    expect(all(/<table id="clients">/, page)).toHaveLength(1);
    const rows = all(/<tr class="client ([^"]*)" data-index="(\d+)" data-client="([^"]*)" data-verdict="([^"]*)" data-handled="(true|false)"/, page);
    expect(rows.map((m) => m[3])).toEqual(['10.0.0.53', '192.168.1.23', '2001:db8::7', '192.168.1.9', '::1']);
    expect(rows.map((m) => m[4])).toEqual(['likely-infected', 'likely-infected', 'likely-infected', 'single-contact', 'single-contact']);
    expect(rows.map((m) => m[5])).toEqual(['false', 'false', 'true', 'false', 'true']);
    expect(rows[2]![1]).toBe('likely-infected handled');
    const heads = all(/<th scope="col" data-sort="(\w+)"/, page).map((m) => m[1]);
    expect(heads).toEqual(['client', 'verdict', 'hits', 'first', 'last']);
    expect(page).toContain('data-sort="verdict" data-first="ascending" aria-sort="ascending"');
  });

  it('shows identity, resolver subnets and handled state in the row', () => {
    const row = (client: string) => between(page, `data-client="${client}" data-verdict`, '</tr>');
    expect(row('192.168.1.23')).toContain('desk-7 · 3c:52:82:1a:7f:0e');
    expect(row('10.0.0.53')).toContain('resolver for 10.0.0.0/24, 10.0.1.0/24');
    expect(row('2001:db8::7')).toContain('<span class="badge handled">handled</span>');
    expect(row('10.0.0.53')).toContain('<li class="more">+5 more</li>');
    expect(row('192.168.1.23')).toContain('<time datetime="2024-05-01T10:50:07.000Z">May 01 12:50</time>');
  });

  it('escapes every client-controlled string: names, hostnames, notes never become markup', () => {
    expect(page).not.toContain('<img');
    expect(page).not.toContain('onerror=alert(1)>');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;.evil');
    expect(page).not.toContain('</script><script>alert(2)');
    expect(page).toContain('&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;.no-ip.biz');
    expect(page).toContain('=HYPERLINK(&quot;http://x.example/?&quot;&amp;A1,&quot;click&quot;).hopto.org');
    expect(page).toContain('red\\027[31m\\027[2J.zapto.org');
    expect(page).not.toContain('\u001b');
    expect(page).not.toContain('\u202e');
    // The responder's note keeps its line break (shown with white-space: pre-line).
    expect(page).toContain('<q class="note">reimaged, ticket #4411: &quot;done&quot;\nby ana</q>');
    expect(ACK_NOTE).toContain('\n');
    // Attributes too: a hostile client string cannot close an attribute.
    const hostile = makeReport([
      makeClient({ client: '"><svg onload=alert(3)>', verdict: 'single-contact', minutes: [1], names: [[`'" onmouseover=alert(4) x="`, `<b>fam</b>`]], hostname: '<i>h</i>' }),
    ]);
    const bad = renderHtml(hostile, TZ);
    expect(bad).not.toMatch(/<svg onload|<b>fam|<i>h|" onmouseover/);
    expect(bad).toContain('data-client="&quot;&gt;&lt;svg onload=alert(3)&gt;"');
    for (const n of [XSS_NAME, SCRIPT_NAME, FORMULA_NAME, ANSI_NAME]) expect(n.length).toBeGreaterThan(0);
  });

  it('gives every client a details section with names, families, ack and a timeline svg', () => {
    const sections = all(/<section class="client-detail ([^"]*)" id="(client-\d+)" data-client="([^"]*)"/, page);
    expect(sections.map((m) => m[3])).toEqual(['10.0.0.53', '192.168.1.23', '2001:db8::7', '192.168.1.9', '::1']);
    expect(sections.map((m) => m[2])).toEqual(['client-1', 'client-2', 'client-3', 'client-4', 'client-5']);
    expect(all(/href="#client-\d+"/, page)).toHaveLength(5);
    const v6 = between(page, 'id="client-3"', '</section>');
    expect(v6).toContain('marked handled <time datetime="2024-04-30T17:00:00.000Z">2024-04-30 19:00</time>');
    expect(v6).toContain('<td class="mono">mail-sync.zapto.org</td><td>Jenxcus</td><td class="num">5</td>');
    expect(v6).toContain('<g class="ack">');
    const resolver = between(page, 'id="client-1"', '</section>');
    expect(resolver).toContain('Names asked (8)');
    expect(resolver).toContain('EDNS Client Subnet');
    expect(all(/<tr><td class="mono">/, resolver)).toHaveLength(8);
  });

  it('draws accessible timelines: svg.timeline role=img labelled by its title and desc, a title per bar', () => {
    const svgs = all(/<svg class="timeline" viewBox="0 0 960 132" role="img" aria-labelledby="([\w-]+)-title \1-desc" data-bars="(\d+)" data-bin-minutes="(\d+)">/, page);
    expect(svgs).toHaveLength(5);
    const axis = timeAxis(report);
    expect(axis.bin).toBe(10); // a day-long window: 10-minute bars
    expect(svgs.map((m) => Number(m[2]))).toEqual(report.clients.map((c) => bins(c, axis).length));
    const desk = between(page, 'id="client-2-timeline-title"', '</svg>');
    expect(desk).toContain('Hits per 10 minutes from 192.168.1.23');
    expect(desk).toContain('46 hits in 14 distinct minutes between 2024-05-01 12:50 and 2024-05-01 13:55');
    const bars = all(/<rect class="bar" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"><title>([^<]+)<\/title><\/rect>/, desk);
    expect(bars).toHaveLength(7);
    expect(bars[0]![5]).toBe('May 01 12:50 to May 01 13:00: 6 hits');
    expect(bars.reduce((a, m) => a + Number(m[5]!.match(/: (\d+) hits?$/)![1]), 0)).toBe(46);
    // Start and end labels of the shared axis.
    expect(desk).toContain('text-anchor="start">2024-04-30 14:00</text>');
    expect(desk).toContain('text-anchor="end">2024-05-01 14:00</text>');
    // Bars sit inside the drawing and grow from one baseline.
    for (const m of bars) {
      expect(Number(m[1])).toBeGreaterThanOrEqual(44);
      expect(Number(m[1]) + Number(m[3])).toBeLessThanOrEqual(960 - 16 + 0.01);
      expect(Number(m[2]) + Number(m[4])).toBeCloseTo(92, 1);
    }
  });

  it('per-minute bars for a short window, binned bars for a long one', () => {
    const c = makeClient({ client: '192.168.1.70', verdict: 'likely-infected', minutes: [0, 1, 2, 5, 9], names: [['a.no-ip.biz', undefined]] });
    const short = makeReport([c], { since: null, generatedAt: '2024-04-30T12:10:00.000Z' });
    const axis = timeAxis(short);
    expect(axis.bin).toBe(1);
    expect(axis.end - axis.start).toBe(30 * 60_000);
    const html = renderHtml(short, TZ);
    expect(all(/<rect class="bar"/, html)).toHaveLength(5);
    expect(html).toContain('Hits per minute from 192.168.1.70');
    const month = makeReport([c], { since: '2024-04-01T12:00:00.000Z' });
    const monthAxis = timeAxis(month);
    expect(monthAxis.bin).toBe(180);
    expect((monthAxis.end - monthAxis.start) / 60_000 / monthAxis.bin).toBeLessThanOrEqual(MAX_BARS + 1);
    expect(binLabel(180)).toBe('3 hours');
    expect(binLabel(1440)).toBe('day');
    expect(renderHtml(month, TZ)).toContain('hits per 3 hours');
  });

  it('says so when there are no hits', () => {
    const empty = renderHtml(emptyReport(), TZ);
    expect(empty).toContain('No sinkhole hits in this window.');
    expect(empty).not.toContain('<table id="clients">');
    expect(empty).not.toContain('<svg');
  });

  it('sort keys: addresses in numeric order, IPv4 before IPv6', () => {
    const sorted = ['::1', '2001:db8::7', '192.168.1.23', '10.0.0.53', '192.168.1.9', '::ffff:10.0.0.1', 'fe80::1%eth0', 'bogus']
      .sort((a, b) => (addressSortKey(a) < addressSortKey(b) ? -1 : 1));
    expect(sorted).toEqual(['10.0.0.53', '192.168.1.9', '192.168.1.23', '::1', '::ffff:10.0.0.1', '2001:db8::7', 'fe80::1%eth0', 'bogus']);
    expect(addressSortKey('2001:db8::7')).toBe('6:2001:0db8:0000:0000:0000:0000:0000:0007');
  });

  it('is deterministic', () => {
    expect(renderHtml(report, TZ)).toBe(page);
  });
});

describe('renderHtml for a large report', () => {
  const base = realisticReport();
  /** `n` clients in report order (the realistic five, repeated under new addresses). */
  function bigReport(n: number) {
    const clients = Array.from({ length: n }, (_, i) => ({ ...base.clients[i % base.clients.length]!, client: `10.9.${i >> 8}.${i & 255}` }));
    return makeReport(clients);
  }
  const rowsOf = (page: string) => all(/<tr class="client [^"]*" data-index="\d+" data-client="([^"]*)"/, page).map((m) => m[1]);
  const detailsOf = (page: string) => all(/<section class="client-detail [^"]*" id="(client-\d+)" data-client="([^"]*)"/, page).map((m) => m[2]);

  it('lists the most urgent clients, details the first of them, and says what it left out and how to see it', () => {
    const report = realisticReport();
    const page = renderHtml(report, { ...TZ, maxRows: 3, maxDetails: 2 });
    expect(rowsOf(page)).toEqual(report.clients.slice(0, 3).map((c) => c.client));
    expect(detailsOf(page)).toEqual(report.clients.slice(0, 2).map((c) => c.client));
    const note = between(page, '<div class="warn" id="truncated" role="note">', '</div>');
    expect(note).toContain('the table lists the <strong>3 most urgent of 5 clients</strong> (likely-infected first, then most hits): <strong>2 clients are left out</strong>');
    expect(note).toContain('details and timelines are shown for the first 2. The counts above cover all 5 clients.');
    expect(note).toContain('<code>sinkd report --format html --verdict likely-infected</code>');
    expect(note).toContain('<code>--client IP</code>');
    expect(note).toContain('<code>--format json</code>');
    // The note sits in the summary, whose counts still cover every client.
    const summary = between(page, '<section id="summary"', '</section>');
    expect(summary).toContain('id="truncated"');
    expect(summary).toMatch(/<b>5<\/b>clients/);
    expect(summary).toMatch(/<b>3<\/b>likely infected/);
    expect(page).toContain('<caption>The 3 most urgent of 5 clients (see the note above)');
    expect(page).toContain('Details for the first 2 of 5 clients');
    // Only rows with a details section link to one; every link has its target.
    const links = all(/href="#(client-\d+)"/, page).map((m) => m[1]);
    expect(links).toEqual(['client-1', 'client-2']);
    expect(between(page, 'data-client="2001:db8::7" data-verdict', '</tr>')).toContain('<span class="ip">2001:db8::7</span>');
  });

  it('notes missing details even when every client has a row', () => {
    const page = renderHtml(realisticReport(), { ...TZ, maxDetails: 4 });
    expect(rowsOf(page)).toHaveLength(5);
    expect(detailsOf(page)).toHaveLength(4);
    expect(between(page, 'id="truncated" role="note">', '</div>')).toContain('the table lists all 5 clients; details and timelines are shown for the first 4.');
  });

  it('has no note when everything fits', () => {
    const page = renderHtml(realisticReport(), TZ);
    expect(page).not.toContain('id="truncated"');
    expect(page).not.toContain('id="details-note"');
    expect(page).toContain('<caption>5 clients, most urgent first');
  });

  it(`caps a big report by default at ${MAX_TABLE_ROWS} rows and ${MAX_DETAILS} details: a page a browser can open`, () => {
    const n = MAX_TABLE_ROWS * 5;
    const report = bigReport(n);
    const page = renderHtml(report, TZ);
    expect(rowsOf(page)).toHaveLength(MAX_TABLE_ROWS);
    expect(detailsOf(page)).toHaveLength(MAX_DETAILS);
    expect(page).toContain(`${MAX_TABLE_ROWS} most urgent of ${n} clients`);
    expect(page).toContain(`<strong>${n - MAX_TABLE_ROWS} clients are left out</strong>`);
    expect(page).toMatch(new RegExp(`<b>${n}</b>clients`));
    // A few KB per detailed client, about one per listed row: megabytes, not hundreds of them.
    expect(page.length).toBeLessThan(8_000_000);
  });
});
