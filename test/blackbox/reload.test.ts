// Black box: hot reload of the configuration on SIGHUP, under a steady stream of queries, against
// the built binary. A valid new config takes effect at once without a lost answer; an invalid
// one is rejected with its error and the running one stays; a socket setting waits for a restart.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../helpers/fake-upstream.js';
import { freePort } from '../helpers/free-port.js';
import { buildQuery, Packet, sendUdpRaw } from '../helpers/dns-client.js';

const BIN = join(import.meta.dirname, '../../dist/cli/main.js');

function config(port: number, upstream: string, sinkholeIp: string, extra = ''): string {
  return [
    `listen: ["127.0.0.1:${port}"]`,
    `upstreams: ["${upstream}"]`,
    'blocklists: [list.txt]',
    'store: { path: store.jsonl }',
    'infected: { enabled: false }',
    `sinkhole: { ipv4: ${sinkholeIp} }`,
    extra,
  ].join('\n') + '\n';
}

describe.skipIf(!existsSync(BIN))('SIGHUP reloads the configuration', () => {
  let up: FakeUpstream;
  let proc: ChildProcess;
  let port: number;
  let dir: string;
  const out: string[] = [];
  const logged = (event: string) => out.join('').includes(`"event":"${event}"`);
  async function waitFor(event: string): Promise<void> {
    for (let i = 0; i < 50 && !logged(event); i++) await new Promise((r) => setTimeout(r, 100));
    expect(logged(event)).toBe(true);
  }
  async function sinkholeAnswer(): Promise<string | null> {
    const r = await sendUdpRaw(port, buildQuery('x.evil.example'), { timeoutMs: 2000 });
    return r === null ? null : ((Packet.parse(r).answers[0] as { address?: string } | undefined)?.address ?? null);
  }

  beforeAll(async () => {
    up = await FakeUpstream.start();
    dir = mkdtempSync(join(tmpdir(), 'sinkd-reload-'));
    writeFileSync(join(dir, 'list.txt'), 'evil.example\n');
    port = await freePort();
    writeFileSync(join(dir, 'sinkd.yaml'), config(port, up.endpoint, '192.0.2.1'));
    proc = spawn(process.execPath, [BIN, 'serve', '--config', join(dir, 'sinkd.yaml')], { cwd: dir });
    proc.stdout!.on('data', (d) => out.push(String(d)));
    proc.stderr!.on('data', (d) => out.push(String(d)));
    await waitFor('start');
  });
  afterAll(async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
    await up.stop();
  });

  it('applies a new sinkhole address at once, answering every query sent across the reload', async () => {
    expect(await sinkholeAnswer()).toBe('192.0.2.1');
    writeFileSync(join(dir, 'sinkd.yaml'), config(port, up.endpoint, '192.0.2.2'));
    // 1,000 queries, 50 at a time, spanning the SIGHUP.
    const answers: (string | null)[] = [];
    let hupSent = false;
    for (let batch = 0; batch < 20; batch++) {
      if (batch === 5) {
        proc.kill('SIGHUP');
        hupSent = true;
      }
      answers.push(...(await Promise.all(Array.from({ length: 50 }, () => sinkholeAnswer()))));
    }
    expect(hupSent).toBe(true);
    expect(answers.filter((a) => a === null)).toHaveLength(0);
    expect(answers.every((a) => a === '192.0.2.1' || a === '192.0.2.2')).toBe(true);
    await waitFor('config-reloaded');
    expect(await sinkholeAnswer()).toBe('192.0.2.2');
  });

  it('rejects a config that does not validate, and keeps serving the running one', async () => {
    writeFileSync(join(dir, 'sinkd.yaml'), config(port, up.endpoint, 'not-an-ip'));
    proc.kill('SIGHUP');
    await waitFor('reload-rejected');
    expect(out.join('')).toMatch(/sinkhole\.ipv4: must be an IPv4 address/);
    expect(await sinkholeAnswer()).toBe('192.0.2.2');
  });

  it('says which changed settings need a restart, and applies the rest', async () => {
    const other = await freePort();
    writeFileSync(join(dir, 'sinkd.yaml'), config(other, up.endpoint, '192.0.2.3'));
    proc.kill('SIGHUP');
    await waitFor('reload-needs-restart');
    expect(out.join('')).toMatch(/"settings":\["listen"\]/);
    expect(await sinkholeAnswer()).toBe('192.0.2.3');
  });
});
