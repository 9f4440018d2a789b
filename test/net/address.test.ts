import { describe, expect, it } from 'vitest';
import { formatEndpoint, parseEndpoint } from '../../src/net/address.js';

describe('parseEndpoint', () => {
  it.each([
    ['1.2.3.4', { host: '1.2.3.4', port: 53 }],
    ['1.2.3.4:5353', { host: '1.2.3.4', port: 5353 }],
    ['[::1]:5353', { host: '::1', port: 5353 }],
    ['[::1]', { host: '::1', port: 53 }],
    ['::1', { host: '::1', port: 53 }],
    ['2001:db8::53', { host: '2001:db8::53', port: 53 }],
    ['[fe80::1%eth0]:53', { host: 'fe80::1%eth0', port: 53 }],
    ['0.0.0.0:65535', { host: '0.0.0.0', port: 65535 }],
  ])('accepts %s', (text, want) => {
    expect(parseEndpoint(text, 53)).toEqual(want);
  });

  it('uses the caller default port', () => {
    expect(parseEndpoint('10.0.0.1', 5353).port).toBe(5353);
  });

  it.each([
    ['localhost:53', /^bad address "localhost:53": not an IP address/],
    ['example.com', /not an IP address/],
    ['', /^bad address "": empty$/],
    ['1.2.3.4:0', /^bad address "1.2.3.4:0": port must be 1-65535$/],
    ['1.2.3.4:65536', /port must be 1-65535/],
    ['1.2.3.4:', /port must be 1-65535/],
    ['1.2.3.4:0x35', /port must be 1-65535/],
    ['[::1]:99999', /port must be 1-65535/],
    ['[::1', /missing "\]"/],
    ['[1.2.3.4]:53', /is not an IPv6 address/],
    ['[::1]53', /expected ":PORT"/],
    ['fe80::1:53:', /\[IPv6\]:PORT/],
    ['256.1.1.1', /not an IP address/],
    ['01.2.3.4', /not an IP address/],
  ])('rejects %j', (text, message) => {
    expect(() => parseEndpoint(text, 53)).toThrow(message);
  });

  it('gives one-line messages', () => {
    expect(() => parseEndpoint('x', 53)).toThrow(/^[^\n]+$/);
  });
});

describe('formatEndpoint', () => {
  it('brackets IPv6 only', () => {
    expect(formatEndpoint({ host: '1.2.3.4', port: 53 })).toBe('1.2.3.4:53');
    expect(formatEndpoint({ host: '::1', port: 53 })).toBe('[::1]:53');
  });

  it.each(['1.2.3.4:53', '[::1]:5353', '[fe80::1%eth0]:53'])('round-trips %s', (text) => {
    expect(formatEndpoint(parseEndpoint(text, 53))).toBe(text);
  });
});
