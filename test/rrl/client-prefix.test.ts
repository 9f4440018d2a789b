import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseIPv6Into } from '../../src/net/cidr.js';
import { ClientPrefixer, FAMILY_V4, FAMILY_V6, NOT_AN_ADDRESS } from '../../src/rrl/client-prefix.js';

/** A test view of mask(): family and words as one comparable string. */
function keyed(prefixer: ClientPrefixer): ClientPrefixer & { key(ip: string): string } {
  const words = new Int32Array(4);
  return Object.assign(prefixer, {
    key(ip: string): string {
      const family = prefixer.mask(ip, words);
      return family === NOT_AN_ADDRESS ? `raw:${ip}` : `${family}:${words.join(',')}`;
    },
  });
}

const p = keyed(new ClientPrefixer(24, 56));

describe('ClientPrefixer', () => {
  it('groups IPv4 by /24', () => {
    expect(p.key('192.0.2.1')).toBe(p.key('192.0.2.254'));
    expect(p.key('192.0.2.1')).not.toBe(p.key('192.0.3.1'));
    expect(p.prefixOf('192.0.2.77')).toBe('192.0.2.0/24');
    expect(p.prefixOf('255.255.255.255')).toBe('255.255.255.0/24');
    expect(p.prefixOf('0.0.0.1')).toBe('0.0.0.0/24');
  });

  it('groups IPv6 by /56: bits after 56 are ignored, bits 48-55 are not', () => {
    const base = p.key('2001:db8:0:ab00::1');
    expect(p.key('2001:db8:0:abff:ffff:ffff:ffff:ffff')).toBe(base); // differs only after bit 56
    expect(p.key('2001:db8:0:ab12::')).toBe(base);
    expect(p.key('2001:db8:0:ac00::1')).not.toBe(base); // bit 53 differs
    expect(p.key('2001:db8:0:aa00::1')).not.toBe(base); // bit 55 differs
    expect(p.key('2001:db8:0:2b00::1')).not.toBe(base); // bit 48 differs
    expect(p.key('2001:db8:1:ab00::1')).not.toBe(base);
    expect(p.prefixOf('2001:db8:0:abcd:1:2:3:4')).toBe('2001:db8:0:ab00::/56');
  });

  it('expands "::" wherever it stands', () => {
    // 2001:db8::1 is 2001:db8:0:0:0:0:0:1; group 3 is 0.
    const k = p.key('2001:db8::1');
    expect(p.key('2001:0db8:0000:00ff:1:2:3:4')).toBe(k); // 0x00ff masked by 0xff00 is 0
    expect(p.key('2001:db8:0:0::')).toBe(k);
    expect(p.key('2001:db8::ab:0:0:1')).toBe(k);
    expect(p.key('2001:db8:0:100::1')).not.toBe(k); // 0x0100: bit 55 set
    expect(p.key('2001:db8:0:1::')).toBe(k); // 0x0001: bit 63, after the prefix
    expect(p.prefixOf('::1')).toBe('::/56');
    expect(p.prefixOf('::')).toBe('::/56');
    expect(p.prefixOf('fe80::1%eth0')).toBe('fe80::/56');
    expect(p.prefixOf('2001:DB8:AB:CDEF::')).toBe('2001:db8:ab:cd00::/56');
    expect(p.prefixOf('1:2:3:4:5:6:7:8')).toBe('1:2:3::/56');
  });

  it('treats IPv4-mapped IPv6 as the IPv4 address it is', () => {
    expect(p.key('::ffff:192.0.2.7')).toBe(p.key('192.0.2.99'));
    expect(p.key('::ffff:c000:0207')).toBe(p.key('192.0.2.1'));
    expect(p.prefixOf('::ffff:198.51.100.9')).toBe('198.51.100.0/24');
    // Not mapped: ::ffff:0:0/96 only.
    expect(p.key('::fffe:192.0.2.7')).not.toBe(p.key('192.0.2.7'));
    expect(p.key('64:ff9b::192.0.2.7')).not.toBe(p.key('192.0.2.7'));
  });

  it('keeps IPv4 and IPv6 apart and reports the family', () => {
    expect(p.key('0.0.0.1')).not.toBe(p.key('::1'));
    const w = new Int32Array(4);
    expect(p.mask('192.0.2.1', w)).toBe(FAMILY_V4);
    expect([...w]).toEqual([(0xc0000200 | 0), 0, 0, 0]);
    expect(p.mask('::ffff:192.0.2.1', w)).toBe(FAMILY_V4);
    expect(p.mask('2001:db8:1:2345:6789::1', w)).toBe(FAMILY_V6);
    expect([...w]).toEqual([0x20010db8, 0x00012300, 0, 0]);
    expect(p.mask('nope', w)).toBe(NOT_AN_ADDRESS);
    expect([...w]).toEqual([0, 0, 0, 0]);
  });

  it('gives a non-address a key of its own and never throws', () => {
    for (const bad of ['', 'example.com', '1.2.3', '1.2.3.4.5', '300.1.1.1', '1::2::3', ':::', '1:2:3:4:5:6:7:8:9', 'zz::']) {
      expect(() => p.key(bad)).not.toThrow();
      expect(p.prefixOf(bad)).toBe(bad);
    }
    expect(p.key('example.com')).not.toBe(p.key('example.org'));
  });

  it('honours other prefix lengths', () => {
    const q = keyed(new ClientPrefixer(16, 48));
    expect(q.key('10.1.2.3')).toBe(q.key('10.1.200.3'));
    expect(q.prefixOf('10.1.2.3')).toBe('10.1.0.0/16');
    expect(q.key('2001:db8:1:ffff::')).toBe(q.key('2001:db8:1::'));
    const all = keyed(new ClientPrefixer(32, 128));
    expect(all.key('10.1.2.3')).not.toBe(all.key('10.1.2.4'));
    expect(all.prefixOf('2001:db8::1')).toBe('2001:db8::1/128');
    const none = keyed(new ClientPrefixer(0, 0));
    expect(none.key('10.1.2.3')).toBe(none.key('203.0.113.1'));
    expect(none.prefixOf('10.1.2.3')).toBe('0.0.0.0/0');
    const odd = keyed(new ClientPrefixer(23, 57));
    expect(odd.key('10.0.2.1')).toBe(odd.key('10.0.3.1'));
    expect(odd.key('10.0.2.1')).not.toBe(odd.key('10.0.4.1'));
    expect(odd.key('2001:db8:0:ab00::')).toBe(odd.key('2001:db8:0:ab7f::'));
    expect(odd.key('2001:db8:0:ab00::')).not.toBe(odd.key('2001:db8:0:ab80::'));
  });
});

describe('ClientPrefixer parsing, against node:net and net/cidr', () => {
  // Deterministic pseudo-random numbers, so a failure can be replayed.
  let state = 0x12345678;
  const rand = (n: number): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
  const full = new ClientPrefixer(32, 128);
  const words = new Int32Array(4);

  it('reads every spelling of random IPv6 addresses as the same 128 bits', () => {
    const g = new Uint16Array(8);
    for (let n = 0; n < 1000; n++) {
      // Groups with runs of zeros, so "::" lands in every position.
      const groups = Array.from({ length: 8 }, () => (rand(3) === 0 ? 0 : rand(0x10000)));
      const spellings = [
        groups.map((x) => x.toString(16)).join(':'),
        groups.map((x) => x.toString(16).padStart(4, '0').toUpperCase()).join(':'),
        `${groups.slice(0, 6).map((x) => x.toString(16)).join(':')}:${groups[6]! >>> 8}.${groups[6]! & 255}.${groups[7]! >>> 8}.${groups[7]! & 255}`,
      ];
      const z = groups.findIndex((x) => x === 0);
      if (z >= 0) {
        let e = z;
        while (e < 8 && groups[e] === 0) e++;
        const head = groups.slice(0, z).map((x) => x.toString(16)).join(':');
        const tail = groups.slice(e).map((x) => x.toString(16)).join(':');
        spellings.push(`${head}::${tail}`);
      }
      for (const text of spellings) {
        if (isIP(text) !== 6) continue; // e.g. "::" standing for a single group is fine; skip what node refuses
        expect(parseIPv6Into(text, g), text).toBe(true);
        const family = full.mask(text, words);
        const mapped = g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
        expect(family, text).toBe(mapped ? FAMILY_V4 : FAMILY_V6);
        if (!mapped) {
          expect([...words], text).toEqual([0, 2, 4, 6].map((i) => ((g[i]! << 16) | g[i + 1]!) | 0));
        }
      }
    }
  });

  it('reads random IPv4 addresses and agrees with node:net on what is an address', () => {
    for (let n = 0; n < 3000; n++) {
      const octets = [rand(256), rand(256), rand(256), rand(256)];
      const text = octets.join('.');
      expect(full.mask(text, words)).toBe(FAMILY_V4);
      expect(words[0]! >>> 0).toBe(((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0);
    }
    const samples = [
      '0.0.0.0', '255.255.255.255', '100.200.250.199', '1.2.3.0', '1.2.3.4a', 'a1.2.3.4', '1.2.3.', '00.1.2.3', '1.2.3.2555', '1000.1.1.1',
      '1.2.3.4', '01.2.3.4', '1.2.3.04', '1.2.3.256', '1.2.3', '1.2.3.4.', '.1.2.3.4', '1..2.3', '1.2.3.-4', '1.2.3.4 ',
      '::', '::1', '1::', ':1::', '1:::2', '1::2::3', '::ffff:1.2.3.4', '::1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4',
      '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '12345::', 'g::', 'fe80::1%eth0', '::ffff:1.2.3',
      '1:2:3:4:5:6:7', ':', '', 'abcd', '1.2.3.4::', '::1.2.3.4:5',
    ];
    for (const text of samples) {
      const ours = full.mask(text, words) !== NOT_AN_ADDRESS;
      const node = isIP(text.replace(/%.*$/, '')) !== 0;
      expect(ours, text).toBe(node);
    }
  });
});
