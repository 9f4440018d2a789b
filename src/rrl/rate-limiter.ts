// Owns response rate limiting (RRL) for the authoritative answers of seized zones: the BIND
// model, so that sinkd, which answers the whole Internet for those zones, cannot be used as
// a reflection amplifier against a spoofed victim.
//
// Each (client prefix, response kind, response) has an account. It earns `rate` credits a
// second (whole seconds, as BIND counts them), never holds more than `rate`, and never
// falls below -window × rate; each response debits one. While the balance is negative the
// response is limited: every slip-th limited response is sent as a tiny TC=1 reply (a real
// resolver then asks over TCP, which cannot be spoofed), the others are dropped.
//
// Only UDP replies should be checked: a TCP client has proved its address.
import { randomBytes } from 'node:crypto';
import { ClientPrefixer, FAMILY_V6, NOT_AN_ADDRESS } from './client-prefix.js';
import { resolveRrlOptions, type ClientSet, type RrlConfig, type RrlOptions } from './options.js';

/**
 * What the reply is, which decides the account and the rate:
 * - 'answer': a positive answer, NODATA or referral; responseKey = qname + qtype
 *   (lower-cased, e.g. "host.no-ip.biz/A").
 * - 'nxdomain': responseKey = the zone (the SOA owner), so that random-name floods share one
 *   account instead of making a fresh one per name.
 * - 'error': SERVFAIL/REFUSED/FORMERR...; responseKey is ignored, all errors to a prefix
 *   share one account (as in BIND).
 */
export type ResponseKind = 'answer' | 'nxdomain' | 'error';

/**
 * 'send': send the reply as built. 'slip': send instead a minimal reply with TC=1 (header
 * and question only, or the error reply itself, which is already that small), so a real
 * resolver retries over TCP. 'drop': send nothing.
 */
export type RrlVerdict = 'send' | 'slip' | 'drop';

export interface RrlStats {
  /** Verdicts 'send' (including exempt, unlimited kinds and log-only). */
  sent: number;
  slipped: number;
  dropped: number;
  /** Of `sent`: clients in exemptClients. */
  exempt: number;
  /** Of `sent`, in log-only mode: responses that would have been slipped or dropped. */
  wouldLimit: number;
  /** Accounts reused for a new key because the table was full. */
  evicted: number;
  /** Accounts in the table now. */
  tableSize: number;
}

/** One account that is being limited right now, for logs and the admin API. */
export interface LimitedAccount {
  /** CIDR text, e.g. "192.0.2.0/24". */
  prefix: string;
  kind: ResponseKind;
  /** As passed to check() ('' for errors). */
  responseKey: string;
  /** Credits now (negative; seconds until answers resume ≈ -balance / rate). */
  balance: number;
}

const KIND_CODE: Readonly<Record<ResponseKind, number>> = { answer: 0, nxdomain: 1, error: 2 };
const KINDS: readonly ResponseKind[] = ['answer', 'nxdomain', 'error'];

const NONE = -1;
const INITIAL_CAPACITY = 1024;

/**
 * The account table. Every check() looks an account up by (prefix, kind, response key). A
 * Map would need a string key built and hashed afresh per call, and Map.get with a fresh
 * string measured 150-300 ns here (a fresh string is hashed anew on every lookup), so instead:
 * - accounts live in parallel typed arrays indexed by slot (no object per account), their
 *   prefix as four 32-bit words and their response key as the caller's string;
 * - an open-addressing table (linear probing, load <= 1/2, backward-shift deletion) maps a
 *   hash of (family, kind, prefix words, key characters) to a slot; the hash is seeded at
 *   random per process, so crafted names cannot be aimed at one probe chain;
 * - slots sit on an intrusive doubly linked list in recency order; when the table is full
 *   the least recently used account is reused (BIND likewise recycles its oldest entries).
 * check() allocates nothing: slots are preallocated (1,024, doubling up to maxTableSize).
 */
export class ResponseRateLimiter {
  readonly options: Readonly<RrlOptions>;
  readonly #prefixer: ClientPrefixer;
  readonly #exempt: ClientSet | undefined;
  readonly #rates: Float64Array;
  readonly #floors: Float64Array;
  readonly #slip: number;
  readonly #logOnly: boolean;
  readonly #maxSize: number;
  readonly #seed: number;

  // Accounts, by slot.
  #capacity: number;
  #size = 0;
  /** family << 2 | kind code. */
  #tag: Uint8Array;
  #words: Int32Array;
  #hash: Int32Array;
  #key: string[] = [];
  /** Only for clients that are not addresses (never from a socket): the text as given. */
  #raw: Array<string | undefined> = [];
  #balance: Float64Array;
  /** Whole seconds (floor(ms / 1000)) when the balance was last brought up to date. */
  #stamp: Float64Array;
  #slipCount: Uint8Array;
  #prev: Int32Array;
  #next: Int32Array;
  #head = NONE;
  #tail = NONE;

  /** Open addressing: slot + 1, or 0 for empty. */
  #buckets: Int32Array;
  #bucketMask: number;

  // A flood comes from one address over and over: keep the last address's prefix.
  #lastIp: string | undefined = undefined;
  #lastFamily = 0;
  readonly #lastWords = new Int32Array(4);

  #sent = 0;
  #slipped = 0;
  #dropped = 0;
  #exemptCount = 0;
  #wouldLimit = 0;
  #evicted = 0;

  /** Prefix → ms of the last "yes" from shouldLog; insertion order is last-logged order. */
  readonly #logged = new Map<string, number>();
  readonly #logIntervalMs: number;

  constructor(config: RrlConfig = {}) {
    const o = resolveRrlOptions(config);
    this.options = Object.freeze({ ...o });
    this.#prefixer = new ClientPrefixer(o.ipv4PrefixLength, o.ipv6PrefixLength);
    this.#exempt = o.exemptClients;
    this.#rates = Float64Array.of(o.responsesPerSecond, o.nxdomainsPerSecond, o.errorsPerSecond);
    this.#floors = this.#rates.map((rate) => -o.window * rate);
    this.#slip = o.slip;
    this.#logOnly = o.logOnly;
    this.#maxSize = o.maxTableSize;
    this.#logIntervalMs = o.logIntervalMs;
    this.#seed = randomBytes(4).readInt32LE(0);
    const c = Math.min(INITIAL_CAPACITY, o.maxTableSize);
    this.#capacity = c;
    this.#tag = new Uint8Array(c);
    this.#words = new Int32Array(4 * c);
    this.#hash = new Int32Array(c);
    this.#balance = new Float64Array(c);
    this.#stamp = new Float64Array(c);
    this.#slipCount = new Uint8Array(c);
    this.#prev = new Int32Array(c);
    this.#next = new Int32Array(c);
    this.#buckets = new Int32Array(bucketCountFor(c));
    this.#bucketMask = this.#buckets.length - 1;
  }

  /**
   * Debits the account of (prefix of clientIp, kind, responseKey) for one response at
   * nowMs and says what to do with the response. Never throws; a clientIp that is not an
   * address counts as a prefix of its own.
   */
  check(clientIp: string, responseKey: string, kind: ResponseKind, nowMs: number): RrlVerdict {
    const kindCode = KIND_CODE[kind];
    const rate = this.#rates[kindCode]!;
    if (rate === 0) {
      this.#sent++;
      return 'send';
    }
    if (this.#exempt !== undefined && this.#exempt.contains(clientIp)) {
      this.#exemptCount++;
      this.#sent++;
      return 'send';
    }
    const w = this.#lastWords;
    if (clientIp !== this.#lastIp) {
      this.#lastFamily = this.#prefixer.mask(clientIp, w);
      this.#lastIp = clientIp;
    }
    const family = this.#lastFamily;
    const tag = (family << 2) | kindCode;
    const key = kindCode === 2 ? '' : responseKey;
    const h = this.#hashOf(tag, w, key, family === NOT_AN_ADDRESS ? clientIp : '');
    const now = Math.floor(nowMs / 1000);

    let slot = this.#find(h, tag, w, key, clientIp);
    let balance: number;
    if (slot === NONE) {
      slot = this.#insert(h, tag, w, key, family === NOT_AN_ADDRESS ? clientIp : undefined);
      balance = rate;
      this.#stamp[slot] = now;
      this.#slipCount[slot] = 0;
    } else {
      if (slot !== this.#head) {
        this.#unlink(slot);
        this.#linkAtHead(slot);
      }
      balance = this.#balance[slot]!;
      const age = now - this.#stamp[slot]!;
      if (age !== 0) {
        // age < 0: the clock stepped back; re-anchor without crediting anything.
        if (age > 0) {
          balance += age * rate;
          if (balance > rate) balance = rate;
        }
        this.#stamp[slot] = now;
      }
    }
    balance -= 1;
    const floor = this.#floors[kindCode]!;
    if (balance < floor) balance = floor;
    this.#balance[slot] = balance;
    if (balance >= 0) {
      this.#sent++;
      return 'send';
    }
    if (this.#logOnly) {
      this.#wouldLimit++;
      this.#sent++;
      return 'send';
    }
    const slip = this.#slip;
    if (slip !== 0) {
      const n = this.#slipCount[slot]! + 1;
      if (n >= slip) {
        this.#slipCount[slot] = 0;
        this.#slipped++;
        return 'slip';
      }
      this.#slipCount[slot] = n;
    }
    this.#dropped++;
    return 'drop';
  }

  /** `clientIp`'s prefix as CIDR text ("192.0.2.0/24", "2001:db8:0:ab00::/56"), for logs. */
  prefixOf(clientIp: string): string {
    return this.#prefixer.prefixOf(clientIp);
  }

  /**
   * True at most once per logIntervalMs per prefix (any string; use prefixOf), so a flood
   * produces one log line a minute per client network, not one per packet. Remembers at
   * most maxTableSize prefixes, forgetting the one logged longest ago.
   */
  shouldLog(prefix: string, nowMs: number): boolean {
    const last = this.#logged.get(prefix);
    if (last !== undefined) {
      if (nowMs - last < this.#logIntervalMs && nowMs >= last) return false;
      this.#logged.delete(prefix);
    } else if (this.#logged.size >= this.#maxSize) {
      for (const oldest of this.#logged.keys()) {
        this.#logged.delete(oldest);
        break;
      }
    }
    this.#logged.set(prefix, nowMs);
    return true;
  }

  /** The accounts being limited at nowMs, most recently used first, at most `max` of them. */
  limitedClients(nowMs: number, max = 1000): LimitedAccount[] {
    const out: LimitedAccount[] = [];
    const now = Math.floor(nowMs / 1000);
    for (let slot = this.#head; slot !== NONE && out.length < max; slot = this.#next[slot]!) {
      const tag = this.#tag[slot]!;
      const kindCode = tag & 3;
      const rate = this.#rates[kindCode]!;
      const age = now - this.#stamp[slot]!;
      const balance = Math.min(rate, this.#balance[slot]! + (age > 0 ? age * rate : 0));
      if (balance >= 0) continue;
      const family = tag >>> 2;
      const words = this.#words;
      const prefix =
        family === NOT_AN_ADDRESS
          ? (this.#raw[slot] ?? '')
          : this.#prefixer.format(family, words[4 * slot]!, words[4 * slot + 1]!, words[4 * slot + 2]!, words[4 * slot + 3]!);
      out.push({ prefix, kind: KINDS[kindCode]!, responseKey: this.#key[slot]!, balance });
    }
    return out;
  }

  stats(): RrlStats {
    return {
      sent: this.#sent,
      slipped: this.#slipped,
      dropped: this.#dropped,
      exempt: this.#exemptCount,
      wouldLimit: this.#wouldLimit,
      evicted: this.#evicted,
      tableSize: this.#size,
    };
  }

  /** Accounts in the table now (never more than maxTableSize). */
  get size(): number {
    return this.#size;
  }

  /** Forgets every account and log mark (the counters stay: they are totals for metrics). */
  clear(): void {
    this.#size = 0;
    this.#head = NONE;
    this.#tail = NONE;
    this.#key = [];
    this.#raw = [];
    this.#buckets.fill(0);
    this.#lastIp = undefined;
    this.#logged.clear();
  }

  /**
   * 32-bit hash of an account's identity: a rotate-xor-multiply step per 32-bit block (key
   * characters four at a time, a byte each: only the hash sees this packing, the equality
   * test compares whole strings), then Murmur3's finaliser so the low bits used as the
   * bucket index depend on every input bit. Seeded per process.
   */
  #hashOf(tag: number, w: Int32Array, key: string, raw: string): number {
    let h = step(this.#seed, tag);
    h = step(h, w[0]!);
    if (tag >>> 2 === FAMILY_V6) {
      h = step(h, w[1]!);
      h = step(h, w[2]!);
      h = step(h, w[3]!);
    }
    const n = key.length;
    let i = 0;
    for (; i + 3 < n; i += 4) {
      h = step(h, key.charCodeAt(i) ^ (key.charCodeAt(i + 1) << 8) ^ (key.charCodeAt(i + 2) << 16) ^ (key.charCodeAt(i + 3) << 24));
    }
    for (; i < n; i++) h = step(h, key.charCodeAt(i));
    for (let j = 0; j < raw.length; j++) h = step(h, raw.charCodeAt(j));
    h ^= n;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h;
  }

  #find(h: number, tag: number, w: Int32Array, key: string, clientIp: string): number {
    const buckets = this.#buckets;
    const mask = this.#bucketMask;
    const words = this.#words;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const entry = buckets[i]!;
      if (entry === 0) return NONE;
      const s = entry - 1;
      if (
        this.#hash[s] === h &&
        this.#tag[s] === tag &&
        words[4 * s] === w[0] &&
        words[4 * s + 1] === w[1] &&
        words[4 * s + 2] === w[2] &&
        words[4 * s + 3] === w[3] &&
        this.#key[s] === key &&
        (tag >>> 2 !== NOT_AN_ADDRESS || this.#raw[s] === clientIp)
      ) {
        return s;
      }
    }
  }

  /** Stores a new account (reusing the least recently used slot when full) and links it at the head. */
  #insert(h: number, tag: number, w: Int32Array, key: string, raw: string | undefined): number {
    let slot: number;
    if (this.#size < this.#capacity) {
      slot = this.#size++;
    } else if (this.#capacity < this.#maxSize) {
      this.#grow();
      slot = this.#size++;
    } else {
      slot = this.#tail;
      this.#unlink(slot);
      this.#removeFromBuckets(slot);
      this.#evicted++;
    }
    this.#tag[slot] = tag;
    const words = this.#words;
    words[4 * slot] = w[0]!;
    words[4 * slot + 1] = w[1]!;
    words[4 * slot + 2] = w[2]!;
    words[4 * slot + 3] = w[3]!;
    this.#hash[slot] = h;
    this.#key[slot] = key;
    if (raw !== undefined || this.#raw[slot] !== undefined) this.#raw[slot] = raw;
    this.#placeInBuckets(slot);
    this.#linkAtHead(slot);
    return slot;
  }

  #placeInBuckets(slot: number): void {
    const buckets = this.#buckets;
    const mask = this.#bucketMask;
    let i = this.#hash[slot]! & mask;
    while (buckets[i] !== 0) i = (i + 1) & mask;
    buckets[i] = slot + 1;
  }

  /** Backward-shift deletion: later members of the probe run move up, so no tombstones pile up. */
  #removeFromBuckets(slot: number): void {
    const buckets = this.#buckets;
    const mask = this.#bucketMask;
    let i = this.#hash[slot]! & mask;
    while (buckets[i] !== slot + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; buckets[j] !== 0; j = (j + 1) & mask) {
      const home = this.#hash[buckets[j]! - 1]! & mask;
      // The entry at j may fill the hole at i unless its home lies cyclically in (i, j].
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      buckets[i] = buckets[j]!;
      i = j;
    }
    buckets[i] = 0;
  }

  #grow(): void {
    const c = Math.min(this.#capacity * 2, this.#maxSize);
    this.#tag = grown(this.#tag, new Uint8Array(c));
    this.#words = grown(this.#words, new Int32Array(4 * c));
    this.#hash = grown(this.#hash, new Int32Array(c));
    this.#balance = grown(this.#balance, new Float64Array(c));
    this.#stamp = grown(this.#stamp, new Float64Array(c));
    this.#slipCount = grown(this.#slipCount, new Uint8Array(c));
    this.#prev = grown(this.#prev, new Int32Array(c));
    this.#next = grown(this.#next, new Int32Array(c));
    this.#capacity = c;
    const buckets = bucketCountFor(c);
    if (buckets !== this.#buckets.length) {
      this.#buckets = new Int32Array(buckets);
      this.#bucketMask = buckets - 1;
      for (let s = 0; s < this.#size; s++) this.#placeInBuckets(s);
    }
  }

  #linkAtHead(slot: number): void {
    this.#prev[slot] = NONE;
    this.#next[slot] = this.#head;
    if (this.#head !== NONE) this.#prev[this.#head] = slot;
    this.#head = slot;
    if (this.#tail === NONE) this.#tail = slot;
  }

  #unlink(slot: number): void {
    const p = this.#prev[slot]!;
    const n = this.#next[slot]!;
    if (p !== NONE) this.#next[p] = n;
    else this.#head = n;
    if (n !== NONE) this.#prev[n] = p;
    else this.#tail = p;
  }
}

/** One hash step: the rotation carries high bits down so that differences cannot cancel in bit 31. */
function step(h: number, k: number): number {
  return Math.imul(((h << 5) | (h >>> 27)) ^ k, 0x9e3779b1);
}

/** A power of two at least twice the slot count: linear probing stays short at load <= 1/2. */
function bucketCountFor(capacity: number): number {
  let n = 16;
  while (n < capacity * 2) n *= 2;
  return n;
}

function grown<T extends Uint8Array | Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}
