import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryHitStore } from '../../src/infected/memory-hit-store.js';
import type { Hit } from '../../src/infected/model.js';

const hit = (qname: string, time: number): Hit => ({ time, client: '192.168.1.9', qname, qtype: 'A', rule: qname, source: 't', transport: 'udp' });

describe('MemoryHitStore', () => {
  it('counts names such as __proto__ and constructor like any other, also after a save and reload', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sinkd-hits-')), 'hits.json');
    const now = Date.now();
    const store = new MemoryHitStore(path, 86_400_000, 0);
    await store.add([hit('__proto__', now), hit('__proto__', now), hit('constructor', now), hit('evil.example', now)]);
    await store.close();
    for (const s of [store, new MemoryHitStore(path, 86_400_000, 0)]) {
      const [c] = await s.clients({ since: null });
      expect(c!.names.map((n) => [n.name, n.hits]).sort()).toEqual([['__proto__', 2], ['constructor', 1], ['evil.example', 1]]);
    }
    expect(({} as Record<string, unknown>).hits).toBeUndefined();
  });
});
