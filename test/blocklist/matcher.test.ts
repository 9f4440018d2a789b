import { describe, it, expect } from 'vitest';
import { DomainMatcher, matcherFromRules } from '../../src/blocklist/matcher.js';
import type { Rule } from '../../src/blocklist/rule.js';

const block = (name: string, extra: Partial<Rule> = {}): Rule => ({ name, kind: 'block', source: 'test', ...extra });
const allow = (name: string, extra: Partial<Rule> = {}): Rule => ({ name, kind: 'allow', source: 'test', ...extra });

describe('DomainMatcher', () => {
  it('blocks a listed name and its whole subtree, and nothing else', () => {
    const m = matcherFromRules([block('evil.example')]);
    expect(m.match('evil.example')?.name).toBe('evil.example');
    expect(m.match('www.evil.example')?.name).toBe('evil.example');
    expect(m.match('a.b.c.evil.example')?.name).toBe('evil.example');
    expect(m.match('notevil.example')).toBeUndefined();
    expect(m.match('evil.example.com')).toBeUndefined();
    expect(m.match('example')).toBeUndefined();
    expect(m.match('')).toBeUndefined();
  });

  it('returns the most specific block rule', () => {
    const m = matcherFromRules([block('no-ip.biz', { family: 'zone' }), block('c2.no-ip.biz', { family: 'njRAT' })]);
    expect(m.match('x.c2.no-ip.biz')?.family).toBe('njRAT');
    expect(m.match('c2.no-ip.biz')?.family).toBe('njRAT');
    expect(m.match('other.no-ip.biz')?.family).toBe('zone');
  });

  it('lets an allow rule at any depth win over any block rule', () => {
    const m = matcherFromRules([
      block('no-ip.biz'),
      allow('friend.no-ip.biz'),
      block('evil.friend.no-ip.biz'),
    ]);
    expect(m.match('stranger.no-ip.biz')?.name).toBe('no-ip.biz');
    expect(m.match('friend.no-ip.biz')).toBeUndefined();
    expect(m.match('www.friend.no-ip.biz')).toBeUndefined();
    // allow on an ancestor beats a more specific block too
    expect(m.match('evil.friend.no-ip.biz')).toBeUndefined();
    expect(m.match('a.evil.friend.no-ip.biz')).toBeUndefined();
  });

  it('allows the same name that is also blocked', () => {
    const m = matcherFromRules([block('both.example'), allow('both.example')]);
    expect(m.match('both.example')).toBeUndefined();
    expect(m.size).toBe(2);
    expect(m.counts()).toEqual({ block: 1, allow: 1 });
  });

  it('normalizes rule names on add, so lowercase queries match', () => {
    const m = new DomainMatcher();
    m.add(block('EVIL.Example.'));
    m.add(block('*.Wild.Example'));
    m.add(block('bücher.de'));
    expect(m.match('evil.example')?.name).toBe('evil.example');
    expect(m.match('x.wild.example')?.name).toBe('wild.example');
    expect(m.match('shop.xn--bcher-kva.de')?.name).toBe('xn--bcher-kva.de');
    expect(() => m.add(block('a..b'))).toThrow(/invalid blocklist name/);
  });

  it('replaces a rule of the same name and kind, and keeps counts right', () => {
    const m = new DomainMatcher();
    m.add(block('evil.example', { source: 'a' }));
    m.add(block('evil.example', { source: 'b', family: 'njRAT' }));
    expect(m.size).toBe(1);
    expect(m.match('evil.example')).toEqual({ name: 'evil.example', kind: 'block', source: 'b', family: 'njRAT' });
  });

  it('deletes one kind at a time', () => {
    const m = matcherFromRules([block('x.example'), allow('x.example'), block('y.example')]);
    expect(m.delete('x.example', 'allow')).toBe(true);
    expect(m.delete('x.example', 'allow')).toBe(false);
    expect(m.match('x.example')?.name).toBe('x.example');
    expect(m.delete('X.Example.', 'block')).toBe(true);
    expect(m.match('x.example')).toBeUndefined();
    expect(m.delete('nothing.example', 'block')).toBe(false);
    expect(m.delete('a..b', 'block')).toBe(false);
    expect(m.counts()).toEqual({ block: 1, allow: 0 });
    m.clear();
    expect(m.size).toBe(0);
    expect(m.match('y.example')).toBeUndefined();
  });

  it('matches block rules again once the last allow rule is gone', () => {
    const m = matcherFromRules([block('evil.example'), allow('ok.evil.example')]);
    expect(m.match('ok.evil.example')).toBeUndefined();
    m.delete('ok.evil.example', 'allow');
    expect(m.match('ok.evil.example')?.name).toBe('evil.example');
  });

  it('explains which rule blocked and which allow rule overrode it', () => {
    const m = matcherFromRules([block('no-ip.biz', { family: 'zone' }), allow('friend.no-ip.biz')]);
    expect(m.explain('a.no-ip.biz')).toEqual({ blocked: true, rule: m.match('a.no-ip.biz') });
    const e = m.explain('WWW.Friend.No-IP.biz.');
    expect(e.blocked).toBe(false);
    expect(e.rule?.name).toBe('no-ip.biz');
    expect(e.allowedBy?.name).toBe('friend.no-ip.biz');
    expect(m.explain('clean.example')).toEqual({ blocked: false });
    expect(m.explain('not a name')).toEqual({ blocked: false });
  });

  it('lists every rule', () => {
    const rules = [block('a.example'), allow('a.example'), block('b.example')];
    expect([...matcherFromRules(rules).rules()]).toEqual(rules);
  });

  it('stays exact while growing past and shrinking below its pre-filter sizes', () => {
    const m = new DomainMatcher();
    const n = 20_000;
    for (let i = 0; i < n; i++) m.add(block(`h${i}.no-ip.biz`));
    for (let i = 0; i < n; i++) expect(m.match(`www.h${i}.no-ip.biz`)?.name).toBe(`h${i}.no-ip.biz`);
    for (let i = 0; i < n; i += 4) expect(m.delete(`h${i}.no-ip.biz`, 'block')).toBe(true);
    for (let i = 1; i < n; i += 4) expect(m.delete(`h${i}.no-ip.biz`, 'block')).toBe(true);
    for (let i = 2; i < n; i += 4) expect(m.delete(`h${i}.no-ip.biz`, 'block')).toBe(true);
    expect(m.size).toBe(n / 4);
    for (let i = 0; i < n; i++) {
      expect(m.match(`h${i}.no-ip.biz`)?.name, `h${i}`).toBe(i % 4 === 3 ? `h${i}.no-ip.biz` : undefined);
    }
    m.add(block('h0.no-ip.biz'));
    expect(m.match('x.h0.no-ip.biz')?.name).toBe('h0.no-ip.biz');
  });
});

// The matcher keeps names in typed arrays and one shared template per (kind, source, family,
// action); these check what that layout could get wrong.
describe('DomainMatcher storage', () => {
  it('gives every name its own rule when many names share a source, family and action', () => {
    const m = new DomainMatcher();
    const expected = new Map<string, Rule>();
    for (let i = 0; i < 3000; i++) {
      const name = `h${i}.zone${i % 7}.example`;
      const rule: Rule = {
        name,
        kind: 'block',
        source: `list${i % 3}`,
        ...(i % 5 === 0 ? { family: i % 2 ? 'njRAT' : 'DarkComet' } : {}),
        ...(i % 11 === 0 ? { action: 'nxdomain' as const } : {}),
      };
      m.add({ ...rule });
      expected.set(name, rule);
    }
    for (const [name, rule] of expected) {
      expect(m.match(name)).toStrictEqual(rule);
      expect(m.match(`www.${name}`)).toStrictEqual(rule);
      expect(m.explain(`a.b.${name}`)).toStrictEqual({ blocked: true, rule });
    }
    expect([...m.rules()]).toStrictEqual([...expected.values()]);
  });

  it('returns the same Rule object every time, and a new one once the rule is replaced', () => {
    const m = matcherFromRules([block('evil.example', { source: 'a' }), block('other.example', { source: 'a' })]);
    const first = m.match('evil.example');
    expect(m.match('x.evil.example')).toBe(first);
    expect(m.explain('y.evil.example').rule).toBe(first);
    expect(m.match('other.example')).not.toBe(first);
    m.add(block('evil.example', { source: 'b' }));
    const second = m.match('evil.example');
    expect(second).not.toBe(first);
    expect(second).toStrictEqual({ name: 'evil.example', kind: 'block', source: 'b' });
    expect(first).toStrictEqual({ name: 'evil.example', kind: 'block', source: 'a' }); // callers' copies stay as they were
    m.add(allow('evil.example'));
    expect(m.match('evil.example')).toBeUndefined();
    m.delete('evil.example', 'allow');
    expect(m.match('evil.example')).toBe(second);
  });

  it('compares every character of names of every length, up to 253', () => {
    const m = new DomainMatcher();
    const names: string[] = [];
    for (let length = 3; length <= 253; length++) {
      // labels of up to 62 characters, a different letter per name, ending in ".x"
      let name = 'x';
      const letter = String.fromCharCode(97 + (length % 23));
      while (name.length < length) {
        const room = length - name.length - 1;
        const label = letter.repeat(Math.min(62, room));
        name = room > 0 && label.length > 0 ? `${label}.${name}` : `${letter}${name}`;
      }
      expect(name.length).toBe(length);
      names.push(name);
      m.add(block(name));
    }
    for (const name of names) {
      expect(m.match(name)?.name).toBe(name);
      expect(m.match(`sub.${name}`)?.name).toBe(name);
      // one character changed, wherever it is: not listed (unless it lands on another listed name)
      for (let i = 0; i < name.length; i++) {
        if (name[i] === '.') continue;
        const changed = `${name.slice(0, i)}${name[i] === 'q' ? 'r' : 'q'}${name.slice(i + 1)}`;
        const hit = m.match(changed);
        if (hit !== undefined) expect(changed.endsWith(`.${hit.name}`) || changed === hit.name).toBe(true);
        expect(hit?.name).not.toBe(name);
      }
    }
    expect([...m.rules()].map((r) => r.name)).toEqual(names);
  });

  it('never matches a query character above 127 against a listed ASCII one', () => {
    const m = matcherFromRules([block('evil.example'), block('ab.example')]);
    // U+0165 and U+0161 end in the same byte as 'e' (0x65) and 'a' (0x61)
    expect(m.match('evil.exampl\u0165')).toBeUndefined();
    expect(m.match('x.\u0161b.example')).toBeUndefined();
    expect(m.match('\u00e9vil.example')).toBeUndefined();
    expect(m.match('x.\u0100ab.example')).toBeUndefined();
    expect(m.match('\u0161.ab.example')?.name).toBe('ab.example');
  });

  it('matches queries longer than any DNS name', () => {
    const m = matcherFromRules([block('evil.example')]);
    const long = `${'a.'.repeat(3000)}evil.example`;
    expect(m.match(long)?.name).toBe('evil.example');
    expect(m.match(`${'a.'.repeat(3000)}notevil.example`)).toBeUndefined();
    expect(m.match('x.evil.example')?.name).toBe('evil.example');
  });

  it('agrees with a plain reference through adds, replacements, deletes and clears', () => {
    // A small PRNG so a failure can be replayed.
    let seed = 0x2545f491;
    const rand = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const labels = ['a', 'b', 'evil', 'c2', 'x-1', 'long-label-with-many-characters-in-it', 'q'.repeat(40), 'no-ip', 'biz'];
    const randomName = (): string => {
      const parts: string[] = [];
      const depth = 1 + rand(5);
      for (let i = 0; i < depth; i++) parts.push(labels[rand(labels.length)] as string);
      return parts.join('.');
    };
    const sources = ['s1', 's2', 's3'];
    const families = [undefined, 'njRAT', 'zone'];
    const actions = [undefined, 'nxdomain', 'nodata'] as const;

    // The reference: a Map in insertion order, the rules as given.
    const ref = new Map<string, { block?: Rule; allow?: Rule }>();
    const refMatch = (q: string): Rule | undefined => {
      let found: Rule | undefined;
      const labelsOfQ = q.split('.');
      for (let i = labelsOfQ.length - 1; i >= 0; i--) {
        const e = ref.get(labelsOfQ.slice(i).join('.'));
        if (e?.allow) return undefined;
        if (e?.block) found = e.block;
      }
      return found;
    };
    const refExplain = (q: string) => {
      let rule: Rule | undefined;
      let allowedBy: Rule | undefined;
      const parts = q.split('.');
      for (let i = 0; i < parts.length; i++) {
        const e = ref.get(parts.slice(i).join('.'));
        rule ??= e?.block;
        allowedBy ??= e?.allow;
      }
      if (allowedBy) return rule ? { blocked: false, rule, allowedBy } : { blocked: false, allowedBy };
      return rule ? { blocked: true, rule } : { blocked: false };
    };
    const refRules = (): Rule[] => [...ref.values()].flatMap((e) => [e.block, e.allow].filter((r): r is Rule => r !== undefined));

    const m = new DomainMatcher();
    for (let step = 0; step < 6000; step++) {
      const op = rand(100);
      const name = randomName();
      const kind = rand(4) === 0 ? 'allow' : 'block';
      if (op < 60) {
        const family = families[rand(families.length)];
        const action = actions[rand(actions.length)];
        const rule: Rule = {
          name,
          kind,
          source: sources[rand(sources.length)] as string,
          ...(family === undefined ? {} : { family }),
          ...(action === undefined ? {} : { action }),
        };
        m.add(rule);
        const e = ref.get(name) ?? {};
        e[kind] = rule;
        ref.set(name, e);
      } else if (op < 99) {
        const e = ref.get(name);
        const had = e?.[kind] !== undefined;
        expect(m.delete(name, kind)).toBe(had);
        if (e && had) {
          delete e[kind];
          if (!e.block && !e.allow) ref.delete(name);
        }
      } else if (rand(10) === 0) {
        m.clear();
        ref.clear();
      }
      if (step % 50 === 0) {
        for (let k = 0; k < 40; k++) {
          const q = rand(2) === 0 ? randomName() : `${randomName()}.${randomName()}`;
          expect(m.match(q), q).toStrictEqual(refMatch(q));
          expect(m.explain(q), q).toStrictEqual(refExplain(q));
        }
        const rules = refRules();
        expect(m.size).toBe(rules.length);
        const blocks = rules.filter((r) => r.kind === 'block').length;
        expect(m.counts()).toEqual({ block: blocks, allow: rules.length - blocks });
        expect([...m.rules()]).toStrictEqual(rules);
      }
    }
  });
});

describe('DomainMatcher storage, continued', () => {
  it('tells apart names that differ in a few characters, wherever they are', () => {
    // Many listed names of one length and shape, so that a query of that shape often lands on
    // one of them by hash: only the characters can say that it is not listed. The characters
    // that differ sit at every distance from the end (every position in a word, inside and
    // beyond the part kept in the table's records).
    const letters = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const variant = (i: number) => `${letters[i % 36]}${letters[Math.floor(i / 36) % 36]}`;
    for (const after of [0, 1, 2, 3, 4, 5, 9, 14, 17, 18, 19, 20, 21, 22, 23, 24, 26, 35, 60]) {
      const name = (i: number) => `w.x${variant(i)}${'y'.repeat(after)}`;
      const m = new DomainMatcher();
      const total = 36 * 36;
      for (let i = 0; i < total; i += 2) m.add(block(name(i)));
      let wrong = 0;
      for (let i = 0; i < total; i++) if ((m.match(name(i))?.name === name(i)) !== (i % 2 === 0)) wrong++;
      expect(wrong, `${name(0)}`).toBe(0);
    }
  });

  it('reclaims the room of deleted long names and keeps the others exact', () => {
    const m = new DomainMatcher();
    const name = (i: number) => `host-${i}-with-a-long-label.c2.example-zone-${i % 13}.net`;
    const n = 6000;
    for (let i = 0; i < n; i++) m.add(block(name(i), { family: `f${i % 4}` }));
    for (let i = 0; i < n; i++) if (i % 3 !== 0) expect(m.delete(name(i), 'block')).toBe(true);
    for (let i = 0; i < n; i++) {
      const hit = m.match(`www.${name(i)}`);
      if (i % 3 === 0) expect(hit).toStrictEqual({ name: name(i), kind: 'block', source: 'test', family: `f${i % 4}` });
      else expect(hit).toBeUndefined();
    }
    for (let i = 1; i < n; i += 3) m.add(allow(name(i)));
    for (let i = 0; i < n; i++) {
      if (i % 3 === 0) expect(m.match(name(i))?.name).toBe(name(i));
      else expect(m.match(name(i))).toBeUndefined();
    }
    expect(m.counts()).toEqual({ block: n / 3, allow: n / 3 });
    expect([...m.rules()].map((r) => `${r.kind} ${r.name}`)).toEqual([
      ...Array.from({ length: n / 3 }, (_, k) => `block ${name(3 * k)}`),
      ...Array.from({ length: n / 3 }, (_, k) => `allow ${name(3 * k + 1)}`),
    ]);
  });
});
