// What a sinkhole answer contains, fixed once from the config: addresses, TTL, mode and the SOA
// that NODATA/NXDOMAIN answers carry (its MINIMUM is the TTL, so negative caches keep it as long).

import { isIPv4, isIPv6 } from 'node:net';
import { soaRdata, type SinkholeMode, type SinkholeSpec, type SoaFields } from '../wire/index.js';

export interface SinkholeSettings {
  readonly mode: 'sinkhole' | 'nxdomain';
  readonly ipv4: string;
  readonly ipv6: string;
  readonly ttl: number;
}

/** A name under the reserved .invalid TLD (RFC 6761): it can never point anywhere real. */
const SOA_MNAME = 'sinkhole.sinkd.invalid.';
const SOA_RNAME = 'hostmaster.sinkd.invalid.';

/** `soa`: a seized zone's own SOA for its NODATA/NXDOMAIN answers; else sinkd's .invalid one. */
export function sinkholeSpec(s: SinkholeSettings, mode: SinkholeMode = s.mode, soa?: SoaFields): SinkholeSpec {
  return {
    mode,
    ipv4: ipv4Bytes(s.ipv4),
    ipv6: ipv6Bytes(s.ipv6),
    ttl: s.ttl,
    soaRdata: soaRdata(soa ?? { mname: SOA_MNAME, rname: SOA_RNAME, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: s.ttl }),
  };
}

function ipv4Bytes(ip: string): Buffer {
  if (!isIPv4(ip)) throw new Error(`sinkhole IPv4 "${ip}" is not an IPv4 address`);
  return Buffer.from(ip.split('.').map(Number));
}

/** IPv6 text to 16 octets, with "::" expansion and a dotted IPv4 tail ("::ffff:1.2.3.4"). */
export function ipv6Bytes(ip: string): Buffer {
  if (!isIPv6(ip)) throw new Error(`sinkhole IPv6 "${ip}" is not an IPv6 address`);
  const text = ip.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a, b, c, d) =>
    `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`,
  );
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const r = groups(rest);
  const all = rest === undefined ? h : [...h, ...Array<number>(8 - h.length - r.length).fill(0), ...r];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}
