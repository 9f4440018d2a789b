// Issue 10, finding 11: log lines must stay one line for every reader. JSON.stringify (and so pino
// and the hand-built sinkhole line) writes U+0085 (NEL, a C1 control, which a query name read as
// latin1 carries for the octet 0x85), U+2028 and U+2029 raw; readers that split lines on them
// (Python's str.splitlines, several log shippers) then cut a JSON line in two. The process logger
// (createLogger) writes them as \uXXXX escapes: the same JSON value, one line.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, escapeLineBreakers, flushLogger } from '../../src/log/logger.js';
import { SinkholeLog } from '../../src/log/sinkhole-log.js';

/** Every line terminator of Python's str.splitlines (a strict reader's idea of a line). */
const SPLITLINES = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

const HOSTILE = 'a\u0085b\u2028c\u2029d\u0080e\u009ff\u007fg';

describe('log lines with C1 controls, U+2028 and U+2029', () => {
  it('escapes them in pino lines and sinkhole lines, so every line splits cleanly and parses back to the same values', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sinkd-log-')), 'log.jsonl');
    const log = createLogger('info', file);
    log.info({ event: 'test', value: HOSTILE }, `message ${HOSTILE}`);
    const sinkholes = new SinkholeLog(log);
    sinkholes.write({ client: '192.0.2.1', qname: `\u0085x.evil.example`, qtype: 'A', rule: 'evil.example', source: `s${HOSTILE}`, family: null, transport: 'udp' });
    sinkholes.flush();
    await flushLogger(log);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/[\u007f-\u009f\u2028\u2029]/);
    const lines = text.split(SPLITLINES).filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ event: 'test', value: HOSTILE, msg: `message ${HOSTILE}` });
    expect(lines[1]).toMatchObject({ event: 'sinkhole', qname: '\u0085x.evil.example', source: `s${HOSTILE}` });
  });

  it('leaves other text, printable non-ASCII included, as it was', () => {
    const line = JSON.stringify({ a: 'plain "quoted" \\ é ü 名 😀', b: '\u00a0\u00ff' });
    expect(escapeLineBreakers(line)).toBe(line);
    expect(escapeLineBreakers('"x\u0085y"')).toBe('"x\\u0085y"');
  });
});
