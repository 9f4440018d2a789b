// Every format shows which lists matched (a name's sources) and keeps names from ads, tracking and
// other lists apart from the malware names that make the verdict; malformed stored records are
// counted in the summary. Reports of hits recorded before lists had a category look as before.

import { describe, expect, it } from 'vitest';
import type { ReportClient } from '../../src/infected/model.js';
import { renderCsv, CSV_COLUMNS } from '../../src/report/render-csv.js';
import { renderHtml } from '../../src/report/render-html.js';
import { renderJson } from '../../src/report/render-json.js';
import { renderTable } from '../../src/report/render-table.js';
import { makeClient, makeReport } from './fixture.js';

const TZ = { timeZone: 'UTC' };

function clients(): ReportClient[] {
  const infected = makeClient({ client: '192.168.1.23', verdict: 'likely-infected', minutes: [1, 5, 9, 13], names: [['c2.no-ip.biz', 'Bladabindi']] });
  const adsOnly = makeClient({ client: '192.168.1.80', verdict: 'single-contact', minutes: [2, 3, 4, 5, 6], names: [['ads.example', undefined]] });
  return [
    {
      ...infected,
      names: [
        { name: 'c2.no-ip.biz', hits: infected.hits, family: 'Bladabindi', category: 'malware', sources: ['ddns-malware', 'threatfox'] },
        { name: 'pixel.tracker.example', hits: 7, category: 'tracking', sources: ['easyprivacy'] },
      ],
      hits: infected.hits + 7,
      otherHits: 7,
    },
    {
      ...adsOnly,
      names: [{ name: 'ads.example', hits: adsOnly.hits, category: 'ads', sources: ['easylist'] }],
      otherHits: adsOnly.hits,
      distinctMinutes: 0,
      reason: `only ads/tracking/other lists (${adsOnly.hits} hits), which do not count toward the verdict`,
    },
  ];
}

const C2_HITS = clients()[0]!.names[0]!.hits;
const report = makeReport(clients(), { summary: { clients: 2, likelyInfected: 1, singleContact: 1, handled: 0, hits: 40, malformedRecords: 3 } });

describe('list categories and sources in the report', () => {
  it('JSON: names[].category and names[].sources, otherHits, summary.malformedRecords; contract keys first', () => {
    const doc = JSON.parse(renderJson(report)) as { clients: Record<string, unknown>[]; summary: Record<string, unknown> };
    const [infected, ads] = doc.clients;
    expect(Object.keys(infected!).slice(0, 6)).toEqual(['client', 'firstSeen', 'lastSeen', 'hits', 'names', 'verdict']);
    expect(infected!.names).toEqual([
      { name: 'c2.no-ip.biz', hits: (infected!.hits as number) - 7, family: 'Bladabindi', category: 'malware', sources: ['ddns-malware', 'threatfox'] },
      { name: 'pixel.tracker.example', hits: 7, family: null, category: 'tracking', sources: ['easyprivacy'] },
    ]);
    expect(infected!.otherHits).toBe(7);
    expect(ads).toMatchObject({ verdict: 'single-contact', otherHits: ads!.hits, distinctMinutes: 0 });
    expect(doc.summary.malformedRecords).toBe(3);
    // Still one line per name when pretty-printed.
    expect(renderJson(report)).toContain(`{"name": "c2.no-ip.biz", "hits": ${C2_HITS}, "family": "Bladabindi", "category": "malware", "sources": ["ddns-malware", "threatfox"]}`);
  });

  it('CSV: names holds the malware names; other_names and other_hits the rest; sources every list', () => {
    const rows = renderCsv(report).trimEnd().split('\r\n').map((l) => l.split(','));
    const byClient = new Map(rows.slice(1).map((r) => [r[0], Object.fromEntries(CSV_COLUMNS.map((k, i) => [k, r[i]]))]));
    expect(byClient.get('192.168.1.23')).toMatchObject({
      names: `c2.no-ip.biz (${C2_HITS})`,
      sources: 'ddns-malware; threatfox; easyprivacy',
      other_hits: '7',
      other_names: '"pixel.tracker.example (7',
    });
    expect(renderCsv(report)).toContain('"pixel.tracker.example (7, tracking)"');
    expect(byClient.get('192.168.1.80')).toMatchObject({ names: '', sources: 'easylist', verdict: 'single-contact' });
  });

  it('table: a SOURCES column, non-malware names after the others marked with their category, the malformed warning', () => {
    const text = renderTable(report, { ...TZ, width: Infinity });
    expect(text).toContain('Warning: 3 stored hit records were malformed and left out');
    const header = text.split('\n').find((l) => l.startsWith('CLIENT'))!;
    expect(header.split(/ {2,}/)).toEqual(['CLIENT', 'VERDICT', 'HITS', 'MINUTES', 'FIRST SEEN', 'LAST SEEN', 'FAMILIES', 'SOURCES', 'TOP NAMES']);
    const row = text.split('\n').find((l) => l.startsWith('192.168.1.23'))!;
    expect(row).toContain('ddns-malware, threatfox, easyprivacy');
    expect(row.endsWith(`c2.no-ip.biz (${C2_HITS}), tracking: pixel.tracker.example (7)`)).toBe(true);
    expect(text.split('\n').find((l) => l.startsWith('192.168.1.80'))).toMatch(/ads: ads\.example \(\d+\)$/);
  });

  it('HTML: a separate table of names on ads/tracking/other lists, with category and sources columns', () => {
    const page = renderHtml(report, TZ);
    expect(page).toContain('id="client-1-names"');
    expect(page).toContain('<caption>Names on ads/tracking/other lists, not counted toward the verdict (1)</caption>');
    expect(page).toContain('<td class="mono">c2.no-ip.biz</td><td>Bladabindi</td><td>malware</td><td>ddns-malware, threatfox</td>');
    expect(page).toContain('<span class="cat">tracking</span> <span class="mono">pixel.tracker.example</span> (7)');
    expect(page).toContain('id="malformed"');
    expect(page).toContain('of which 7 on ads/tracking/other lists (not counted toward the verdict)');
    // The ads-only client has no table of counted names, only the other one.
    expect(page).not.toContain('id="client-2-names"');
    expect(page).toContain('id="client-2-other-names"');
  });
});
