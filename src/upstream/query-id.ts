// Unpredictable 16-bit query IDs for upstream queries (RFC 5452 9.2), drawn from a refilled pool of
// CSPRNG bytes so the forward path does not pay a syscall per query.

import { randomFillSync } from 'node:crypto';

const pool = new Uint16Array(4096);
let next = pool.length;

export function randomQueryId(): number {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++]!;
}
