// Owns the "client" half of an RRL account: an address reduced to its network prefix (/24
// for IPv4, /56 for IPv6 by default), as numbers for the hot path and as CIDR text for logs.
// Parsing is by hand, for speed: this runs once per authoritative UDP reply. It is stricter
// than needed (a socket only ever reports valid addresses) and never throws.

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
    const v4 = parseV4(ip, 0, ip.length);
    if (v4 >= 0) return this.#maskV4(v4, out);
    const g = this.#groups;
    if (!parseV6(ip, g)) {
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
 * to an unsigned 32-bit number, or -1. Integer arithmetic only.
 */
function parseV4(s: string, start: number, end: number): number {
  let acc = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return -1;
      acc = (acc << 8) | octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      const d = (c - 48) | 0;
      if (d >>> 0 > 9 || (digits !== 0 && octet === 0)) return -1;
      octet = octet * 10 + d;
      if (octet > 255) return -1;
      digits++;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return ((acc << 8) | octet) >>> 0;
}

/** Value of a hex digit's char code, or -1. */
function hexDigit(c: number): number {
  const d = (c - 48) | 0;
  if (d >>> 0 <= 9) return d;
  const l = ((c | 0x20) - 97) | 0; // a-f, either case
  return l >>> 0 <= 5 ? l + 10 : -1;
}

/**
 * IPv6 text (with "::" anywhere, an embedded dotted IPv4 tail, and an optional %zone as
 * link-local peers carry in Node's rinfo) into eight 16-bit groups; false if invalid.
 */
function parseV6(s: string, out: Uint16Array): boolean {
  let end = s.length;
  for (let i = 0; i < end; i++) {
    if (s.charCodeAt(i) === 37 /* % */) {
      end = i;
      break;
    }
  }
  if (end < 2) return false;
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
    for (; i < end; i++) {
      const h = hexDigit(s.charCodeAt(i));
      if (h < 0) break;
      v = (v << 4) | h;
    }
    const digits = i - start;
    if (i < end && s.charCodeAt(i) === 46 /* . */) {
      if (n > 6) return false;
      const v4 = parseV4(s, start, end);
      if (v4 < 0) return false;
      out[n++] = v4 >>> 16;
      out[n++] = v4 & 0xffff;
      break;
    }
    if (digits === 0 || digits > 4 || n >= 8) return false;
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

/** RFC 5952 text for eight 16-bit groups: lowercase, no leading zeros, the longest run (2+) of zeros as "::". */
function formatGroups(g: number[]): string {
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
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}
