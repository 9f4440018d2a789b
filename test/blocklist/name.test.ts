import { describe, it, expect } from 'vitest';
import { normalizeName } from '../../src/blocklist/name.js';

describe('normalizeName', () => {
  it('keeps an already-canonical name as is', () => {
    expect(normalizeName('evil.no-ip.biz')).toBe('evil.no-ip.biz');
    expect(normalizeName('_dmarc.example_1.com')).toBe('_dmarc.example_1.com');
  });

  it('lowercases and strips one trailing dot', () => {
    expect(normalizeName('EVIL.No-IP.Biz.')).toBe('evil.no-ip.biz');
    expect(normalizeName('example.com..')).toBeNull();
  });

  it('rejects empty names and empty labels', () => {
    for (const bad of ['', '.', '..', 'a..b', '.a', 'a. b']) expect(normalizeName(bad)).toBeNull();
  });

  it('enforces 63-octet labels and 253-octet names', () => {
    const l63 = 'a'.repeat(63);
    expect(normalizeName(`${l63}.com`)).toBe(`${l63}.com`);
    expect(normalizeName(`${l63}a.com`)).toBeNull();
    const n253 = [l63, l63, l63, 'a'.repeat(61)].join('.');
    expect(n253.length).toBe(253);
    expect(normalizeName(n253)).toBe(n253);
    expect(normalizeName(`${n253}.`)).toBe(n253);
    expect(normalizeName(`a${n253}`)).toBeNull();
  });

  it('rejects characters outside [a-z0-9-_]', () => {
    for (const bad of ['a b.com', 'a/b.com', 'a:80', 'ex!ample.com', 'a@b.com', '1.2.3.4/8']) {
      expect(normalizeName(bad)).toBeNull();
    }
  });

  it('rejects a wildcard unless the caller asks to strip it', () => {
    expect(normalizeName('*.example.com')).toBeNull();
    expect(normalizeName('*.Example.com', { stripWildcard: true })).toBe('example.com');
    expect(normalizeName('a.*.example.com', { stripWildcard: true })).toBeNull();
    expect(normalizeName('*.', { stripWildcard: true })).toBeNull();
  });

  it('converts IDN to punycode', () => {
    expect(normalizeName('bücher.de')).toBe('xn--bcher-kva.de');
    expect(normalizeName('BÜCHER.DE.')).toBe('xn--bcher-kva.de');
    expect(normalizeName('пример.рф')).toBe('xn--e1afmkfd.xn--p1ai');
    expect(normalizeName('xn--bcher-kva.de')).toBe('xn--bcher-kva.de');
    expect(normalizeName('*.münchen.de', { stripWildcard: true })).toBe('xn--mnchen-3ya.de');
  });

  it('rejects IDN that does not convert or converts to something invalid', () => {
    expect(normalizeName('bü cher.de')).toBeNull();
    expect(normalizeName(`${'ü'.repeat(70)}.de`)).toBeNull();
  });
});
