// Owns the in-memory answer to "is this query name blocked?", asked once per DNS query.
import { normalizeName } from './name.js';
import { FNV_PRIME, HASH_SEED, NameFilter, hashName } from './name-filter.js';
import type { Rule, RuleKind } from './rule.js';

// Local copies: the walk in match() reads them per character, and some module loaders (the
// test runner's) turn every use of an imported binding into a property read.
const SEED = HASH_SEED;
const PRIME = FNV_PRIME;

// One object per listed name holding both kinds, so a lookup is one Map probe per label
// and both fields keep one hidden class (no polymorphic access on the hot path).
class NameRules {
  block: Rule | undefined = undefined;
  allow: Rule | undefined = undefined;
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
  readonly #byName = new Map<string, NameRules>();
  // Names in #byName are always in the filter; deleted names may linger until a rebuild.
  #filter = new NameFilter();
  #deletedSinceBuild = 0;
  #blockCount = 0;
  #allowCount = 0;

  /** Replaces an earlier rule of the same name and kind. Throws on an unusable name. */
  add(rule: Rule): void {
    const name = normalizeName(rule.name, { stripWildcard: true });
    if (name === null) throw new Error(`invalid blocklist name ${JSON.stringify(rule.name)}`);
    const stored = name === rule.name ? rule : { ...rule, name };
    let entry = this.#byName.get(name);
    if (entry === undefined) {
      entry = new NameRules();
      this.#byName.set(name, entry);
      this.#filter.add(hashName(name));
      if (this.#filter.full) this.#rebuildFilter();
    }
    if (stored.kind === 'block') {
      if (entry.block === undefined) this.#blockCount++;
      entry.block = stored;
    } else {
      if (entry.allow === undefined) this.#allowCount++;
      entry.allow = stored;
    }
  }

  delete(name: string, kind: RuleKind): boolean {
    const key = normalizeName(name, { stripWildcard: true });
    if (key === null) return false;
    const entry = this.#byName.get(key);
    if (entry === undefined) return false;
    if (kind === 'block') {
      if (entry.block === undefined) return false;
      entry.block = undefined;
      this.#blockCount--;
    } else {
      if (entry.allow === undefined) return false;
      entry.allow = undefined;
      this.#allowCount--;
    }
    if (entry.block === undefined && entry.allow === undefined) {
      this.#byName.delete(key);
      // Stale filter bits only cost extra Map probes; rebuild once they could matter.
      if (++this.#deletedSinceBuild > 4096 && this.#deletedSinceBuild > this.#byName.size) {
        this.#rebuildFilter();
      }
    }
    return true;
  }

  #rebuildFilter(): void {
    this.#filter = NameFilter.of(this.#byName.keys(), this.#byName.size);
    this.#deletedSinceBuild = 0;
  }

  clear(): void {
    this.#byName.clear();
    this.#filter = new NameFilter();
    this.#deletedSinceBuild = 0;
    this.#blockCount = 0;
    this.#allowCount = 0;
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
   * the right, hashing as it goes: at each dot the suffix to its right is checked against
   * the filter, and only a possible hit costs a substring and a Map probe. A more specific
   * block rule found later replaces a less specific one; any allow rule ends the walk.
   */
  match(qname: string): Rule | undefined {
    const byName = this.#byName;
    const filter = this.#filter;
    let found: Rule | undefined;
    let h = SEED;
    for (let i = qname.length - 1; i >= 0; i--) {
      const c = qname.charCodeAt(i);
      if (c === 46 /* . */ && filter.mayContain(h)) {
        const entry = byName.get(qname.slice(i + 1));
        if (entry !== undefined) {
          if (entry.allow !== undefined) return undefined;
          if (entry.block !== undefined) found = entry.block;
        }
      }
      h = Math.imul(h ^ c, PRIME); // the step of hashName(), inlined
    }
    if (filter.mayContain(h)) {
      const entry = byName.get(qname);
      if (entry !== undefined) {
        if (entry.allow !== undefined) return undefined;
        if (entry.block !== undefined) found = entry.block;
      }
    }
    return found;
  }

  /** Slow path for people (CLI "check", admin API): also says which allow rule won. */
  explain(qname: string): MatchExplanation {
    const name = normalizeName(qname);
    if (name === null) return { blocked: false };
    let rule: Rule | undefined;
    let allowedBy: Rule | undefined;
    let start = 0;
    for (;;) {
      const entry = this.#byName.get(name.slice(start));
      if (entry !== undefined) {
        rule ??= entry.block;
        allowedBy ??= entry.allow;
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

  /** Every rule, block before allow for each name; for listing and export. */
  *rules(): IterableIterator<Rule> {
    for (const entry of this.#byName.values()) {
      if (entry.block !== undefined) yield entry.block;
      if (entry.allow !== undefined) yield entry.allow;
    }
  }
}

export function matcherFromRules(rules: Iterable<Rule>): DomainMatcher {
  const matcher = new DomainMatcher();
  for (const rule of rules) matcher.add(rule);
  return matcher;
}
