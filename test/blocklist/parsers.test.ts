import { describe, it, expect } from 'vitest';
import {
  detectFormat,
  parseAdblockLine,
  parseHostsLine,
  parsePlainLine,
} from '../../src/blocklist/parsers.js';

describe('parsePlainLine', () => {
  it('reads one name per line and ignores blanks and comments', () => {
    expect(parsePlainLine('evil.no-ip.biz')).toEqual({ name: 'evil.no-ip.biz' });
    expect(parsePlainLine('  Evil.Hopto.ORG.  ')).toEqual({ name: 'evil.hopto.org' });
    expect(parsePlainLine('')).toBeNull();
    expect(parsePlainLine('   \t')).toBeNull();
    expect(parsePlainLine('# comment')).toBeNull();
    expect(parsePlainLine('   # indented comment')).toBeNull();
  });

  it('drops trailing comments', () => {
    expect(parsePlainLine('evil.zapto.org # njRAT C2')).toEqual({ name: 'evil.zapto.org' });
    expect(parsePlainLine('evil.zapto.org#no space')).toEqual({ name: 'evil.zapto.org' });
  });

  it('treats *.name and .name as name, since every entry covers its subtree', () => {
    expect(parsePlainLine('*.ddns.net')).toEqual({ name: 'ddns.net' });
    expect(parsePlainLine('.ddns.net')).toEqual({ name: 'ddns.net' });
    expect(parsePlainLine('..ddns.net')).toEqual({ skip: 'invalid hostname' });
  });

  it('converts IDN', () => {
    expect(parsePlainLine('bücher.de')).toEqual({ name: 'xn--bcher-kva.de' });
  });

  it('skips what is not a hostname, with a reason', () => {
    expect(parsePlainLine('0.0.0.0 evil.example')).toEqual({ skip: expect.stringContaining('more than one field') });
    expect(parsePlainLine('http://evil.example/x')).toEqual({ skip: expect.stringContaining('URL') });
    expect(parsePlainLine('192.0.2.1')).toEqual({ skip: expect.stringContaining('IP address') });
    expect(parsePlainLine('evil.example:8080')).toEqual({ skip: 'invalid hostname' });
    expect(parsePlainLine('a..b')).toEqual({ skip: 'invalid hostname' });
  });
});

describe('parseHostsLine', () => {
  it('reads 0.0.0.0, 127.0.0.1, :: and ::1 lines', () => {
    expect(parseHostsLine('0.0.0.0 evil.example')).toEqual({ name: 'evil.example' });
    expect(parseHostsLine('127.0.0.1\tEvil.Example')).toEqual({ name: 'evil.example' });
    expect(parseHostsLine(':: evil.example')).toEqual({ name: 'evil.example' });
    expect(parseHostsLine('::1   evil.example')).toEqual({ name: 'evil.example' });
  });

  it('accepts lines mapping to other addresses as blocks of those names', () => {
    expect(parseHostsLine('203.0.113.9 evil.example')).toEqual({ name: 'evil.example' });
    expect(parseHostsLine('fe80::1%lo0 evil.example')).toEqual({ name: 'evil.example' });
  });

  it('reads several names on one line and trailing comments', () => {
    expect(parseHostsLine('0.0.0.0 a.example b.example  c.example # three')).toEqual([
      { name: 'a.example' },
      { name: 'b.example' },
      { name: 'c.example' },
    ]);
  });

  it('skips stock localhost entries', () => {
    expect(parseHostsLine('127.0.0.1 localhost')).toEqual({ skip: expect.stringContaining('local hostname') });
    expect(parseHostsLine('127.0.0.1 localhost.localdomain')).toEqual({ skip: expect.stringContaining('local hostname') });
    expect(parseHostsLine('255.255.255.255 broadcasthost')).toEqual({ skip: expect.stringContaining('local hostname') });
    expect(parseHostsLine('ff02::2 ip6-allrouters')).toEqual({ skip: expect.stringContaining('local hostname') });
    expect(parseHostsLine('0.0.0.0 0.0.0.0')).toEqual({ skip: expect.stringContaining('local hostname') });
    expect(parseHostsLine('::1 localhost ip6-localhost evil.example')).toEqual([
      { skip: expect.stringContaining('local hostname') },
      { skip: expect.stringContaining('local hostname') },
      { name: 'evil.example' },
    ]);
  });

  it('ignores comments and skips malformed lines with a reason', () => {
    expect(parseHostsLine('# 0.0.0.0 evil.example')).toBeNull();
    expect(parseHostsLine('')).toBeNull();
    expect(parseHostsLine('evil.example')).toEqual({ skip: 'first field is not an IP address' });
    expect(parseHostsLine('0.0.0.0')).toEqual({ skip: 'address without a hostname' });
    expect(parseHostsLine('0.0.0.0 *.evil.example')).toEqual({ skip: 'invalid hostname' });
  });

  it('converts IDN', () => {
    expect(parseHostsLine('0.0.0.0 пример.рф')).toEqual({ name: 'xn--e1afmkfd.xn--p1ai' });
  });
});

describe('parseAdblockLine', () => {
  it('reads ||name^ host rules', () => {
    expect(parseAdblockLine('||evil.example^')).toEqual({ name: 'evil.example' });
    expect(parseAdblockLine('||Evil.Example^|')).toEqual({ name: 'evil.example' });
    expect(parseAdblockLine('||evil.example')).toEqual({ name: 'evil.example' });
    expect(parseAdblockLine('||bücher.de^')).toEqual({ name: 'xn--bcher-kva.de' });
  });

  it('reads @@||name^ as an allow exception', () => {
    expect(parseAdblockLine('@@||good.evil.example^')).toEqual({ name: 'good.evil.example', kind: 'allow' });
  });

  it('ignores comments and the [Adblock Plus 2.0] header', () => {
    expect(parseAdblockLine('! Title: test list')).toBeNull();
    expect(parseAdblockLine('[Adblock Plus 2.0]')).toBeNull();
    expect(parseAdblockLine('')).toBeNull();
  });

  it('accepts modifiers that keep the rule host-wide', () => {
    expect(parseAdblockLine('||evil.example^$important')).toEqual({ name: 'evil.example' });
    expect(parseAdblockLine('@@||ok.example^$document,important')).toEqual({ name: 'ok.example', kind: 'allow' });
  });

  it('skips rules a DNS sinkhole cannot honour, each with a reason', () => {
    const cases: [string, string][] = [
      ['||evil.example^$third-party', 'modifier $third-party'],
      ['||evil.example^$domain=a.example', 'modifier $domain=a.example'],
      ['||evil.example^$dnstype=AAAA', 'modifier $dnstype=aaaa'],
      ['||evil.example^$important,third-party', 'modifier $third-party'],
      ['||evil.example^$badfilter', '$badfilter'],
      ['||evil.example/ads/*', 'path'],
      ['||ads.*.example^', 'wildcard'],
      ['||evil.example:8080^', 'port'],
      ['example.com##.banner', 'cosmetic'],
      ['##.ad-box', 'cosmetic'],
      ['example.com#@#.banner', 'cosmetic'],
      ['|https://evil.example/', 'address-anchored'],
      ['/ads[0-9]+\\.example/', 'regular-expression'],
      ['evil.example', 'not a ||host^ rule'],
      ['||1.2.3.4^', 'IP address'],
      ['||a..b^', 'invalid hostname'],
    ];
    for (const [line, reason] of cases) {
      const r = parseAdblockLine(line);
      expect(r, line).toHaveProperty('skip');
      expect((r as { skip: string }).skip, line).toContain(reason);
    }
  });
});

describe('detectFormat', () => {
  it('recognises hosts files past their comment header', () => {
    expect(
      detectFormat(['# StevenBlack hosts', '', '127.0.0.1 localhost', '0.0.0.0 a.example', '0.0.0.0 b.example']),
    ).toBe('hosts');
  });

  it('recognises adblock lists by rules or by header', () => {
    expect(detectFormat(['! Title: x', '||a.example^', '||b.example^', '@@||c.example^'])).toBe('adblock');
    expect(detectFormat(['[Adblock Plus 2.0]', 'a.example'])).toBe('adblock');
  });

  it('recognises plain lists, and falls back to plain on nothing to go by', () => {
    expect(detectFormat(['# family: njRAT', 'a.no-ip.biz', 'b.hopto.org # c2'])).toBe('plain');
    expect(detectFormat([])).toBe('plain');
    expect(detectFormat(['# only comments'])).toBe('plain');
  });

  it('goes by the majority of the sampled lines', () => {
    expect(detectFormat(['a.example', '0.0.0.0 b.example', '0.0.0.0 c.example'])).toBe('hosts');
    expect(detectFormat(['||a.example^', 'b.example', 'c.example'])).toBe('plain');
  });
});
