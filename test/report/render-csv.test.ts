import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvField, guardFormula, renderCsv } from '../../src/report/render-csv.js';
import { ACK_NOTE, emptyReport, FORMULA_NAME, HOSTILE_HOSTNAME, makeClient, makeReport, realisticReport, XSS_NAME } from './fixture.js';

/** A strict RFC 4180 reader: CRLF record ends, quoted fields with "" for a quote. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"' && field === '') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
      if (text[i] !== ',' && !text.startsWith('\r\n', i)) throw new Error(`garbage after a quoted field at ${i}`);
    } else if (text[i] === ',') {
      record.push(field);
      field = '';
      i++;
    } else if (text.startsWith('\r\n', i)) {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else {
      const c = text[i] as string;
      if (c === '"' || c === '\r' || c === '\n') throw new Error(`bare ${JSON.stringify(c)} in an unquoted field at ${i}`);
      field += c;
      i++;
    }
  }
  if (field !== '' || record.length > 0) throw new Error('last record without CRLF');
  return records;
}

describe('renderCsv', () => {
  const report = realisticReport();
  const text = renderCsv(report);
  const records = parseCsv(text);
  const byClient = new Map(records.slice(1).map((r) => [r[0], Object.fromEntries(CSV_COLUMNS.map((k, i) => [k, r[i]]))]));

  it('is RFC 4180: a header row, one record per client in report order, CRLF after each, same field count', () => {
    expect(records[0]).toEqual([
      'client', 'hostname', 'mac', 'verdict', 'handled', 'hits', 'distinct_minutes',
      'first_seen', 'last_seen', 'families', 'names', 'subnets', 'seized_zones', 'ack_note',
      'sources', 'other_hits', 'other_names',
    ]);
    expect(records.slice(1).map((r) => r[0])).toEqual(['10.0.0.53', '192.168.1.23', '2001:db8::7', '192.168.1.9', '::1']);
    for (const r of records) expect(r).toHaveLength(17);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replaceAll('\r\n', '').includes('\r')).toBe(false);
    expect(text.charCodeAt(0)).not.toBe(0xfeff);
  });

  it('writes each column as documented', () => {
    expect(byClient.get('192.168.1.23')).toEqual({
      client: '192.168.1.23',
      hostname: 'desk-7',
      mac: '3c:52:82:1a:7f:0e',
      verdict: 'likely-infected',
      handled: 'no',
      hits: '46',
      distinct_minutes: '14',
      first_seen: '2024-05-01T10:50:07.000Z',
      last_seen: '2024-05-01T11:55:42.000Z',
      families: 'Bladabindi; Jenxcus',
      names: 'evil.no-ip.biz (45); c2.hopto.org (1)',
      subnets: '',
      seized_zones: '',
      ack_note: '',
      sources: '',
      other_hits: '',
      other_names: '',
    });
    expect(byClient.get('10.0.0.53')).toMatchObject({ subnets: '10.0.0.0/24; 10.0.1.0/24', hostname: '', mac: '' });
    expect(byClient.get('2001:db8::7')).toMatchObject({ handled: 'yes', verdict: 'likely-infected' });
    expect(byClient.get('::1')).toMatchObject({ handled: 'yes', verdict: 'single-contact', families: '', ack_note: '' });
  });

  it('quotes commas, quotes and line breaks; a responder note keeps its line break', () => {
    expect(byClient.get('2001:db8::7')!.ack_note).toBe(ACK_NOTE);
    expect(text).toContain('"reimaged, ticket #4411: ""done""\nby ana"');
    const names = byClient.get('10.0.0.53')!.names!;
    expect(names).toContain(`${XSS_NAME} (1)`);
    expect(names).toContain(`${FORMULA_NAME} (1)`);
  });

  it('shows control and bidi characters in names as \\DDD and \\u{XXXX}: no name can break a record', () => {
    const names = byClient.get('10.0.0.53')!.names!;
    expect(names).toContain('red\\027[31m\\027[2J.zapto.org (1)');
    expect(names).toContain('moc.\\u{202E}evil.ddns.net (1)');
    const evil = makeReport([
      makeClient({ client: '192.168.1.50', verdict: 'single-contact', minutes: [5], names: [['a\r\nb,"c".no-ip.biz', undefined]] }),
    ]);
    const r = parseCsv(renderCsv(evil));
    expect(r).toHaveLength(2);
    expect(r[1]![10]).toBe('a\\013\\010b,"c".no-ip.biz (1)');
  });

  it('guards against formula injection with a leading apostrophe, and leaves addresses such as ::1 alone', () => {
    expect(byClient.get('192.168.1.9')!.hostname).toBe(`'${HOSTILE_HOSTNAME}`);
    expect(byClient.get('::1')!.client).toBe('::1');
    // The formula-looking name is not first in its cell, so the cell is no formula: left alone.
    expect(byClient.get('10.0.0.53')!.names!.startsWith('kr1s')).toBe(true);
    const first = makeReport([
      makeClient({ client: '192.168.1.51', verdict: 'single-contact', minutes: [5], names: [[FORMULA_NAME, '@SUM(1+1)']], hostname: '+1 555' }),
    ]);
    const row = parseCsv(renderCsv(first))[1]!;
    expect(row[10]!.startsWith(`'=HYPERLINK(`)).toBe(true);
    expect(row[9]).toBe(`'@SUM(1+1)`);
    expect(row[1]).toBe(`'+1 555`);
  });

  it('guardFormula: = + - @, tab and CR first, also after leading blanks; nothing else', () => {
    for (const v of ['=1+1', '+1', '-1', '@A1', '\t=1', '\r=1', ' =1', '\u00a0-2']) expect(guardFormula(v)).toBe(`'${v}`);
    for (const v of ['::1', '::ffff:10.0.0.1', 'fe80::1', '10.0.0.1', '2024-05-01T12:00:00.000Z', 'a=b', 'evil.no-ip.biz', '', "'x"]) {
      expect(guardFormula(v)).toBe(v);
    }
  });

  it('csvField quotes only when it must', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
  });

  it('an empty report is the header row alone', () => {
    expect(renderCsv(emptyReport())).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
  });
});
