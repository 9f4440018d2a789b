// One query of every kind of answer sinkd gives (sinkhole, FORMERR, forwarded, a seized zone's
// relayed, apex and sinkholed answers), for tests that send the same hostile framing around each.

import { buildQuery } from './dns-client.js';

/** Query bytes with QDCOUNT 2: FORMERR. */
export function twoQuestions(): Buffer {
  const q = buildQuery('a.example');
  const b = Buffer.concat([q, q.subarray(12)]);
  b.writeUInt16BE(2, 4);
  return b;
}

/**
 * Datagrams whose names are unique to `tag`: `evil.example` and `listed.<zone>` must be listed,
 * `zone` a seized zone, every other name is forwarded.
 */
export function everyKind(tag: string, zone: string): Buffer[] {
  return [
    buildQuery(`${tag}.evil.example`), // sinkholed, answered at once
    twoQuestions(), // FORMERR
    buildQuery(`${tag}.fwd.example`, { type: 0x1234 }), // an unknown type, forwarded
    buildQuery(`${tag}.fwd.example`), // forwarded: answered from a promise
    buildQuery(`${tag}.fwd.example`, { edns: true }), // same, EDNS
    buildQuery(`${tag}.host.${zone}`), // seized zone: relayed from its original servers (a promise)
    buildQuery(zone, { type: 'SOA' }), // seized zone apex: answered at once from the config
    buildQuery(`${tag}.listed.${zone}`), // seized zone, listed: sinkholed at once
  ];
}
