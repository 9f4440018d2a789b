import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportLines, type ExportEntry, type ExportFormat } from '../../src/blocklist/export.js';
import { loadListFile } from '../../src/blocklist/load-files.js';
import { matcherFromRules } from '../../src/blocklist/matcher.js';
import type { Rule } from '../../src/blocklist/rule.js';

const NOW = new Date('2024-05-01T12:00:00Z');
const FORMATS: readonly ExportFormat[] = ['plain', 'hosts', 'rpz'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sinkd-export-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every kind of entry sinkd holds: answers, families, allow entries, IDN, underscores. */
const MIXED: ExportEntry[] = [
  { name: 'evil.no-ip.biz', kind: 'block', source: 'feed', family: 'Bladabindi' },
  { name: 'a.no-ip.info', kind: 'block', source: 'feed', family: 'Bladabindi', action: 'nxdomain' },
  { name: 'c2.hopto.org', kind: 'block', source: 'feed', family: 'Jenxcus', action: 'nxdomain' },
  { name: 'quiet.zapto.org', kind: 'block', source: 'feed', action: 'nodata' },
  { name: 'quiet2.zapto.org', kind: 'block', source: 'feed', family: 'njRAT (variant B)', action: 'nodata' },
  { name: 'plain.example', kind: 'block', source: 'cli' },
  { name: 'xn--bcher-kva.de', kind: 'block', source: 'cli' },
  { name: '_dmarc.bad.example', kind: 'block', source: 'cli' },
  { name: 'no-ip.biz', kind: 'block', source: 'zones' },
  { name: 'friend.no-ip.biz', kind: 'allow', source: 'cli' },
  { name: 'partner.hopto.org', kind: 'allow', source: 'cli', family: 'Jenxcus' },
];

/** What a round trip must keep: the set of (name, kind, family, action). */
function keyOf(e: { name: string; kind: string; family?: string; action?: string }): string {
  const action = e.kind === 'allow' || e.action === 'sinkhole' ? undefined : e.action;
  return JSON.stringify([e.name, e.kind, e.family ?? null, action ?? null]);
}
const keys = (es: Iterable<{ name: string; kind: string; family?: string; action?: string }>) => [...es].map(keyOf).sort();

async function roundTrip(entries: readonly ExportEntry[], format: ExportFormat, detect = false) {
  const path = join(dir, `export-${format}-${Math.random().toString(36).slice(2)}.txt`);
  const text = [...exportLines(entries, format, { now: NOW })].map((l) => `${l}\n`).join('');
  await writeFile(path, text);
  const list = await loadListFile(path, { format: detect ? 'auto' : format, kind: 'block' });
  return { text, list };
}

describe('exportLines round trip through loadListFile', () => {
  for (const format of FORMATS) {
    it(`${format}: gives back the same (name, kind, family, action) set`, async () => {
      const { list } = await roundTrip(MIXED, format);
      expect(list.format).toBe(format);
      expect(list.skipped).toEqual([]);
      expect(list.notes).toEqual([]);
      expect(keys(list.rules)).toEqual(keys(MIXED));
      expect(list.rules).toHaveLength(MIXED.length);
    });

    it(`${format}: is recognised by format detection`, async () => {
      const { list } = await roundTrip(MIXED, format, true);
      // A hosts export of few names reads as hosts; so does plain as plain, RPZ as RPZ.
      expect(list.format).toBe(format);
      expect(keys(list.rules)).toEqual(keys(MIXED));
    });

    it(`${format}: an empty list exports and reads back as empty`, async () => {
      const { list } = await roundTrip([], format);
      expect(list.rules).toEqual([]);
      expect(list.skipped).toEqual([]);
    });

    it(`${format}: writes the action "sinkhole" as the default answer`, async () => {
      const { list } = await roundTrip([{ name: 'a.example', kind: 'block', source: 's', action: 'sinkhole' }], format);
      expect(list.rules).toEqual([{ name: 'a.example', kind: 'block', source: expect.any(String) }]);
    });

    it(`${format}: keeps one entry per name and kind, the first`, async () => {
      const { list } = await roundTrip(
        [
          { name: 'a.example', kind: 'block', source: 's1', family: 'first' },
          { name: 'a.example', kind: 'block', source: 's2', family: 'second', action: 'nodata' },
        ],
        format,
      );
      expect(keys(list.rules)).toEqual(keys([{ name: 'a.example', kind: 'block', family: 'first' }]));
    });

    it(`${format}: gives the same matching after the round trip`, async () => {
      const { list } = await roundTrip(MIXED, format);
      const before = matcherFromRules(MIXED.map((e) => ({ ...e }) as Rule));
      const after = matcherFromRules(list.rules);
      for (const q of ['x.evil.no-ip.biz', 'www.friend.no-ip.biz', 'friend.no-ip.biz', 'other.no-ip.biz', 'quiet.zapto.org', 'a.b.partner.hopto.org', 'clean.example']) {
        const b = before.match(q);
        const a = after.match(q);
        expect([q, a?.name, a?.action, a?.family]).toEqual([q, b?.name, b?.action, b?.family]);
      }
    });
  }

  it('survives a few thousand names in every format', async () => {
    const many: ExportEntry[] = [];
    for (let i = 0; i < 3000; i++) {
      many.push({
        name: `h${i}.d${i % 7}.example`,
        kind: i % 50 === 0 ? 'allow' : 'block',
        source: 'bulk',
        ...(i % 3 === 0 ? { family: `fam${i % 4}` } : {}),
        ...(i % 5 === 0 ? { action: 'nxdomain' as const } : i % 11 === 0 ? { action: 'nodata' as const } : {}),
      });
    }
    for (const format of FORMATS) {
      const { list } = await roundTrip(many, format);
      expect(list.skipped).toEqual([]);
      expect(keys(list.rules)).toEqual(keys(many));
    }
  });
});

describe('plain and hosts export', () => {
  it('groups names under family and action headers, allow entries last under "# kind: allow"', () => {
    const lines = [...exportLines(MIXED, 'plain', { now: NOW })];
    expect(lines[0]).toBe('# sinkd blocklist export (plain), 2024-05-01T12:00:00.000Z: 9 block entries, 2 allow entries');
    const body = lines.filter((l) => l !== '' && !/^# (sinkd|Every|lines|Exceptions|block\))/.test(l));
    expect(body).toEqual([
      '_dmarc.bad.example',
      'no-ip.biz',
      'plain.example',
      'xn--bcher-kva.de',
      '# family: Bladabindi',
      'evil.no-ip.biz',
      '# action: nxdomain',
      'a.no-ip.info',
      '# family: Jenxcus',
      'c2.hopto.org',
      '# action: nodata',
      '# family:',
      'quiet.zapto.org',
      '# family: njRAT (variant B)',
      'quiet2.zapto.org',
      '# kind: allow',
      '# action:',
      '# family:',
      'friend.no-ip.biz',
      '# family: Jenxcus',
      'partner.hopto.org',
    ]);
    // The allow section says what a tool that ignores the headers would do with it.
    const at = lines.indexOf('# kind: allow');
    expect(lines.slice(at - 2, at).join(' ')).toContain('would block them');
  });

  it('writes hosts lines with the 0.0.0.0 address', () => {
    const lines = [...exportLines([{ name: 'a.example', kind: 'block', source: 's' }], 'hosts', { now: NOW })];
    expect(lines.filter((l) => !l.startsWith('#') && l !== '')).toEqual(['0.0.0.0 a.example']);
  });

  it('sorts names and groups, whatever order the entries come in', () => {
    const shuffled = [...MIXED].reverse();
    for (const format of FORMATS) {
      expect([...exportLines(shuffled, format, { now: NOW })]).toEqual([...exportLines(MIXED, format, { now: NOW })]);
    }
  });
});

describe('header lines read by loadListFile', () => {
  it('honours "# kind:" and "# action:" in plain, hosts and adblock lists, and reports bad values', async () => {
    const path = join(dir, 'headers.txt');
    await writeFile(
      path,
      [
        'a.example',
        '# action: NXDOMAIN',
        'b.example',
        '# action: sinkhole',
        'c.example',
        '# action: nodata',
        '# kind: allow',
        'd.example',
        '# kind:',
        'e.example',
        '# kind: maybe',
        '# action: drop',
        'f.example',
      ].join('\n'),
    );
    const list = await loadListFile(path, { format: 'plain', kind: 'block' });
    expect(list.rules.map((r) => [r.name, r.kind, r.action])).toEqual([
      ['a.example', 'block', undefined],
      ['b.example', 'block', 'nxdomain'],
      ['c.example', 'block', undefined],
      ['d.example', 'allow', undefined],
      ['e.example', 'block', 'nodata'],
      ['f.example', 'block', 'nodata'],
    ]);
    expect(list.skipped).toEqual([
      { line: 11, reason: 'unknown kind "maybe" in a kind: header (block or allow)', text: '# kind: maybe' },
      { line: 12, reason: 'unknown action "drop" in an action: header (nxdomain, nodata or sinkhole)', text: '# action: drop' },
    ]);

    const adblock = join(dir, 'headers-adblock.txt');
    await writeFile(adblock, '[Adblock Plus 2.0]\n! kind: allow\n||a.example^\n! kind: block\n! action: nodata\n@@||b.example^\n||c.example^\n');
    const ab = await loadListFile(adblock, { format: 'auto', kind: 'block' });
    expect(ab.rules.map((r) => [r.name, r.kind, r.action])).toEqual([
      ['a.example', 'allow', undefined],
      ['b.example', 'allow', undefined],
      ['c.example', 'block', 'nodata'],
    ]);
  });

  it('takes only the family header in a zone file', async () => {
    const path = join(dir, 'headers.rpz');
    await writeFile(path, '$TTL 60\n; family: Jenxcus\n; kind: allow\n; action: nodata\na.example CNAME .\n; family:\nb.example A 0.0.0.0\n');
    const list = await loadListFile(path, { format: 'auto', kind: 'block' });
    expect(list.rules).toEqual([
      { name: 'a.example', kind: 'block', source: 'headers.rpz', family: 'Jenxcus', action: 'nxdomain' },
      { name: 'b.example', kind: 'block', source: 'headers.rpz' },
    ]);
  });
});

describe('RPZ export', () => {
  it('writes a zone: $TTL, $ORIGIN, SOA with the Unix time as serial, NS, then name and *.name', () => {
    const lines = [...exportLines(MIXED, 'rpz', { now: NOW, origin: 'Policy.Example.' })];
    const records = lines.filter((l) => l !== '' && !l.startsWith(';'));
    expect(records.slice(0, 4)).toEqual([
      '$TTL 300',
      '$ORIGIN policy.example.',
      `@ IN SOA localhost. hostmaster.localhost. ${NOW.getTime() / 1000} 3600 600 604800 300`,
      '@ IN NS localhost.',
    ]);
    expect(records).toContain('evil.no-ip.biz A 0.0.0.0');
    expect(records).toContain('*.evil.no-ip.biz A 0.0.0.0');
    expect(records).toContain('c2.hopto.org CNAME .');
    expect(records).toContain('*.c2.hopto.org CNAME .');
    expect(records).toContain('quiet.zapto.org CNAME *.');
    expect(records).toContain('friend.no-ip.biz CNAME rpz-passthru.');
    expect(records).toContain('*.friend.no-ip.biz CNAME rpz-passthru.');
    expect(records).toHaveLength(4 + 2 * MIXED.length);
    expect(lines).toContain('; family: Bladabindi');
  });

  it('writes the given sinkhole addresses as local data', () => {
    const lines = [
      ...exportLines([{ name: 'a.example', kind: 'block', source: 's' }], 'rpz', {
        now: NOW,
        sinkhole: { ipv4: '192.0.2.66', ipv6: '2001:db8::66' },
      }),
    ];
    expect(lines.filter((l) => l.includes('a.example'))).toEqual([
      'a.example A 192.0.2.66',
      'a.example AAAA 2001:db8::66',
      '*.a.example A 192.0.2.66',
      '*.a.example AAAA 2001:db8::66',
    ]);
    expect(() => [...exportLines([], 'rpz', { sinkhole: { ipv4: '2001:db8::1' } })]).toThrow(/IPv4/);
    expect(() => [...exportLines([], 'rpz', { origin: 'bad..origin' })]).toThrow(/zone name/);
  });

  it('writes a name both blocked and allowed once, as passthru, and says so', async () => {
    const both: ExportEntry[] = [
      { name: 'a.example', kind: 'block', source: 's', action: 'nxdomain' },
      { name: 'a.example', kind: 'allow', source: 's' },
      { name: 'b.example', kind: 'block', source: 's' },
    ];
    const { text, list } = await roundTrip(both, 'rpz');
    expect(text).toContain('; 1 blocked name is also allowed');
    expect(text).not.toContain('a.example CNAME .');
    expect(list.rules.map((r) => [r.name, r.kind])).toEqual([
      ['b.example', 'block'],
      ['a.example', 'allow'],
    ]);
    // plain keeps both entries: the format can hold them.
    const plain = await roundTrip(both, 'plain');
    expect(keys(plain.list.rules)).toEqual(keys(both));
  });

  it('leaves out names that end in an rpz- label', () => {
    const text = [...exportLines([{ name: 'x.rpz-ip', kind: 'block', source: 's' }], 'rpz', { now: NOW })].join('\n');
    expect(text).toContain('; 1 name ends in an rpz- label');
    expect(text).not.toMatch(/^x\.rpz-ip /m);
  });

  const checkzone = (() => {
    try {
      execFileSync('named-checkzone', ['-v'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!checkzone)('passes named-checkzone (BIND), when installed', async () => {
    const path = join(dir, 'checkzone.rpz');
    await writeFile(path, [...exportLines(MIXED, 'rpz', { now: NOW, sinkhole: { ipv4: '192.0.2.66', ipv6: '2001:db8::66' } })].join('\n') + '\n');
    const out = execFileSync('named-checkzone', ['rpz.sinkd.invalid', path], { encoding: 'utf8' });
    expect(out).toContain('OK');
  });
});
