// The ClientHello parser and the JA4 fingerprint, against the vectors of the JA4 specification
// and of the reference implementation's test data, with GREASE mixed in, hellos split over
// records, and hellos that lie about their lengths.
import { describe, expect, it } from 'vitest';
import { ja4 } from '../../src/catcher/ja4.js';
import { isGrease, parseClientHello, recognizeTls, type ClientHello } from '../../src/catcher/tls-client-hello.js';
import { clientHello, ext, helloBody, type HelloSpec } from '../helpers/client-hello.js';

const hex = (s: string) => s.split(',').map((h) => parseInt(h, 16));
const CIPHERS = hex('1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035');
const SIGALGS = hex('0403,0804,0401,0503,0805,0501,0806,0601');

/** A hello with the given extension types in order; SNI, ALPN, versions and sigalgs get real contents. */
function helloWith(types: number[], opts: { sigalgs?: number[]; ciphers?: number[]; versions?: number[]; alpn?: (string | Buffer)[] } = {}): HelloSpec {
  return {
    ciphers: opts.ciphers ?? CIPHERS,
    extensions: types.map((t) => {
      if (t === 0x0000) return ext.sni('www.example.com');
      if (t === 0x0010) return ext.alpn(opts.alpn ?? ['h2', 'http/1.1']);
      if (t === 0x002b) return ext.versions(opts.versions ?? [0x0304, 0x0303]);
      if (t === 0x000d) return ext.sigalgs(opts.sigalgs ?? SIGALGS);
      return ext.empty(t);
    }),
  };
}

function parsed(spec: HelloSpec): ClientHello {
  const r = recognizeTls(clientHello(spec));
  if (r === null || r === 'need-more') throw new Error(`not a hello: ${r}`);
  return r;
}

describe('JA4', () => {
  it('matches the example of the JA4 specification', () => {
    // technical_details/JA4.md: the hello behind t13d1516h2_8daaf6152771_e5627efa2ab1
    const spec = helloWith(hex('001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015'));
    expect(ja4(parsed(spec))).toBe('t13d1516h2_8daaf6152771_e5627efa2ab1');
  });

  it('matches the reference implementation on a Chrome hello with post-quantum signature algorithms', () => {
    // python/test/testdata/sigalg-grease.pcapng.json (JA4_ro gives the hello's own order)
    const spec = helloWith(hex('fe0d,0010,0017,0033,44cd,ff01,000a,000d,0023,002b,000b,ca34,002d,0000,0005,001b,0012'), {
      sigalgs: hex('0904,0905,0906,0403,0804,0401,0503,0805,0501,0806,0601'),
    });
    expect(ja4(parsed(spec))).toBe('t13d1517h2_8daaf6152771_cb7bf5808d99');
  });

  it('ignores GREASE in ciphers, extensions, versions and signature algorithms', () => {
    const types = hex('001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015');
    const plain = ja4(parsed(helloWith(types)));
    const greased = ja4(
      parsed(
        helloWith([0x0a0a, ...types, 0xfafa], {
          ciphers: [0x2a2a, ...CIPHERS],
          versions: [0x5a5a, 0x0304, 0x0303],
          sigalgs: [0x1a1a, ...SIGALGS],
        }),
      ),
    );
    expect(greased).toBe(plain);
    expect(isGrease(0x0a0a) && isGrease(0xfafa) && !isGrease(0xca34) && !isGrease(0x0a1a)).toBe(true);
  });

  it('fills part a from version, SNI, counts and ALPN, with the zero hashes when lists are empty', () => {
    // TLS 1.2 without supported_versions, no SNI, no ALPN, no extensions at all.
    const bare = parsed({ ciphers: [0x002f], noExtensions: true });
    expect(ja4(bare)).toMatch(/^t12i010000_[0-9a-f]{12}_000000000000$/);
    // Only SNI and ALPN: nothing left for part c.
    expect(ja4(parsed(helloWith([0x0000, 0x0010])))).toBe('t12d1502h2_8daaf6152771_000000000000');
    // More than 99 ciphers count as 99.
    const many = Array.from({ length: 120 }, (_, i) => 0x0100 + i);
    expect(ja4(parsed({ ciphers: many, noExtensions: true }))).toMatch(/^t12i9900/);
    // Versions: legacy 1.0 / SSL 3.0 / unknown.
    expect(ja4(parsed({ legacyVersion: 0x0301, ciphers: [0x002f], noExtensions: true }))).toMatch(/^t10i/);
    expect(ja4(parsed({ legacyVersion: 0x0300, ciphers: [0x002f], noExtensions: true }))).toMatch(/^ts3i/);
    expect(ja4(parsed({ legacyVersion: 0x0305, ciphers: [0x002f], noExtensions: true }))).toMatch(/^t00i/);
  });

  it('takes the ALPN characters as the specification says, hex when an end is not alphanumeric', () => {
    const alpnOf = (first: string | Buffer) => ja4(parsed(helloWith([0x0010], { alpn: [first] }))).slice(8, 10);
    expect(alpnOf('http/1.1')).toBe('h1');
    expect(alpnOf('h2')).toBe('h2');
    expect(alpnOf('x')).toBe('xx');
    expect(alpnOf(Buffer.from([0xab]))).toBe('ab');
    expect(alpnOf(Buffer.from([0xab, 0xcd]))).toBe('ad');
    expect(alpnOf(Buffer.from([0x30, 0xab]))).toBe('3b');
    expect(alpnOf(Buffer.from([0x30, 0x31, 0xab, 0xcd]))).toBe('3d');
    expect(alpnOf(Buffer.from([0x30, 0xab, 0xcd, 0x31]))).toBe('01');
    expect(ja4(parsed(helloWith([0x0010], { alpn: [] }))).slice(8, 10)).toBe('00');
  });
});

describe('ClientHello parser', () => {
  const spec = helloWith([0x0000, 0x0010, 0x002b, 0x000d, 0x0017]);

  it('reads SNI, ALPN, versions and signature algorithms', () => {
    const h = parsed(spec);
    expect(h.sni).toBe('www.example.com');
    expect(h.alpn).toEqual(['h2', 'http/1.1']);
    expect(h.supportedVersions).toEqual([0x0304, 0x0303]);
    expect(h.signatureAlgorithms).toEqual(SIGALGS);
    expect(h.extensions).toEqual([0x0000, 0x0010, 0x002b, 0x000d, 0x0017]);
  });

  it('reassembles a hello split over several records, and waits for the rest of a partial one', () => {
    const whole = parsed(spec);
    expect(recognizeTls(clientHello(spec, 3))).toEqual(whole);
    const bytes = clientHello(spec, 2);
    for (const cut of [1, 3, 5, 6, 9, 40, bytes.length - 1]) expect(recognizeTls(bytes.subarray(0, cut))).toBe('need-more');
  });

  it('is not fooled: other record types, other handshakes, lengths that do not add up', () => {
    const good = clientHello(spec);
    const mutate = (at: number, v: number) => {
      const b = Buffer.from(good);
      b[at] = v;
      return b;
    };
    expect(recognizeTls(mutate(0, 0x17))).toBeNull(); // application data
    expect(recognizeTls(mutate(1, 0x02))).toBeNull(); // not TLS
    expect(recognizeTls(mutate(5, 0x02))).toBeNull(); // a ServerHello
    expect(recognizeTls(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x00]))).toBeNull(); // empty record
    expect(recognizeTls(Buffer.from([0x16, 0x03, 0x01, 0x48, 0x01]))).toBeNull(); // record over 2^14
    const body = helloBody(spec);
    expect(parseClientHello(body)).not.toBeNull();
    // Every truncation of the body, and a byte of trailing junk, is rejected, never thrown on.
    for (let cut = 0; cut < body.length; cut++) expect(() => parseClientHello(body.subarray(0, cut))).not.toThrow();
    expect(parseClientHello(Buffer.concat([body, Buffer.from([0])]))).toBeNull();
    // An odd cipher list length, and no compression method.
    const odd = Buffer.from(body);
    odd.writeUInt16BE(3, 2 + 32 + 1 + 32);
    expect(parseClientHello(odd)).toBeNull();
  });

  it('survives random bytes behind a valid record header', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 3000; i++) {
      const len = 4 + (rand() % 200);
      const body = Buffer.from(Array.from({ length: len }, rand));
      body[0] = 1;
      const rec = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0, len]), body]);
      expect(() => recognizeTls(rec)).not.toThrow();
    }
  });
});
