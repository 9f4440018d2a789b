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
