// Owns what sinkd knows of a seized zone's wildcards, for response rate limiting: whether the
// provider synthesises names below an ancestor of a question, and what that answer is per type
// (src/rrl/response-account.ts says why and how it is used). Learned by asking the provider's own
// servers for a name that cannot exist, `<random>.ancestor`, with RD=0: NXDOMAIN = no wildcard
// there, an answer = the wildcard's answer.
//
// The cost is bounded whatever the traffic: at most `probesPerSecond` probes a second per zone
// (a token bucket), one in flight per (ancestor, type), at most `maxEntries` ancestors remembered
// (the oldest forgotten first), and each fact re-checked after `refreshMs` (the provider may add a
// wildcard) while the old one is still used. The walk that asks only visits ancestors that exist
// for real, so in steady state this is a few queries a minute per real ancestor and type. What is
// not known yet is UNKNOWN at once (the caller never waits): the rate limiter then counts the reply
// as if that ancestor had a wildcard, until the probe's answer is in.

import { randomBytes } from 'node:crypto';
import { HEADER_SIZE, QClass, QType, Rcode, encodeName } from '../wire/index.js';
import { NO_WILDCARD, UNKNOWN, WILDCARD, answerFingerprint, type WildcardKnowledge } from '../rrl/response-account.js';
import { filterRelayed } from './relay-filter.js';

/** The zone's original servers, as the UpstreamPool asks them. */
export interface ProbeTarget {
  resolve(query: Buffer, questionEnd: number): Promise<Buffer | null>;
}

export interface WildcardProberOptions {
  readonly probesPerSecond?: number;
  readonly maxEntries?: number;
  readonly refreshMs?: number;
  /** After a probe got no answer, the ancestor is not asked about again for this long. */
  readonly retryMs?: number;
  /** The clock for probe results and the token bucket's first reading (tests set it). */
  readonly now?: () => number;
  /** A wildcard was found below `ancestor` (once per discovery): for an operator's log line. */
  readonly found?: (ancestor: string) => void;
}

/** The wildcard has no data of the type asked: no positive answer can be the wildcard's. */
const NO_DATA = -5;
/** Types remembered per ancestor (a flood of random types must not grow an entry without bound). */
const MAX_TYPES = 64;

interface Entry {
  state: number;
  checkedAt: number;
  retryAt: number;
  readonly fingerprints: Map<number, { value: number; at: number }>;
  readonly inflight: Set<number>;
}

type ProbeResult = { readonly state: typeof NO_WILDCARD } | { readonly state: typeof WILDCARD; readonly fingerprint: number };

export class WildcardProber implements WildcardKnowledge {
  /** Probes sent so far (for tests and the operator's curiosity). */
  probes = 0;
  readonly #entries = new Map<string, Entry>();
  readonly #rate: number;
  readonly #maxEntries: number;
  readonly #refreshMs: number;
  readonly #retryMs: number;
  readonly #now: () => number;
  readonly #found: (ancestor: string) => void;
  #tokens: number;
  #tokensAt: number;

  constructor(
    private readonly target: ProbeTarget,
    private readonly zone: string,
    /** Whether a name is sinkholed in this zone: the probe's answer is filtered as a relayed one is. */
    private readonly listed: (name: string) => boolean = () => false,
    opts: WildcardProberOptions = {},
  ) {
    this.#rate = opts.probesPerSecond ?? 50;
    this.#maxEntries = opts.maxEntries ?? 10_000;
    this.#refreshMs = opts.refreshMs ?? 60_000;
    this.#retryMs = opts.retryMs ?? 5_000;
    this.#now = opts.now ?? Date.now;
    this.#found = opts.found ?? (() => {});
    this.#tokens = this.#rate;
    this.#tokensAt = this.#now();
  }

  /**
   * Asks about the apex now, so that the first answers after a start or reload (real hostnames
   * straight below the apex, the common case) have their own accounts from the first packet.
   */
  prime(): void {
    this.wildcardAt(this.zone, QType.A, this.#now());
  }

  get size(): number {
    return this.#entries.size;
  }

  /** `nowMs`: the caller's clock reading (one per reply; reading the clock costs here). */
  wildcardAt(ancestor: string, qtype: number, nowMs: number): number {
    const e = this.#entries.get(ancestor);
    if (e === undefined || e.state === UNKNOWN || nowMs - e.checkedAt > this.#refreshMs) this.#learn(ancestor, qtype, e, nowMs);
    return e === undefined ? UNKNOWN : e.state;
  }

  fingerprint(ancestor: string, qtype: number, nowMs: number): number {
    const e = this.#entries.get(ancestor);
    if (e === undefined) return UNKNOWN;
    const f = e.fingerprints.get(qtype);
    if (f === undefined || nowMs - f.at > this.#refreshMs) this.#learn(ancestor, qtype, e, nowMs);
    return f === undefined ? UNKNOWN : f.value;
  }

  #learn(ancestor: string, qtype: number, known: Entry | undefined, now: number): void {
    if (known !== undefined && (known.inflight.has(qtype) || now < known.retryAt)) return;
    if (!this.#takeToken(now)) return;
    let e = known;
    if (e === undefined) {
      if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
      e = { state: UNKNOWN, checkedAt: 0, retryAt: 0, fingerprints: new Map(), inflight: new Set() };
      this.#entries.set(ancestor, e);
    }
    const entry = e;
    entry.inflight.add(qtype);
    this.probes++;
    void this.#probe(ancestor, qtype).then((result) => {
      entry.inflight.delete(qtype);
      const at = this.#now();
      if (result === null) {
        entry.retryAt = at + this.#retryMs;
        return;
      }
      if (result.state === NO_WILDCARD) {
        entry.fingerprints.clear();
      } else {
        if (entry.state !== WILDCARD) this.#found(ancestor);
        const fps = entry.fingerprints;
        if (fps.size >= MAX_TYPES && !fps.has(qtype)) fps.delete(fps.keys().next().value!);
        fps.set(qtype, { value: result.fingerprint, at });
      }
      entry.state = result.state;
      entry.checkedAt = at;
    });
  }

  #takeToken(now: number): boolean {
    this.#tokens = Math.min(this.#rate, this.#tokens + ((now - this.#tokensAt) / 1000) * this.#rate);
    this.#tokensAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** One question to the provider; null when it could not be asked or got no usable answer. */
  async #probe(ancestor: string, qtype: number): Promise<ProbeResult | null> {
    // 255 octets on the wire at most: the ancestor's, a length octet and the new label.
    const room = 253 - ancestor.length - 1;
    if (room < 1) return { state: NO_WILDCARD };
    // 48 random bits, then a word that tells the provider's operator who asks.
    const label = `${randomBytes(6).toString('hex')}-sinkd`.slice(0, room);
    let query: Buffer;
    try {
      query = probeQuery(`${label}.${ancestor}`, qtype);
    } catch {
      return null;
    }
    const questionEnd = query.length - 11;
    let reply: Buffer | null;
    try {
      reply = await this.target.resolve(query, questionEnd);
    } catch {
      return null;
    }
    if (reply === null || reply.length < HEADER_SIZE) return null;
    const rcode = reply[3]! & 0x0f;
    if (rcode === Rcode.NXDOMAIN) return { state: NO_WILDCARD };
    if (rcode !== Rcode.NOERROR) return null;
    if (reply.readUInt16BE(6) === 0) {
      // A referral: the names there are another zone's, not synthesised by this one.
      if ((reply[2]! & 0x04) === 0 && reply.readUInt16BE(8) > 0) return { state: NO_WILDCARD };
      return { state: WILDCARD, fingerprint: NO_DATA };
    }
    const fp = answerFingerprint(filterRelayed(reply, questionEnd, this.zone, this.listed), questionEnd);
    return fp === null ? null : { state: WILDCARD, fingerprint: fp };
  }
}

/** A question with RD=0 and an OPT for 1232 octets (DO=0), as the zone's chain asks. */
function probeQuery(name: string, qtype: number): Buffer {
  const qname = encodeName(name);
  const out = Buffer.alloc(HEADER_SIZE + qname.length + 4 + 11);
  out.writeUInt16BE(1, 4); // QDCOUNT
  out.writeUInt16BE(1, 10); // ARCOUNT: the OPT
  qname.copy(out, HEADER_SIZE);
  let off = HEADER_SIZE + qname.length;
  off = out.writeUInt16BE(qtype, off);
  off = out.writeUInt16BE(QClass.IN, off);
  // OPT: root owner, type, UDP size, extended rcode/version/flags 0, no options.
  off += 1;
  off = out.writeUInt16BE(QType.OPT, off);
  out.writeUInt16BE(1232, off);
  return out;
}
