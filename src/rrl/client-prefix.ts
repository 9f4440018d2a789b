// Owns the "client" half of an RRL account: an address reduced to its network prefix (/24
// for IPv4, /56 for IPv6 by default), as numbers for the hot path and as CIDR text for logs.
// Parsing is by hand (no regex, no isIP, no allocation): IPv4 here, tuned for this hot path;
// IPv6 with net/cidr's parser ("::" anywhere, an embedded IPv4 tail, %zone).
import { formatIPv6Groups as formatGroups, parseIPv6Into } from '../net/cidr.js';

/** What `mask()` found: the family of the prefix it wrote, or NOT_AN_ADDRESS. */
export const FAMILY_V4 = 4;
export const FAMILY_V6 = 6;
export const NOT_AN_ADDRESS = 0;

/** 32-bit mask with the top `bits` bits set (bits outside 0-32 clamp), as a signed int like `&` gives. */
function maskFor(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return -1;
  return (-1 << (32 - bits)) | 0;
}

/**
 * Reduces client addresses to network prefixes. `mask()` writes the prefix as four 32-bit
 * words (host bits cleared; IPv4 in word 0, the rest 0), so two addresses are in one prefix
 * exactly when family and words are equal. IPv4-mapped IPv6 (`::ffff:192.0.2.1`, what a
 * dual-stack socket reports for an IPv4 peer) is the IPv4 address it is, so one host cannot
 * get two budgets by arriving on two sockets. A string that is not an address is reported
 * as such, never thrown at: the limiter sits on the reply path.
 */
export class ClientPrefixer {
  readonly ipv4PrefixLength: number;
  readonly ipv6PrefixLength: number;
  readonly #v4Mask: number;
  readonly #v6Mask: Int32Array;
  readonly #groups = new Uint16Array(8);

  constructor(ipv4PrefixLength: number, ipv6PrefixLength: number) {
    this.ipv4PrefixLength = ipv4PrefixLength;
    this.ipv6PrefixLength = ipv6PrefixLength;
    this.#v4Mask = maskFor(ipv4PrefixLength);
    this.#v6Mask = Int32Array.from([0, 1, 2, 3], (i) => maskFor(ipv6PrefixLength - 32 * i));
  }

  /**
   * Writes `ip`'s prefix into out[0..3] and returns FAMILY_V4 or FAMILY_V6; for a string
   * that is not an address, writes zeros and returns NOT_AN_ADDRESS.
   */
  mask(ip: string, out: Int32Array): number {
    const v4 = parseV4(ip);
    if (v4 >= 0) return this.#maskV4(v4, out);
    const g = this.#groups;
    if (!parseIPv6Into(ip, g)) {
      out[0] = out[1] = out[2] = out[3] = 0;
      return NOT_AN_ADDRESS;
    }
    if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
      return this.#maskV4(g[6]! * 0x10000 + g[7]!, out);
    }
    const m = this.#v6Mask;
    out[0] = ((g[0]! << 16) | g[1]!) & m[0]!;
    out[1] = ((g[2]! << 16) | g[3]!) & m[1]!;
    out[2] = ((g[4]! << 16) | g[5]!) & m[2]!;
    out[3] = ((g[6]! << 16) | g[7]!) & m[3]!;
    return FAMILY_V6;
  }

  #maskV4(v4: number, out: Int32Array): number {
    out[0] = v4 & this.#v4Mask;
    out[1] = out[2] = out[3] = 0;
    return FAMILY_V4;
  }

  /** `ip`'s prefix as CIDR text for logs: `192.0.2.0/24`, `2001:db8:0:ab00::/56`; a non-address as given. */
  prefixOf(ip: string): string {
    const words = new Int32Array(4);
    const family = this.mask(ip, words);
    return family === NOT_AN_ADDRESS ? ip : this.format(family, words[0]!, words[1]!, words[2]!, words[3]!);
  }

  /** CIDR text for a prefix as `mask()` wrote it. */
  format(family: number, w0: number, w1: number, w2: number, w3: number): string {
    if (family === FAMILY_V4) {
      return `${w0 >>> 24}.${(w0 >>> 16) & 255}.${(w0 >>> 8) & 255}.${w0 & 255}/${this.ipv4PrefixLength}`;
    }
    const g = [w0, w1, w2, w3].flatMap((w) => [(w >>> 16) & 0xffff, w & 0xffff]);
    return `${formatGroups(g)}/${this.ipv6PrefixLength}`;
  }
}

/**
 * Dotted quad (exactly four decimal octets, 0-255, no leading zeros, as node:net accepts)
 * to an unsigned 32-bit number, or -1. One octet at a time with integer arithmetic: about
 * twice as fast here as net/cidr's general parser, and this runs once per checked reply.
 */
function parseV4(s: string): number {
  const end = s.length;
  let i = 0;
  let acc = 0;
  for (let k = 0; k < 4; k++) {
    if (i >= end) return -1;
    let d = (s.charCodeAt(i) - 48) | 0;
    if (d >>> 0 > 9) return -1;
    let octet = d;
    i++;
    if (i < end) {
      d = (s.charCodeAt(i) - 48) | 0;
      if (d >>> 0 <= 9) {
        if (octet === 0) return -1; // leading zero
        octet = octet * 10 + d;
        i++;
        if (i < end) {
          d = (s.charCodeAt(i) - 48) | 0;
          if (d >>> 0 <= 9) {
            octet = octet * 10 + d;
            if (octet > 255) return -1;
            i++;
          }
        }
      }
    }
    acc = (acc << 8) | octet;
    if (k < 3) {
      if (i >= end || s.charCodeAt(i) !== 46 /* . */) return -1;
      i++;
    }
  }
  return i === end ? acc >>> 0 : -1;
}

