// The streaming import pipeline under `sinkd blocklist import` (src/blocklist/import-stream.ts,
// fetch-source.ts helpers) and its progress line, without processes or sockets.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { looksLikeUrl, parseFeedUrl, sourceNameFromUrl } from '../../src/blocklist/fetch-source.js';
import { ListImport, openFileLines, readLines, type SkippedLine } from '../../src/blocklist/import-stream.js';
import { ImportProgress } from '../../src/cli/blocklist/progress.js';
import type { NewEntry } from '../../src/store/blocklist-store.js';

const dir = mkdtempSync(join(tmpdir(), 'sinkd-import-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function* linesOf(text: string): AsyncGenerator<string> {
  yield* text.split('\n');
}

async function collect(text: string, opts: Partial<ConstructorParameters<typeof ListImport>[0]> = {}) {
  const skipped: SkippedLine[] = [];
  const run = new ListImport({ format: 'auto', source: 's', onSkip: (s) => skipped.push(s), ...opts });
  const entries: NewEntry[] = [];
  for await (const e of run.entries(linesOf(text))) entries.push(e);
  return { entries, skipped, stats: run.stats };
}

describe('readLines', () => {
  it('splits on LF and CRLF, drops a leading BOM, and keeps a last line without a newline', async () => {
    const input = Readable.from([Buffer.from('\ufeffa.example\r\nb.exa'), Buffer.from('mple\nc.example')]);
    const out: string[] = [];
    for await (const line of readLines(input)) out.push(line);
    expect(out).toEqual(['a.example', 'b.example', 'c.example']);
  });

  it('keeps a UTF-8 character split across chunks whole', async () => {
    const bytes = Buffer.from('bücher.example\n');
    const input = Readable.from([bytes.subarray(0, 2), bytes.subarray(2)]);
    const out: string[] = [];
    for await (const line of readLines(input)) out.push(line);
    expect(out).toEqual(['bücher.example']);
  });

  it('throws a read error instead of ending quietly', async () => {
    const input = new Readable({
      read() {
        this.push('a.example\n');
        this.destroy(new Error('disk on fire'));
      },
    });
    const out: string[] = [];
    await expect(
      (async () => {
        for await (const line of readLines(input)) out.push(line);
      })(),
    ).rejects.toThrow('disk on fire');
  });

  it('openFileLines names the file in its errors', async () => {
    await expect(openFileLines(join(dir, 'missing.txt'))).rejects.toThrow(`cannot read ${join(dir, 'missing.txt')}: no such file`);
    const lines = await openFileLines(dir);
    await expect(
      (async () => {
        for await (const _ of lines) void _;
      })(),
    ).rejects.toThrow(`cannot read ${dir}: is a directory`);
  });
});

describe('ListImport', () => {
  it('streams: the first entry comes out after the detection sample, not after the whole input', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<string> {
      for (let i = 0; ; i++) {
        pulled++;
        yield `host${i}.no-ip.biz`;
      }
    }
    const run = new ListImport({ format: 'auto', source: 's' });
    const it = run.entries(endless());
    const first = await it.next();
    expect(first.value).toEqual({ name: 'host0.no-ip.biz', kind: 'block', source: 's' });
    expect(pulled).toBe(50);
    for (let i = 0; i < 1000; i++) await it.next();
    expect(pulled).toBe(1001);
    await it.return(undefined);
    expect(run.stats.format).toBe('plain');
  });

  it('reads family, kind and action headers and counts lines', async () => {
    const { entries, stats } = await collect(
      ['# family: Bladabindi', 'a.no-ip.biz', '# action: nxdomain', 'b.no-ip.biz', '# kind: allow', 'c.no-ip.biz', '# kind:', '# action:', '# family:', 'd.no-ip.biz'].join('\n'),
      { family: 'Default' },
    );
    expect(entries).toEqual([
      { name: 'a.no-ip.biz', kind: 'block', source: 's', family: 'Bladabindi' },
      { name: 'b.no-ip.biz', kind: 'block', source: 's', family: 'Bladabindi', action: 'nxdomain' },
      { name: 'c.no-ip.biz', kind: 'allow', source: 's', family: 'Bladabindi' },
      { name: 'd.no-ip.biz', kind: 'block', source: 's', family: 'Default' },
    ]);
    expect(stats).toMatchObject({ lines: 10, entries: 4, skipped: 0, format: 'plain' });
  });

  it('reports skipped lines with their line numbers, in hosts files with several names a line too', async () => {
    const { entries, skipped, stats } = await collect(['# hosts', '127.0.0.1 localhost', '0.0.0.0 a.example bad..name b.example', 'garbage line here'].join('\n'));
    expect(stats.format).toBe('hosts');
    expect(entries.map((e) => e.name)).toEqual(['a.example', 'b.example']);
    expect(skipped).toEqual([
      { line: 2, reason: 'local hostname localhost (hosts-file boilerplate)', text: '127.0.0.1 localhost' },
      { line: 3, reason: 'invalid hostname', text: '0.0.0.0 a.example bad..name b.example' },
      { line: 4, reason: 'first field is not an IP address', text: 'garbage line here' },
    ]);
  });

  it('reads RPZ zone files: records over several lines, actions, passthru, and what it could not use', async () => {
    const zone = [
      '$TTL 300',
      '$ORIGIN rpz.example.',
      '@ SOA ns.rpz.example. hostmaster.rpz.example. (',
      '      1 3600 600',
      '      86400 60 )',
      '; family: Jenxcus',
      'worm.ddns.net CNAME .',
      'quiet.ddns.net 300 IN CNAME *.',
      'ok.ddns.net CNAME rpz-passthru.',
      'garden.ddns.net CNAME walled.example.',
      'x.ddns.net CNAME rpz-tcp-only.',
      '24.0.2.0.192.rpz-ip CNAME .',
    ].join('\n');
    const { entries, skipped, stats } = await collect(zone);
    expect(stats.format).toBe('rpz');
    expect(entries).toEqual([
      { name: 'worm.ddns.net', kind: 'block', source: 's', family: 'Jenxcus', action: 'nxdomain' },
      { name: 'quiet.ddns.net', kind: 'block', source: 's', family: 'Jenxcus', action: 'nodata' },
      { name: 'ok.ddns.net', kind: 'allow', source: 's', family: 'Jenxcus' },
      { name: 'garden.ddns.net', kind: 'block', source: 's', family: 'Jenxcus' },
    ]);
    expect(skipped).toEqual([{ line: 11, reason: 'rpz-tcp-only only makes clients retry over TCP; it blocks nothing', text: 'x.ddns.net CNAME rpz-tcp-only.' }]);
    expect(stats.notes).toEqual([
      'skipped 1 rpz-ip trigger (sinkd matches query names only)',
      '1 local-data CNAME entry answered with the sinkhole addresses (sinkd does not follow the CNAME)',
    ]);
  });

  it('an explicit format is used from the first line', async () => {
    const { entries, skipped } = await collect('0.0.0.0 a.example\nb.example\n', { format: 'plain' });
    expect(entries.map((e) => e.name)).toEqual(['b.example']);
    expect(skipped[0]).toMatchObject({ line: 1, reason: 'more than one field (a hosts or adblock line?)' });
  });
});

describe('feed URLs', () => {
  it('names a source after the last path segment without its extension, else the host', () => {
    expect(sourceNameFromUrl(new URL('https://example.org/feeds/njrat.txt?x=1'))).toBe('njrat');
    expect(sourceNameFromUrl(new URL('https://example.org/feeds/threat%20fox.rpz'))).toBe('threat fox');
    expect(sourceNameFromUrl(new URL('https://example.org/hosts'))).toBe('hosts');
    expect(sourceNameFromUrl(new URL('https://lists.example.org/'))).toBe('lists.example.org');
  });

  it('tells URLs from paths and accepts only http(s)', () => {
    expect(looksLikeUrl('https://x.example/a')).toBe(true);
    expect(looksLikeUrl('./lists/a.txt')).toBe(false);
    expect(looksLikeUrl('C:/lists/a.txt')).toBe(false);
    expect(() => parseFeedUrl('file:///etc/hosts')).toThrow('unsupported URL scheme file in file:///etc/hosts (only http and https)');
    expect(() => parseFeedUrl('http://')).toThrow('invalid URL http://');
  });
});

describe('ImportProgress', () => {
  function fakeTerminal(isTTY: boolean) {
    const writes: string[] = [];
    let now = 0;
    const progress = new ImportProgress({ isTTY, write: (s: string) => writes.push(s) }, () => now);
    return { writes, progress, advance: (ms: number) => (now += ms) };
  }

  it('redraws at most every 100 ms with lines and rate, and clears the line at the end', () => {
    const t = fakeTerminal(true);
    t.progress.start('feed.txt');
    t.advance(50);
    t.progress.update(1000);
    expect(t.writes).toEqual([]);
    t.advance(50);
    t.progress.update(2000);
    t.advance(10);
    t.progress.update(2100);
    t.advance(1890);
    t.progress.update(40_000);
    t.progress.clear();
    t.progress.clear();
    expect(t.writes).toEqual([
      '\r\x1b[Kfeed.txt: 2,000 lines read, 20,000 lines/s',
      '\r\x1b[Kfeed.txt: 40,000 lines read, 20,000 lines/s',
      '\r\x1b[K',
    ]);
  });

  it('prints nothing when stderr is not a terminal', () => {
    const t = fakeTerminal(false);
    t.progress.start('feed.txt');
    for (let i = 0; i < 10; i++) {
      t.advance(500);
      t.progress.update(i * 1000);
    }
    t.progress.clear();
    expect(t.writes).toEqual([]);
  });
});

