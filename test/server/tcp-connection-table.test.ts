// The TCP slot table (src/server/tcp-connection-table.ts) without sockets: the IPv6 /56 and the
// IPv4-mapped cases that loopback cannot produce (its only IPv6 address is ::1), and the order in
// which idle connections give way. The same table over real sockets: test/integration/tcp-slots.test.ts.

import { describe, expect, it } from 'vitest';
import { ConnectionTable } from '../../src/server/tcp-connection-table.js';

const idle = () => false;

describe('ConnectionTable', () => {
  it('counts every address of one IPv6 /56 together, whatever its /64, and another /56 apart', () => {
    const t = new ConnectionTable<string>({ maxConnections: 100, maxConnectionsPerClient: 2, maxConnectionsPerPrefix: 4 });
    // Four hosts, each in its own /64, all in 2001:db8:0:0::/56.
    for (const a of ['2001:db8::1', '2001:db8:0:1::1', '2001:db8:0:2::1', '2001:db8:0:ff::1']) {
      expect(t.admit(`${a}#1`, a, idle)).toEqual({ ok: true, reclaimed: null });
    }
    expect(t.admit('x', '2001:db8:0:80::9', idle)).toEqual({ ok: false, why: 'prefix' });
    expect(t.admit('y', '2001:db8:0:100::1', idle)).toEqual({ ok: true, reclaimed: null }); // next /56
    // A slot freed in the /56 can be taken again.
    t.remove('2001:db8:0:1::1#1');
    expect(t.admit('z', '2001:db8:0:80::9', idle).ok).toBe(true);
  });

  it('counts one address against its own cap before its prefix', () => {
    const t = new ConnectionTable<number>({ maxConnections: 100, maxConnectionsPerClient: 2, maxConnectionsPerPrefix: 10 });
    expect(t.admit(1, '2001:db8::7', idle).ok).toBe(true);
    expect(t.admit(2, '2001:db8::7', idle).ok).toBe(true);
    expect(t.admit(3, '2001:db8::7', idle)).toEqual({ ok: false, why: 'address' });
  });

  it('counts an IPv4-mapped IPv6 peer in its IPv4 /24', () => {
    const t = new ConnectionTable<number>({ maxConnections: 100, maxConnectionsPerClient: 5, maxConnectionsPerPrefix: 2 });
    expect(t.admit(1, '192.0.2.1', idle).ok).toBe(true);
    expect(t.admit(2, '::ffff:192.0.2.2', idle).ok).toBe(true);
    expect(t.admit(3, '192.0.2.3', idle)).toEqual({ ok: false, why: 'prefix' });
    expect(t.admit(4, '192.0.3.1', idle).ok).toBe(true);
  });

  it('when full, takes the slot of the connection idle longest, never of one waiting for an answer', () => {
    const t = new ConnectionTable<string>({ maxConnections: 3, maxConnectionsPerClient: 5, maxConnectionsPerPrefix: 5 });
    const busy = new Set<string>();
    const admit = (c: string, a: string) => t.admit(c, a, () => busy.has(c));
    admit('a', '10.0.1.1');
    admit('b', '10.0.2.1');
    admit('c', '10.0.3.1');
    t.touch('a'); // a asked something: b is now the idlest
    busy.add('b'); // ... but b waits for an answer
    expect(admit('d', '10.0.4.1')).toEqual({ ok: true, reclaimed: 'c' });
    expect(t.size).toBe(3);
    expect(admit('e', '10.0.5.1')).toEqual({ ok: true, reclaimed: 'a' });
    busy.add('d');
    busy.add('e');
    expect(admit('f', '10.0.6.1')).toEqual({ ok: false, why: 'full' });
    // A reclaimed connection's later close (remove) changes nothing.
    t.remove('c');
    expect(t.size).toBe(3);
  });
});
