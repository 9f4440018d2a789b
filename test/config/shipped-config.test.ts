import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { PACKAGE_ROOT } from '../../src/config/defaults.js';

// config/sinkd.yaml is documentation and the built-in defaults at once; this keeps them in step.
const REPO = resolve(import.meta.dirname, '../..');
let empty: string;
let resolvConfPath: string;
beforeAll(() => {
  empty = mkdtempSync(join(tmpdir(), 'sinkd-shipped-'));
  resolvConfPath = join(empty, 'resolv.conf');
  writeFileSync(resolvConfPath, 'nameserver 192.0.2.1\n');
});
afterAll(() => rmSync(empty, { recursive: true, force: true }));

describe('shipped config/sinkd.yaml', () => {
  it('loads without errors', () => {
    expect(() => loadConfig({ config: join(REPO, 'config/sinkd.yaml') }, { resolvConfPath })).not.toThrow();
  });

  it('says exactly what the built-in defaults are', () => {
    const fromFile = loadConfig({ config: join(REPO, 'config/sinkd.yaml') }, { cwd: empty, resolvConfPath });
    const builtIn = loadConfig({}, { cwd: empty, resolvConfPath });
    expect(builtIn.configFile).toBeNull();
    expect(fromFile.configFile).toBe(join(REPO, 'config/sinkd.yaml'));
    expect({ ...fromFile, configFile: null }).toEqual(builtIn);
  });

  it('is found as ./config/sinkd.yaml without --config', () => {
    expect(loadConfig({}, { cwd: REPO, resolvConfPath }).configFile).toBe(join(REPO, 'config/sinkd.yaml'));
  });

  it('defaults point at the package own sample blocklist, whatever the cwd', () => {
    expect(PACKAGE_ROOT.replace(/\/$/, '')).toBe(REPO);
    const cfg = loadConfig({}, { cwd: empty, resolvConfPath });
    expect(cfg.blocklists).toEqual([
      { path: join(REPO, 'blocklists/ddns-malware-sample.txt'), format: 'auto', source: 'ddns-malware-sample' },
    ]);
    expect(cfg.listen).toEqual([{ host: '127.0.0.1', port: 5353 }]);
    expect(cfg.upstreams).toEqual([{ host: '192.0.2.1', port: 53 }]);
  });
});

describe('shipped config/seized-no-ip.yaml (the takedown starter)', () => {
  it('loads, names the 24 No-IP zones of 2014, and lets nobody recurse', () => {
    const cfg = loadConfig({ config: join(REPO, 'config/seized-no-ip.yaml') }, { cwd: empty, resolvConfPath });
    expect(cfg.zones.map((z) => z.name)).toContain('no-ip.biz');
    expect(cfg.zones).toHaveLength(24);
    expect(cfg.acl.allow).toEqual([]);
    expect(cfg.rrl.enabled).toBe(true);
    for (const z of cfg.zones) expect(z.nameservers.length).toBeGreaterThan(0);
  });
});
