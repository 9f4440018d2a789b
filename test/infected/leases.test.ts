import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addressKey,
  detectLeaseFormat,
  LeaseIndex,
  loadLeaseFile,
  macFromDuid,
  normalizeMac,
  parseDnsmasq,
  parseIsc,
  parseIscDate,
  parseKea,
  type Lease,
} from '../../src/infected/leases/index.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const utc = (iso: string): number => Date.parse(iso);

describe('normalizeMac', () => {
  it('reads the usual spellings as lowercase colon-separated octets', () => {
    expect(normalizeMac('00:11:22:AA:BB:CC')).toBe('00:11:22:aa:bb:cc');
    expect(normalizeMac('0:1b:21:a:b:c')).toBe('00:1b:21:0a:0b:0c');
    expect(normalizeMac('00-11-22-aa-bb-cc')).toBe('00:11:22:aa:bb:cc');
    expect(normalizeMac('0011.22aa.bbcc')).toBe('00:11:22:aa:bb:cc');
    expect(normalizeMac('001122AABBCC')).toBe('00:11:22:aa:bb:cc');
  });

  it('refuses what is not a hardware address', () => {
    for (const bad of ['', '*', 'laptop', '00:11:22:33:44:5g', '00:11-22:33', '0011.22aa.bbc', '00112', '001:22:33']) {
      expect(normalizeMac(bad), bad).toBeUndefined();
    }
  });
});

describe('macFromDuid', () => {
  it('takes the Ethernet address out of DUID-LLT and DUID-LL', () => {
    expect(macFromDuid('00:01:00:01:2a:b3:c4:d5:00:11:22:33:44:55')).toBe('00:11:22:33:44:55');
    expect(macFromDuid('00:03:00:01:00:11:22:33:44:55')).toBe('00:11:22:33:44:55');
  });

  it('finds none in DUID-EN, DUID-UUID or a non-Ethernet link layer', () => {
    expect(macFromDuid('00:02:00:00:09:bf:11:9a:5c:4d:be:11')).toBeUndefined();
    expect(macFromDuid('00:04:5a:9c:1f:3b:7e:42:4c:a1:9f:0d:6e:2b:8c:41:d3:77')).toBeUndefined();
    expect(macFromDuid('00:03:00:20:00:11:22:33:44:55')).toBeUndefined();
    expect(macFromDuid('*')).toBeUndefined();
  });
});

describe('addressKey', () => {
  it('makes spellings of one address meet', () => {
    expect(addressKey('192.168.1.23')).toBe('192.168.1.23');
    expect(addressKey('::ffff:192.168.1.23')).toBe('192.168.1.23');
    expect(addressKey('2001:DB8:1::23')).toBe(addressKey('2001:0db8:0001:0000:0000:0000:0000:0023'));
    expect(addressKey('fe80::1%eth0')).toBe(addressKey('fe80::1'));
    expect(addressKey('laptop')).toBeUndefined();
    expect(addressKey('192.168.1.300')).toBeUndefined();
  });
});

describe('parseDnsmasq', () => {
  const leases = parseDnsmasq(fixture('dnsmasq.leases'));
  const byIp = (ip: string): Lease | undefined => leases.find((l) => l.ip === ip);

  it('reads IPv4 lines: expiry, MAC, address, hostname', () => {
    expect(byIp('192.168.1.23')).toEqual({ ip: '192.168.1.23', mac: '00:11:22:33:44:55', hostname: 'laptop', end: 1795039200_000 });
    expect(byIp('192.168.1.40')).toEqual({ ip: '192.168.1.40', mac: 'a4:5e:60:c1:d2:e3', end: 1795044600_000 });
  });

  it('reads expiry 0 as an infinite lease', () => {
    expect(byIp('192.168.1.50')).toEqual({ ip: '192.168.1.50', mac: '00:50:56:aa:bb:cc', hostname: 'nas' });
  });

  it('drops the hardware-type prefix of a non-Ethernet address', () => {
    expect(byIp('192.168.1.60')?.mac).toBe('80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:bc:de');
  });

  it('reads IPv6 lines after the duid line: the IAID is not a MAC, the client DUID may hold one', () => {
    expect(byIp('2001:db8:1::23')).toEqual({ ip: '2001:db8:1::23', mac: '00:11:22:33:44:55', hostname: 'laptop', end: 1795039200_000 });
    // DUID-UUID, but a hostname: kept without a MAC.
    expect(byIp('2001:db8:1::88')).toEqual({ ip: '2001:db8:1::88', mac: '', hostname: 'phone', end: 1795039500_000 });
    // Temporary address, DUID-EN, no hostname: nothing to identify.
    expect(byIp('2001:db8:1::77')).toBeUndefined();
    expect(leases).toHaveLength(6);
  });

  it('skips junk lines and reads lease lengths (HAVE_BROKEN_RTC) as no end', () => {
    const text = ['garbage', '', '1795039200 not-a-mac 192.168.1.2 x *', '1795039200 00:11:22:33:44:55 nope x *', '43200 00:11:22:33:44:66 192.168.1.3 pc *'].join('\r\n');
    expect(parseDnsmasq(text)).toEqual([{ ip: '192.168.1.3', mac: '00:11:22:33:44:66', hostname: 'pc' }]);
  });

  it('reads an empty file (no leases yet) as no leases', () => {
    expect(parseDnsmasq('')).toEqual([]);
  });
});

describe('parseIscDate', () => {
  it('reads the three date forms', () => {
    expect(parseIscDate(['3', '2026/11/18', '10:00:00'])).toBe(utc('2026-11-18T10:00:00Z'));
    expect(parseIscDate(['epoch', '1794996000'])).toBe(1794996000_000);
    expect(parseIscDate(['never'])).toBeUndefined();
    expect(parseIscDate(['3', '2026-11-18', '10:00'])).toBeUndefined();
  });
});

describe('parseIsc', () => {
  const leases = parseIsc(fixture('dhcpd.leases'));

  it('reads every lease block, keeping the history of an address in file order', () => {
    expect(leases.map((l) => l.ip)).toEqual(['192.168.1.23', '192.168.1.23', '192.168.1.40', '192.168.1.50']);
    expect(leases[0]).toEqual({
      ip: '192.168.1.23',
      mac: '00:1b:21:0a:0b:0c',
      start: utc('2026-11-17T08:00:00Z'),
      end: utc('2026-11-17T20:00:00Z'),
    });
    expect(leases[1]).toEqual({
      ip: '192.168.1.23',
      mac: '00:11:22:33:44:55',
      hostname: 'laptop',
      start: utc('2026-11-18T10:00:00Z'),
      end: utc('2026-11-18T22:00:00Z'),
    });
  });

  it('keeps braces, semicolons and "#" inside strings, and skips nested on-blocks', () => {
    expect(leases[2]).toEqual({
      ip: '192.168.1.40',
      mac: 'a4:5e:60:c1:d2:e3',
      hostname: 'odd{name};#not a comment',
      start: utc('2026-11-18T11:30:00Z'),
      end: utc('2026-11-18T23:30:00Z'),
    });
  });

  it('reads epoch dates and "never", and takes ddns-fwd-name when there is no client-hostname', () => {
    expect(leases[3]).toEqual({ ip: '192.168.1.50', mac: '00:50:56:aa:bb:cc', hostname: 'nas.example.org', start: 1794996000_000 });
  });

  it('skips leases with no hardware address or hostname, host declarations and ia-na blocks', () => {
    expect(leases.find((l) => l.ip === '192.168.1.99')).toBeUndefined();
    expect(leases.find((l) => l.ip === '192.168.1.5')).toBeUndefined();
    expect(leases.find((l) => l.ip.includes(':'))).toBeUndefined();
  });

  it('ignores unknown statements, including ones with odd tokens, and a block cut off mid-write', () => {
    const text = `
lease 10.0.0.7 {
  starts 4 2026/11/19 01:02:03; ends 4 2026/11/19 13:02:03;
  option agent.circuit-id 0:1:2:3;
  some-future-statement "x" { nested; } 
  hardware ethernet 52:54:00:12:34:56;
  uid 01:52:54:00:12:34:56;
}
lease 10.0.0.8 {
  starts 4 2026/11/19 01:02:03;
  hardware ethernet 52:54:00:12:34:57;
  client-hostname "half`;
    expect(parseIsc(text)).toEqual([
      { ip: '10.0.0.7', mac: '52:54:00:12:34:56', start: utc('2026-11-19T01:02:03Z'), end: utc('2026-11-19T13:02:03Z') },
      { ip: '10.0.0.8', mac: '52:54:00:12:34:57', hostname: 'half', start: utc('2026-11-19T01:02:03Z') },
    ]);
  });

  it('decodes string escapes', () => {
    const text = 'lease 10.0.0.9 { hardware ethernet 52:54:00:00:00:09; client-hostname "a\\"b\\\\c\\101"; }';
    expect(parseIsc(text)[0]?.hostname).toBe('a"b\\cA');
  });
});

describe('parseKea', () => {
  it('reads kea-leases4.csv by header names, keeping renewals as history', () => {
    const leases = parseKea(fixture('kea-leases4.csv'));
    expect(leases.filter((l) => l.ip === '192.168.1.23')).toEqual([
      { ip: '192.168.1.23', mac: '00:11:22:33:44:55', hostname: 'laptop.example.org', start: (1795039200 - 43200) * 1000, end: 1795039200_000 },
      { ip: '192.168.1.23', mac: '00:11:22:33:44:55', hostname: 'laptop.example.org', start: (1795042800 - 43200) * 1000, end: 1795042800_000 },
    ]);
  });

  it('unescapes "&#x2c" in fields', () => {
    const leases = parseKea(fixture('kea-leases4.csv'));
    expect(leases.find((l) => l.ip === '192.168.1.40')?.hostname).toBe('smith, john');
  });

  it('skips declined leases and deletion rows, keeps expired-reclaimed ones', () => {
    const leases = parseKea(fixture('kea-leases4.csv'));
    expect(leases.find((l) => l.ip === '192.168.1.41')).toBeUndefined();
    expect(leases.filter((l) => l.ip === '192.168.1.42')).toEqual([
      { ip: '192.168.1.42', mac: 'de:ad:be:ef:00:42', hostname: 'old-host', start: (1794945600 - 43200) * 1000, end: 1794945600_000 },
    ]);
  });

  it('reads valid_lifetime 4294967295 as an infinite lease', () => {
    const leases = parseKea(fixture('kea-leases4.csv'));
    expect(leases.find((l) => l.ip === '192.168.1.50')).toEqual({ ip: '192.168.1.50', mac: '00:50:56:aa:bb:cc', hostname: 'nas', start: 1794996000_000 });
  });

  it('reads kea-leases6.csv: MAC from hwaddr or the DUID, prefix delegations skipped', () => {
    expect(parseKea(fixture('kea-leases6.csv'))).toEqual([
      { ip: '2001:db8:1::23', mac: '00:11:22:33:44:55', hostname: 'laptop.example.org', start: (1795039200 - 43200) * 1000, end: 1795039200_000 },
      { ip: '2001:db8:1::78', mac: '52:54:00:ab:cd:ef', start: (1795039200 - 43200) * 1000, end: 1795039200_000 },
    ]);
  });

  it('reads older files with fewer columns, RFC 4180 quoted fields, and skips bad rows', () => {
    const text = [
      'address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname',
      '10.0.0.1,52:54:00:00:00:01,,3600,1795000000,1,0,0,"quoted, ""host"""',
      '10.0.0.2,52:54:00:00:00:02,,3600,1795000000,1,0,0',
      '10.0.0.x,52:54:00:00:00:03,,3600,1795000000,1,0,0,bad-address',
      '10.0.0.4,52:54:00:00:00:04,,soon,1795000000,1,0,0,bad-lifetime',
      '',
    ].join('\r\n');
    expect(parseKea(text)).toEqual([
      { ip: '10.0.0.1', mac: '52:54:00:00:00:01', hostname: 'quoted, "host"', start: 1794996400_000, end: 1795000000_000 },
    ]);
  });

  it('throws on a file with no Kea header', () => {
    expect(() => parseKea('192.168.1.23,00:11:22:33:44:55')).toThrow(/not a Kea lease file/);
  });
});

describe('detectLeaseFormat', () => {
  it('tells the fixtures apart', () => {
    expect(detectLeaseFormat(fixture('dnsmasq.leases'))).toBe('dnsmasq');
    expect(detectLeaseFormat(fixture('dhcpd.leases'))).toBe('isc');
    expect(detectLeaseFormat(fixture('kea-leases4.csv'))).toBe('kea');
    expect(detectLeaseFormat(fixture('kea-leases6.csv'))).toBe('kea');
  });

  it('reads files with no leases yet', () => {
    expect(detectLeaseFormat('')).toBe('dnsmasq');
    expect(detectLeaseFormat('duid 00:01:00:01:2a:b3:c4:d5:52:54:00:12:34:56\n')).toBe('dnsmasq');
    expect(detectLeaseFormat('# The format of this file is documented in the dhcpd.leases(5) manual page.\n')).toBe('isc');
    expect(detectLeaseFormat('lease 10.0.0.1 {\n}\n')).toBe('isc');
  });

  it('throws on anything else', () => {
    expect(() => detectLeaseFormat('<html>\n')).toThrow(/not a dnsmasq, ISC dhcpd or Kea lease file/);
  });
});

describe('LeaseIndex', () => {
  const isc = new LeaseIndex(parseIsc(fixture('dhcpd.leases')), '/var/lib/dhcp/dhcpd.leases');

  it('finds the lease that held the address at the time', () => {
    expect(isc.identify('192.168.1.23', utc('2026-11-18T12:00:00Z'))).toEqual({
      mac: '00:11:22:33:44:55',
      hostname: 'laptop',
      leaseFile: '/var/lib/dhcp/dhcpd.leases',
    });
    expect(isc.identify('192.168.1.23', utc('2026-11-17T12:00:00Z'))).toEqual({
      mac: '00:1b:21:0a:0b:0c',
      leaseFile: '/var/lib/dhcp/dhcpd.leases',
    });
  });

  it('falls back to the last lease that started before, and to nothing before any lease', () => {
    // Between the two leases: the day-before holder is the last one known.
    expect(isc.identify('192.168.1.23', utc('2026-11-18T02:00:00Z'))?.mac).toBe('00:1b:21:0a:0b:0c');
    // After the latest lease ended.
    expect(isc.identify('192.168.1.23', utc('2026-11-20T00:00:00Z'))?.mac).toBe('00:11:22:33:44:55');
    expect(isc.identify('192.168.1.23', utc('2026-11-01T00:00:00Z'))).toBeUndefined();
    expect(isc.identify('192.168.1.77', utc('2026-11-18T12:00:00Z'))).toBeUndefined();
    expect(isc.identify('not an ip', 0)).toBeUndefined();
  });

  it('prefers the latest-starting of overlapping leases, then the later in the file', () => {
    const idx = new LeaseIndex([
      { ip: '10.0.0.1', mac: '52:54:00:00:00:01', start: 1000, end: 9000 },
      { ip: '10.0.0.1', mac: '52:54:00:00:00:02', start: 5000, end: 9000 },
      { ip: '10.0.0.1', mac: '52:54:00:00:00:03', start: 5000, end: 9000 },
    ]);
    expect(idx.identify('10.0.0.1', 6000)).toEqual({ mac: '52:54:00:00:00:03' });
    expect(idx.identify('10.0.0.1', 2000)).toEqual({ mac: '52:54:00:00:00:01' });
  });

  it('treats a missing start as "since ever" and a missing end as "for ever" (dnsmasq, infinite leases)', () => {
    const idx = new LeaseIndex(parseDnsmasq(fixture('dnsmasq.leases')), 'dnsmasq.leases');
    expect(idx.identify('192.168.1.23', 0)).toEqual({ mac: '00:11:22:33:44:55', hostname: 'laptop', leaseFile: 'dnsmasq.leases' });
    expect(idx.identify('192.168.1.50', utc('2099-01-01T00:00:00Z'))?.hostname).toBe('nas');
  });

  it('matches any spelling of the address and normalises MACs given by hand', () => {
    const idx = new LeaseIndex([
      { ip: '2001:DB8:1::23', mac: '00-11-22-AA-BB-CC', hostname: 'x' },
      { ip: '192.168.1.9', mac: '', hostname: 'no-mac' },
    ]);
    expect(idx.identify('2001:db8:1:0::23', 0)).toEqual({ mac: '00:11:22:aa:bb:cc', hostname: 'x' });
    expect(idx.identify('::ffff:192.168.1.9', 0)).toEqual({ hostname: 'no-mac' });
    expect(idx.size).toBe(2);
    expect(idx.leasesFor('192.168.1.9')).toHaveLength(1);
  });
});

describe('loadLeaseFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sinkd-leases-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('detects and loads each format', async () => {
    for (const name of ['dnsmasq.leases', 'dhcpd.leases', 'kea-leases4.csv', 'kea-leases6.csv']) {
      const idx = await loadLeaseFile(join(FIXTURES, name));
      expect(idx.size, name).toBeGreaterThan(0);
      expect(idx.file).toBe(join(FIXTURES, name));
    }
    const kea = await loadLeaseFile(join(FIXTURES, 'kea-leases4.csv'), 'kea');
    expect(kea.identify('192.168.1.40', 1795010000_000)).toMatchObject({ hostname: 'smith, john' });
  });

  it('loads an empty lease file as no leases', async () => {
    const p = join(dir, 'empty.leases');
    await writeFile(p, '');
    expect((await loadLeaseFile(p)).size).toBe(0);
    expect((await loadLeaseFile(p, 'isc')).size).toBe(0);
  });

  it('rejects with one line naming the file', async () => {
    const missing = join(dir, 'missing.leases');
    await expect(loadLeaseFile(missing)).rejects.toThrow(`cannot read lease file ${missing}: no such file`);
    await expect(loadLeaseFile(dir)).rejects.toThrow(`cannot read lease file ${dir}: is a directory`);

    const junk = join(dir, 'junk.txt');
    await writeFile(junk, 'hello world\nsecond line\n');
    const err = await loadLeaseFile(junk).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(new RegExp(`^lease file ${junk}: not a dnsmasq, ISC dhcpd or Kea lease file`));
    expect((err as Error).message).not.toContain('\n');
  });

  it('rejects a format that plainly does not match the file', async () => {
    const p = join(FIXTURES, 'dnsmasq.leases');
    await expect(loadLeaseFile(p, 'isc')).rejects.toThrow(`lease file ${p}: looks like a dnsmasq lease file, not isc`);
  });

  it.skipIf(process.getuid?.() === 0)('reports an unreadable file', async () => {
    const p = join(dir, 'secret.leases');
    await writeFile(p, '');
    await chmod(p, 0o000);
    await expect(loadLeaseFile(p)).rejects.toThrow(`cannot read lease file ${p}: permission denied`);
  });
});
