// Black box: DNS answer times while the embedded hit store persists a large history. The data
// directory starts with 30 days of 300 hosts each beaconing every minute (what the store holds
// for them: the per-client bound merges old minutes into hours; a 17 MB hits.json of the earlier
// format, which the server migrates at start), then 300 hosts keep asking sinkholed names while
// the journal is compacted into a ~17 MB snapshot again and again. The worst answer time is
// printed (README, "Hit store figures"). The earlier store rewrote the whole file on the thread
// that answers DNS: answers stalled for about a second at this size.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dgram from 'node:dgram';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryHitStore } from '../../src/infected/memory-hit-store.js';
import type { Hit } from '../../src/infected/model.js';
import { buildQuery } from '../helpers/dns-client.js';
import { built, sinkdWorkspace, startServe, type SinkdProcess } from '../helpers/sinkd-process.js';

const MIN = 60_000;
const DAY = 1440;
const HOSTS = 300;
const NAMES = ['c2.no-ip.biz', 'worm.zapto.org', 'x.c2.no-ip.biz'];

/** One host's 30 days of beacons as the store keeps them (the real per-client bound applied). */
async function oneHostShape(now: number): Promise<(readonly [number, number])[]> {
  const start = now - (now % MIN) - 30 * DAY * MIN + MIN;
  const store = new MemoryHitStore(31 * DAY * MIN);
  for (let d = 0; d < 30; d++) {
    await store.add(Array.from({ length: DAY }, (_, i): Hit => ({ time: start + (d * DAY + i) * MIN + 500, client: '10.0.0.1', qname: NAMES[i % 3]!, qtype: 'A', rule: 'c2.no-ip.biz', source: 'list', transport: 'udp' })));
  }
  return [...(await store.clients({ since: null }))[0]!.minutes];
}

/** A hits.json of the earlier format: 300 hosts, 30 days. */
async function history(now: number): Promise<string> {
  const shape = await oneHostShape(now);
  const minutes = Object.fromEntries(shape.map(([m, k]) => [String(m), k]));
  const hits = shape.reduce((a, [, k]) => a + k, 0);
  const parts: string[] = [];
  for (let h = 0; h < HOSTS; h++) {
    const client = `127.0.${2 + (h >> 8)}.${h & 255}`;
    parts.push(
      JSON.stringify({
        client,
        firstSeen: shape[0]![0],
        lastSeen: shape[shape.length - 1]![0] + 500,
        hits,
        names: Object.fromEntries(NAMES.map((n) => [n, { hits: Math.floor(hits / 3), family: 'Bladabindi', rule: 'c2.no-ip.biz' }])),
        families: { Bladabindi: hits },
        minutes,
        subnets: [],
      }),
    );
  }
  return `{"version":1,"dropped":0,"clients":[${parts.join(',')}]}`;
}

/** One UDP query at a time, each timed; null when no answer within 2 s. */
function timer(port: number): { ask(name: string, source: string): Promise<number | null>; close(): void } {
  const sockets = new Map<string, dgram.Socket>();
  const socketFor = async (source: string) => {
    let s = sockets.get(source);
    if (!s) {
      s = dgram.createSocket('udp4');
      await new Promise<void>((r) => s!.bind(0, source, () => r()));
      sockets.set(source, s);
    }
    return s;
  };
  return {
    async ask(name, source) {
      const s = await socketFor(source);
      const q = buildQuery(name);
      return new Promise<number | null>((resolve) => {
        const t0 = process.hrtime.bigint();
        const done = (v: number | null) => {
          clearTimeout(t);
          s.off('message', on);
          resolve(v);
        };
        const on = (msg: Buffer) => {
          if (msg.readUInt16BE(0) === q.readUInt16BE(0)) done(Number(process.hrtime.bigint() - t0) / 1e6);
        };
        const t = setTimeout(() => done(null), 2000);
        s.on('message', on);
        s.send(q, port, '127.0.0.1');
      });
    },
    close() {
      for (const s of sockets.values()) s.close();
    },
  };
}

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
    const t = timer(ws.port);
    const times: number[] = [];
    let lost = 0;
    const started = Date.now();
    const compacted = () => s!.logs().filter((l) => l.event === 'hits-compacted').length;
    let i = 0;
    // Sequential queries, so each time is one answer's; every one is a hit to persist. At least
    // 15 s, and on until the snapshot was rewritten twice (a busy machine migrates slowly).
    while ((Date.now() - started < 15_000 || compacted() < 2) && Date.now() - started < 60_000) {
      const h = i % HOSTS;
      const ms = await t.ask(`q${i}.c2.no-ip.biz`, `127.0.${2 + (h >> 8)}.${h & 255}`);
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
