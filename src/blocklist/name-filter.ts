// Owns the matcher's pre-filter: a small Bloom filter over listed names, so that most
// suffixes of a query are ruled out without probing (and allocating a key for) the big Map.
//
// Why: with a million names, every Map.get is a few cache misses deep (about 1 µs each on
// the virtual machines we measured), and a 5-label query has 5 suffixes to try. Almost every
// query is clean, and a 2-bit filter check in a few MB says "not listed" for ~98% of them.

// FNV-1a over the name's characters from last to first: walking a query from the right,
// the running value at each dot is the hash of the suffix to its right, so every suffix
// of a query is hashed in one pass.
// A walker outside this module repeats the step `h = Math.imul(h ^ charCode, FNV_PRIME)`
// inline rather than calling a function per character.
export const HASH_SEED = 0x811c9dc5 | 0;
export const FNV_PRIME = 0x01000193;

export function hashName(name: string): number {
  let h = HASH_SEED;
  for (let i = name.length - 1; i >= 0; i--) h = Math.imul(h ^ name.charCodeAt(i), FNV_PRIME);
  return h;
}

// murmur3's finalizer: spreads FNV's weak low bits over the whole word.
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

const BITS_PER_NAME = 16; // with 2 probes: ~1.4% false positives when full
const MIN_BITS = 1 << 16;

export class NameFilter {
  readonly #words: Int32Array;
  readonly #mask: number;
  readonly #capacity: number;
  #count = 0;

  constructor(expectedNames = 0) {
    let bits = MIN_BITS;
    while (bits < expectedNames * BITS_PER_NAME && bits < 1 << 30) bits *= 2;
    this.#words = new Int32Array(bits >>> 5);
    this.#mask = bits - 1;
    this.#capacity = bits / BITS_PER_NAME;
  }

  static of(names: Iterable<string>, count: number): NameFilter {
    // Room to grow: rebuilding on every add past the limit would be quadratic.
    const filter = new NameFilter(count * 2);
    for (const name of names) filter.add(hashName(name));
    return filter;
  }

  /** True once the filter holds more names than it was sized for; the owner rebuilds it. */
  get full(): boolean {
    return this.#count > this.#capacity;
  }

  add(h: number): void {
    const a = mix(h) & this.#mask;
    const b = mix(h ^ 0x5bd1e995) & this.#mask;
    this.#words[a >>> 5] |= 1 << (a & 31);
    this.#words[b >>> 5] |= 1 << (b & 31);
    this.#count++;
  }

  /** False means the name is certainly not listed; true means "probe the Map". */
  mayContain(h: number): boolean {
    const a = mix(h) & this.#mask;
    if ((this.#words[a >>> 5] & (1 << (a & 31))) === 0) return false;
    const b = mix(h ^ 0x5bd1e995) & this.#mask;
    return (this.#words[b >>> 5] & (1 << (b & 31))) !== 0;
  }
}
