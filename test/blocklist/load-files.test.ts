import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadListFile } from '../../src/blocklist/load-files.js';
import { matcherFromRules } from '../../src/blocklist/matcher.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sinkd-blocklist-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('loadListFile', () => {
  it('reads a plain list, with source defaulting to the basename', async () => {
    const path = await file('plain.txt', '# header\n\nEvil.No-IP.biz\nc2.hopto.org # trailing\n*.ddns.net\n');
    const list = await loadListFile(path, { format: 'plain', kind: 'block' });
    expect(list.format).toBe('plain');
    expect(list.skipped).toEqual([]);
    expect(list.rules).toEqual([
      { name: 'evil.no-ip.biz', kind: 'block', source: 'plain.txt' },
      { name: 'c2.hopto.org', kind: 'block', source: 'plain.txt' },
      { name: 'ddns.net', kind: 'block', source: 'plain.txt' },
    ]);
  });

  it('groups entries by "# family:" headers, falling back to the given family', async () => {
    const path = await file(
      'families.txt',
      [
        'before.example',
        '# family: Bladabindi',
        'a.no-ip.biz',
        'b.no-ip.biz',
        '#family:Jenxcus',
        'c.zapto.org',
        '# family:',
        'after.example',
      ].join('\n'),
    );
    const list = await loadListFile(path, { format: 'plain', kind: 'block', source: 'feed', family: 'unknown' });
    expect(list.rules.map((r) => [r.name, r.family, r.source])).toEqual([
      ['before.example', 'unknown', 'feed'],
      ['a.no-ip.biz', 'Bladabindi', 'feed'],
      ['b.no-ip.biz', 'Bladabindi', 'feed'],
      ['c.zapto.org', 'Jenxcus', 'feed'],
      ['after.example', 'unknown', 'feed'],
    ]);
    const noFamily = await loadListFile(await file('nofam.txt', 'x.example\n'), { format: 'plain', kind: 'block' });
    expect(noFamily.rules[0]).not.toHaveProperty('family');
  });

  it('auto-detects a hosts file and reports skipped lines with line numbers', async () => {
    const path = await file(
      'hosts',
      '# comment\r\n127.0.0.1 localhost\r\n0.0.0.0 a.example b.example\r\nnot-an-ip c.example\r\n0.0.0.0 d.example\r\n',
    );
    const list = await loadListFile(path, { format: 'auto', kind: 'block' });
    expect(list.format).toBe('hosts');
    expect(list.rules.map((r) => r.name)).toEqual(['a.example', 'b.example', 'd.example']);
    expect(list.skipped).toEqual([
      { line: 2, reason: expect.stringContaining('local hostname'), text: '127.0.0.1 localhost' },
      { line: 4, reason: 'first field is not an IP address', text: 'not-an-ip c.example' },
    ]);
  });

  it('auto-detects adblock and turns @@ exceptions into allow rules', async () => {
    const path = await file(
      'adblock.txt',
      '[Adblock Plus 2.0]\n! Title: test\n||no-ip.biz^\n@@||friend.no-ip.biz^\n||x.example/path\nexample.com##.ad\n',
    );
    const list = await loadListFile(path, { format: 'auto', kind: 'block' });
    expect(list.format).toBe('adblock');
    expect(list.rules.map((r) => [r.name, r.kind])).toEqual([
      ['no-ip.biz', 'block'],
      ['friend.no-ip.biz', 'allow'],
    ]);
    expect(list.skipped.map((s) => [s.line, s.reason])).toEqual([
      [5, 'rule has a path'],
      [6, 'cosmetic (element hiding) rule'],
    ]);
    const m = matcherFromRules(list.rules);
    expect(m.match('evil.no-ip.biz')?.name).toBe('no-ip.biz');
    expect(m.match('www.friend.no-ip.biz')).toBeUndefined();
  });

  it('gives every entry of an allow list the allow kind', async () => {
    const path = await file('allow.txt', 'good.example\n');
    const list = await loadListFile(path, { format: 'auto', kind: 'allow' });
    expect(list.rules).toEqual([{ name: 'good.example', kind: 'allow', source: 'allow.txt' }]);
  });

  it('detects the format from the first lines and applies it to the rest', async () => {
    const lines = ['# generated'];
    for (let i = 0; i < 500; i++) lines.push(`0.0.0.0 h${i}.example`);
    const path = await file('big-hosts.txt', `\uFEFF${lines.join('\n')}`);
    const list = await loadListFile(path, { format: 'auto', kind: 'block' });
    expect(list.format).toBe('hosts');
    expect(list.rules).toHaveLength(500);
    expect(list.rules[499]?.name).toBe('h499.example');
  });

  it('honours an explicit format over what the content looks like', async () => {
    const path = await file('forced.txt', '0.0.0.0 a.example\n');
    const list = await loadListFile(path, { format: 'plain', kind: 'block' });
    expect(list.rules).toEqual([]);
    expect(list.skipped[0]?.reason).toContain('more than one field');
  });

  it('handles empty files and IDN entries', async () => {
    const empty = await loadListFile(await file('empty.txt', ''), { format: 'auto', kind: 'block' });
    expect(empty).toEqual({ rules: [], skipped: [], format: 'plain', notes: [] });
    const idn = await loadListFile(await file('idn.txt', 'bücher.de\n'), { format: 'auto', kind: 'block' });
    expect(idn.rules[0]?.name).toBe('xn--bcher-kva.de');
  });

  it('rejects a missing file with a one-line message', async () => {
    const path = join(dir, 'does-not-exist.txt');
    await expect(loadListFile(path, { format: 'auto', kind: 'block' })).rejects.toThrow(
      `cannot read blocklist ${path}: no such file`,
    );
  });

  it('rejects a directory with a one-line message', async () => {
    const err = await loadListFile(dir, { format: 'auto', kind: 'block' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(`cannot read blocklist ${dir}: is a directory`);
  });

  it.skipIf(process.getuid?.() === 0)('rejects an unreadable file', async () => {
    const path = await file('secret.txt', 'a.example\n');
    await chmod(path, 0o000);
    await expect(loadListFile(path, { format: 'auto', kind: 'block' })).rejects.toThrow(
      `cannot read blocklist ${path}: permission denied`,
    );
  });
});
