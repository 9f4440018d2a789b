// Black box, issue 10 finding 1: the built `sinkd serve`, as one process and with --workers 2, in
// seized-zone mode (a seized zone's answers go to anyone on the Internet), fed UDP datagrams from
// source port 0 of every kind of answer (sinkhole, FORMERR, REFUSED, forwarded, a seized zone's
// relayed, apex and sinkholed answers). Before the fix each one ended the process that read it
// (10 such datagrams killed 7 of 2 workers as the primary restarted them). Afterwards every process
// must still be the same one, alive and answering, and /metrics must count the datagrams dropped.
// The datagrams are crafted with a raw socket (test/helpers/udp-port0.py): root only, else skipped.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../helpers/fake-upstream.js';
import { freePort } from '../helpers/free-port.js';
import { Packet, queryUdp, sendUdpRaw } from '../helpers/dns-client.js';
import { everyKind, twoQuestions } from '../helpers/every-kind.js';
import { portZeroSkipReason, sendFromPortZero } from '../fuzz/net-scenarios.mjs';

const BIN = join(import.meta.dirname, '../../dist/cli/main.js');
const ZONE = 'seized.test';
const SKIP = !existsSync(BIN) ? 'dist/ not built' : portZeroSkipReason();
if (SKIP) console.warn(`black-box source-port-0 tests skipped: ${SKIP}`);

describe.skipIf(SKIP !== null).each([1, 2])(`built sinkd, --workers %i, seized-zone mode, UDP from source port 0${SKIP ? ` (skipped: ${SKIP})` : ''}`, (workers) => {
  let up: FakeUpstream;
  let proc: ChildProcess;
  let port: number;
  let admin: string;
  const out: string[] = [];
  const count = (event: string) => out.join('').split(`"event":"${event}"`).length - 1;
  async function until(cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await cond()) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(await cond()).toBe(true);
  }
  /** The pids answering DNS: the process itself, or each worker. */
  const pids = async () => {
    const r = (await (await fetch(`${admin}/readyz`)).json()) as { pid?: number; perWorker?: { pid: number }[] };
    return (r.perWorker?.map((w) => w.pid) ?? [r.pid]).sort();
  };
  const metric = async (series: string) => {
    const line = (await (await fetch(`${admin}/metrics`)).text()).split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? NaN : Number(line.split(' ')[1]);
  };

  beforeAll(async () => {
    up = await FakeUpstream.start();
    up.add('ok.fwd.example', { type: 'A', ttl: 60, value: '192.0.2.1' });
    up.add(`ok.host.${ZONE}`, { type: 'A', ttl: 60, value: '192.0.2.2' });
    const dir = mkdtempSync(join(tmpdir(), 'sinkd-port0-'));
    writeFileSync(join(dir, 'list.txt'), `evil.example\nlisted.${ZONE}\n`);
    port = await freePort();
    const adminPort = await freePort();
    admin = `http://127.0.0.1:${adminPort}`;
    writeFileSync(
      join(dir, 'sinkd.yaml'),
      [
        `listen: ["127.0.0.1:${port}"]`,
        `upstreams: ["${up.endpoint}"]`,
        'blocklists: [list.txt]',
        'store: { path: store.jsonl }',
        `admin: { listen: "127.0.0.1:${adminPort}" }`,
        // Only 127.0.0.1 may recurse: a query from 127.0.0.9 is REFUSED.
        'acl: { allow: [127.0.0.1/32] }',
        // The REFUSED and FORMERR answers this test asks for share one RRL error account per /24;
        // room for all of them, so that what is measured is the port-0 drop, not rate limiting.
        'rrl: { errorsPerSecond: 10000 }',
        'zones:',
        `  - name: ${ZONE}`,
        `    nameservers: ["${up.endpoint}"]`,
        '    soa: { mname: ns1.sinkhole.example., rname: hostmaster.sinkhole.example., serial: 1, refresh: 3600, retry: 600, expire: 604800, minimum: 60 }',
        '    ns: [ns1.sinkhole.example.]',
      ].join('\n') + '\n',
    );
    proc = spawn(process.execPath, [BIN, 'serve', '--config', join(dir, 'sinkd.yaml'), '--workers', String(workers), '--log-level', 'warn'], { cwd: dir });
    proc.stdout!.on('data', (d) => out.push(String(d)));
    proc.stderr!.on('data', (d) => out.push(String(d)));
    // Ready, and with --workers every worker serving (/readyz is 200 once the first one is).
    await until(async () => {
      try {
        return (await fetch(`${admin}/readyz`)).status === 200 && (await pids()).length === workers;
      } catch {
        return false;
      }
    }, 60_000);
  }, 90_000);
  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
    await up?.stop();
  });

  async function expectServing(): Promise<void> {
    for (let i = 0; i < 4 * workers; i++) {
      expect((await queryUdp(port, `s${i}.evil.example`)).answers[0]).toMatchObject({ address: '0.0.0.0' });
      expect((await queryUdp(port, 'ok.fwd.example')).answers[0]).toMatchObject({ address: '192.0.2.1' });
      expect((await queryUdp(port, `ok.host.${ZONE}`)).answers[0]).toMatchObject({ address: '192.0.2.2' });
      expect((await queryUdp(port, 'ok.fwd.example', { source: '127.0.0.9' })).header.rcode).toBe(Packet.RCODE.REFUSED);
      const formerr = await sendUdpRaw(port, twoQuestions());
      expect(formerr && Packet.parse(formerr).header.rcode).toBe(Packet.RCODE.FORMERR);
    }
  }

  it('keeps every process alive and answering, and counts the datagrams as dropped', async () => {
    await expectServing();
    const before = await pids();
    expect(before).toHaveLength(workers);
    const dropped = await metric('sinkd_queries_dropped_total');
    const datagrams: Buffer[] = [];
    for (let i = 0; i < 10; i++) datagrams.push(...everyKind(`p${i}`, ZONE));
    expect(await sendFromPortZero(port, datagrams)).toBe(datagrams.length);
    const refused = everyKind('r', ZONE);
    expect(await sendFromPortZero(port, refused, { source: '127.0.0.9' })).toBe(refused.length);
    // Every datagram read (the kernel spreads them over the workers) before looking.
    await until(async () => (await metric('sinkd_queries_dropped_total')) - dropped >= datagrams.length + refused.length, 10_000);
    expect(proc.exitCode).toBeNull();
    expect(count('worker-exit')).toBe(0);
    expect(count('internal-error')).toBe(0);
    expect(await pids()).toEqual(before);
    await expectServing();
    expect(await metric('sinkd_uncaught_errors_total')).toBe(0);
  }, 60_000);
});
