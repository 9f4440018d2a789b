import { describe, it, expect } from 'vitest';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadListFile } from '../../src/blocklist/load-files.js';
import { matcherFromRules } from '../../src/blocklist/matcher.js';

const dir = fileURLToPath(new URL('../../blocklists/', import.meta.url));

describe('shipped lists in blocklists/', () => {
  it('noip-seized-zones-2014.txt holds the 24 free No-IP zones, cleanly', async () => {
    const list = await loadListFile(`${dir}noip-seized-zones-2014.txt`, { format: 'auto', kind: 'block' });
    expect(list.format).toBe('plain');
    expect(list.skipped).toEqual([]);
    expect(list.rules).toHaveLength(24);
    expect(list.rules.every((r) => r.source === 'noip-seized-zones-2014.txt' && r.family === undefined)).toBe(true);
    const m = matcherFromRules(list.rules);
    expect(m.match('anything.no-ip.biz')?.name).toBe('no-ip.biz');
    expect(m.match('no-ip.com')).toBeUndefined();
  });

  it('ddns-malware-sample.txt holds hostnames under DDNS zones, grouped by family', async () => {
    const zones = await loadListFile(`${dir}noip-seized-zones-2014.txt`, { format: 'plain', kind: 'block' });
    const zoneMatcher = matcherFromRules([
      ...zones.rules,
      { name: 'dyndns.biz', kind: 'block', source: 'test' }, // Dyn's free DDNS zone
    ]);
    const list = await loadListFile(`${dir}ddns-malware-sample.txt`, { format: 'auto', kind: 'block' });
    expect(list.format).toBe('plain');
    expect(list.skipped).toEqual([]);
    expect(list.rules.length).toBeGreaterThanOrEqual(30);
    expect(list.rules.length).toBeLessThanOrEqual(100);
    for (const rule of list.rules) {
      expect(zoneMatcher.match(rule.name), rule.name).toBeDefined();
      expect(rule.name.split('.').length, rule.name).toBeGreaterThanOrEqual(3);
    }
    const byFamily: Record<string, number> = {};
    for (const r of list.rules) byFamily[r.family ?? 'none'] = (byFamily[r.family ?? 'none'] ?? 0) + 1;
    expect(byFamily).toEqual({ Bladabindi: 26, Jenxcus: 31, Blackshades: 12, CyberGate: 7 });
    expect(new Set(list.rules.map((r) => r.name)).size).toBe(list.rules.length);
  });

  it('every shipped list starts with a header saying what it is and where it came from', async () => {
    for (const name of ['noip-seized-zones-2014.txt', 'ddns-malware-sample.txt']) {
      const text = await readFile(`${dir}${name}`, 'utf8');
      const header = text.slice(0, text.search(/^[^#\n]/m));
      expect(header, name).toMatch(/# What:/);
      expect(header, name).toMatch(/# Where from:/);
      expect(header, name).toMatch(/# Date compiled: \d{4}-\d{2}-\d{2}/);
      expect(header, name).toMatch(/CAVEAT/);
    }
  });
});
