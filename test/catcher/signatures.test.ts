// The signature table: the shipped file loads and names the seed families from their real
// check-in bytes; an operator's file extends and overrides it; a bad file is refused with its
// file, line and key; and what a signature extracts is printable.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recognize } from '../../src/catcher/recognize.js';
import { SignatureTable } from '../../src/catcher/signatures.js';
import { clientHello, ext } from '../helpers/client-hello.js';
import { HWORM_CHECKIN, NJRAT_CHECKIN, NJRAT_LV_PREFIX } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'sinkd-sigs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const shipped = SignatureTable.load([]);

describe('the shipped signatures', () => {
  it('load, and hold the two seed families', () => {
    expect(shipped.names).toEqual(['njrat-checkin', 'hworm-checkin']);
  });

  it('tag an njRAT check-in from its first bytes, with the victim fields decoded', () => {
    const r = recognize(NJRAT_CHECKIN, false, shipped);
    expect(r).toMatchObject({ protocol: 'tcp', reply: null, match: { name: 'njrat-checkin', tag: 'Bladabindi' } });
    expect(r!.match!.details).toEqual({ botId: 'HacKed_7613A12F', hostname: 'SERVERPC', user: 'ser', installed: '14-05-27', os: 'Win 8.1 ProSP0 x86', version: '0.7d' });
    // An "lv" build whose first segment holds only the start: tagged, without details.
    expect(recognize(NJRAT_LV_PREFIX, false, shipped)?.match).toMatchObject({ tag: 'Bladabindi', details: null });
  });

  it('tag an H-worm check-in and answer it with an empty 200', () => {
    const r = recognize(HWORM_CHECKIN, false, shipped)!;
    expect(r).toMatchObject({ protocol: 'http', method: 'POST', path: '/is-ready', host: 'dr-vip.no-ip.org:8885', match: { name: 'hworm-checkin', tag: 'Jenxcus' } });
    expect(r.match!.details).toEqual({
      volumeSerial: 'C4BA3647',
      hostname: 'USER-PC',
      user: 'admin',
      os: 'Microsoft Windows 7 Professional ',
      antivirus: 'undefined',
      usbSpread: 'false - 20/9/2019',
    });
    expect(r.reply!.toString()).toBe('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });

  it('leave ordinary traffic untagged', () => {
    const get = Buffer.from('GET /is-ready HTTP/1.1\r\nUser-Agent: C4BA3647<|>x<|>y<|>\r\n\r\n');
    expect(recognize(get, false, shipped)?.match).toBeNull(); // H-worm POSTs
    expect(recognize(Buffer.from("12\x00xx|'|'|abc"), true, shipped)?.match).toBeNull();
    expect(recognize(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n'), false, shipped)?.match).toBeNull();
  });
});

describe('an operator signature file', () => {
  it('is tried first, can replace a shipped signature by name, and can match TLS by SNI and JA4', () => {
    const mine = file(
      'mine.yaml',
      [
        'signatures:',
        '  - name: hworm-checkin',
        '    tag: Houdini',
        "    path: '^/is-ready'",
        '  - name: examplerat-tls',
        '    tag: ExampleRAT',
        "    sni: '\\.duckdns\\.org$'",
        "    ja4: '^t13d'",
        '  - name: gh0st',
        '    tag: Gh0stRAT',
        "    payload: '^Gh0st'",
      ].join('\n'),
    );
    const table = SignatureTable.load([mine]);
    expect(table.names).toEqual(['hworm-checkin', 'examplerat-tls', 'gh0st', 'njrat-checkin']);
    expect(recognize(HWORM_CHECKIN, false, table)?.match?.tag).toBe('Houdini');
    const hello = clientHello({ ciphers: [0x1301], extensions: [ext.sni('c2.duckdns.org'), ext.versions([0x0304])] });
    expect(recognize(hello, false, table)).toMatchObject({ protocol: 'tls', sni: 'c2.duckdns.org', match: { tag: 'ExampleRAT' } });
    expect(recognize(Buffer.from('Gh0st\xad\x00\x00\x00', 'latin1'), false, table)?.match?.tag).toBe('Gh0stRAT');
  });

  it('is refused with the file, line and key of every problem', () => {
    const bad = file(
      'bad.yaml',
      [
        'signatures:',
        '  - name: no-test',
        '    tag: X',
        '  - name: bad-regex',
        '    tag: X',
        "    payload: '(unclosed'",
        '  - name: mixed',
        '    tag: X',
        "    path: '^/'",
        "    sni: 'x'",
        '  - name: typo',
        '    tag: X',
        "    usragent: 'x'",
      ].join('\n'),
    );
    let message = '';
    try {
      SignatureTable.load([bad]);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`${bad}:2: signatures[0]: needs at least one of: payload`);
    expect(message).toContain(`${bad}:6: signatures[1].payload: is not a valid regular expression`);
    expect(message).toMatch(/:7: signatures\[2\]: mixes HTTP fields/);
    expect(message).toMatch(/:11: signatures\[3\]: unknown key/);
    expect(() => SignatureTable.load([join(dir, 'missing.yaml')])).toThrow(/cannot read catcher signatures .*missing\.yaml: no such file/);
    expect(() => SignatureTable.load([file('syntax.yaml', 'signatures: [\n')])).toThrow(/YAML syntax error/);
  });

  it('yields only printable, capped details, whatever the bytes', () => {
    const table = SignatureTable.fromData({ signatures: [{ name: 'x', tag: 'X', payload: '^HELLO (?<who>.{0,999})$', base64: [] }, { name: 'y', tag: 'Y', payload: '^B64 (?<v>.*)$', base64: ['v'] }] });
    const m = table.match({ protocol: 'tcp', payload: `HELLO \x1b]0;pwned\x07${'z'.repeat(900)}` })!;
    expect(m.details!.who!.startsWith('\\x1b]0;pwned\\x07zzz')).toBe(true);
    expect(m.details!.who!.length).toBeLessThanOrEqual(200);
    const decoded = table.match({ protocol: 'tcp', payload: `B64 ${Buffer.from('a\r\nb').toString('base64')}` })!;
    expect(decoded.details).toEqual({ v: 'a\\x0d\\x0ab' });
  });
});
