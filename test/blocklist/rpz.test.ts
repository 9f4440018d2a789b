import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRpzParser, describeRpzSummary, isRpzSkip, type RpzResult, type RpzSummary } from '../../src/blocklist/rpz.js';
import { detectFormat, lineParserFor } from '../../src/blocklist/parsers.js';
import { loadListFile } from '../../src/blocklist/load-files.js';
import { matcherFromRules } from '../../src/blocklist/matcher.js';

const fixtures = fileURLToPath(new URL('../fixtures/rpz/', import.meta.url));
const THREATFOX = join(fixtures, 'threatfox-style.rpz');
const URLHAUS = join(fixtures, 'urlhaus-style.rpz');

/** Every result of a whole text, in order, and the summary. */
function parse(text: string): { results: RpzResult[]; summary: RpzSummary } {
  const p = createRpzParser();
  const results: RpzResult[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) results.push(...p.line(line));
  const summary = p.finish();
  results.push(...summary.results);
  return { results, summary };
}

const entries = (rs: RpzResult[]) => rs.filter((r) => !isRpzSkip(r));
const skips = (rs: RpzResult[]) => rs.filter(isRpzSkip).map((s) => [s.line, s.skip]);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sinkd-rpz-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createRpzParser on a ThreatFox-style zone', () => {
  it('reads every action kind, relative and absolute owners, wildcards and blank owners', async () => {
    const { results } = parse(await readFile(THREATFOX, 'utf8'));
    expect(entries(results)).toEqual([
      { name: 'evil.no-ip.biz', kind: 'block', action: 'nxdomain', line: 16 },
      { name: 'c2.hopto.org', kind: 'block', action: 'nxdomain', line: 18 },
      { name: 'worm.zapto.org', kind: 'block', action: 'nxdomain', line: 20 },
      { name: 'nodata.ddns.net', kind: 'block', action: 'nodata', line: 22 },
      { name: 'friend.no-ip.biz', kind: 'allow', line: 23 },
      {
        name: 'dropped.servegame.com',
        kind: 'block',
        action: 'nxdomain',
        note: expect.stringContaining('rpz-drop answered NXDOMAIN'),
        line: 24,
      },
      // A, then AAAA under a blank owner, then the *. twin: one entry with both addresses.
      { name: 'sinkholed.example', kind: 'block', localData: ['192.0.2.66', '2001:db8::66'], line: 26 },
      {
        name: 'garden.example',
        kind: 'block',
        rewrite: 'walled-garden.feed.example',
        note: expect.stringContaining('local-data CNAME'),
        line: 29,
      },
      { name: 'legacy-ok.example', kind: 'allow', line: 30 },
      { name: 'only-below.example', kind: 'block', action: 'nxdomain', line: 31 },
      { name: 'txt-only.example', kind: 'block', line: 32 },
      { name: 'upper.example', kind: 'block', action: 'nxdomain', line: 33 },
      { name: 'conflict.example', kind: 'block', action: 'nxdomain', line: 50 },
      { name: 'after-errors.example', kind: 'block', action: 'nxdomain', line: 53 },
    ]);
  });

  it('skips what sinkd cannot use, each with a reason and the line it starts on', async () => {
    const { results } = parse(await readFile(THREATFOX, 'utf8'));
    expect(skips(results)).toEqual([
      [25, 'rpz-tcp-only only makes clients retry over TCP; it blocks nothing'],
      [47, 'unknown record type line'],
      [48, 'A record needs one IPv4 address'],
      [49, 'owner outside.example. is outside the zone rpz.feed.example.'],
      [51, expect.stringMatching(/^conflict\.example was already read as NXDOMAIN at line 50; sinkd keeps one rule per name/)],
      [52, expect.stringContaining('$INCLUDE is not supported')],
    ]);
    const tcp = results.find((r) => isRpzSkip(r) && r.line === 25);
    expect(tcp).toMatchObject({ text: 'tcp.sytes.net\t\tCNAME\trpz-tcp-only.' });
  });

  it('counts the triggers it cannot match instead of skipping them line by line', async () => {
    const { summary } = parse(await readFile(THREATFOX, 'utf8'));
    // rpz-ip: two records, plus one more under "$ORIGIN rpz-ip..." with two records at one owner.
    expect(summary.skippedTriggers).toEqual({ 'rpz-ip': 3, 'rpz-nsdname': 1, 'rpz-nsip': 1, 'rpz-client-ip': 1 });
    expect(summary.approximated).toEqual({ 'rpz-drop': 1, cname: 1 });
    expect(summary.apex).toBe('rpz.feed.example');
    expect(summary.results).toEqual([]);
    expect(describeRpzSummary(summary)).toEqual([
      'skipped 3 rpz-ip triggers (sinkd matches query names only)',
      'skipped 1 rpz-nsdname trigger (sinkd matches query names only)',
      'skipped 1 rpz-nsip trigger (sinkd matches query names only)',
      'skipped 1 rpz-client-ip trigger (sinkd matches query names only)',
      '1 rpz-drop entry answered NXDOMAIN (sinkd never drops a query)',
      '1 local-data CNAME entry answered with the sinkhole addresses (sinkd does not follow the CNAME)',
    ]);
  });

  it('reads a zone without $ORIGIN, whose apex is left to the consuming server', async () => {
    const { results, summary } = parse(await readFile(URLHAUS, 'utf8'));
    expect(skips(results)).toEqual([]);
    expect(entries(results).map((r) => !isRpzSkip(r) && [r.name, r.action])).toEqual([
      ['0022a601.pphost.example', 'nxdomain'],
      ['1.off3.example', 'nxdomain'],
      ['aaronart.example', 'nxdomain'],
      ['bad-host.example', 'nxdomain'],
    ]);
    expect(summary.apex).toBe('');
  });
});

describe('createRpzParser details', () => {
  it('takes TTL and class in either order, units in TTLs, and any letter case', () => {
    const { results } = parse(
      ['a.example 1h30m in cname .', 'b.example IN 3600 CNAME *.', 'c.example 2W CNAME RPZ-PASSTHRU.'].join('\n'),
    );
    expect(results).toEqual([
      { name: 'a.example', kind: 'block', action: 'nxdomain', line: 1 },
      { name: 'b.example', kind: 'block', action: 'nodata', line: 2 },
      { name: 'c.example', kind: 'allow', line: 3 },
    ]);
  });

  it('resolves relative $ORIGIN, "@" and blank owners', () => {
    const { results, summary } = parse(
      [
        '$ORIGIN example.',
        '$ORIGIN rpz', // relative: rpz.example.
        '@ SOA ns. host. 1 2 3 4 5',
        '@ NS ns.',
        'x CNAME .',
        '  AAAA ::1', // conflicts: x is already NXDOMAIN
        'y.x.rpz.example. CNAME *.',
      ].join('\n'),
    );
    expect(summary.apex).toBe('rpz.example');
    expect(results).toEqual([
      { name: 'x', kind: 'block', action: 'nxdomain', line: 5 },
      { skip: expect.stringContaining('x was already read as NXDOMAIN at line 5'), line: 6, text: '  AAAA ::1' },
      { name: 'y.x', kind: 'block', action: 'nodata', line: 7 },
    ]);
  });

  it('folds "name" and "*.name" in either order and keeps the first line', () => {
    const { results } = parse(['*.a.example CNAME .', 'a.example CNAME .', 'b.example A 0.0.0.0', '*.b.example A 0.0.0.0'].join('\n'));
    expect(results).toEqual([
      { name: 'a.example', kind: 'block', action: 'nxdomain', line: 1 },
      { name: 'b.example', kind: 'block', localData: ['0.0.0.0'], line: 3 },
    ]);
  });

  it('compares only records that follow each other: a name coming back later is a second entry', () => {
    const { results } = parse(['a.example CNAME .', 'b.example CNAME .', '*.a.example CNAME *.'].join('\n'));
    expect(results).toEqual([
      { name: 'a.example', kind: 'block', action: 'nxdomain', line: 1 },
      { name: 'b.example', kind: 'block', action: 'nxdomain', line: 2 },
      { name: 'a.example', kind: 'block', action: 'nodata', line: 3 },
    ]);
  });

  it('ignores records at the apex, DNSSEC records, comments and blank lines', () => {
    const { results } = parse(
      [
        '$ORIGIN z.',
        '@ 300 IN SOA ns.z. host.z. 1 2 3 4 5 ; trailing comment',
        '@ TXT "feed metadata"',
        '',
        '   ; indented comment',
        'a.example CNAME . ; trailing comment',
        '  RRSIG CNAME 8 3 300 20240101000000 20230101000000 1 z. AAAA',
        'b.example NSEC c.example CNAME',
      ].join('\n'),
    );
    expect(results).toEqual([{ name: 'a.example', kind: 'block', action: 'nxdomain', line: 6 }]);
  });

  it('skips names that are not names, and records that are not policies', () => {
    const { results } = parse(
      [
        '$ORIGIN z.',
        '* CNAME .',
        '192.0.2.1 CNAME .',
        'a..b CNAME .',
        'c.example CNAME',
        'd.example CH CNAME .',
        'e.example NS ns.elsewhere.',
        'f.example SOA a. b. 1 2 3 4 5',
        'g.example AAAA 192.0.2.1',
        'h.rpz-bogus CNAME .',
        '$GENERATE 1-10 host$ CNAME .',
        '$TTL soon',
        '$FOO bar',
        '  CNAME .', // blank owner: h.rpz-bogus was the last owner
      ].join('\n'),
    );
    expect(skips(results)).toEqual([
      [2, 'wildcard owner "*" would match every name'],
      [3, 'IP address as a query name (IP triggers belong under rpz-ip)'],
      [4, 'invalid trigger name a..b'],
      [5, 'CNAME needs exactly one target'],
      [6, 'class CH record (policy zones are class IN)'],
      [7, 'NS record below the zone apex (a delegation, not a policy)'],
      [8, 'SOA record below the zone apex'],
      [9, 'AAAA record needs one IPv6 address'],
      [10, 'unknown trigger type rpz-bogus'],
      [11, '$GENERATE is not supported'],
      [12, 'invalid $TTL directive'],
      [13, 'unknown directive $FOO'],
      [14, 'unknown trigger type rpz-bogus'],
    ]);
    expect(parse('  CNAME .').results).toEqual([
      { skip: expect.stringContaining('without an owner name'), line: 1, text: '  CNAME .' },
    ]);
  });

  it('reads a record over several lines and reports it at its first line', () => {
    const { results } = parse(['a.example (', '  CNAME', '  . )', 'b.example CNAME . )'].join('\n'));
    expect(results).toEqual([
      { name: 'a.example', kind: 'block', action: 'nxdomain', line: 1 },
      { skip: '")" without "("', line: 4, text: 'b.example CNAME . )' },
    ]);
  });

  it('recovers the lines after a "(" that is never closed', () => {
    const atEnd = parse(['@ SOA ns. host. ( 1 2 3 4 5', 'a.example CNAME .', 'b.example CNAME *.'].join('\n'));
    expect(atEnd.results).toEqual([
      { skip: '"(" not closed before the end of the file', line: 1, text: '@ SOA ns. host. ( 1 2 3 4 5' },
      { name: 'a.example', kind: 'block', action: 'nxdomain', line: 2 },
      { name: 'b.example', kind: 'block', action: 'nodata', line: 3 },
    ]);

    const lines = ['@ SOA ns. host. ( 1 2 3 4 5'];
    for (let i = 0; i < 40; i++) lines.push(`n${i}.example CNAME .`);
    const long = parse(lines.join('\n'));
    expect(long.results[0]).toEqual({ skip: '"(" not closed within 32 lines', line: 1, text: lines[0] });
    expect(entries(long.results)).toHaveLength(40);
    expect(entries(long.results).map((r) => r.line)).toEqual(Array.from({ length: 40 }, (_, i) => i + 2));
  });

  it('keeps quoted strings whole, semicolons included', () => {
    expect(parse('a.example TXT "x ; y" "z"').results).toEqual([{ name: 'a.example', kind: 'block', line: 1 }]);
    expect(parse('a.example TXT "x').results).toEqual([
      { skip: 'unterminated quoted string', line: 1, text: 'a.example TXT "x' },
    ]);
  });

  it('counts a trigger sinkd cannot match once per owner', () => {
    const { summary, results } = parse(
      ['32.1.2.0.192.rpz-ip A 192.0.2.9', '  AAAA 2001:db8::9', 'ns.example.rpz-nsdname CNAME .', '*.ns.example.rpz-nsdname CNAME .'].join('\n'),
    );
    expect(results).toEqual([]);
    expect(summary.skippedTriggers).toEqual({ 'rpz-ip': 1, 'rpz-nsdname': 2 });
  });

  it('refuses to be used after finish()', () => {
    const p = createRpzParser();
    p.finish();
    expect(() => p.line('a CNAME .')).toThrow();
    expect(() => p.finish()).toThrow();
  });
});

describe('detectFormat and RPZ', () => {
  it('recognises a zone from a directive, an SOA or CNAME records', () => {
    expect(detectFormat(['$TTL 30', '@ SOA a. b. 1 2 3 4 5'])).toBe('rpz');
    expect(detectFormat(['; comment', '$ORIGIN rpz.example.'])).toBe('rpz');
    expect(detectFormat(['@ IN SOA rpz.example. hostmaster.example. (', '1 ; serial'])).toBe('rpz');
    expect(detectFormat(['; feed', 'a.example CNAME .', 'b.example CNAME . ; c2', 'c.example 30 IN CNAME *.'])).toBe('rpz');
    expect(detectFormat(['a.example A 0.0.0.0', 'b.example CNAME rpz-passthru.'])).toBe('rpz');
  });

  it('leaves plain, hosts and adblock lists alone', () => {
    expect(detectFormat(['a.example', 'b.example'])).toBe('plain');
    expect(detectFormat(['0.0.0.0 a.example', '0.0.0.0 soa b.example'])).toBe('hosts');
    expect(detectFormat(['||a.example^', '||b.example^'])).toBe('adblock');
    expect(detectFormat(['a.example', 'b.example', 'c.example CNAME .'])).toBe('plain');
  });
});

describe('lineParserFor("rpz")', () => {
  it('is a fresh stateful parser each time, leaving "block" to the list kind', () => {
    const parse1 = lineParserFor('rpz');
    expect(parse1('$ORIGIN z.')).toBeNull();
    expect(parse1('a.example CNAME .')).toEqual({ name: 'a.example', action: 'nxdomain' });
    expect(parse1('b.example A 192.0.2.1')).toEqual({ name: 'b.example' });
    expect(parse1('c.example CNAME rpz-passthru.')).toEqual({ name: 'c.example', kind: 'allow' });
    expect(parse1('c.example.z. CNAME .')).toEqual({ skip: expect.stringContaining('already read') });
    const parse2 = lineParserFor('rpz');
    expect(parse2('a.example CNAME .')).toEqual({ name: 'a.example', action: 'nxdomain' });
  });
});

describe('loadListFile with RPZ', () => {
  it('turns a zone into rules with actions, families, file line numbers and one note per loss', async () => {
    for (const format of ['rpz', 'auto'] as const) {
      const list = await loadListFile(THREATFOX, { format, kind: 'block', source: 'threatfox' });
      expect(list.format).toBe('rpz');
      expect(list.rules.map((r) => [r.name, r.kind, r.action, r.family])).toEqual([
        ['evil.no-ip.biz', 'block', 'nxdomain', 'Bladabindi'],
        ['c2.hopto.org', 'block', 'nxdomain', 'Bladabindi'],
        ['worm.zapto.org', 'block', 'nxdomain', 'Jenxcus'],
        ['nodata.ddns.net', 'block', 'nodata', undefined],
        ['friend.no-ip.biz', 'allow', undefined, undefined],
        ['dropped.servegame.com', 'block', 'nxdomain', undefined],
        ['sinkholed.example', 'block', undefined, undefined],
        ['garden.example', 'block', undefined, undefined],
        ['legacy-ok.example', 'allow', undefined, undefined],
        ['only-below.example', 'block', 'nxdomain', undefined],
        ['txt-only.example', 'block', undefined, undefined],
        ['upper.example', 'block', 'nxdomain', undefined],
        ['conflict.example', 'block', 'nxdomain', undefined],
        ['after-errors.example', 'block', 'nxdomain', undefined],
      ]);
      expect(list.rules.every((r) => r.source === 'threatfox')).toBe(true);
      // No "action" key at all for the default answer, as in every other format.
      expect(list.rules.find((r) => r.name === 'sinkholed.example')).toEqual({ name: 'sinkholed.example', kind: 'block', source: 'threatfox' });
      expect(list.skipped.map((s) => s.line)).toEqual([25, 47, 48, 49, 51, 52]);
      expect(list.skipped[1]).toEqual({ line: 47, reason: 'unknown record type line', text: 'this line is not a record' });
      expect(list.notes).toEqual([
        'skipped 3 rpz-ip triggers (sinkd matches query names only)',
        'skipped 1 rpz-nsdname trigger (sinkd matches query names only)',
        'skipped 1 rpz-nsip trigger (sinkd matches query names only)',
        'skipped 1 rpz-client-ip trigger (sinkd matches query names only)',
        '1 rpz-drop entry answered NXDOMAIN (sinkd never drops a query)',
        '1 local-data CNAME entry answered with the sinkhole addresses (sinkd does not follow the CNAME)',
      ]);
    }
  });

  it('matches the subtree of every trigger, wildcard or not', async () => {
    const list = await loadListFile(THREATFOX, { format: 'auto', kind: 'block' });
    const m = matcherFromRules(list.rules);
    expect(m.match('evil.no-ip.biz')?.action).toBe('nxdomain');
    expect(m.match('deep.evil.no-ip.biz')?.name).toBe('evil.no-ip.biz');
    // Listed in RPZ only as "*.only-below.example": sinkd blocks the name itself too.
    expect(m.match('only-below.example')?.name).toBe('only-below.example');
    // Listed only as "c2.hopto.org" (exact in RPZ): sinkd blocks below it too.
    expect(m.match('x.c2.hopto.org')?.name).toBe('c2.hopto.org');
    expect(m.match('www.friend.no-ip.biz')).toBeUndefined();
  });

  it('gives an allowlist zone allow entries only, and reports an unclosed record at the end', async () => {
    const path = join(dir, 'allow.rpz');
    await writeFile(path, '$TTL 60\na.example CNAME .\nb.example A 192.0.2.1\nc.example CNAME rpz-passthru.\nd.example (\n  CNAME .\n');
    const list = await loadListFile(path, { format: 'auto', kind: 'allow' });
    expect(list.rules).toEqual([
      { name: 'a.example', kind: 'allow', source: 'allow.rpz' },
      { name: 'b.example', kind: 'allow', source: 'allow.rpz' },
      { name: 'c.example', kind: 'allow', source: 'allow.rpz' },
    ]);
    // The lines after the open "(" are read again on their own: "  CNAME ." then has a blank
    // owner, which is the last complete record's (c.example).
    expect(list.skipped).toEqual([
      { line: 5, reason: '"(" not closed before the end of the file', text: 'd.example (' },
      { line: 6, reason: expect.stringContaining('c.example was already read as rpz-passthru (allow) at line 4'), text: '  CNAME .' },
    ]);
    expect(list.notes).toEqual([]);
  });

  it('detects a zone whose first lines are all comments', async () => {
    const path = join(dir, 'commented.rpz');
    const head = Array.from({ length: 60 }, (_, i) => `; header line ${i}`);
    await writeFile(path, [...head, 'a.example CNAME .', 'b.example CNAME .'].join('\n'));
    const list = await loadListFile(path, { format: 'auto', kind: 'block' });
    expect(list.format).toBe('rpz');
    expect(list.rules.map((r) => [r.name, r.action])).toEqual([
      ['a.example', 'nxdomain'],
      ['b.example', 'nxdomain'],
    ]);
  });

  it('gives other formats an empty notes list', async () => {
    const path = join(dir, 'plain.txt');
    await writeFile(path, 'a.example\n');
    expect((await loadListFile(path, { format: 'auto', kind: 'block' })).notes).toEqual([]);
  });
});
