// Black box: the built `sinkd serve` binary, queried with a real DNS client (kdig, else dig), as a
// LAN admin would try it. Skipped only when neither client is installed (.ci/run installs kdig).

import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../helpers/fake-upstream.js';
import { freePort } from '../helpers/free-port.js';
import { queryUdp } from '../helpers/dns-client.js';

const client = ['kdig', 'dig'].find((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0);
const execFileP = promisify(execFile);
const BIN = join(import.meta.dirname, '../../dist/cli/main.js');

// Async: the fake upstream lives in this process, so the client must not block its event loop.
async function dig(port: number, ...args: string[]): Promise<string> {
  const r = await execFileP(client!, [`@127.0.0.1`, '-p', String(port), client === 'kdig' ? '+retry=0' : '+tries=1', '+timeout=2', ...args], { encoding: 'utf8' });
  return r.stdout.trim();
}

describe.skipIf(!client || !existsSync(BIN))(`built sinkd queried with ${client ?? 'kdig'}`, () => {
  let up: FakeUpstream;
  let proc: ChildProcess;
  let port: number;
  let dir: string;
  const out: string[] = [];

  beforeAll(async () => {
    up = await FakeUpstream.start();
    up.add('www.clean.example', { type: 'A', ttl: 3600, value: '192.0.2.99' });
    dir = mkdtempSync(join(tmpdir(), 'sinkd-bb-'));
    writeFileSync(join(dir, 'list.txt'), '# family: njRAT\nevil-c2.no-ip.biz\n');
    // The embedded store's file goes in the temp dir, not the checkout's data/.
    writeFileSync(join(dir, 'sinkd.yaml'), 'store: { path: store.jsonl }\n');
    port = await freePort();
    proc = spawn(process.execPath, [BIN, 'serve', '--config', join(dir, 'sinkd.yaml'), '--listen', `127.0.0.1:${port}`, '--upstream', up.endpoint, '--blocklist', join(dir, 'list.txt')], { cwd: dir });
    proc.stdout!.on('data', (d) => out.push(String(d)));
    proc.stderr!.on('data', (d) => out.push(String(d)));
    for (let i = 0; i < 50 && !out.join('').includes('"event":"start"'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out.join('')).toContain('"event":"start"');
  });
  afterAll(async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
    await up.stop();
  });

  it('sinkholes a listed name and everything below it', async () => {
    expect(await dig(port, 'A', 'evil-c2.no-ip.biz', '+short')).toBe('0.0.0.0');
    expect(await dig(port, 'A', 'x.evil-c2.no-ip.biz', '+short')).toBe('0.0.0.0');
    expect(await dig(port, 'AAAA', 'evil-c2.no-ip.biz', '+short')).toBe('::');
    expect(await dig(port, 'A', 'evil-c2.no-ip.biz', '+tcp', '+short')).toBe('0.0.0.0');
  });

  it('resolves a clean name through the upstream, then from cache', async () => {
    expect(await dig(port, 'A', 'www.clean.example', '+short')).toBe('192.0.2.99');
    expect(await dig(port, 'A', 'www.clean.example', '+short')).toBe('192.0.2.99');
    expect(up.count('www.clean.example')).toBe(1);
  });

  it('reloads the list files on SIGHUP without dropping a query', async () => {
    expect(await dig(port, 'A', 'www.clean.example', '+short')).toBe('192.0.2.99');
    writeFileSync(join(dir, 'list.txt'), '# family: njRAT\nevil-c2.no-ip.biz\nclean.example\n');
    // Queries keep flowing while the reload happens; every one must be answered.
    const during = Array.from({ length: 30 }, (_, i) => queryUdp(port, `evil-c2.no-ip.biz`, { id: i + 1, timeoutMs: 2000 }));
    proc.kill('SIGHUP');
    const answered = await Promise.all(during);
    expect(answered.every((r) => r.answers.length === 1)).toBe(true);
    for (let i = 0; i < 30 && !out.join('').includes('"event":"reload"'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await dig(port, 'A', 'www.clean.example', '+short')).toBe('0.0.0.0');
  });

  it('answers a query in flight when SIGTERM arrives', async () => {
    up.add('slow.clean.test', { type: 'A', ttl: 60, value: '192.0.2.98' });
    up.behaviours.set('slow.clean.test', { delayMs: 400 });
    const pending = queryUdp(port, 'slow.clean.test', { timeoutMs: 3000 });
    await new Promise((r) => setTimeout(r, 100));
    proc.kill('SIGTERM');
    const r = await pending;
    expect((r.answers[0] as { address: string }).address).toBe('192.0.2.98');
    const code = await new Promise((r) => (proc.exitCode !== null ? r(proc.exitCode) : proc.once('exit', (c) => r(c))));
    expect(code).toBe(0);
  });

  it('logged the asking client, and flushed the log on exit', async () => {
    await new Promise((r) => setTimeout(r, 200));
    const sinkholes = out.join('').split('\n').filter((l) => l.includes('"event":"sinkhole"')).map((l) => JSON.parse(l));
    expect(sinkholes.length).toBeGreaterThanOrEqual(4);
    expect(sinkholes[0]).toMatchObject({ client: '127.0.0.1', qname: 'evil-c2.no-ip.biz', qtype: 'A', rule: 'evil-c2.no-ip.biz', family: 'njRAT', transport: 'udp' });
    expect(out.join('')).toContain('"event":"stop"');
  });
});
