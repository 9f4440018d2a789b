import { describe, expect, it } from 'vitest';
import { CidrSet } from '../../src/net/cidr.js';
import { ResponseRateLimiter, type ResponseKind, type RrlVerdict } from '../../src/rrl/rate-limiter.js';
import { RRL_DEFAULTS, resolveRrlOptions } from '../../src/rrl/options.js';

/** A second boundary, so "one second" below is one of BIND's whole-second ticks. */
const T0 = 1_750_000_000_000;

function flood(
  rrl: ResponseRateLimiter,
  n: number,
  opts: { ip?: string | ((i: number) => string); key?: string; kind?: ResponseKind; start?: number; spanMs?: number } = {},
): RrlVerdict[] {
  const { ip = '192.0.2.1', key = 'host.no-ip.biz/A', kind = 'answer', start = T0, spanMs = 1000 } = opts;
  const out: RrlVerdict[] = [];
  for (let i = 0; i < n; i++) {
    const addr = typeof ip === 'function' ? ip(i) : ip;
    out.push(rrl.check(addr, key, kind, start + Math.floor((i * spanMs) / n)));
  }
  return out;
}

const count = (v: RrlVerdict[], what: RrlVerdict): number => v.filter((x) => x === what).length;

describe('ResponseRateLimiter: a flood from one /24', () => {
  it('sends `rate` answers in a second and alternates drop/slip for the rest (slip 2)', () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 5 });
    const v = flood(rrl, 1000, { ip: (i) => `192.0.2.${i % 256}` });
    expect(count(v, 'send')).toBe(5);
    expect(v.slice(0, 5)).toEqual(['send', 'send', 'send', 'send', 'send']);
    const limited = v.slice(5);
    for (let i = 0; i < limited.length; i++) expect(limited[i]).toBe(i % 2 === 0 ? 'drop' : 'slip');
    expect(count(v, 'slip')).toBe(497);
    expect(count(v, 'drop')).toBe(498);
    expect(rrl.stats()).toMatchObject({ sent: 5, slipped: 497, dropped: 498, tableSize: 1 });
  });

  it('with the defaults, sends about 10 a second however the flood straddles a second boundary', () => {
    const rrl = new ResponseRateLimiter();
    const v = flood(rrl, 1000, { start: T0 + 500 });
    expect(count(v, 'send')).toBe(RRL_DEFAULTS.responsesPerSecond);
    // Sustained flood, 10 seconds at 1000 q/s: the balance sits at its floor and the
    // credit of each new second is used up at once, so only the first second's burst got through.
    const more = flood(rrl, 10_000, { start: T0 + 1500, spanMs: 10_000 });
    expect(count(more, 'send')).toBe(0);
  });

  it('leaves a second /24 unaffected', () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 5 });
    flood(rrl, 1000, { ip: '192.0.2.1' });
    const other = flood(rrl, 5, { ip: '192.0.3.1', start: T0 + 999, spanMs: 0 });
    expect(other).toEqual(['send', 'send', 'send', 'send', 'send']);
    expect(rrl.check('198.51.100.1', 'host.no-ip.biz/A', 'answer', T0 + 999)).toBe('send');
    expect(rrl.check('2001:db8::1', 'host.no-ip.biz/A', 'answer', T0 + 999)).toBe('send');
  });

  it('makes two addresses in one /24 share an account', () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 3 });
    expect(flood(rrl, 3, { ip: '203.0.113.1', spanMs: 0 })).toEqual(['send', 'send', 'send']);
    expect(rrl.check('203.0.113.200', 'host.no-ip.biz/A', 'answer', T0)).not.toBe('send');
    expect(rrl.check('::ffff:203.0.113.9', 'host.no-ip.biz/A', 'answer', T0)).not.toBe('send');
    expect(rrl.size).toBe(1);
  });

  it('groups IPv6 clients by /56', () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 2 });
    expect(rrl.check('2001:db8:0:ab00::1', 'k', 'answer', T0)).toBe('send');
    expect(rrl.check('2001:db8:0:abff:1:2:3:4', 'k', 'answer', T0)).toBe('send'); // same /56
    expect(rrl.check('2001:db8:0:ab80::', 'k', 'answer', T0)).not.toBe('send'); // same /56, now over
    expect(rrl.check('2001:db8:0:aa00::1', 'k', 'answer', T0)).toBe('send'); // differs in bit 55
    expect(rrl.check('2001:db8:0:2b00::1', 'k', 'answer', T0)).toBe('send'); // differs in bit 48
    expect(rrl.check('2001:db8::1', 'k', 'answer', T0)).toBe('send'); // :: expansion: group 3 is 0
    expect(rrl.check('2001:db8:0:ff::', 'k', 'answer', T0)).toBe('send'); // 0x00ff -> same /56 as 2001:db8::
    expect(rrl.check('2001:db8:0:1:ffff::', 'k', 'answer', T0)).not.toBe('send'); // and again
    expect(rrl.limitedClients(T0).map((a) => a.prefix).sort()).toEqual(['2001:db8:0:ab00::/56', '2001:db8::/56']);
  });
});

describe('ResponseRateLimiter: accounts and credit', () => {
  it('refills `rate` credits a second, never above `rate`', () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 4 });
    expect(count(flood(rrl, 4, { spanMs: 0 }), 'send')).toBe(4);
    expect(rrl.check('192.0.2.1', 'host.no-ip.biz/A', 'answer', T0 + 999)).not.toBe('send');
    // One second later: 4 new credits, minus the one the limited reply cost.
    expect(count(flood(rrl, 10, { start: T0 + 1000, spanMs: 0 }), 'send')).toBe(3);
    // A long quiet spell fills the account to `rate` only, not `rate` × seconds.
    expect(count(flood(rrl, 10, { start: T0 + 60_000, spanMs: 0 }), 'send')).toBe(4);
  });

  it('after a flood, answers resume about `window` seconds after it stops (BIND semantics)', () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 10, window: 15 });
    flood(rrl, 1000); // balance falls to its floor, -window × rate = -150
    expect(rrl.limitedClients(T0 + 999)[0]?.balance).toBe(-150);
    expect(rrl.check('192.0.2.1', 'host.no-ip.biz/A', 'answer', T0 + 15_000)).not.toBe('send'); // -150 + 150 - 1
    expect(rrl.check('192.0.2.1', 'host.no-ip.biz/A', 'answer', T0 + 16_000)).toBe('send');
    const short = new ResponseRateLimiter({ responsesPerSecond: 10, window: 1 });
    flood(short, 1000);
    expect(short.check('192.0.2.1', 'host.no-ip.biz/A', 'answer', T0 + 1000)).not.toBe('send');
    expect(short.check('192.0.2.1', 'host.no-ip.biz/A', 'answer', T0 + 2000)).toBe('send');
  });

  it('a steady client under the rate is never limited', () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 5 });
    const v = flood(rrl, 300, { spanMs: 60_000 }); // 5 a second for a minute
    expect(count(v, 'send')).toBe(300);
  });

  it('keeps an account per name and type, and per kind', () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 2 });
    flood(rrl, 10, { key: 'a.no-ip.biz/A', spanMs: 0 });
    expect(rrl.check('192.0.2.1', 'a.no-ip.biz/A', 'answer', T0)).not.toBe('send');
    expect(rrl.check('192.0.2.1', 'b.no-ip.biz/A', 'answer', T0)).toBe('send');
    expect(rrl.check('192.0.2.1', 'a.no-ip.biz/AAAA', 'answer', T0)).toBe('send');
    expect(rrl.check('192.0.2.1', 'a.no-ip.biz/A', 'nxdomain', T0)).toBe('send');
    expect(rrl.check('192.0.2.1', 'a.no-ip.biz/A', 'error', T0)).toBe('send');
  });

  it('counts NXDOMAIN per zone key and all errors of a prefix together', () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 100, nxdomainsPerSecond: 3, errorsPerSecond: 2 });
    // The caller keys NXDOMAIN by zone: random names under one zone share one account.
    expect(count(flood(rrl, 20, { key: 'no-ip.biz', kind: 'nxdomain', spanMs: 0 }), 'send')).toBe(3);
    expect(rrl.check('192.0.2.1', 'no-ip.info', 'nxdomain', T0)).toBe('send');
    // Errors ignore the response key.
    expect(rrl.check('192.0.2.1', 'x.no-ip.biz/A', 'error', T0)).toBe('send');
    expect(rrl.check('192.0.2.1', 'y.no-ip.biz/MX', 'error', T0)).toBe('send');
    expect(rrl.check('192.0.2.1', 'z.no-ip.org/TXT', 'error', T0)).not.toBe('send');
    expect(rrl.limitedClients(T0).find((a) => a.kind === 'error')).toMatchObject({ prefix: '192.0.2.0/24', responseKey: '' });
  });

  it('nxdomains and errors per second default to responsesPerSecond, as in BIND', () => {
    expect(resolveRrlOptions({ responsesPerSecond: 7 })).toMatchObject({ nxdomainsPerSecond: 7, errorsPerSecond: 7 });
    expect(resolveRrlOptions({ responsesPerSecond: 7, errorsPerSecond: 1 })).toMatchObject({ nxdomainsPerSecond: 7, errorsPerSecond: 1 });
    expect(resolveRrlOptions()).toMatchObject(RRL_DEFAULTS);
  });

  it('a rate of 0 turns limiting off for that kind', () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 0, nxdomainsPerSecond: 1 });
    expect(count(flood(rrl, 1000), 'send')).toBe(1000);
    expect(rrl.size).toBe(0);
    expect(count(flood(rrl, 10, { kind: 'nxdomain' }), 'send')).toBe(1);
  });

  it('does not credit a clock that steps backwards', () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 2 });
    flood(rrl, 10, { start: T0 + 10_000, spanMs: 0 });
    expect(rrl.check('192.0.2.1', 'host.no-ip.biz/A', 'answer', T0)).not.toBe('send');
    expect(rrl.check('192.0.2.1', 'host.no-ip.biz/A', 'answer', T0 + 500)).not.toBe('send');
  });
});

describe('ResponseRateLimiter: slip', () => {
  const limitedTail = (slip: number): RrlVerdict[] => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 1, slip });
    return flood(rrl, 13, { spanMs: 0 }).slice(1);
  };

  it('slip 0 always drops', () => {
    expect(new Set(limitedTail(0))).toEqual(new Set(['drop']));
  });

  it('slip 1 always slips', () => {
    expect(new Set(limitedTail(1))).toEqual(new Set(['slip']));
  });

  it('slip 3 sends every third limited response truncated', () => {
    expect(limitedTail(3)).toEqual(['drop', 'drop', 'slip', 'drop', 'drop', 'slip', 'drop', 'drop', 'slip', 'drop', 'drop', 'slip']);
  });

  it('log-only sends everything but counts what it would have limited', () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 5, logOnly: true });
    expect(count(flood(rrl, 100), 'send')).toBe(100);
    expect(rrl.stats()).toMatchObject({ sent: 100, slipped: 0, dropped: 0, wouldLimit: 95 });
    expect(rrl.limitedClients(T0 + 999)).toHaveLength(1);
  });
});

describe('ResponseRateLimiter: exemptions, logging, table bound', () => {
  it('always sends to exempt clients', () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 1, exemptClients: new CidrSet(['192.0.2.0/24', '2001:db8::/32']) });
    expect(count(flood(rrl, 500, { ip: '192.0.2.9' }), 'send')).toBe(500);
    expect(count(flood(rrl, 500, { ip: '::ffff:192.0.2.10' }), 'send')).toBe(500);
    expect(count(flood(rrl, 500, { ip: '2001:db8:1::1' }), 'send')).toBe(500);
    expect(count(flood(rrl, 500, { ip: '198.51.100.1' }), 'send')).toBe(1);
    expect(rrl.stats()).toMatchObject({ exempt: 1500, sent: 1501, tableSize: 1 });
  });

  it('shouldLog says yes once per prefix per interval', () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 1 });
    const a = rrl.prefixOf('192.0.2.1');
    expect(a).toBe('192.0.2.0/24');
    expect(rrl.shouldLog(a, T0)).toBe(true);
    expect(rrl.shouldLog(rrl.prefixOf('192.0.2.200'), T0 + 1)).toBe(false);
    expect(rrl.shouldLog(rrl.prefixOf('192.0.3.1'), T0 + 2)).toBe(true);
    expect(rrl.shouldLog(a, T0 + 59_999)).toBe(false);
    expect(rrl.shouldLog(a, T0 + 60_000)).toBe(true);
    expect(rrl.shouldLog(a, T0 + 60_001)).toBe(false);
  });

  it('shouldLog remembers at most maxTableSize prefixes', () => {
    const rrl = new ResponseRateLimiter({ maxTableSize: 100 });
    for (let i = 0; i < 1000; i++) expect(rrl.shouldLog(`p${i}`, T0)).toBe(true);
    expect(rrl.shouldLog('p999', T0 + 1)).toBe(false); // recent: kept
    expect(rrl.shouldLog('p0', T0 + 1)).toBe(true); // oldest: forgotten
  });

  it('lists the limited accounts with readable prefixes', () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 5 });
    flood(rrl, 100, { ip: '192.0.2.1', key: 'evil.no-ip.biz/A' });
    flood(rrl, 3, { ip: '198.51.100.1', key: 'ok.no-ip.biz/A' });
    flood(rrl, 100, { ip: '2001:db8:0:ab12::5', key: 'no-ip.biz', kind: 'nxdomain' });
    expect(rrl.limitedClients(T0 + 999)).toEqual([
      { prefix: '2001:db8:0:ab00::/56', kind: 'nxdomain', responseKey: 'no-ip.biz', balance: -75 },
      { prefix: '192.0.2.0/24', kind: 'answer', responseKey: 'evil.no-ip.biz/A', balance: -75 },
    ]);
    expect(rrl.limitedClients(T0 + 999, 1)).toHaveLength(1);
    expect(rrl.limitedClients(T0 + 16_000)).toEqual([]);
  });

  it('stays within maxTableSize under 1,000,000 distinct client prefixes', () => {
    const rrl = new ResponseRateLimiter({ maxTableSize: 10_000, responsesPerSecond: 1 });
    for (let i = 0; i < 1_000_000; i++) {
      rrl.check(`${10 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}.1`, 'host.no-ip.biz/A', 'answer', T0 + (i >>> 10));
    }
    expect(rrl.size).toBe(10_000);
    expect(rrl.stats()).toMatchObject({ tableSize: 10_000, evicted: 990_000, sent: 1_000_000 });
  });

  it('reuses the least recently used account first', () => {
    const rrl = new ResponseRateLimiter({ maxTableSize: 3, responsesPerSecond: 1 });
    rrl.check('192.0.2.1', 'k', 'answer', T0); // A: balance 0
    rrl.check('192.0.3.1', 'k', 'answer', T0); // B
    rrl.check('192.0.4.1', 'k', 'answer', T0); // C
    expect(rrl.check('192.0.2.1', 'k', 'answer', T0)).not.toBe('send'); // A used again: now most recent
    rrl.check('192.0.5.1', 'k', 'answer', T0); // D evicts B, the least recent
    expect(rrl.size).toBe(3);
    expect(rrl.check('192.0.2.1', 'k', 'answer', T0)).not.toBe('send'); // A kept its (limited) account
    expect(rrl.check('192.0.3.1', 'k', 'answer', T0)).toBe('send'); // B starts afresh (evicting C)
    expect(rrl.check('192.0.4.1', 'k', 'answer', T0)).toBe('send'); // C too
    expect(rrl.stats().evicted).toBe(3);
  });

  it('never throws on a client that is not an address', () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 1 });
    expect(rrl.check('not-an-ip', 'k', 'answer', T0)).toBe('send');
    expect(rrl.check('not-an-ip', 'k', 'answer', T0)).not.toBe('send');
    expect(rrl.check('', 'k', 'answer', T0)).toBe('send');
    expect(rrl.limitedClients(T0)[0]).toMatchObject({ prefix: 'not-an-ip', responseKey: 'k' });
  });

  it('clear() forgets accounts but keeps the totals', () => {
    const rrl = new ResponseRateLimiter({ responsesPerSecond: 1 });
    flood(rrl, 10, { spanMs: 0 });
    rrl.clear();
    expect(rrl.size).toBe(0);
    expect(rrl.check('192.0.2.1', 'host.no-ip.biz/A', 'answer', T0)).toBe('send');
    expect(rrl.stats().sent).toBe(2);
  });
});

describe('ResponseRateLimiter against a reference model', () => {
  /** The same rules written plainly: a Map in recency order, one object per account. */
  class Model {
    readonly accounts = new Map<string, { balance: number; stamp: number; slips: number }>();
    constructor(
      readonly rate: number,
      readonly window: number,
      readonly slip: number,
      readonly max: number,
    ) {}
    check(prefix: string, key: string, nowMs: number): RrlVerdict {
      const id = `${prefix}|${key}`;
      const now = Math.floor(nowMs / 1000);
      let a = this.accounts.get(id);
      if (a === undefined) {
        if (this.accounts.size >= this.max) this.accounts.delete(this.accounts.keys().next().value!);
        a = { balance: this.rate, stamp: now, slips: 0 };
      } else {
        this.accounts.delete(id);
        if (now > a.stamp) a.balance = Math.min(this.rate, a.balance + (now - a.stamp) * this.rate);
        a.stamp = now;
      }
      this.accounts.set(id, a);
      a.balance = Math.max(-this.window * this.rate, a.balance - 1);
      if (a.balance >= 0) return 'send';
      if (this.slip === 0) return 'drop';
      if (++a.slips >= this.slip) {
        a.slips = 0;
        return 'slip';
      }
      return 'drop';
    }
  }

  it('agrees on every verdict over random traffic that keeps the table full', () => {
    let state = 42;
    const rand = (n: number): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return (state >>> 8) % n;
    };
    for (const [max, slip] of [
      [1, 2],
      [7, 0],
      [64, 2],
      [300, 3],
      [2000, 1],
    ] as const) {
      const rrl = new ResponseRateLimiter({ responsesPerSecond: 3, window: 4, slip, maxTableSize: max });
      const model = new Model(3, 4, slip, max);
      let now = T0;
      const seen = { send: 0, slip: 0, drop: 0 };
      let mismatch = '';
      for (let n = 0; n < 40_000 && mismatch === ''; n++) {
        now += rand(10);
        // Half the traffic on a few hot accounts (limited), half spread thin (evicted and back).
        const hot = rand(2) === 0;
        const net = hot ? rand(3) : rand(40);
        const ip = rand(2) === 0 ? `10.${net}.0.${rand(256)}` : `2001:db8:${net.toString(16)}:${rand(256).toString(16)}::${rand(99)}`;
        const prefix = ip.includes(':') ? `6:${net}` : `4:${net}`;
        const key = `n${hot ? rand(3) : rand(25)}.no-ip.biz/A`;
        const got = rrl.check(ip, key, 'answer', now);
        const want = model.check(prefix, key, now);
        seen[want]++;
        if (got !== want) mismatch = `max ${max}, query ${n} (${ip} ${key}): got ${got}, want ${want}`;
      }
      expect(mismatch).toBe('');
      expect(seen.send).toBeGreaterThan(10_000);
      // Tiny tables mostly evict (that is what they test); the others must limit a lot too.
      if (max >= 64) expect(seen.drop + seen.slip).toBeGreaterThan(10_000);
      expect(rrl.size).toBe(model.accounts.size);
    }
  });
});

describe('resolveRrlOptions', () => {
  it.each([
    [{ slip: -1 }, /^rrl\.slip must be an integer from 0 to 10, got -1$/],
    [{ slip: 11 }, /slip/],
    [{ slip: 1.5 }, /slip/],
    [{ window: 0 }, /window must be an integer from 1 to 3600/],
    [{ window: 3601 }, /window/],
    [{ ipv4PrefixLength: 33 }, /ipv4PrefixLength/],
    [{ ipv6PrefixLength: 129 }, /ipv6PrefixLength/],
    [{ responsesPerSecond: -1 }, /responsesPerSecond/],
    [{ responsesPerSecond: Number.NaN }, /responsesPerSecond/],
    [{ maxTableSize: 0 }, /maxTableSize/],
  ])('refuses %o', (config, message) => {
    expect(() => resolveRrlOptions(config)).toThrow(RangeError);
    expect(() => new ResponseRateLimiter(config)).toThrow(message);
  });
});
