// What the catcher decides from first bytes, as they arrive: every prefix of a real check-in
// either waits or decides what the whole would; hostile and mutated input never throws and is
// always decided once the connection ends; the shipped signatures stay fast on inputs built
// to make them backtrack.
import { describe, expect, it } from 'vitest';
import { recognize } from '../../src/catcher/recognize.js';
import { SignatureTable } from '../../src/catcher/signatures.js';
import { clientHello, ext } from '../helpers/client-hello.js';
import { HWORM_CHECKIN, NJRAT_CHECKIN } from './fixtures.js';

const table = SignatureTable.load([]);
const HELLO = clientHello({ ciphers: [0x1301, 0x1302], extensions: [ext.sni('c2.no-ip.biz'), ext.alpn(['h2']), ext.versions([0x0304]), ext.sigalgs([0x0403])] });
const SEEDS: [string, Buffer, 'http' | 'tls' | 'tcp'][] = [
  ['hworm', HWORM_CHECKIN, 'http'],
  ['tls', HELLO, 'tls'],
  ['njrat', NJRAT_CHECKIN, 'tcp'],
];

describe('recognize', () => {
  it('waits on every prefix of a check-in, or decides as the whole would', () => {
    for (const [name, bytes, protocol] of SEEDS) {
      const whole = recognize(bytes, false, table);
      expect(whole?.protocol, name).toBe(protocol);
      for (let cut = 0; cut < bytes.length; cut++) {
        const r = recognize(bytes.subarray(0, cut), false, table);
        if (r === null) continue;
        // Deciding early is allowed only where the prefix already says everything that matters.
        expect(r.protocol, `${name} cut at ${cut}`).toBe(protocol);
        expect(r.match?.tag ?? null, `${name} cut at ${cut}`).toBe(whole!.match?.tag ?? null);
      }
    }
  });

  it('never throws on mutated or random input, and always decides at the end', () => {
    let seed = 12345;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    for (let i = 0; i < 4000; i++) {
      const base = SEEDS[i % SEEDS.length]![1];
      let b = Buffer.from(base.subarray(0, 1 + rand(base.length)));
      for (let k = rand(4); k > 0; k--) b[rand(b.length)] = rand(256);
      if (i % 7 === 0) b = Buffer.from(Array.from({ length: rand(600) }, () => rand(256)));
      expect(() => recognize(b, false, table)).not.toThrow();
      const final = recognize(b, true, table);
      expect(final).not.toBeNull();
      expect(['http', 'tls', 'tcp']).toContain(final.protocol);
    }
  });

  it('stays fast on payloads built against the signatures', () => {
    const nasty = [
      Buffer.from(`1\x00ll|'|'|${'A'.repeat(8000)}`, 'latin1'),
      Buffer.from(`1\x00ll|'|'|${"x|'|'|".repeat(1300)}`, 'latin1'),
      Buffer.from(`POST /is-ready HTTP/1.1\r\nUser-Agent: ${'A'.repeat(16)}${'<|>'.repeat(2500)}\r\n\r\n`, 'latin1'),
      Buffer.from(`POST /is-ready HTTP/1.1\r\nUser-Agent: C4BA3647${'<|><'.repeat(2000)}\r\n\r\n`, 'latin1'),
    ];
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) for (const b of nasty) recognize(b, true, table);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
