// A 30-day history of hosts beaconing every minute, as the embedded hit store keeps it (the real
// per-client bound applied), written as an earlier version's hits.json: the server migrates it at
// start. For tests that need a big store without waiting 30 days.

import { MemoryHitStore } from '../../src/infected/memory-hit-store.js';
import type { Hit } from '../../src/infected/model.js';

const MIN = 60_000;
const DAY = 1440;
export const HOSTS = 300;
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

/** A hits.json of the earlier format: `hosts` hosts (127.0.2.0 on), 30 days. */
export async function history(now: number, hosts = HOSTS): Promise<string> {
  const shape = await oneHostShape(now);
  const minutes = Object.fromEntries(shape.map(([m, k]) => [String(m), k]));
  const hits = shape.reduce((a, [, k]) => a + k, 0);
  const parts: string[] = [];
  for (let h = 0; h < hosts; h++) {
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


/** The address of host number `h` of the history. */
export function hostAddress(h: number): string {
  return `127.0.${2 + (h >> 8)}.${h & 255}`;
}
