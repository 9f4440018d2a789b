// Black box, issue 10 finding 11: the built `sinkd serve` asked over UDP for a listed name whose
// first label holds the octets 0x85 (NEL, a C1 control once read as latin1) and 0x9f. Its stdout
// must split into whole JSON lines for a strict line reader (Python's str.splitlines, which also
// ends lines at U+0085, U+2028 and U+2029), and the sinkhole line must give the name back exactly.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { Packet, buildQuery, sendUdpRaw } from '../helpers/dns-client.js';

const BIN = join(import.meta.dirname, '../../dist/cli/main.js');
const SPLITLINES = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

/** A query for <label>.evil.example, the label's octets as given. */
function queryWithLabel(label: Buffer): Buffer {
  const q = buildQuery('x.evil.example');
  return Buffer.concat([q.subarray(0, 12), Buffer.from([label.length]), label, q.subarray(14)]);
}

describe.skipIf(!existsSync(BIN))('built sinkd: a query name with C1 control octets in the log', () => {
  let proc: ChildProcess;
  let port: number;
  let stdout = '';

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sinkd-loglines-'));
    writeFileSync(join(dir, 'list.txt'), 'evil.example\n');
    port = await freePort();
    writeFileSync(join(dir, 'sinkd.yaml'), [`listen: ["127.0.0.1:${port}"]`, 'upstreams: ["127.0.0.1:9"]', 'blocklists: [list.txt]', 'store: { path: store.jsonl }', 'log: { level: info }'].join('\n') + '\n');
    proc = spawn(process.execPath, [BIN, 'serve', '--config', join(dir, 'sinkd.yaml')], { cwd: dir });
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (d: string) => (stdout += d));
    const end = Date.now() + 30_000;
    while (!stdout.includes('"event":"start"') && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  }, 40_000);
  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
  });

  it('writes one whole JSON line per event, and the name back as it was asked', async () => {
    const reply = await sendUdpRaw(port, queryWithLabel(Buffer.from([0x61, 0x85, 0x62, 0x9f, 0x63])));
    expect(reply && Packet.parse(reply).header.rcode).toBe(0);
    const end = Date.now() + 5000;
    while (!stdout.includes('"event":"sinkhole"') && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    const lines = stdout.split(SPLITLINES).filter(Boolean);
    const parsed = lines.map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return { unparsable: l };
      }
    });
    expect(parsed.filter((l) => 'unparsable' in l)).toEqual([]);
    expect(parsed.find((l) => l.event === 'sinkhole')).toMatchObject({ qname: 'a\u0085b\u009fc.evil.example', rule: 'evil.example' });
  });
});
