// What sinkd learns of a provider's wildcards (src/zone/wildcard-prober.ts): asked of a provider
// played in-process here (the end-to-end test against nsd is test/integration/rrl-bypass.test.ts),
// and bounded whatever it is asked about.
import { describe, expect, it } from 'vitest';
import { WildcardProber, type ProbeTarget } from '../../src/zone/wildcard-prober.js';
import { NO_WILDCARD, UNKNOWN, WILDCARD, answerFingerprint } from '../../src/rrl/response-account.js';
import { readQuestionName } from '../../src/wire/names.js';
import { Packet, buildQuery, decode } from '../wire/helpers.js';

const ZONE = 'no-ip.biz';

/** A provider with `*.dyn.no-ip.biz A 192.0.2.77` (no other type), answering from memory. */
class Provider implements ProbeTarget {
  asked: { name: string; type: number; rd: boolean }[] = [];
  down = false;
  /** Replies held back until release() (to see what happens while a probe is in flight). */
  hold = false;
  private held: (() => void)[] = [];

  async resolve(query: Buffer): Promise<Buffer | null> {
    const q = readQuestionName(query, 12)!;
    const type = query.readUInt16BE(q.end);
    this.asked.push({ name: q.name, type, rd: (query[2]! & 1) === 1 });
    if (this.hold) await new Promise<void>((r) => this.held.push(r));
    if (this.down) return null;
    const p = new Packet();
    p.header.id = query.readUInt16BE(0);
    Object.assign(p.header, { qr: 1, aa: 1 });
    p.questions = decode(query).questions;
    if (q.name.endsWith(`.dyn.${ZONE}`)) {
      if (type === 1) p.answers.push({ name: q.name, type: 1, class: 1, ttl: 300, address: '192.0.2.77' } as never);
    } else {
      p.header.rcode = 3;
    }
    return p.toBuffer();
  }

  release(): void {
    for (const r of this.held.splice(0)) r();
  }
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('WildcardProber', () => {
  it('learns NO_WILDCARD where new names are NXDOMAIN and the wildcard\'s answer where they exist', async () => {
    const provider = new Provider();
    const found: string[] = [];
    const prober = new WildcardProber(provider, ZONE, () => false, { found: (x) => found.push(x) });
    expect(prober.wildcardAt(ZONE, 1, Date.now())).toBe(UNKNOWN);
    expect(prober.wildcardAt(`dyn.${ZONE}`, 1, Date.now())).toBe(UNKNOWN);
    await settle();
    expect(prober.wildcardAt(ZONE, 1, Date.now())).toBe(NO_WILDCARD);
    expect(prober.wildcardAt(ZONE, 28, Date.now())).toBe(NO_WILDCARD); // whatever the type
    expect(prober.wildcardAt(`dyn.${ZONE}`, 1, Date.now())).toBe(WILDCARD);
    expect(found).toEqual([`dyn.${ZONE}`]);
    // The fingerprint is that of any name the wildcard answers.
    const other = new Provider();
    const q = buildQuery(`anything.dyn.${ZONE}`, { rd: false });
    const synthesised = (await other.resolve(q))!;
    expect(prober.fingerprint(`dyn.${ZONE}`, 1, Date.now())).toBe(answerFingerprint(synthesised, q.length));
    // A type the wildcard lacks: a fingerprint no answer can have.
    expect(prober.fingerprint(`dyn.${ZONE}`, 16, Date.now())).toBe(UNKNOWN);
    await settle();
    expect(prober.fingerprint(`dyn.${ZONE}`, 16, Date.now())).toBeLessThan(0);
    expect(prober.fingerprint(`dyn.${ZONE}`, 16, Date.now())).not.toBe(UNKNOWN);
    // Each probe asked a fresh name below the ancestor, with RD=0.
    for (const a of provider.asked) {
      expect(a.rd).toBe(false);
      expect(a.name).toMatch(/^[0-9a-f]{12}-sinkd\.(dyn\.)?no-ip\.biz$/);
    }
    expect(new Set(provider.asked.map((a) => a.name)).size).toBe(provider.asked.length);
  });

  it('asks once per ancestor and type while a probe is in flight', async () => {
    const provider = new Provider();
    provider.hold = true;
    const prober = new WildcardProber(provider, ZONE);
    for (let i = 0; i < 100; i++) prober.wildcardAt(ZONE, 1, Date.now());
    expect(provider.asked).toHaveLength(1);
    provider.release();
    await settle();
    await settle();
    expect(prober.wildcardAt(ZONE, 1, Date.now())).toBe(NO_WILDCARD);
    expect(provider.asked).toHaveLength(1);
  });

  it('sends at most probesPerSecond probes a second and remembers at most maxEntries ancestors', async () => {
    let now = 1_000_000;
    const provider = new Provider();
    const prober = new WildcardProber(provider, ZONE, () => false, { probesPerSecond: 20, maxEntries: 50, now: () => now });
    for (let i = 0; i < 1000; i++) prober.wildcardAt(`r${i}.${ZONE}`, 1, now);
    expect(provider.asked).toHaveLength(20);
    for (let s = 0; s < 10; s++) {
      now += 1000;
      for (let i = 0; i < 1000; i++) prober.wildcardAt(`s${s}x${i}.${ZONE}`, 1 + i, now);
    }
    expect(provider.asked).toHaveLength(20 * 11);
    await settle();
    expect(prober.size).toBeLessThanOrEqual(50);
  });

  it('after a probe failed, says UNKNOWN and asks again only after retryMs', async () => {
    let now = 1_000_000;
    const provider = new Provider();
    provider.down = true;
    const prober = new WildcardProber(provider, ZONE, () => false, { retryMs: 5000, now: () => now });
    prober.wildcardAt(ZONE, 1, now);
    await settle();
    expect(prober.wildcardAt(ZONE, 1, now)).toBe(UNKNOWN);
    expect(provider.asked).toHaveLength(1);
    provider.down = false;
    now += 5001;
    prober.wildcardAt(ZONE, 1, now);
    await settle();
    expect(prober.wildcardAt(ZONE, 1, now)).toBe(NO_WILDCARD);
  });

  it('checks again after refreshMs, answering from what it knew meanwhile', async () => {
    let now = 1_000_000;
    const provider = new Provider();
    const prober = new WildcardProber(provider, ZONE, () => false, { refreshMs: 60_000, now: () => now });
    prober.prime();
    await settle();
    provider.hold = true;
    now += 30_000;
    expect(prober.wildcardAt(ZONE, 1, now)).toBe(NO_WILDCARD);
    expect(provider.asked).toHaveLength(1);
    now += 31_000;
    expect(prober.wildcardAt(ZONE, 1, now)).toBe(NO_WILDCARD);
    expect(provider.asked).toHaveLength(2);
    provider.release();
  });

  it('remembers at most 64 types per ancestor, whatever types a flood asks for', async () => {
    let now = 1_000_000;
    const provider = new Provider();
    const prober = new WildcardProber(provider, ZONE, () => false, { probesPerSecond: 1000, now: () => now });
    prober.wildcardAt(`dyn.${ZONE}`, 1, now);
    await settle();
    for (let t = 1000; t < 1200; t++) prober.fingerprint(`dyn.${ZONE}`, t, now);
    await settle();
    const known = Array.from({ length: 200 }, (_, i) => prober.fingerprint(`dyn.${ZONE}`, 1000 + i, now)).filter((f) => f !== UNKNOWN);
    expect(known).toHaveLength(64);
  });

  it('does not ask about an ancestor with no room for a label below it', () => {
    const provider = new Provider();
    const prober = new WildcardProber(provider, ZONE);
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(51)}.${ZONE}`;
    expect(long.length).toBe(253);
    prober.wildcardAt(long, 1, Date.now());
    expect(provider.asked).toHaveLength(0);
  });
});
