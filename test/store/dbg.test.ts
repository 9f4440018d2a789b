import { it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '../../src/store/file-store.js';
it('dbg', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'x-'));
  const s = new FileStore(join(dir, 's.jsonl'));
  const n = 120_000;
  let t = Date.now();
  await s.replaceSource('bulk', Array.from({ length: n }, (_, i) => ({ name: `h${i}.ddns.net`, kind: 'block' as const, source: 'bulk' })));
  console.log('import', Date.now() - t); t = Date.now();
  const r = new FileStore(join(dir, 's.jsonl'));
  console.log((await r.stats()).total, 'read', Date.now() - t);
}, 60000);
