// Black box: `sinkd serve --catcher HOST:PORT --workers 2` from the built binary. One catcher per
// node, in the primary (the workers answer DNS); its catches are logged once and its figures
// appear in the node's /metrics next to the workers' (the primary's /metrics is otherwise
// theirs).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../helpers/fake-upstream.js';
import { freePort } from '../helpers/free-port.js';
import { queryUdp } from '../helpers/dns-client.js';
import { NJRAT_CHECKIN } from '../catcher/fixtures.js';

const BIN = join(import.meta.dirname, '../../dist/cli/main.js');

describe.skipIf(!existsSync(BIN))('serve --catcher with --workers 2', () => {
  let up: FakeUpstream;
  let proc: ChildProcess;
  let port: number;
  let catcherPort: number;
  let admin: string;
  const out: string[] = [];
  const lines = () =>
    out
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  async function until(cond: () => boolean, ms = 20_000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(cond()).toBe(true);
  }

  beforeAll(async () => {
    up = await FakeUpstream.start();
    const dir = mkdtempSync(join(tmpdir(), 'sinkd-catcher-bb-'));
    writeFileSync(join(dir, 'list.txt'), 'evil.example\n');
    [port, catcherPort] = [await freePort(), await freePort()];
    const adminPort = await freePort();
    admin = `http://127.0.0.1:${adminPort}`;
    writeFileSync(join(dir, 'sinkd.yaml'), ['blocklists: [list.txt]', 'store: { path: store.jsonl }'].join('\n') + '\n');
    proc = spawn(
      process.execPath,
      [BIN, 'serve', '--config', join(dir, 'sinkd.yaml'), '--workers', '2', '--listen', `127.0.0.1:${port}`, '--upstream', up.endpoint, '--sinkhole-ipv4', '127.0.0.1', '--catcher', `127.0.0.1:${catcherPort}`, '--admin', `127.0.0.1:${adminPort}`],
      { cwd: dir },
    );
    proc.stdout!.on('data', (d) => out.push(String(d)));
    proc.stderr!.on('data', (d) => out.push(String(d)));
    await until(() => lines().some((l) => l.event === 'workers-started'), 60_000);
  }, 90_000);
  afterAll(async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGKILL');
      await new Promise((r) => proc.once('exit', r));
    }
    await up.stop();
  });

  it('runs one catcher, in the primary, and shows its figures in /metrics', async () => {
    // Each process logs its own start line (a worker's may reach the pipe a little later).
    await until(() => lines().filter((l) => l.event === 'start').length === 3);
    const starts = lines().filter((l) => l.event === 'start');
    expect(starts.map((l) => l.catcher).sort()).toEqual([`127.0.0.1:${catcherPort} (2 signatures)`, 'off', 'off']);
    const primaryPid = starts.find((l) => l.role === 'primary')!.pid;
    // DNS sends the client to the sinkhole; the client then checks in there.
    const answer = await queryUdp(port, 'c2.evil.example', { source: '127.0.0.61' });
    expect(answer.answers[0]).toMatchObject({ address: '127.0.0.1' });
    await new Promise<void>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: catcherPort, localAddress: '127.0.0.61' }, () => s.write(NJRAT_CHECKIN));
      s.on('error', () => {});
      s.on('close', () => resolve());
    });
    await until(() => lines().some((l) => l.event === 'catch'));
    const catches = lines().filter((l) => l.event === 'catch');
    expect(catches).toHaveLength(1);
    expect(catches[0]).toMatchObject({ pid: primaryPid, client: '127.0.0.61', port: catcherPort, protocol: 'tcp', tag: 'Bladabindi' });
    const text = await (await fetch(`${admin}/metrics`)).text();
    expect(text).toContain('sinkd_workers 2');
    expect(text).toContain('sinkd_catches_total{protocol="tcp"} 1');
    expect(text).toContain('sinkd_catch_tags_total{tag="Bladabindi"} 1');
  });
});
