// Owns the Lease shape shared by the DHCP lease parsers, and the small normalisers they share:
// MAC text, MACs inside DHCPv6 DUIDs, hostnames, and the address key a lease is looked up by.
import { parseIPv4, parseIPv6Into } from '../../net/cidr.js';

/** One binding of an address to a client, as a DHCP server recorded it. */
export interface Lease {
  readonly ip: string;
  /**
   * Lowercase, colon-separated, two hex digits an octet. '' when the lease names no hardware
   * address (DHCPv6 leases whose DUID does not embed one): the hostname is still worth having.
   */
  readonly mac: string;
  readonly hostname?: string;
  /** Start of the binding (ms). Absent when the server does not record it (dnsmasq). */
  readonly start?: number;
  /** End of the binding (ms). Absent for infinite leases. */
  readonly end?: number;
}

export type LeaseFormat = 'dnsmasq' | 'isc' | 'kea';

const HEX_OCTET = /^[0-9a-f]{1,2}$/;

/**
 * A hardware address in any common spelling — `00:11:22:AA:BB:CC`, `0:11:22:aa:bb:cc` (old ISC
 * dhcpd wrote octets without padding), `00-11-22-aa-bb-cc`, `0011.22aa.bbcc`, `001122aabbcc` —
 * as lowercase colon-separated octets. Any length from 1 to 20 octets (InfiniBand uses 20).
 * Undefined when the text is not one.
 */
export function normalizeMac(text: string): string | undefined {
  const s = text.trim().toLowerCase();
  if (s === '') return undefined;
  let octets: string[];
  if (s.includes(':') || s.includes('-')) {
    const parts = s.split(s.includes(':') ? ':' : '-');
    if (!parts.every((p) => HEX_OCTET.test(p))) return undefined;
    octets = parts.map((p) => p.padStart(2, '0'));
  } else {
    const hex = s.includes('.') ? s.split('.') : [s];
    if (s.includes('.') && !hex.every((g) => /^[0-9a-f]{4}$/.test(g))) return undefined;
    const joined = hex.join('');
    if (!/^[0-9a-f]+$/.test(joined) || joined.length % 2 !== 0) return undefined;
    octets = joined.match(/../g) ?? [];
  }
  if (octets.length === 0 || octets.length > 20) return undefined;
  return octets.join(':');
}

/**
 * The Ethernet MAC inside a DHCPv6 DUID (RFC 8415 §11): DUID-LLT (type 1: hwtype, time, address)
 * or DUID-LL (type 3: hwtype, address) with hardware type 1. Undefined for DUID-EN, DUID-UUID and
 * anything else, which carry no hardware address.
 */
export function macFromDuid(duid: string): string | undefined {
  const hex = normalizeMac(duid);
  if (hex === undefined) return undefined;
  const b = hex.split(':');
  if (b.length < 4 || `${b[2]}${b[3]}` !== '0001') return undefined;
  const type = `${b[0]}${b[1]}`;
  if (type === '0001' && b.length === 14) return b.slice(8).join(':');
  if (type === '0003' && b.length === 10) return b.slice(4).join(':');
  return undefined;
}

/** A hostname as a lease file wrote it, or undefined for none: trims, drops a root dot. */
export function cleanHostname(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  let h = text.trim();
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h === '' || h === '*' ? undefined : h;
}

const groups = new Uint16Array(8);

/**
 * The text an address is indexed by, so that spellings of one address meet: IPv4 dotted quad;
 * IPv6 as eight unpadded hex groups (lowercase, no "::", zone dropped); an IPv4-mapped IPv6
 * address (`::ffff:192.0.2.1`, as a dual-stack socket reports IPv4 peers) as its IPv4 address.
 * Undefined when the text is not an address.
 */
export function addressKey(text: string): string | undefined {
  const s = text.trim();
  if (!s.includes(':')) {
    const v4 = parseIPv4(s);
    return v4 < 0 ? undefined : s;
  }
  if (!parseIPv6Into(s, groups)) return undefined;
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    return `${groups[6]! >>> 8}.${groups[6]! & 255}.${groups[7]! >>> 8}.${groups[7]! & 255}`;
  }
  let key = groups[0]!.toString(16);
  for (let i = 1; i < 8; i++) key += ':' + groups[i]!.toString(16);
  return key;
}

/** Splits text into lines, dropping a trailing CR. */
export function splitLines(text: string): string[] {
  return text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}
