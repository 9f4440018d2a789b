import { describe, expect, it } from 'vitest';
import { CidrSet, DEFAULT_RECURSION_ALLOW, parseCidr, parseIPv4, parseIPv6Into } from '../../src/net/cidr.js';

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', { family: 4, network: '10.0.0.0', prefix: 8 }],
    ['192.168.1.7', { family: 4, network: '192.168.1.7', prefix: 32 }],
    ['0.0.0.0/0', { family: 4, network: '0.0.0.0', prefix: 0 }],
    ['fe80::/10', { family: 6, network: 'fe80::', prefix: 10 }],
    ['::1', { family: 6, network: '::1', prefix: 128 }],
    ['::/0', { family: 6, network: '::', prefix: 0 }],
    ['2001:DB8:0:0:1:0:0:1/128', { family: 6, network: '2001:db8::1:0:0:1', prefix: 128 }],
  ])('parses %s', (text, want) => {
    expect(parseCidr(text)).toEqual(want);
  });

  it('accepts host bits and clears them (an address pasted with its prefix means its network)', () => {
    expect(parseCidr('10.1.0.0/8')).toEqual({ family: 4, network: '10.0.0.0', prefix: 8 });
    expect(parseCidr('192.168.1.7/24').network).toBe('192.168.1.0');
    expect(parseCidr('fe80::1234/10').network).toBe('fe80::');
    expect(parseCidr('255.255.255.255/1').network).toBe('128.0.0.0');
  });

  it.each([
    ['10.0.0.0/33', /^bad CIDR "10.0.0.0\/33": prefix length must be 0-32$/],
    ['::/129', /prefix length must be 0-128/],
    ['10.0.0.0/', /prefix length must be 0-32/],
    ['10.0.0.0/-1', /prefix length must be 0-32/],
    ['10.0.0.0/8/8', /prefix length/],
    ['10.0.0/8', /^bad CIDR "10.0.0\/8": not an IPv4 or IPv6 address$/],
    ['example.com/8', /not an IPv4 or IPv6 address/],
    ['fe80::1%eth0/64', /not an IPv4 or IPv6 address/],
    ['', /not an IPv4 or IPv6 address/],
  ])('rejects %j', (text, message) => {
    expect(() => parseCidr(text)).toThrow(message);
  });
});

describe('CidrSet.contains', () => {
  it('matches IPv4 prefixes', () => {
    const set = new CidrSet(['10.0.0.0/8', '192.168.1.7', '172.16.0.0/12']);
    expect(set.contains('10.0.0.0')).toBe(true);
    expect(set.contains('10.255.255.255')).toBe(true);
    expect(set.contains('11.0.0.0')).toBe(false);
    expect(set.contains('9.255.255.255')).toBe(false);
    expect(set.contains('192.168.1.7')).toBe(true);
    expect(set.contains('192.168.1.8')).toBe(false);
    expect(set.contains('172.31.255.255')).toBe(true);
    expect(set.contains('172.32.0.0')).toBe(false);
  });

  it('handles the edge prefixes /0 and /32', () => {
    const all = new CidrSet(['0.0.0.0/0']);
    for (const ip of ['0.0.0.0', '8.8.8.8', '128.0.0.1', '255.255.255.255']) expect(all.contains(ip)).toBe(true);
    expect(all.contains('::1')).toBe(false);
    const one = new CidrSet(['255.255.255.255/32']);
    expect(one.contains('255.255.255.255')).toBe(true);
    expect(one.contains('255.255.255.254')).toBe(false);
    expect(new CidrSet(['128.0.0.0/1']).contains('127.255.255.255')).toBe(false);
    expect(new CidrSet(['128.0.0.0/1']).contains('200.0.0.1')).toBe(true);
  });

  it('matches IPv6 prefixes, including /0 and /128', () => {
    const set = new CidrSet(['fe80::/10', 'fc00::/7', '2001:db8::1/128']);
    expect(set.contains('fe80::1')).toBe(true);
    expect(set.contains('febf:ffff::1')).toBe(true);
    expect(set.contains('fec0::1')).toBe(false);
    expect(set.contains('fd12:3456::1')).toBe(true);
    expect(set.contains('2001:db8::1')).toBe(true);
    expect(set.contains('2001:db8::2')).toBe(false);
    expect(set.contains('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe(true);
    expect(set.contains('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(false);
    expect(new CidrSet(['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128']).contains('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(true);
    const all = new CidrSet(['::/0']);
    expect(all.contains('2001:db8::1')).toBe(true);
    expect(all.contains('::')).toBe(true);
  });

  it('strips the %zone that link-local peers carry', () => {
    expect(new CidrSet(['fe80::/10']).contains('fe80::1%eth0')).toBe(true);
  });

  it('tests IPv4-mapped IPv6 clients as IPv4', () => {
    const set = new CidrSet(['10.0.0.0/8']);
    expect(set.contains('::ffff:10.1.2.3')).toBe(true);
    expect(set.contains('::ffff:a01:203')).toBe(true);
    expect(set.contains('::FFFF:10.1.2.3')).toBe(true);
    expect(set.contains('::ffff:11.1.2.3')).toBe(false);
    // ::10.1.2.3 (IPv4-compatible, deprecated) is not a mapped address.
    expect(set.contains('::10.1.2.3')).toBe(false);
  });

  it('mirrors IPv6 prefixes over mapped space into IPv4', () => {
    const mapped = new CidrSet(['::ffff:10.0.0.0/104']);
    expect(mapped.contains('10.9.9.9')).toBe(true);
    expect(mapped.contains('::ffff:10.9.9.9')).toBe(true);
    expect(mapped.contains('11.0.0.1')).toBe(false);
    expect(new CidrSet(['::/0']).contains('8.8.8.8')).toBe(true);
    expect(new CidrSet(['::ffff:0:0/96']).contains('8.8.8.8')).toBe(true);
    expect(new CidrSet(['2001:db8::/32']).contains('8.8.8.8')).toBe(false);
    expect(new CidrSet(['::1/128']).contains('0.0.0.1')).toBe(false);
  });

  it('returns false for anything that is not an address', () => {
    const set = new CidrSet(['0.0.0.0/0', '::/0']);
    for (const bad of ['', 'x', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1..2.3', ':::', '1::2::3', 'g::1', '1:2:3:4:5:6:7:8:9', '::1:']) {
      expect(set.contains(bad), bad).toBe(false);
    }
  });

  it('DEFAULT_RECURSION_ALLOW admits loopback and private ranges only', () => {
    const set = new CidrSet(DEFAULT_RECURSION_ALLOW);
    for (const ip of ['127.0.0.1', '::1', '10.1.2.3', '172.20.0.1', '192.168.1.23', '100.64.0.1', 'fd00::1', 'fe80::1%en0', '::ffff:192.168.1.23']) {
      expect(set.contains(ip), ip).toBe(true);
    }
    for (const ip of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8', '::']) {
      expect(set.contains(ip), ip).toBe(false);
    }
  });

  it('rejects a bad prefix when built', () => {
    expect(() => new CidrSet(['10.0.0.0/8', '10.0.0.0/33'])).toThrow('bad CIDR "10.0.0.0/33"');
  });

  it('agrees with a BigInt reference on random addresses and prefixes', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const v6Text = (g: number[]): string => g.map((x) => x.toString(16)).join(':');
    const toBig = (g: number[]): bigint => g.reduce((acc, x) => (acc << 16n) | BigInt(x), 0n);
    for (let round = 0; round < 200; round++) {
      const base = Array.from({ length: 8 }, () => rand(0x10000));
      const prefix = rand(129);
      const set = new CidrSet([`${v6Text(base)}/${prefix}`]);
      const mask = prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n);
      for (let k = 0; k < 20; k++) {
        // Flip a few low groups so that both inside and outside cases occur.
        const probe = base.map((x, i) => (i >= 8 - rand(9) ? rand(0x10000) : x));
        const want = (toBig(probe) & mask) === (toBig(base) & mask);
        const isMapped = probe.slice(0, 5).every((x) => x === 0) && probe[5] === 0xffff;
        if (!isMapped) expect(set.contains(v6Text(probe))).toBe(want);
      }
      const v4 = [rand(256), rand(256), rand(256), rand(256)];
      const p4 = rand(33);
      const set4 = new CidrSet([`${v4.join('.')}/${p4}`]);
      const probe4 = v4.map((x, i) => (i >= 4 - rand(5) ? rand(256) : x));
      const n = (a: number[]): bigint => a.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
      const m4 = p4 === 0 ? 0n : 0xffffffffn ^ ((1n << BigInt(32 - p4)) - 1n);
      expect(set4.contains(probe4.join('.'))).toBe((n(probe4) & m4) === (n(v4) & m4));
    }
  });
});

describe('address parsers', () => {
  it('parseIPv4 gives an unsigned 32-bit value or -1', () => {
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIPv4('0.0.0.0')).toBe(0);
    expect(parseIPv4('1.2.3.4')).toBe(0x01020304);
    expect(parseIPv4('1.2.3.4 ')).toBe(-1);
  });

  it('parseIPv6Into expands :: and dotted tails', () => {
    const g = new Uint16Array(8);
    expect(parseIPv6Into('1::', g)).toBe(true);
    expect([...g]).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6Into('1:2::7:8', g)).toBe(true);
    expect([...g]).toEqual([1, 2, 0, 0, 0, 0, 7, 8]);
    expect(parseIPv6Into('::ffff:1.2.3.4', g)).toBe(true);
    expect([...g]).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(parseIPv6Into('1:2:3:4:5:6:7::', g)).toBe(true);
    expect(parseIPv6Into('1:2:3:4:5:6:7:8::', g)).toBe(false);
    expect(parseIPv6Into('1:2:3:4:5:6:1.2.3.4', g)).toBe(true);
    expect(parseIPv6Into('1:2:3:4:5:6:7:1.2.3.4', g)).toBe(false);
    expect(parseIPv6Into('12345::', g)).toBe(false);
  });
});
