import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type CliOverrides } from '../../src/config/load.js';

let dir: string;
let resolvConfPath: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sinkd-config-'));
  resolvConfPath = join(dir, 'resolv.conf');
  writeFileSync(resolvConfPath, 'nameserver 192.0.2.1\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `yaml` as <dir>/<name> and loads it with `flags`, cwd = dir. */
function load(yaml: string | null, flags: CliOverrides = {}, name = 'sinkd.yaml') {
  if (yaml !== null) {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, yaml);
    flags = { config: name, ...flags };
  }
  return loadConfig(flags, { cwd: dir, resolvConfPath });
}

/** The problems a failing load reports. */
function problems(yaml: string | null, flags: CliOverrides = {}): string[] {
  try {
    load(yaml, flags);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.message).toBe(e.problems.join('\n'));
    return [...e.problems];
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: the file', () => {
  it('overrides defaults key by key and replaces lists', () => {
    const cfg = load('listen: ["10.0.0.1:53", "[::1]"]\ncache: { maxTtl: 600 }\nacl: { allow: [192.168.1.0/24] }\n');
    expect(cfg.listen).toEqual([{ host: '10.0.0.1', port: 53 }, { host: '::1', port: 53 }]);
    expect(cfg.cache.maxTtl).toBe(600);
    expect(cfg.cache.maxEntries).toBe(100_000);
    expect(cfg.acl.allow).toEqual(['192.168.1.0/24']);
    expect(cfg.configFile).toBe(join(dir, 'sinkd.yaml'));
  });

  it('accepts an empty file as all defaults', () => {
    expect(load('# nothing\n').sinkhole).toEqual({ mode: 'sinkhole', ipv4: '0.0.0.0', ipv6: '::', ttl: 60 });
  });

  it('resolves list paths against the config file directory, whatever the cwd', () => {
    const cfg = load(
      [
        'blocklists:',
        '  - lists/c2.txt',
        '  - { path: ../shared/njrat.hosts, format: hosts, family: njrat }',
        '  - { path: /abs/x.txt, source: my-feed }',
        'allowlists: [ok.txt]',
      ].join('\n'),
      {},
      'etc/sinkd/sinkd.yaml',
    );
    expect(cfg.blocklists).toEqual([
      { path: join(dir, 'etc/sinkd/lists/c2.txt'), format: 'auto', source: 'c2' },
      { path: join(dir, 'etc/shared/njrat.hosts'), format: 'hosts', source: 'njrat', family: 'njrat' },
      { path: '/abs/x.txt', format: 'auto', source: 'my-feed' },
    ]);
    expect(cfg.allowlists).toEqual([{ path: join(dir, 'etc/sinkd/ok.txt'), format: 'auto', source: 'ok' }]);
  });

  it('parses seized zones', () => {
    const cfg = load(
      [
        'zones:',
        '  - name: No-IP.info.',
        '    nameservers: ["192.0.2.53"]',
        '    soa: { mname: ns1.sinkhole.example., rname: hostmaster.sinkhole.example., serial: 2014063001, refresh: 3600, retry: 600, expire: 604800, minimum: 60 }',
        '    ns: [ns1.sinkhole.example., ns2.sinkhole.example.]',
        '    sinkhole: { ipv4: 192.0.2.66, ipv6: "2001:db8::66" }',
      ].join('\n'),
    );
    expect(cfg.zones).toHaveLength(1);
    expect(cfg.zones[0]!.name).toBe('no-ip.info');
    expect(cfg.zones[0]!.nameservers).toEqual([{ host: '192.0.2.53', port: 53 }]);
    expect(cfg.zones[0]!.soa.serial).toBe(2014063001);
  });

  it('returns a deeply frozen object', () => {
    const cfg = load(null);
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.cache)).toBe(true);
    expect(Object.isFrozen(cfg.listen[0])).toBe(true);
    expect(() => {
      (cfg.listen as unknown[]).push({});
    }).toThrow();
  });
});

describe('loadConfig: flags', () => {
  it('override the file, which overrides the defaults', () => {
    const yaml = [
      'listen: ["10.0.0.1:53"]',
      'upstreams: ["9.9.9.9"]',
      'blocklists: [from-file.txt]',
      'sinkhole: { ipv4: 192.0.2.1, ttl: 5 }',
      'log: { level: warn }',
    ].join('\n');
    const cfg = load(yaml, {
      listen: ['127.0.0.1:5300', '[::1]:5300'],
      upstream: ['1.1.1.1:5353'],
      blocklist: ['mine.txt'],
      sinkholeIpv4: '192.0.2.99',
      sinkholeIpv6: '2001:db8::99',
      logLevel: 'debug',
    });
    expect(cfg.listen).toEqual([{ host: '127.0.0.1', port: 5300 }, { host: '::1', port: 5300 }]);
    expect(cfg.upstreams).toEqual([{ host: '1.1.1.1', port: 5353 }]);
    expect(cfg.blocklists).toEqual([{ path: join(dir, 'mine.txt'), format: 'auto', source: 'mine' }]);
    // The file's ttl survives: objects merge key by key.
    expect(cfg.sinkhole).toEqual({ mode: 'sinkhole', ipv4: '192.0.2.99', ipv6: '2001:db8::99', ttl: 5 });
    expect(cfg.log.level).toBe('debug');
  });

  it('resolve --blocklist against the cwd, not the config file', () => {
    const cfg = load('{}', { blocklist: ['lists/a.txt'] }, 'conf/sinkd.yaml');
    expect(cfg.blocklists[0]!.path).toBe(join(dir, 'lists/a.txt'));
  });

  it('leave the file alone when empty', () => {
    const cfg = load('listen: ["10.0.0.1:53"]', { listen: [], blocklist: [] });
    expect(cfg.listen).toEqual([{ host: '10.0.0.1', port: 53 }]);
    expect(cfg.blocklists[0]!.source).toBe('ddns-malware-sample');
  });

  it('are validated too, and reported by flag name', () => {
    expect(problems(null, { listen: ['127.0.0.1:5353', 'x'], sinkholeIpv6: '1.2.3.4', logLevel: 'loud' })).toEqual([
      '--listen: bad address "x": not an IP address (hostnames are not allowed; use IPv4, IPv4:PORT, IPv6 or [IPv6]:PORT)',
      '--sinkhole-ipv6: must be an IPv6 address such as ::',
      '--log-level: must be one of fatal, error, warn, info, debug, trace, silent',
    ]);
    expect(problems(null, { upstream: ['dns.google'] })[0]).toMatch(/^--upstream: bad address "dns.google"/);
  });
});

describe('loadConfig: upstreams from resolv.conf', () => {
  it('fills empty upstreams from resolv.conf, skipping sinkd own listen address', () => {
    writeFileSync(resolvConfPath, 'nameserver 127.0.0.1\nnameserver 192.168.1.1\nnameserver ::1\n');
    expect(load(null, { listen: ['127.0.0.1:53', '[::1]:5353'] }).upstreams).toEqual([
      { host: '192.168.1.1', port: 53 },
      { host: '::1', port: 53 },
    ]);
    // On another port, 127.0.0.1:53 is someone else: keep it.
    expect(load(null).upstreams.map((e) => e.host)).toEqual(['127.0.0.1', '192.168.1.1', '::1']);
  });

  it('leaves configured upstreams alone', () => {
    expect(load('upstreams: ["[2620:fe::fe]:53"]').upstreams).toEqual([{ host: '2620:fe::fe', port: 53 }]);
  });

  it('gives no upstreams when resolv.conf is missing', () => {
    rmSync(resolvConfPath);
    expect(load(null).upstreams).toEqual([]);
  });
});

describe('loadConfig: errors', () => {
  it('names an unknown key by its path and line', () => {
    expect(problems('cache:\n  maxTTL: 60\n')).toEqual([
      'sinkd.yaml:2: cache.maxTTL: unknown key; expected one of: maxEntries, maxBytes, minTtl, maxTtl, maxNegativeTtl, staleAnswerTtl, maxStale',
    ]);
    expect(problems('lisen: ["127.0.0.1"]\n')[0]).toMatch(/^sinkd\.yaml:1: lisen: unknown key; expected one of: listen, workers, upstreams, /);
    expect(problems('blocklists: [{ path: a.txt, fromat: hosts }]\n')[0]).toMatch(
      /^sinkd\.yaml:1: blocklists\[0\]\.fromat: unknown key; expected one of: path, url, format, source, family, refreshSeconds$/,
    );
    expect(problems('__proto__: { x: 1 }\n')[0]).toMatch(/__proto__: unknown key/);
  });

  it('reports a bad address with its list index', () => {
    expect(problems('listen:\n  - 127.0.0.1:53\n  - 127.0.0.1:99999\n')).toEqual([
      'sinkd.yaml:3: listen[1]: bad address "127.0.0.1:99999": port must be 1-65535',
    ]);
  });

  it('reports a bad CIDR', () => {
    expect(problems('acl: { allow: [10.0.0.0/8, 10.0.0.0/33] }')).toEqual([
      'sinkd.yaml:1: acl.allow[1]: bad CIDR "10.0.0.0/33": prefix length must be 0-32',
    ]);
  });

  it('reports every problem together, one a line', () => {
    const yaml = [
      'listen: [localhost]',
      'upstream: { timeoutMs: -5 }',
      'sinkhole: { mode: refuse, ipv4: "::", ttl: 1.5 }',
      'cache: { maxBytes: "64MB" }',
      'tcp: { maxConnections: 0, idle: 1 }',
      'log: { level: verbose }',
      'allowlists: [42]',
    ].join('\n');
    expect(problems(yaml)).toEqual([
      expect.stringMatching(/^sinkd\.yaml:1: listen\[0\]: bad address "localhost": not an IP address/),
      'sinkd.yaml:2: upstream.timeoutMs: must be a whole number from 1 to 60000',
      'sinkd.yaml:7: allowlists[0]: must be a file path, or a mapping with keys: path, url, format, source, family, refreshSeconds',
      'sinkd.yaml:3: sinkhole.mode: must be sinkhole or nxdomain',
      'sinkd.yaml:3: sinkhole.ipv4: must be an IPv4 address such as 0.0.0.0',
      'sinkd.yaml:3: sinkhole.ttl: must be a whole number from 0 to 86400',
      'sinkd.yaml:4: cache.maxBytes: must be a whole number from 65536 to 68719476736',
      'sinkd.yaml:5: tcp.maxConnections: must be a whole number from 1 to 65535',
      'sinkd.yaml:5: tcp.idle: unknown key; expected one of: idleTimeoutMs, maxConnections, maxConnectionsPerClient, maxConnectionsPerPrefix',
      'sinkd.yaml:6: log.level: must be one of fatal, error, warn, info, debug, trace, silent',
    ]);
  });

  it('checks minTtl <= maxTtl', () => {
    expect(problems('cache: { minTtl: 600, maxTtl: 300 }')).toEqual([
      'sinkd.yaml:1: cache.minTtl: must not exceed cache.maxTtl (300)',
    ]);
  });

  it('says how to write an empty list when a key has no value', () => {
    expect(problems('blocklists:\n#  - a.txt\n')).toEqual(['sinkd.yaml:1: blocklists: has no value; write [] for an empty list']);
    expect(problems('cache:\n')[0]).toMatch(/^sinkd\.yaml:1: cache: has no value; give \{ maxEntries, /);
  });

  it('rejects duplicate listeners and zones', () => {
    expect(problems('listen: ["127.0.0.1:53", "127.0.0.1"]')).toEqual(['sinkd.yaml:1: listen[1]: same address as listen[0]']);
    const zone = (name: string): string =>
      `  - { name: ${name}, nameservers: [192.0.2.53], ns: [ns1.example.], soa: { mname: ns1.example., rname: h.example., serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 } }`;
    expect(problems(['zones:', zone('no-ip.biz'), zone('NO-IP.biz.')].join('\n'))).toEqual([
      'sinkd.yaml:3: zones[1].name: zone no-ip.biz is listed twice',
    ]);
  });

  it('reports YAML syntax errors with file and line', () => {
    const got = problems('listen: ["127.0.0.1:53"\ncache:\n  maxTtl: 5\n');
    expect(got.length).toBeGreaterThan(0);
    expect(got[0]).toMatch(/^sinkd\.yaml:\d+:\d+: YAML syntax error: /);
    expect(problems('log:\n  level: info\n  level: warn\n')).toEqual([
      'sinkd.yaml:3:3: YAML syntax error: Map keys must be unique',
    ]);
  });

  it('rejects a file whose top level is not a mapping', () => {
    expect(problems('- 127.0.0.1\n')).toEqual(['sinkd.yaml:1: the top level must be a mapping of settings (key: value), not a list']);
  });

  it('says when --config cannot be read', () => {
    expect(problems(null, { config: 'missing.yaml' })).toEqual(['cannot read config missing.yaml: no such file']);
    expect(problems(null, { config: join(dir, 'missing.yaml') })).toEqual([`cannot read config ${join(dir, 'missing.yaml')}: no such file`]);
  });

  it('reports flag and file problems together', () => {
    expect(problems('cache: { maxTtl: -1 }', { listen: ['[::1]:0'] })).toEqual([
      '--listen: bad address "[::1]:0": port must be 1-65535',
      'sinkd.yaml:1: cache.maxTtl: must be a whole number from 0 to 604800',
    ]);
  });
});

describe('loadConfig: cross-field rules', () => {
  it('are skipped while a field is itself invalid, and blamed on the file that set either field', () => {
    expect(problems('cache: { maxTtl: -1 }')).toEqual(['sinkd.yaml:1: cache.maxTtl: must be a whole number from 0 to 604800']);
    expect(problems('cache:\n  minTtl: 90000\n')).toEqual(['sinkd.yaml:2: cache.minTtl: must be a whole number from 0 to 86400']);
  });
});
