import { describe, expect, it } from 'vitest';
import { renderJson } from '../../src/report/render-json.js';
import { ANSI_NAME, BIDI_NAME, emptyReport, GENERATED, realisticReport, SINCE, XSS_NAME } from './fixture.js';

describe('renderJson', () => {
  const report = realisticReport({ summary: { ...realisticReport().summary, droppedHits: 12 } });
  const text = renderJson(report);
  const doc = JSON.parse(text) as Record<string, unknown> & { clients: Record<string, unknown>[] };

  it('is the DESIGN.md contract: generatedAt, since, clients with client/firstSeen/lastSeen/hits/names/verdict', () => {
    expect(Object.keys(doc).slice(0, 3)).toEqual(['generatedAt', 'since', 'clients']);
    expect(doc.generatedAt).toBe(GENERATED);
    expect(doc.since).toBe(SINCE);
    expect(doc.clients).toHaveLength(5);
    for (const c of doc.clients) {
      expect(Object.keys(c).slice(0, 6)).toEqual(['client', 'firstSeen', 'lastSeen', 'hits', 'names', 'verdict']);
      expect(['likely-infected', 'single-contact']).toContain(c.verdict);
      for (const n of c.names as Record<string, unknown>[]) expect(Object.keys(n)).toEqual(['name', 'hits', 'family']);
    }
    expect(doc.clients.map((c) => c.client)).toEqual(report.clients.map((c) => c.client));
  });

  it('carries everything else the report knows, in a fixed order, optional keys only when known', () => {
    const [resolver, desk, v6, single, loop] = doc.clients as Record<string, unknown>[];
    expect(Object.keys(resolver!)).toEqual([
      'client', 'firstSeen', 'lastSeen', 'hits', 'names', 'verdict',
      'reason', 'distinctMinutes', 'families', 'handled', 'subnets', 'timeline',
    ]);
    expect(resolver!.subnets).toEqual(['10.0.0.0/24', '10.0.1.0/24']);
    expect(desk).toMatchObject({ hostname: 'desk-7', mac: '3c:52:82:1a:7f:0e', handled: false });
    expect(v6).toMatchObject({ handled: true, ack: { at: '2024-04-30T17:00:00.000Z', note: report.clients[2]!.ack!.note } });
    expect(single).not.toHaveProperty('ack');
    expect(loop!.ack).toEqual({ at: '2024-05-01T09:00:00.000Z' });
    expect(Object.keys(doc).slice(3)).toEqual(['rule', 'summary']);
    expect(doc.summary).toEqual({ clients: 5, likelyInfected: 3, singleContact: 2, handled: 2, hits: report.summary.hits, droppedHits: 12 });
    expect(doc.rule).toEqual(report.rule);
  });

  it('round-trips the report (unknown families as null)', () => {
    const back = doc.clients.map((c) => ({
      ...c,
      names: (c.names as { name: string; hits: number; family: string | null }[]).map(({ family, ...n }) => (family === null ? n : { ...n, family })),
    }));
    expect(back).toEqual(JSON.parse(JSON.stringify(report.clients)));
  });

  it('keeps hostile names exactly as recorded (JSON escaping is enough for a machine format)', () => {
    const names = (doc.clients[0]!.names as { name: string }[]).map((n) => n.name);
    expect(names).toContain(XSS_NAME);
    expect(names).toContain(ANSI_NAME);
    expect(names).toContain(BIDI_NAME);
    expect(text).not.toContain('\u001b');
  });

  it('is pretty-printed and stable: two-space indent, one line per timeline minute and per name', () => {
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "clients": [\n    {\n      "client": "10.0.0.53",');
    expect(text).toContain('        ["2024-04-30T13:00:00.000Z", 3],\n');
    expect(text).toContain('        {"name": "evil.no-ip.biz", "hits": 45, "family": "Bladabindi"},\n');
    expect(text).toContain('"families": ["Bladabindi", "Jenxcus", "njRAT"]');
    expect(renderJson(realisticReport({ summary: { ...realisticReport().summary, droppedHits: 12 } }))).toBe(text);
    const timelineLines = report.clients.reduce((a, c) => a + c.timeline.length, 0);
    expect(text.split('\n').length).toBeLessThan(timelineLines + 150);
  });

  it('renders an empty report and a report over everything retained', () => {
    const empty = JSON.parse(renderJson(emptyReport())) as Record<string, unknown>;
    expect(empty.clients).toEqual([]);
    const all = JSON.parse(renderJson(realisticReport({ since: null }))) as Record<string, unknown>;
    expect(all.since).toBeNull();
    expect(Object.keys(all).slice(0, 3)).toEqual(['generatedAt', 'since', 'clients']);
  });
});

describe('renderJson for a large report', () => {
  it('switches to compact JSON past PRETTY_MAX_CLIENTS, with the same content', async () => {
    const { PRETTY_MAX_CLIENTS } = await import('../../src/report/render-json.js');
    const { makeReport } = await import('./fixture.js');
    const base = realisticReport().clients;
    const clients = Array.from({ length: PRETTY_MAX_CLIENTS + 1 }, (_, i) => ({ ...base[i % base.length]!, client: `10.9.${i >> 8}.${i & 255}` }));
    const text = renderJson(makeReport(clients));
    expect(text.trimEnd().split('\n')).toHaveLength(1);
    const doc = JSON.parse(text) as { clients: { client: string }[] };
    expect(doc.clients).toHaveLength(PRETTY_MAX_CLIENTS + 1);
    expect(doc.clients[PRETTY_MAX_CLIENTS]!.client).toBe(clients[PRETTY_MAX_CLIENTS]!.client);
    // A small report stays indented for people.
    expect(renderJson(realisticReport()).split('\n').length).toBeGreaterThan(10);
  });
});

describe('renderJsonChunks', () => {
  it('gives renderJson\'s text in pieces: the same bytes, compact past PRETTY_MAX_CLIENTS', async () => {
    const { PRETTY_MAX_CLIENTS, renderJsonChunks } = await import('../../src/report/render-json.js');
    const { makeReport } = await import('./fixture.js');
    const base = realisticReport().clients;
    const clients = Array.from({ length: PRETTY_MAX_CLIENTS * 2 + 7 }, (_, i) => ({ ...base[i % base.length]!, client: `10.9.${i >> 8}.${i & 255}` }));
    for (const report of [
      makeReport(clients),
      makeReport(clients, { since: null, summary: { ...makeReport(clients).summary, droppedHits: 3 } }),
    ]) {
      const pieces = [...renderJsonChunks(report)];
      expect(pieces.length).toBeGreaterThan(3);
      const text = pieces.join('');
      expect(text).toBe(renderJson(report));
      // Exactly what JSON.stringify writes for the whole document (the compact form so far).
      const doc = JSON.parse(text) as { clients: unknown[] };
      expect(text).toBe(`${JSON.stringify(doc)}\n`);
      expect(Object.keys(doc)).toEqual(['generatedAt', 'since', 'clients', 'rule', 'summary']);
      expect(doc.clients).toHaveLength(clients.length);
      expect(doc.clients[clients.length - 1]).toMatchObject({ client: clients[clients.length - 1]!.client });
    }
    // A small report: one piece, the indented text.
    const small = realisticReport();
    expect([...renderJsonChunks(small)]).toEqual([renderJson(small)]);
  });
});
