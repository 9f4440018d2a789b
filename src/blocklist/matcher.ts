// Owns the in-memory answer to "is this query name blocked?", asked once per DNS query.
import { randomBytes } from 'node:crypto';
import { normalizeName } from './name.js';
import type { Rule, RuleAction, RuleKind } from './rule.js';

// The hash: FNV-1a over a name's characters from last to first, so that walking a query from
// the right, the running value at each dot is the hash of the suffix to its right (every
// suffix hashed in one pass). The offset basis is drawn per process, so which names share a
// slot cannot be worked out in advance (a list crafted to pile names into one probe run).
const PRIME = 0x01000193;
const SEED = randomBytes(4).readInt32LE(0);

function hashOf(name: string): number {
  let h = SEED;
  for (let i = name.length - 1; i >= 0; i--) h = Math.imul(h ^ name.charCodeAt(i), PRIME);
  return h;
}

// Layout. With a million names what a lookup costs is cache misses (~150-300 ns each on the
// VMs we measured, once data outgrows a few MB) and the work that waits on one; so the
// structure is built around them, and holds no JS object per name.
//
// An open-addressing table (linear probing, at most 3/4 full) keyed by the name's hash,
// spread over typed arrays indexed by slot s:
//   #fingerprints[s]  8 more bits of the hash; 0 = empty slot. 2 MB for a million names,
//                     small enough to stay mostly in the CPU cache: it rules out nearly every
//                     suffix of a query that is not listed without touching anything else.
//   #records, 32 bytes (8 words) at s: byte 0 the name's length, byte 1 its flags (BLOCK |
//                     ALLOW); word 1 the block Rule's index in #rules + 1 (0 until made);
//                     words 2-7 the name's last INLINE characters, right-aligned (zero bytes
//                     before a shorter name). A listed suffix costs this one cache line.
//   #aux, 4 words at s, read off the lookup path: the block and allow template ids (below),
//                     where the characters before the last INLINE are in #heads (longer
//                     names only, ~3% in the lists we ship), and when the name was added.
// Normalized names are ASCII: a character is a byte. match() copies the query, right-aligned,
// into a scratch buffer as it walks it, so a suffix is compared with a record 4 characters
// at a time, exactly, in place, and with a single branch (the CPU can go on with the walk
// while the record comes from memory). A million names take 2^21 slots, ~100 bytes a name.
//
// Templates: everything in a rule but its name (kind, source, family, action) repeats across a
// list, so a slot holds a template id, not a Rule. The Rule that match() returns, shaped like
// the one add() took ({ name, kind, source, family?, action? }), is built the first time the
// name matches and kept until that rule is replaced or deleted: repeated matches return the
// same object (callers may key caches by it) and allocate nothing. Templates are not freed
// while the matcher lives (there are a handful per source).

const BLOCK = 1;
const ALLOW = 2;
const RECORD_SHIFT = 3; // 8 words a record
const FLAGS = 1; // byte offset in a record
const RULE = 1; // word offset in a record
const INLINE = 24; // characters in a record
const INLINE_WORDS = INLINE / 4;
const AUX = 4; // words per slot in #aux:
const BLOCK_TEMPLATE = 0;
const ALLOW_TEMPLATE = 1;
const HEAD = 2; // word index in #heads of the characters before the last INLINE
const ORDER = 3;
const MIN_SLOTS = 256;
const MIN_HEADS = 256; // words
const MAX_ORDER = 0x7fffffff;

/** Bytes that `length` characters take, right-aligned in whole words. */
function charBytes(length: number): number {
  return (length + 3) & ~3;
}

// MASKS[length & 3]: the bits of the first word of right-aligned characters that hold them
// (the other bytes are padding in a record, earlier characters in the scratch buffer).
// Built through a byte view, so it suits the platform's byte order.
const MASKS = new Int32Array(4);
{
  const bytes = new Uint8Array(4);
  const word = new Int32Array(bytes.buffer);
  for (let r = 0; r < 4; r++) {
    for (let k = 0; k < 4; k++) bytes[k] = k < ((4 - r) & 3) ? 0 : 0xff;
    MASKS[r] = word[0] as number;
  }
}

// The name being looked up, right-aligned at the end of the buffer: match() fills it as it
// walks the query, stage() for the other paths. Characters above 127, which no listed name
// has, are stored as 255.
let scratchBytes: Uint8Array = new Uint8Array(1024);
let scratchWords: Int32Array = new Int32Array(scratchBytes.buffer);

function fitScratch(length: number): void {
  if (length <= scratchBytes.length) return;
  scratchBytes = new Uint8Array(charBytes(length));
  scratchWords = new Int32Array(scratchBytes.buffer);
}

/** Copies name into the scratch buffer; returns hashOf(name). */
function stage(name: string): number {
  fitScratch(name.length);
  const bytes = scratchBytes;
  const offset = bytes.length - name.length;
  let h = SEED;
  for (let i = name.length - 1; i >= 0; i--) {
    const c = name.charCodeAt(i);
    bytes[offset + i] = c > 127 ? 255 : c;
    h = Math.imul(h ^ c, PRIME);
  }
  return h;
}

// murmur3's finalizer: spreads FNV's weak low bits over the word. The low bits pick the
// home slot, the top byte is the fingerprint.
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function fingerprint(mixed: number): number {
  return mixed >>> 24 || 1;
}

/** Nonzero unless the `length` right-aligned characters ending at words[end] and scratch[q] are equal. */
function differ(words: Int32Array, end: number, scratch: Int32Array, q: number, length: number): number {
  const n = (length + 3) >> 2;
  let diff = ((words[end - n] as number) ^ (scratch[q - n] as number)) & (MASKS[length & 3] as number);
  for (let k = 1; k < n; k++) diff |= (words[end - k] as number) ^ (scratch[q - k] as number);
  return diff;
}

/** The slot of the name equal to the last `length` characters of the scratch buffer (hash h), or -1. */
function probe(
  fingerprints: Uint8Array,
  records: Int32Array,
  recordBytes: Uint8Array,
  aux: Int32Array,
  heads: Int32Array,
  mask: number,
  h: number,
  length: number,
  scratch: Int32Array,
): number {
  const mixed = mix(h);
  const f = fingerprint(mixed);
  let s = mixed & mask;
  for (;;) {
    const g = fingerprints[s] as number;
    if (g === 0) return -1;
    if (g === f && recordBytes[s << (RECORD_SHIFT + 2)] === length) {
      const end = (s + 1) << RECORD_SHIFT;
      const q = scratch.length;
      let diff: number;
      if (length <= INLINE) {
        diff = differ(records, end, scratch, q, length);
      } else {
        diff = differ(records, end, scratch, q, INLINE);
        const head = length - INLINE;
        diff |= differ(heads, (aux[s * AUX + HEAD] as number) + (charBytes(head) >> 2), scratch, q - INLINE_WORDS, head);
      }
      if (diff === 0) return s;
    }
    s = (s + 1) & mask;
  }
}

interface Template {
  readonly id: number;
  readonly kind: RuleKind;
  readonly source: string;
  readonly family: string | undefined;
  readonly action: RuleAction | undefined;
}

function makeRule(name: string, t: Template): Rule {
  const rule: { name: string; kind: RuleKind; source: string; family?: string; action?: RuleAction } = {
    name,
    kind: t.kind,
    source: t.source,
  };
  if (t.family !== undefined) rule.family = t.family;
  if (t.action !== undefined) rule.action = t.action;
  return rule;
}

/** The table's arrays; replaced whole when the table grows. */
class Table {
  readonly mask: number;
  readonly fingerprints: Uint8Array;
  readonly records: Int32Array;
  readonly recordBytes: Uint8Array;
  readonly aux: Int32Array;

  constructor(slots: number) {
    this.mask = slots - 1;
    this.fingerprints = new Uint8Array(slots);
    this.records = new Int32Array(slots << RECORD_SHIFT);
    this.recordBytes = new Uint8Array(this.records.buffer);
    this.aux = new Int32Array(slots * AUX);
  }

  /** The empty slot where a name with hash h goes; marks it taken. */
  place(h: number): number {
    const fingerprints = this.fingerprints;
    const mask = this.mask;
    const mixed = mix(h);
    let s = mixed & mask;
    while (fingerprints[s] !== 0) s = (s + 1) & mask;
    fingerprints[s] = fingerprint(mixed);
    return s;
  }

  /** Copies slot `from` of `table` (which may be this one) to slot `to`, fingerprint aside. */
  copy(to: number, table: Table, from: number): void {
    const records = this.records;
    const fromRecords = table.records;
    const r = to << RECORD_SHIFT;
    const q = from << RECORD_SHIFT;
    for (let k = 0; k < 1 << RECORD_SHIFT; k++) records[r + k] = fromRecords[q + k] as number;
    const aux = this.aux;
    const fromAux = table.aux;
    for (let k = 0; k < AUX; k++) aux[to * AUX + k] = fromAux[from * AUX + k] as number;
  }
}

export interface MatchExplanation {
  readonly blocked: boolean;
  /** The most specific block rule covering the name, even when an allow rule overrides it. */
  readonly rule?: Rule;
  /** The most specific allow rule covering the name; when present, blocked is false. */
  readonly allowedBy?: Rule;
}

/**
 * A rule for "evil.example" covers "evil.example" and every name below it, never
 * "notevil.example" or "example". An allow rule at any depth (the name itself or an
 * ancestor) wins over every block rule.
 */
export class DomainMatcher {
  #table = new Table(MIN_SLOTS);
  /** Characters before the last INLINE of long names, right-aligned in words; see HEAD. */
  #heads: Int32Array = new Int32Array(MIN_HEADS);
  #headBytes: Uint8Array = new Uint8Array(this.#heads.buffer);
  #headsEnd = 0; // words
  #headsDead = 0; // words
  /** Block rules made by match() and explain(), see RULE; free indexes are reused. */
  #rules: (Rule | undefined)[] = [];
  #freeRules: number[] = [];
  /** Occupied slots: distinct names. */
  #names = 0;
  #nextOrder = 0;
  #blockCount = 0;
  #allowCount = 0;
  #templates: Template[] = [];
  #templateByKey = new Map<string, Template>();
  #lastTemplate: Template | undefined = undefined;

  /** Replaces an earlier rule of the same name and kind. Throws on an unusable name. */
  add(rule: Rule): void {
    const name = normalizeName(rule.name, { stripWildcard: true });
    if (name === null) throw new Error(`invalid blocklist name ${JSON.stringify(rule.name)}`);
    const template = this.#templateFor(rule);
    const h = stage(name);
    let s = this.#probe(h, name.length);
    if (s < 0) s = this.#insert(name, h);
    const t = this.#table;
    const flagsAt = (s << (RECORD_SHIFT + 2)) + FLAGS;
    const flags = t.recordBytes[flagsAt] as number;
    if (rule.kind === 'block') {
      if ((flags & BLOCK) === 0) this.#blockCount++;
      t.recordBytes[flagsAt] = flags | BLOCK;
      t.aux[s * AUX + BLOCK_TEMPLATE] = template.id;
      this.#dropRule(s); // the next match() makes the new rule
    } else {
      if ((flags & ALLOW) === 0) this.#allowCount++;
      t.recordBytes[flagsAt] = flags | ALLOW;
      t.aux[s * AUX + ALLOW_TEMPLATE] = template.id;
    }
  }

  delete(name: string, kind: RuleKind): boolean {
    const key = normalizeName(name, { stripWildcard: true });
    if (key === null) return false;
    const s = this.#probe(stage(key), key.length);
    if (s < 0) return false;
    const t = this.#table;
    const bit = kind === 'block' ? BLOCK : ALLOW;
    const flagsAt = (s << (RECORD_SHIFT + 2)) + FLAGS;
    const flags = t.recordBytes[flagsAt] as number;
    if ((flags & bit) === 0) return false;
    if (bit === BLOCK) {
      this.#blockCount--;
      this.#dropRule(s);
    } else {
      this.#allowCount--;
    }
    t.recordBytes[flagsAt] = flags & ~bit;
    if ((flags & ~bit) === 0) this.#remove(s);
    return true;
  }

  clear(): void {
    this.#table = new Table(MIN_SLOTS);
    this.#setHeads(new Int32Array(MIN_HEADS));
    this.#headsEnd = 0;
    this.#headsDead = 0;
    this.#rules = [];
    this.#freeRules = [];
    this.#names = 0;
    this.#nextOrder = 0;
    this.#blockCount = 0;
    this.#allowCount = 0;
    this.#templates = [];
    this.#templateByKey = new Map();
    this.#lastTemplate = undefined;
  }

  /** Number of rules (a name with both a block and an allow rule counts twice). */
  get size(): number {
    return this.#blockCount + this.#allowCount;
  }

  counts(): { block: number; allow: number } {
    return { block: this.#blockCount, allow: this.#allowCount };
  }

  /**
   * The block rule that applies to qname, or undefined. qname must already be lowercase
   * without a trailing dot (the wire layer does that once per query). Walks the name from
   * the right, hashing (and copying, see the layout) as it goes: at each dot the hash is that
   * of the suffix to its right, which is looked up. A more specific block rule found later
   * replaces a less specific one; any allow rule ends the walk.
   */
  match(qname: string): Rule | undefined {
    const length = qname.length;
    fitScratch(length);
    const staged = scratchBytes;
    const scratch = scratchWords;
    const offset = staged.length - length;
    const t = this.#table;
    const fingerprints = t.fingerprints;
    const records = t.records;
    const recordBytes = t.recordBytes;
    const aux = t.aux;
    const heads = this.#heads;
    const mask = t.mask;
    let found = -1;
    let h = SEED;
    for (let i = length - 1; i >= 0; i--) {
      const c = qname.charCodeAt(i);
      if (c === 46 /* . */) {
        const s = probe(fingerprints, records, recordBytes, aux, heads, mask, h, length - i - 1, scratch);
        if (s >= 0) {
          if (((recordBytes[(s << (RECORD_SHIFT + 2)) + FLAGS] as number) & ALLOW) !== 0) return undefined;
          found = s;
        }
      }
      staged[offset + i] = c > 127 ? 255 : c;
      h = Math.imul(h ^ c, PRIME); // the step of hashOf(), inlined
    }
    const s = probe(fingerprints, records, recordBytes, aux, heads, mask, h, length, scratch);
    if (s >= 0) {
      if (((recordBytes[(s << (RECORD_SHIFT + 2)) + FLAGS] as number) & ALLOW) !== 0) return undefined;
      found = s;
    }
    if (found < 0) return undefined;
    const index = records[(found << RECORD_SHIFT) + RULE] as number;
    return index !== 0 ? (this.#rules[index - 1] as Rule) : this.#blockRule(found);
  }

  /** Slow path for people (CLI "check", admin API): also says which allow rule won. */
  explain(qname: string): MatchExplanation {
    const name = normalizeName(qname);
    if (name === null) return { blocked: false };
    let rule: Rule | undefined;
    let allowedBy: Rule | undefined;
    stage(name);
    let start = 0;
    for (;;) {
      const s = this.#probe(hashOf(name.slice(start)), name.length - start);
      if (s >= 0) {
        const flags = this.#table.recordBytes[(s << (RECORD_SHIFT + 2)) + FLAGS] as number;
        if ((flags & BLOCK) !== 0) rule ??= this.#blockRule(s);
        if ((flags & ALLOW) !== 0) allowedBy ??= this.#allowRule(s);
      }
      const dot = name.indexOf('.', start);
      if (dot < 0) break;
      start = dot + 1;
    }
    if (allowedBy !== undefined) {
      return rule === undefined ? { blocked: false, allowedBy } : { blocked: false, rule, allowedBy };
    }
    return rule === undefined ? { blocked: false } : { blocked: true, rule };
  }

  /**
   * Every rule, block before allow for each name, names in the order they were first added;
   * for listing and export. Collected up front: the matcher may change during the iteration.
   * Block rules not yet made by match() are made for the listing only, not kept.
   */
  *rules(): IterableIterator<Rule> {
    const all: Rule[] = [];
    const t = this.#table;
    for (const s of this.#slotsInOrder()) {
      const flags = t.recordBytes[(s << (RECORD_SHIFT + 2)) + FLAGS] as number;
      if ((flags & BLOCK) !== 0) {
        const index = t.records[(s << RECORD_SHIFT) + RULE] as number;
        all.push(index !== 0 ? (this.#rules[index - 1] as Rule) : this.#makeRule(s, BLOCK_TEMPLATE));
      }
      if ((flags & ALLOW) !== 0) all.push(this.#makeRule(s, ALLOW_TEMPLATE));
    }
    yield* all;
  }

  #probe(h: number, length: number): number {
    const t = this.#table;
    return probe(t.fingerprints, t.records, t.recordBytes, t.aux, this.#heads, t.mask, h, length, scratchWords);
  }

  /** A slot (no flags yet) for a name that is not in the table, staged (see stage()); its hash is h. */
  #insert(name: string, h: number): number {
    if ((this.#names + 1) * 4 > (this.#table.mask + 1) * 3) this.#grow();
    if (this.#nextOrder === MAX_ORDER) this.#renumber();
    const length = name.length;
    const head = length > INLINE ? this.#appendHead(length - INLINE) : 0; // may move heads
    const t = this.#table;
    const s = t.place(h);
    // The characters, as words, from the scratch buffer (add() staged the name there).
    const records = t.records;
    const r = s << RECORD_SHIFT;
    const end = r + (1 << RECORD_SHIFT);
    const scratch = scratchWords;
    const q = scratch.length;
    const n = (Math.min(length, INLINE) + 3) >> 2;
    for (let k = r; k < end - n; k++) records[k] = 0;
    records[end - n] = (scratch[q - n] as number) & (MASKS[Math.min(length, INLINE) & 3] as number);
    for (let k = 1; k < n; k++) records[end - k] = scratch[q - k] as number;
    t.recordBytes[r << 2] = length;
    const aux = s * AUX;
    t.aux[aux + BLOCK_TEMPLATE] = 0;
    t.aux[aux + ALLOW_TEMPLATE] = 0;
    t.aux[aux + HEAD] = head;
    t.aux[aux + ORDER] = this.#nextOrder++;
    this.#names++;
    return s;
  }

  /** Stores the first `head` characters of the staged name in #heads; returns the word where they start. */
  #appendHead(head: number): number {
    const words = charBytes(head) >> 2;
    if (this.#headsEnd + words > this.#heads.length) {
      const live = this.#headsEnd - this.#headsDead + words;
      this.#compactHeads(Math.max(MIN_HEADS, Math.ceil(live * 1.5)));
    }
    const at = this.#headsEnd;
    const heads = this.#heads;
    const scratch = scratchWords;
    const q = scratch.length - INLINE_WORDS; // one past the head's last word in the scratch buffer
    heads[at] = (scratch[q - words] as number) & (MASKS[head & 3] as number);
    for (let k = 1; k < words; k++) heads[at + words - k] = scratch[q - k] as number;
    this.#headsEnd = at + words;
    return at;
  }

  /** Moves the heads still in use to a new array of `words` words. */
  #compactHeads(words: number): void {
    const from = this.#heads;
    const to = new Int32Array(words);
    if (this.#headsDead === 0) {
      to.set(from.subarray(0, this.#headsEnd));
      this.#setHeads(to);
      return;
    }
    const t = this.#table;
    let end = 0;
    for (let s = 0; s <= t.mask; s++) {
      if (t.fingerprints[s] === 0) continue;
      const length = t.recordBytes[s << (RECORD_SHIFT + 2)] as number;
      if (length <= INLINE) continue;
      const n = charBytes(length - INLINE) >> 2;
      const at = t.aux[s * AUX + HEAD] as number;
      to.set(from.subarray(at, at + n), end);
      t.aux[s * AUX + HEAD] = end;
      end += n;
    }
    this.#setHeads(to);
    this.#headsEnd = end;
    this.#headsDead = 0;
  }

  #setHeads(heads: Int32Array): void {
    this.#heads = heads;
    this.#headBytes = new Uint8Array(heads.buffer);
  }

  /** hashOf() the name in slot s of table t. */
  #hashOf(t: Table, s: number): number {
    const bytes = t.recordBytes;
    const length = bytes[s << (RECORD_SHIFT + 2)] as number;
    const end = (s + 1) << (RECORD_SHIFT + 2);
    let h = SEED;
    for (let i = end - 1; i >= end - Math.min(length, INLINE); i--) h = Math.imul(h ^ (bytes[i] as number), PRIME);
    if (length > INLINE) {
      const head = length - INLINE;
      const headEnd = ((t.aux[s * AUX + HEAD] as number) << 2) + charBytes(head);
      for (let i = headEnd - 1; i >= headEnd - head; i--) h = Math.imul(h ^ (this.#headBytes[i] as number), PRIME);
    }
    return h;
  }

  #nameOf(s: number): string {
    const t = this.#table;
    const length = t.recordBytes[s << (RECORD_SHIFT + 2)] as number;
    const codes = new Array<number>(length);
    const end = (s + 1) << (RECORD_SHIFT + 2);
    const tail = Math.min(length, INLINE);
    for (let i = 0; i < tail; i++) codes[length - tail + i] = t.recordBytes[end - tail + i] as number;
    if (length > INLINE) {
      const head = length - INLINE;
      const headEnd = ((t.aux[s * AUX + HEAD] as number) << 2) + charBytes(head);
      for (let i = 0; i < head; i++) codes[i] = this.#headBytes[headEnd - head + i] as number;
    }
    return String.fromCharCode(...codes);
  }

  /** The block Rule of slot s, made on first use and kept (see RULE). */
  #blockRule(s: number): Rule {
    const records = this.#table.records;
    const index = records[(s << RECORD_SHIFT) + RULE] as number;
    if (index !== 0) return this.#rules[index - 1] as Rule;
    const rule = this.#makeRule(s, BLOCK_TEMPLATE);
    const free = this.#freeRules.pop() ?? this.#rules.length;
    this.#rules[free] = rule;
    records[(s << RECORD_SHIFT) + RULE] = free + 1;
    return rule;
  }

  /** Allow rules only matter to explain() and rules(): made per call, not kept. */
  #allowRule(s: number): Rule {
    return this.#makeRule(s, ALLOW_TEMPLATE);
  }

  #makeRule(s: number, kind: typeof BLOCK_TEMPLATE | typeof ALLOW_TEMPLATE): Rule {
    return makeRule(this.#nameOf(s), this.#templates[this.#table.aux[s * AUX + kind] as number] as Template);
  }

  /** Forgets the block Rule made for slot s, if any. */
  #dropRule(s: number): void {
    const records = this.#table.records;
    const index = records[(s << RECORD_SHIFT) + RULE] as number;
    if (index === 0) return;
    this.#rules[index - 1] = undefined;
    this.#freeRules.push(index - 1);
    records[(s << RECORD_SHIFT) + RULE] = 0;
  }

  #templateFor(rule: Rule): Template {
    const { kind, source, family, action } = rule;
    const last = this.#lastTemplate;
    if (last !== undefined && last.source === source && last.kind === kind && last.family === family && last.action === action) {
      return last;
    }
    // Lengths keep the key unambiguous whatever the strings hold; '-' stands for "absent".
    const key =
      `${kind}:${source.length}:${source}:` +
      (family === undefined ? '-' : `${family.length}:${family}`) +
      (action === undefined ? '-' : action);
    let t = this.#templateByKey.get(key);
    if (t === undefined) {
      t = { id: this.#templates.length, kind, source, family, action };
      this.#templates.push(t);
      this.#templateByKey.set(key, t);
    }
    this.#lastTemplate = t;
    return t;
  }

  /** Doubles the table. */
  #grow(): void {
    const old = this.#table;
    const t = new Table((old.mask + 1) * 2);
    for (let s = 0; s <= old.mask; s++) {
      if (old.fingerprints[s] !== 0) t.copy(t.place(this.#hashOf(old, s)), old, s);
    }
    this.#table = t;
  }

  /** Empties slot s, moving later names of its probe run back so every lookup still finds them. */
  #remove(s: number): void {
    const t = this.#table;
    const fingerprints = t.fingerprints;
    const mask = t.mask;
    const length = t.recordBytes[s << (RECORD_SHIFT + 2)] as number;
    let hole = s;
    let j = s;
    for (;;) {
      j = (j + 1) & mask;
      if (fingerprints[j] === 0) break;
      const home = mix(this.#hashOf(t, j)) & mask;
      // The name at j may move into the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      fingerprints[hole] = fingerprints[j] as number;
      t.copy(hole, t, j);
      hole = j;
    }
    fingerprints[hole] = 0;
    this.#names--;
    if (length > INLINE) {
      this.#headsDead += charBytes(length - INLINE) >> 2;
      if (this.#headsDead > MIN_HEADS && this.#headsDead * 2 > this.#headsEnd) this.#compactHeads(this.#heads.length);
    }
  }

  #slotsInOrder(): number[] {
    const t = this.#table;
    const slots: number[] = [];
    for (let s = 0; s <= t.mask; s++) if (t.fingerprints[s] !== 0) slots.push(s);
    return slots.sort((a, b) => (t.aux[a * AUX + ORDER] as number) - (t.aux[b * AUX + ORDER] as number));
  }

  /** Closes the gaps deleted names left in the insertion counter. */
  #renumber(): void {
    const t = this.#table;
    const slots = this.#slotsInOrder();
    slots.forEach((s, i) => (t.aux[s * AUX + ORDER] = i));
    this.#nextOrder = slots.length;
  }
}

export function matcherFromRules(rules: Iterable<Rule>): DomainMatcher {
  const matcher = new DomainMatcher();
  for (const rule of rules) matcher.add(rule);
  return matcher;
}
