// Where the embedded store lives by default: the user's state directory, never the package.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultStorePath, LEGACY_STORE_PATH } from '../../src/config/default-store-path.js';
import { PACKAGE_ROOT } from '../../src/config/defaults.js';
import { loadConfig } from '../../src/config/load.js';

describe('the embedded store\'s default location', () => {
  it('is $STATE_DIRECTORY, /var/lib/sinkd for root, else $XDG_STATE_HOME/sinkd or ~/.local/state/sinkd', () => {
    expect(defaultStorePath({ STATE_DIRECTORY: '/var/lib/sinkd-x:/other', HOME: '/home/u' }, 1000)).toBe('/var/lib/sinkd-x/blocklist-store.jsonl');
    expect(defaultStorePath({ HOME: '/root' }, 0)).toBe('/var/lib/sinkd/blocklist-store.jsonl');
    expect(defaultStorePath({ HOME: '/home/u', XDG_STATE_HOME: '/home/u/.state' }, 1000)).toBe('/home/u/.state/sinkd/blocklist-store.jsonl');
    expect(defaultStorePath({ HOME: '/home/u', XDG_STATE_HOME: 'relative' }, 1000)).toBe('/home/u/.local/state/sinkd/blocklist-store.jsonl');
    expect(defaultStorePath({ HOME: '/home/u' }, 1000)).toBe('/home/u/.local/state/sinkd/blocklist-store.jsonl');
  });

  it('is what a config without store.path gets, whatever the working directory, and not inside the package', () => {
    const env = { HOME: '/home/u' };
    const cwd = mkdtempSync(join(tmpdir(), 'sinkd-cwd-'));
    const config = loadConfig({ upstream: ['192.0.2.1'] }, { cwd, env });
    expect(config.store.path).toBe(defaultStorePath(env));
    expect(config.store.path.startsWith(PACKAGE_ROOT)).toBe(false);
    expect(LEGACY_STORE_PATH.startsWith(PACKAGE_ROOT)).toBe(true);
  });

  it('an explicit store.path still works, relative to the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sinkd-cfg-'));
    writeFileSync(join(dir, 'sinkd.yaml'), 'upstreams: ["192.0.2.1"]\nstore: { path: data/my-store.jsonl }\n');
    expect(loadConfig({ config: join(dir, 'sinkd.yaml') }, { env: { HOME: '/home/u' } }).store.path).toBe(join(dir, 'data/my-store.jsonl'));
  });
});
