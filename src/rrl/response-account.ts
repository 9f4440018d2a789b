// Owns which RRL account a seized zone's reply is debited to: BIND's rules for "identical
// responses", worked out from the reply bytes, because sinkd relays the provider's answers and
// never sees the provider's zone. The limiter (rate-limiter.ts) then keeps one balance per
// (client prefix, kind, key). Whatever an attacker varies per question — the name under a
// wildcard, the label under a listed host, the query type — must not give it a fresh account:
//
// - positive answer: its name and type (BIND), but a CNAME answers every type alike, so it is
//   keyed "cname"; an answer synthesised by a provider wildcard `*.X` is keyed by X (BIND: "as if
//   for the parent domain name"), see `wildcardOf` for how sinkd tells it without the zone;
// - NODATA: the name, whatever the type (BIND); under a wildcard, X;
// - referral: the delegation point, the owner of the NS set (BIND);
// - NXDOMAIN: the zone (BIND: the zone origin); errors: nothing, one account per prefix (BIND);
// - sinkhole: the listed entry that matched, whatever the name below it and the type;
// - sinkd's own RFC 8482 answer to ANY: the zone (it is made for any name, existing or not);
// - a reply sinkd cannot read: the zone.

import { HEADER_SIZE, QType, Rcode } from '../wire/constants.js';
import { readName, skipName } from '../wire/names.js';
import type { ResponseKind } from './rate-limiter.js';

/** What is known of the names a wildcard would synthesise below an ancestor of the question. */
export const UNKNOWN = -1;
/** `<new label>.ancestor` does not exist: no wildcard makes names there. */
export const NO_WILDCARD = -2;
/** `<new label>.ancestor` exists: a wildcard synthesises the names there. */
export const WILDCARD = -3;

/**
 * What sinkd has learned of the provider's wildcards (wildcard-prober.ts asks the provider). Both
 * methods answer at once from what is known, and start learning what is not (never waiting).
 */
export interface WildcardKnowledge {
  /** UNKNOWN, NO_WILDCARD or WILDCARD, for new names directly below `ancestor`. */
  wildcardAt(ancestor: string, qtype: number, nowMs: number): number;
  /**
   * UNKNOWN, or the answerFingerprint of the wildcard's answer of type `qtype` below `ancestor`
   * (another negative number when the wildcard has no data of that type: it matches no answer).
   */
  fingerprint(ancestor: string, qtype: number, nowMs: number): number;
}

/** For a zone whose wildcards are not looked for: every answer is its name's own. */
export const NO_WILDCARDS: WildcardKnowledge = Object.freeze({ wildcardAt: () => NO_WILDCARD, fingerprint: () => UNKNOWN });

/** How the reply came to be, when that and not its bytes decides the account. */
export type ReplyOrigin = { readonly sinkholed: string } | 'local' | 'relayed';

export interface Account {
  readonly kind: ResponseKind;
  readonly key: string;
}

const ERROR: Account = { kind: 'error', key: '' };
const AA = 0x04;

/**
 * The account for `reply`, the answer to (qname, qtype) in seized zone `zone` (lowercase, no
 * trailing dot, as the wire parser gives them). Never throws: a reply that does not parse is
 * debited to the zone.
 */
export function accountFor(
  reply: Buffer,
  questionEnd: number,
  qname: string,
  qtype: number,
  zone: string,
  origin: ReplyOrigin,
  wildcards: WildcardKnowledge,
  nowMs: number,
): Account {
  if (reply.length < HEADER_SIZE) return { kind: 'answer', key: `${zone}/unreadable` };
  const rcode = reply[3]! & 0x0f;
  if (typeof origin === 'object') {
    return rcode === Rcode.NXDOMAIN ? { kind: 'nxdomain', key: origin.sinkholed } : { kind: 'answer', key: `${origin.sinkholed}/sinkhole` };
  }
  if (rcode === Rcode.NXDOMAIN) return { kind: 'nxdomain', key: zone };
  if (rcode !== Rcode.NOERROR) return ERROR;
  if (origin === 'local') return { kind: 'answer', key: `${zone}/any` };
  const an = reply.readUInt16BE(6);
  if (an === 0) {
    const cut = reply.readUInt16BE(8) > 0 && (reply[2]! & AA) === 0 ? delegationPoint(reply, questionEnd, qname, zone) : null;
    if (cut !== null) return { kind: 'answer', key: `${cut}/referral` };
    const x = wildcardOf(qname, zone, qtype, wildcards, null, 0, nowMs);
    if (x === UNREADABLE) return { kind: 'answer', key: `${zone}/unreadable` };
    return { kind: 'answer', key: x === null ? `${qname}/nodata` : `*.${x}/nodata` };
  }
  const first = firstAnswerType(reply, questionEnd);
  const x = first < 0 ? UNREADABLE : wildcardOf(qname, zone, qtype, wildcards, reply, questionEnd, nowMs);
  if (x === UNREADABLE) return { kind: 'answer', key: `${zone}/unreadable` };
  const type = first === QType.CNAME && qtype !== QType.CNAME ? 'cname' : String(qtype);
  return { kind: 'answer', key: x === null ? `${qname}/${type}` : `*.${x}/${type}` };
}

/** The type of the answer section's first record, or -1 when it does not parse. */
function firstAnswerType(reply: Buffer, questionEnd: number): number {
  if (questionEnd < HEADER_SIZE || questionEnd > reply.length) return -1;
  const afterName = skipName(reply, questionEnd);
  return afterName < 0 || afterName + 2 > reply.length ? -1 : reply.readUInt16BE(afterName);
}

/** wildcardOf's answer when the answer section it had to compare does not parse. */
const UNREADABLE = '\0unreadable';

/**
 * X when the answer for qname looks synthesised by the provider's wildcard `*.X` (or may be, as
 * far as sinkd knows yet), null when it is the name's own.
 *
 * A relayed answer does not say whether it came from a wildcard (nsd gives the question's name as
 * the owner; only DNSSEC would tell, and the seized zones of 2014 were unsigned). What sinkd can do
 * is ask the provider, once per ancestor, for a name that cannot exist, `<random>.ancestor`
 * (wildcard-prober.ts): NXDOMAIN means no wildcard makes names there; an answer means one does,
 * and it is the answer every new name there gets. So, walking from the apex down to qname's parent:
 * - NO_WILDCARD at an ancestor: the next name down exists for real (or qname would have been
 *   NXDOMAIN), go on;
 * - WILDCARD, and qname's answer is the wildcard's (same records, owner names aside): X = that
 *   ancestor. A real name with the very same data is counted with it, as the identical answer it is;
 * - WILDCARD and a different answer: qname, or a name between, exists for real: go on.
 * Every ancestor the walk passes exists for real, so the provider is asked about names of its
 * zone, never about the random names of a flood: the learning costs a handful of queries per real
 * ancestor and type, refreshed now and then, however large the flood.
 * Reaching qname's parent without a match: the answer is qname's own. That is the common case, a
 * real hostname straight below the apex: one lookup (the apex is NO_WILDCARD), and a resolver that
 * asks millions of different real hostnames keeps one account per name, as with BIND.
 *
 * Where the walk meets what is not known yet (the milliseconds a probe takes, or an ancestor the
 * bounded prober has no room or budget for), the answer is counted as if that ancestor had the
 * wildcard: it exists for real, so a flood gets at most one account per real name, and it is the
 * very account the wildcard's answers get once learned. A resolver asking many different real
 * names meanwhile is counted per ancestor: per host for `www.host.no-ip.biz`, and for the apex
 * only in the moments after a start (the apex is asked about at once, see WildcardProber.prime).
 */
function wildcardOf(
  qname: string,
  zone: string,
  qtype: number,
  wildcards: WildcardKnowledge,
  reply: Buffer | null,
  questionEnd: number,
  nowMs: number,
): string | null {
  if (qname.length <= zone.length) return null; // the apex itself
  // A label holding an escaped "." would split wrongly below; no real hostname has one, so such
  // names share the zone's "unreadable" account.
  if (qname.includes('\\')) return UNREADABLE;
  let ancestor = zone;
  let start = qname.length - zone.length; // where the ancestor starts in qname
  let answer = -1; // the reply's answerFingerprint, computed when first needed
  for (;;) {
    const state = wildcards.wildcardAt(ancestor, qtype, nowMs);
    if (state === UNKNOWN) return ancestor;
    if (state === WILDCARD) {
      // reply null: NODATA, which below a wildcard is the wildcard's whatever the type (BIND).
      if (reply === null) return ancestor;
      const fp = wildcards.fingerprint(ancestor, qtype, nowMs);
      if (fp === UNKNOWN) return ancestor;
      if (answer < 0) {
        const own = answerFingerprint(reply, questionEnd);
        if (own === null) return UNREADABLE;
        answer = own;
      }
      if (fp === answer) return ancestor;
    }
    const dot = qname.lastIndexOf('.', start - 2);
    if (dot < 0) return null; // the next name down is qname itself
    ancestor = qname.slice(dot + 1);
    start = dot + 1;
  }
}

/**
 * The owner of the NS set in a referral's authority section, when it is qname or one of its
 * ancestors strictly below the zone (anything else is the zone: no provider may pick the key).
 */
function delegationPoint(reply: Buffer, questionEnd: number, qname: string, zone: string): string | null {
  if (questionEnd < HEADER_SIZE || questionEnd > reply.length) return null;
  let off = questionEnd;
  for (let i = reply.readUInt16BE(6); i > 0; i--) {
    off = skipRecord(reply, off);
    if (off < 0) return null;
  }
  const afterName = skipName(reply, off);
  if (afterName < 0 || afterName + 2 > reply.length || reply.readUInt16BE(afterName) !== QType.NS) return null;
  const owner = readName(reply, off);
  if (owner === null) return zone;
  const below = owner.length > zone.length && owner.endsWith(`.${zone}`);
  const above = owner === qname || qname.endsWith(`.${owner}`);
  return below && above ? owner : zone;
}

function skipRecord(buf: Buffer, off: number): number {
  const afterName = skipName(buf, off);
  if (afterName < 0 || afterName + 10 > buf.length) return -1;
  const end = afterName + 10 + buf.readUInt16BE(afterName + 8);
  return end > buf.length ? -1 : end;
}

/** Types whose RDATA holds names that may be compressed (RFC 3597 4): hashed decompressed. */
const NAME_AT: ReadonlyMap<number, number> = new Map([
  [QType.CNAME, 0],
  [QType.NS, 0],
  [QType.PTR, 0],
  [QType.MX, 2],
  [QType.SRV, 6],
]);

/**
 * A 32-bit fingerprint of a reply's answer section: each record's type and data (names in the
 * data decompressed; owner names, TTLs and order left out, as they differ between two names a
 * wildcard answers; RRSIGs left out, as they come only with DO=1), summed so order does not
 * count. Null when the section does not parse.
 */
export function answerFingerprint(reply: Buffer, questionEnd: number): number | null {
  if (reply.length < HEADER_SIZE || questionEnd < HEADER_SIZE || questionEnd > reply.length) return null;
  let off = questionEnd;
  let sum = 0;
  const count = reply.readUInt16BE(6);
  for (let i = 0; i < count; i++) {
    const afterName = skipName(reply, off);
    if (afterName < 0 || afterName + 10 > reply.length) return null;
    const type = reply.readUInt16BE(afterName);
    const rdata = afterName + 10;
    const end = rdata + reply.readUInt16BE(afterName + 8);
    if (end > reply.length) return null;
    if (type !== QType.RRSIG) {
      let h = mix(0x811c9dc5, type);
      const nameAt = NAME_AT.get(type);
      if (nameAt !== undefined && rdata + nameAt < end) {
        for (let j = rdata; j < rdata + nameAt; j++) h = mix(h, reply[j]!);
        const name = readName(reply, rdata + nameAt);
        if (name === null) return null;
        for (let j = 0; j < name.length; j++) h = mix(h, name.charCodeAt(j));
      } else {
        for (let j = rdata; j < end; j++) h = mix(h, reply[j]!);
      }
      sum = (sum + fmix(h)) | 0;
    }
    off = end;
  }
  return sum >>> 0;
}

function mix(h: number, k: number): number {
  return Math.imul(h ^ k, 0x01000193);
}

/** Murmur3's finaliser, so that summing records does not let near-equal hashes cancel. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
