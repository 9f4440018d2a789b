// The HTTP request head recogniser and the printable-string rule every wire string goes through.
import { describe, expect, it } from 'vitest';
import { recognizeHttp } from '../../src/catcher/http-request.js';
import { printable } from '../../src/catcher/printable.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('HTTP request head', () => {
  it('reads method, target, Host and User-Agent, case-insensitively and with bare LF', () => {
    const crlf = recognizeHttp(b('GET /gate.php?id=1 HTTP/1.1\r\nhOsT:  evil.no-ip.biz \r\nUser-Agent: Mozilla/4.0\r\nAccept: */*\r\n\r\n'));
    expect(crlf).toEqual({ method: 'GET', target: '/gate.php?id=1', version: '1.1', host: 'evil.no-ip.biz', userAgent: 'Mozilla/4.0', complete: true });
    const lf = recognizeHttp(b('POST /is-ready HTTP/1.0\nHost: x\n\n'));
    expect(lf).toMatchObject({ method: 'POST', target: '/is-ready', host: 'x', userAgent: null, complete: true });
  });

  it('keeps the first Host, skips header lines it cannot read, and reports a head still arriving', () => {
    const r = recognizeHttp(b('GET / HTTP/1.1\r\nno colon here\r\n: empty name\r\nHost: first\r\nHost: second\r\nUser-Ag'));
    expect(r).toMatchObject({ host: 'first', userAgent: null, complete: false });
  });

  it('waits while the bytes could still become a request line', () => {
    for (const partial of ['', 'G', 'GET', 'GET ', 'GET /x', 'GET /x ', 'GET /x HT', 'GET /x HTTP/1', 'GET /x HTTP/1.1', 'GET /x HTTP/1.1\r', '149']) {
      expect(recognizeHttp(b(partial)), partial).toBe('need-more');
    }
  });

  it('says "not HTTP" as soon as the bytes cannot be a request line', () => {
    for (const other of ["149\x00ll|'|'|", '\x16\x03\x01', 'GET  / HTTP/1.1\r\n', 'GET / FTP/1.0\r\n', 'GET / HTTP/1.1 extra\r\n', 'SSH-2.0-OpenSSH\r\n', 'G\x00', 'GET /a\x01b HTTP/1.1\r\n', 'A'.repeat(21)]) {
      expect(recognizeHttp(b(other)), JSON.stringify(other)).toBeNull();
    }
  });

  it('stays fast on a head built to make a regular expression backtrack', () => {
    const head = b(`GET / HTTP/1.1\r\nUser-Agent: a${' \t'.repeat(4000)}b\r\nHost:${' '.repeat(8000)}\r\n`);
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) recognizeHttp(head);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe('printable', () => {
  it('leaves plain text alone and caps it with an ellipsis', () => {
    expect(printable('evil.no-ip.biz', 255)).toBe('evil.no-ip.biz');
    expect(printable('abcdef', 4)).toBe('abc…');
    expect(printable('abcd', 4)).toBe('abcd');
  });

  it('writes control characters, DEL, C1 and bidi overrides as visible escapes', () => {
    expect(printable('a\x00b\x1b[31mc\r\nd\x7f', 100)).toBe('a\\x00b\\x1b[31mc\\x0d\\x0ad\\x7f');
    expect(printable(b('\xc2\x85'), 100)).toBe('\\x85'); // NEL, a C1 control, in UTF-8
    expect(printable(Buffer.from('user\u202Eexe.txt'), 100)).toBe('user\\u202eexe.txt');
    expect(printable(Buffer.from('a\u2028b'), 100)).toBe('a\\u2028b');
  });

  it('decodes UTF-8, replaces invalid bytes, and never splits a character or an escape', () => {
    expect(printable(b('caf\xc3\xa9'), 100)).toBe('café');
    expect(printable(b('\xff\xfe'), 100)).toBe('\ufffd\ufffd');
    expect(printable(Buffer.from('😀😀😀'), 5)).toBe('😀😀…');
    expect(printable('ab\x00cd', 6)).toBe('ab…');
    for (let max = 2; max < 30; max++) {
      const s = printable(b('x\x00\x01 \xf0\x9f\x98\x80 \x1b\x7f end'), max);
      expect(s.length).toBeLessThanOrEqual(max);
      expect(s).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    }
  });
});
