// Black box: DNS answer times while the embedded hit store persists a large history. The data
// directory starts with 30 days of 300 hosts each beaconing every minute (what the store holds
// for them: the per-client bound merges old minutes into hours; a 17 MB hits.json of the earlier
// format, which the server migrates at start), then 300 hosts keep asking sinkholed names while
// the journal is compacted into a ~17 MB snapshot again and again. The worst answer time is
// printed (README, "Hit store figures"). The earlier store rewrote the whole file on the thread
// that answers DNS: answers stalled for about a second at this size.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { history, hostAddress, HOSTS } from '../helpers/hit-history.js';
import { dnsTimer } from '../helpers/dns-timer.js';
import { built, sinkdWorkspace, startServe, type SinkdProcess } from '../helpers/sinkd-process.js';

describe.skipIf(!built)('answer times while the hit store persists 30 days x 300 hosts', () => {
  let s: SinkdProcess | undefined;
  afterAll(async () => {
    await s?.kill('SIGKILL');
  });

  it('stay short: persistence never runs on the thread that answers DNS', async () => {
    const now = Date.now();
    // A small journal limit: the 17 MB snapshot is rewritten every few seconds during the run.
    const ws = await sinkdWorkspace({ yaml: ['infected: { flushIntervalMs: 100, journalMaxBytes: 262144 }', 'log: { level: info }'] });
    mkdirSync(join(ws.dir, 'data'), { recursive: true });
    const text = await history(now);
    writeFileSync(join(ws.dir, 'data', 'hits.json'), text);
    s = await startServe(ws);
    const t = dnsTimer(ws.port);
    const times: number[] = [];
    let lost = 0;
    const started = Date.now();
    const compacted = () => s!.logs().filter((l) => l.event === 'hits-compacted').length;
    let i = 0;
    // Sequential queries, so each time is one answer's; every one is a hit to persist. At least
    // 15 s, and on until the snapshot was rewritten twice (a busy machine migrates slowly).
    while ((Date.now() - started < 15_000 || compacted() < 2) && Date.now() - started < 60_000) {
      const h = i % HOSTS;
      const ms = await t.ask(`q${i}.c2.no-ip.biz`, hostAddress(h));
      if (ms === null) lost++;
      else times.push(ms);
      i++;
    }
    t.close();
    const compactions = s.logs().filter((l) => l.event === 'hits-compacted');
    const migrated = s.logs().find((l) => l.event === 'hits-migrated');
    times.sort((a, b) => a - b);
    const p = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
    const snapshotBytes = compactions.length > 0 ? Number(compactions[compactions.length - 1]!.bytes) : 0;
    console.log(
      `hits.json ${(text.length / 1e6).toFixed(1)} MB migrated; ${compactions.length} compactions of a ${(snapshotBytes / 1e6).toFixed(1)} MB snapshot ` +
        `(${compactions.map((c) => c.ms).join(', ')} ms each, on the journal thread); ${times.length} answers: ` +
        `median ${p(0.5).toFixed(2)} ms, p99 ${p(0.99).toFixed(2)} ms, p99.9 ${p(0.999).toFixed(2)} ms, worst ${times[times.length - 1]!.toFixed(2)} ms; ${lost} lost`,
    );
    expect(migrated).toBeDefined();
    expect(compactions.length).toBeGreaterThanOrEqual(2);
    expect(snapshotBytes).toBeGreaterThan(15e6);
    expect(lost).toBe(0);
    // Target 20 ms (README). On a shared 2-core machine at load 10 the worst answer is ~100-160 ms
    // of scheduling alone; the bound leaves room for that and still fails the earlier store
    // (0.5 s per save at this size on a quiet machine, 1.3 s on a busy one).
    expect(p(0.99)).toBeLessThan(20);
    expect(times[times.length - 1]!).toBeLessThan(400);
  }, 120_000);
});
