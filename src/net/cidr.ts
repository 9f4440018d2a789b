// Owns CIDR prefixes: parsing them from config text, and the per-query "is this client in one of them" test.
import { isIP } from 'node:net';

/** Who may recurse by default: loopback, RFC 1918, CGNAT (RFC 6598), ULA and link-local. */
export const DEFAULT_RECURSION_ALLOW: readonly string[] = Object.freeze([
  '127.0.0.0/8',
  '::1/128',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  'fc00::/7',
  'fe80::/10',
]);

/** A parsed prefix; `network` is normalised (host bits cleared, IPv6 in RFC 5952 form). */
export interface Cidr {
  family: 4 | 6;
  network: string;
  prefix: number;
}

interface PrefixBits {
  family: 4 | 6;
  prefix: number;
  /** Four 32-bit words, most significant first; IPv4 uses words[0] only. Host bits cleared. */
  words: number[];
}

/**
 * Parses `10.0.0.0/8`, `fe80::/10`, or a bare address (a single host: /32 or /128).
 * Host bits are accepted and cleared, unlike BIND: admins paste `192.168.1.7/24` from
 * `ip addr` meaning "my LAN", and for an allow-list the masked network is the only
 * reading that makes sense; rejecting it would only make them retype.
 * Throws an Error whose message is one line naming the input and what is wrong.
 */
export function parseCidr(text: string): Cidr {
  const bits = parsePrefixBits(text);
  const network = bits.family === 4 ? formatIPv4(bits.words[0]!) : formatIPv6(bits.words);
  return { family: bits.family, network, prefix: bits.prefix };
}

function parsePrefixBits(text: string): PrefixBits {
  const fail = (why: string): never => {
    throw new Error(`bad CIDR ${JSON.stringify(text)}: ${why}`);
  };
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  // Zone ids (%eth0) name an interface, not a network; they have no place in a prefix.
  const family = addr.includes('%') ? 0 : isIP(addr);
  if (family === 0) return fail('not an IPv4 or IPv6 address');
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(p) || Number(p) > max) fail(`prefix length must be 0-${max}`);
    prefix = Number(p);
  }
  if (family === 4) {
    const v4 = parseIPv4(addr);
    return { family: 4, prefix, words: [(v4 & maskFor(prefix)) | 0, 0, 0, 0] };
  }
  const groups = new Uint16Array(8);
  if (!parseIPv6Into(addr, groups)) fail('not an IPv4 or IPv6 address');
  const words = wordsOf(groups).map((w, i) => w & maskFor(prefix - 32 * i));
  return { family: 6, prefix, words };
}

/**
 * A set of prefixes with a membership test meant for the hot path: IPv4 (the common case)
 * is parsed by hand into a 32-bit int and compared against precomputed masks, with no
 * regex and no allocation. IPv4-mapped IPv6 clients (`::ffff:10.1.2.3`, what a dual-stack
 * socket reports for an IPv4 peer) are tested as the IPv4 address they are.
 */
export class CidrSet {
  readonly #v4Net: Int32Array;
  readonly #v4Mask: Int32Array;
  readonly #v6Net: Int32Array;
  readonly #v6Mask: Int32Array;
  /** The prefixes as given; for logs and `check-config`. */
  readonly entries: readonly string[];

  constructor(cidrs: Iterable<string>) {
    const list = [...cidrs];
    const v4: Array<[net: number, prefix: number]> = [];
    const v6: PrefixBits[] = [];
    for (const text of list) {
      const bits = parsePrefixBits(text);
      if (bits.family === 4) {
        v4.push([bits.words[0]!, bits.prefix]);
        continue;
      }
      v6.push(bits);
      // Mapped clients are tested as IPv4 (see contains), so a v6 prefix that covers
      // mapped space is mirrored into the IPv4 table: ::ffff:10.0.0.0/104 is 10.0.0.0/8,
      // and ::/0 covers every IPv4 client as well.
      const [w0, w1, w2, w3] = bits.words as [number, number, number, number];
      if (bits.prefix >= 96 && w0 === 0 && w1 === 0 && w2 === 0xffff) {
        v4.push([w3, bits.prefix - 96]);
      } else if (bits.prefix < 96 && (MAPPED_W2 & maskFor(bits.prefix - 64)) === w2 && w0 === 0 && w1 === 0) {
        v4.push([0, 0]);
      }
    }
    this.#v4Net = Int32Array.from(v4, ([net]) => net);
    this.#v4Mask = Int32Array.from(v4, ([, prefix]) => maskFor(prefix));
    this.#v6Net = Int32Array.from(v6.flatMap((b) => b.words));
    this.#v6Mask = Int32Array.from(v6.flatMap((b) => [0, 1, 2, 3].map((i) => maskFor(b.prefix - 32 * i))));
    this.entries = Object.freeze(list);
  }

  /** True if `ip` (IPv4, IPv6, IPv6 with %zone, or IPv4-mapped IPv6) is in any prefix; false for non-addresses. */
  contains(ip: string): boolean {
    const v4 = parseIPv4(ip);
    if (v4 >= 0) return this.#containsV4(v4);
    if (!parseIPv6Into(ip, scratch)) return false;
    if (scratch[0] === 0 && scratch[1] === 0 && scratch[2] === 0 && scratch[3] === 0 && scratch[4] === 0 && scratch[5] === 0xffff) {
      return this.#containsV4(scratch[6]! * 0x10000 + scratch[7]!);
    }
    const w0 = (scratch[0]! << 16) | scratch[1]!;
    const w1 = (scratch[2]! << 16) | scratch[3]!;
    const w2 = (scratch[4]! << 16) | scratch[5]!;
    const w3 = (scratch[6]! << 16) | scratch[7]!;
    const net = this.#v6Net;
    const mask = this.#v6Mask;
    for (let i = 0; i < net.length; i += 4) {
      if (
        (w0 & mask[i]!) === net[i] &&
        (w1 & mask[i + 1]!) === net[i + 1] &&
        (w2 & mask[i + 2]!) === net[i + 2] &&
        (w3 & mask[i + 3]!) === net[i + 3]
      ) {
        return true;
      }
    }
    return false;
  }

  #containsV4(ip: number): boolean {
    const net = this.#v4Net;
    const mask = this.#v4Mask;
    for (let i = 0; i < net.length; i++) {
      if ((ip & mask[i]!) === net[i]) return true;
    }
    return false;
  }
}

/** Third 32-bit word of ::ffff:0:0/96, the IPv4-mapped block. */
const MAPPED_W2 = 0x0000ffff;

/** Reused by contains() so that the per-query path allocates nothing. */
const scratch = new Uint16Array(8);

/** 32-bit mask with the top `bits` bits set, as a signed int to match `&` results; bits outside 0-32 clamp. */
function maskFor(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return -1;
  return (-1 << (32 - bits)) | 0;
}

function wordsOf(g: Uint16Array): number[] {
  return [0, 2, 4, 6].map((i) => (g[i]! << 16) | g[i + 1]!);
}

/** Dotted quad to an unsigned 32-bit number, or -1. Leading zeros are refused (octal ambiguity), as node:net does. */
export function parseIPv4(s: string, start = 0, end = s.length): number {
  let acc = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return -1;
      acc = acc * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return -1;
    if (digits > 0 && octet === 0) return -1;
    octet = octet * 10 + d;
    if (octet > 255) return -1;
    digits++;
  }
  if (dots !== 3 || digits === 0) return -1;
  return acc * 256 + octet;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parses IPv6 text (with "::", an embedded dotted IPv4 tail, and an optional %zone, which
 * link-local peers carry in Node's rinfo) into eight 16-bit groups. Returns false if invalid.
 */
export function parseIPv6Into(s: string, out: Uint16Array): boolean {
  let end = s.indexOf('%');
  if (end < 0) end = s.length;
  if (end === 0) return false;
  let n = 0;
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) === 58 /* : */) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
  }
  while (i < end) {
    const start = i;
    let v = 0;
    let digits = 0;
    for (; i < end; i++) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      if (++digits > 4) return false;
      v = v * 16 + h;
    }
    if (i < end && s.charCodeAt(i) === 46 /* . */) {
      if (n > 6) return false;
      const v4 = parseIPv4(s, start, end);
      if (v4 < 0) return false;
      out[n++] = v4 >>> 16;
      out[n++] = v4 & 0xffff;
      break;
    }
    if (digits === 0 || n >= 8) return false;
    out[n++] = v;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < end && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i++;
    } else if (i === end) {
      return false;
    }
  }
  if (gap < 0) return n === 8;
  if (n === 8) return false;
  const tail = n - gap;
  for (let k = 0; k < tail; k++) out[7 - k] = out[n - 1 - k]!;
  for (let k = gap; k < 8 - tail; k++) out[k] = 0;
  return true;
}

function formatIPv4(w: number): string {
  return [w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255].join('.');
}

function formatIPv6(words: number[]): string {
  return formatIPv6Groups(words.flatMap((w) => [(w >>> 16) & 0xffff, w & 0xffff]));
}

/** RFC 5952 text for eight 16-bit groups: lowercase, no leading zeros, the longest run (2+) of zero groups as "::". */
export function formatIPv6Groups(g: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: readonly number[]): string => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}
