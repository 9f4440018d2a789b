import { describe, expect, it } from 'vitest';
import { formatDuration, localDateTime, localShort, printable, ruleSentence, windowText, zoneLabel } from '../../src/report/format.js';
import { emptyReport, makeReport } from './fixture.js';

describe('report text helpers', () => {
  it('printable: control characters as \\DDD, invisible/bidi characters as \\u{XXXX}, the rest untouched', () => {
    expect(printable('evil.no-ip.biz')).toBe('evil.no-ip.biz');
    expect(printable('a\u0000b\u001bc\u007fd\u0085e')).toBe('a\\000b\\027c\\127d\\133e');
    expect(printable('x\u202ey\u200bz\ufeff')).toBe('x\\u{202E}y\\u{200B}z\\u{FEFF}');
    expect(printable('caf\u00e9 \u00fc')).toBe('caf\u00e9 \u00fc');
    expect(printable('one\r\ntwo\tthree', { keepLineBreaks: true })).toBe('one\ntwo\tthree');
    expect(printable('one\r\ntwo\u001b', { keepLineBreaks: true })).toBe('one\ntwo\\027');
  });

  it('times: local forms in the given zone, with its offset', () => {
    const t = '2024-05-01T12:03:59.000Z';
    expect(localDateTime(t, { timeZone: 'Europe/Berlin' })).toBe('2024-05-01 14:03');
    expect(localDateTime(t, { timeZone: 'America/New_York' })).toBe('2024-05-01 08:03');
    expect(localShort(t, t, { timeZone: 'UTC' })).toBe('May 01 12:03');
    expect(localShort('2023-12-31T23:00:00.000Z', t, { timeZone: 'UTC' })).toBe('2023-12-31 23:00');
    expect(zoneLabel(t, { timeZone: 'Europe/Berlin' })).toBe('UTC+02:00');
    expect(zoneLabel(t, { timeZone: 'UTC' })).toBe('UTC');
    expect(zoneLabel(t, { timeZone: 'Asia/Kolkata' })).toBe('UTC+05:30');
    expect(localDateTime('not a time')).toBe('not a time');
  });

  it('durations and windows', () => {
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(90 * 60_000)).toBe('1h 30m');
    expect(formatDuration(24 * 3_600_000)).toBe('1d');
    expect(formatDuration(51 * 3_600_000 + 5 * 60_000)).toBe('2d 3h');
    expect(formatDuration(-1)).toBe('?');
    expect(windowText(emptyReport(), { timeZone: 'UTC' })).toBe('since 2024-04-30 12:00 (the last 1d)');
    expect(windowText(makeReport([], { since: null }))).toBe('everything retained');
  });

  it('the verdict rule in one sentence, singular and plural', () => {
    expect(ruleSentence({ minDistinctMinutes: 3, minDistinctNames: 2 })).toBe(
      "likely-infected when a client's hits fall in at least 3 distinct minutes (a beacon) or cover at least 2 different listed names; single-contact otherwise.",
    );
    expect(ruleSentence({ minDistinctMinutes: 1, minDistinctNames: 1 })).toContain('at least 1 distinct minute (a beacon) or cover at least 1 different listed name;');
  });
});
