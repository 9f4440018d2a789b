// The catcher's configuration: `catcher:` in the file, `--catcher HOST:PORT` on the command line,
// its paths relative to the file, and the problems an admin can make.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { overridesFrom } from '../../src/cli/overrides.js';

const dir = mkdtempSync(join(tmpdir(), 'sinkd-catcher-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const resolvConfPath = join(dir, 'resolv.conf');
writeFileSync(resolvConfPath, 'nameserver 192.0.2.1\n');
const load = (yaml: string | null, flags: Parameters<typeof overridesFrom>[0] = {}) => {
  const file = join(dir, 'sinkd.yaml');
  if (yaml !== null) writeFileSync(file, yaml);
  return loadConfig({ ...overridesFrom(flags, {}), ...(yaml === null ? {} : { config: file }) }, { cwd: dir, resolvConfPath });
};
const problems = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return '';
};

describe('catcher config', () => {
  it('is off by default', () => {
    expect(load(null).catcher).toEqual({ listen: [], maxBytes: 8192, timeoutMs: 5000, maxConnections: 1024, maxConnectionsPerClient: 16, signatures: [] });
  });

  it('takes --catcher (repeatable) over the file, and signature paths relative to the file', () => {
    const fromFile = load('catcher: { listen: ["192.0.2.66:80"], signatures: [my-sigs.yaml] }\n');
    expect(fromFile.catcher.listen).toEqual([{ host: '192.0.2.66', port: 80 }]);
    expect(fromFile.catcher.signatures).toEqual([join(dir, 'my-sigs.yaml')]);
    const flagged = load('catcher: { listen: ["192.0.2.66:80"], timeoutMs: 2000 }\n', { catcher: ['127.0.0.1:8080', '[::1]:8443'] });
    expect(flagged.catcher.listen).toEqual([
      { host: '127.0.0.1', port: 8080 },
      { host: '::1', port: 8443 },
    ]);
    expect(flagged.catcher.timeoutMs).toBe(2000);
  });

  it('wants the port, no duplicates, and sane limits, each problem where it was made', () => {
    expect(problems(() => load(null, { catcher: ['192.0.2.66'] }))).toMatch(/^--catcher: bad address "192\.0\.2\.66": give the port/);
    const msg = problems(() => load('catcher:\n  listen: ["192.0.2.66:80", "192.0.2.66:80"]\n  maxBytes: 10\n'));
    expect(msg).toContain('sinkd.yaml:2: catcher.listen[1]: same address as catcher.listen[0]');
    expect(msg).toContain('sinkd.yaml:3: catcher.maxBytes: must be a whole number from 512 to 1048576');
    const limits = problems(() => load('catcher:\n  maxConnections: 4\n  maxConnectionsPerClient: 8\n'));
    expect(limits).toMatch(/sinkd\.yaml:3: catcher\.maxConnectionsPerClient: must not exceed catcher\.maxConnections \(4\)/);
  });
});
