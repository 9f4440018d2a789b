// Black box: the embedded hit store under the built `sinkd serve` and `sinkd report`, as a LAN admin
// runs them. A hit is in the report within 10 s while the server runs; a server SIGKILLed while
// writing hits, its files then cut short, starts again, warns naming the files, moves them aside
// and still sinkholes; an empty hits.json (a power cut under an earlier version) stops neither
// serve nor report; two servers on the same data directory each write their own files, and
// the report adds them up.

import { existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { queryUdp, sendUdpRaw, buildQuery } from '../helpers/dns-client.js';
import { built, sinkdWorkspace, spawnSinkd, startServe, type SinkdProcess } from '../helpers/sinkd-process.js';

interface JsonReport {
  clients: { client: string; hits: number; verdict: string }[];
}

const running: SinkdProcess[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) await p.kill('SIGKILL');
});

async function serve(ws: Awaited<ReturnType<typeof sinkdWorkspace>>): Promise<SinkdProcess> {
  const p = await startServe(ws);
  running.push(p);
  return p;
}

async function report(ws: { dir: string; config: string }, args: string[] = []): Promise<{ code: number | string; doc: JsonReport | null; stderr: string }> {
  const p = spawnSinkd(['report', '--format', 'json', '--config', ws.config, ...args], { cwd: ws.dir });
  const code = await p.exited;
  const out = p.output();
  const start = out.indexOf('{"generatedAt"') >= 0 ? out.indexOf('{"generatedAt"') : out.indexOf('{\n  "generatedAt"');
  let doc: JsonReport | null = null;
  if (start >= 0) {
    try {
      doc = JSON.parse(out.slice(start, out.lastIndexOf('}') + 1)) as JsonReport;
    } catch {
      doc = null;
    }
  }
  return { code, doc, stderr: start >= 0 ? out.slice(0, start) : out };
}

async function expectSinkholed(port: number, name: string, source = '127.0.0.1'): Promise<void> {
  const r = await queryUdp(port, name, { source, timeoutMs: 2000 });
  expect((r.answers[0] as { address?: string } | undefined)?.address).toBe('0.0.0.0');
}

const dataFiles = (dir: string) => readdirSync(join(dir, 'data'));

describe.skipIf(!built)('embedded hit store, black box', () => {
  it('sinkd report shows a new infected host within 10 s while the server runs (default flush interval)', async () => {
    const ws = await sinkdWorkspace();
    const s = await serve(ws);
    /** ms until `client` is in the report, or -1 after 12 s. */
    const seen = async (client: string, asked: number): Promise<number> => {
      while (Date.now() - asked < 12_000) {
        const r = await report(ws, ['--client', client]);
        expect(r.code).toBe(0);
        if (r.doc?.clients.some((c) => c.client === client)) return Date.now() - asked;
        await new Promise((res) => setTimeout(res, 250));
      }
      return -1;
    };
    await expectSinkholed(ws.port, 'c2.no-ip.biz', '127.0.0.44');
    expect(await seen('127.0.0.44', Date.now())).toBeGreaterThanOrEqual(0);
    // The newest infected host, right after another hit was written, and no hit after it.
    await expectSinkholed(ws.port, 'c2.no-ip.biz', '127.0.0.45');
    const seenAfter = await seen('127.0.0.45', Date.now());
    console.log(`a new hit was in sinkd report after ${seenAfter} ms`);
    expect(seenAfter).toBeGreaterThanOrEqual(0);
    expect(seenAfter).toBeLessThan(10_000);
    await s.kill();
  }, 40_000);

  it('SIGKILL while hits are written, files then cut short: starts again, warns naming them, moves them aside, still sinkholes', async () => {
    // A small journal limit, so that there is a snapshot as well as a journal to damage.
    const ws = await sinkdWorkspace({ yaml: ['infected: { flushIntervalMs: 50, journalMaxBytes: 8192 }'] });
    const s = await serve(ws);
    // 20 hosts beaconing; the server is killed in the middle.
    let sent = 0;
    const blast = (async () => {
      for (let round = 0; round < 400 && s.proc.exitCode === null && s.proc.signalCode === null; round++) {
        await Promise.all(Array.from({ length: 20 }, (_, i) => sendUdpRaw(ws.port, buildQuery(`h${round}.c2.no-ip.biz`), { source: `127.0.1.${i + 1}`, timeoutMs: 500 })));
        sent += 20;
      }
    })();
    await new Promise((r) => setTimeout(r, 1500));
    s.proc.kill('SIGKILL');
    await s.exited;
    await blast;
    expect(sent).toBeGreaterThan(100);
    const data = join(ws.dir, 'data');
    // This server's own set of hit files (hits.<writer>.snapshot/.journal).
    const named = (ext: string) => join(data, dataFiles(ws.dir).find((f) => /^hits\.[0-9a-f]+\./.test(f) && f.endsWith(ext))!);
    const snapshot = named('.snapshot');
    const journal = named('.journal');
    expect(existsSync(snapshot)).toBe(true);
    // As a power cut would leave them: both cut in the middle of a line.
    truncateSync(snapshot, Math.max(1, Math.floor(statSync(snapshot).size / 2)));
    if (statSync(journal).size < 10) writeFileSync(journal, '{"q":999999,"c":[{"c":"127.0.1.1","f":1,"l":2,"h":1}]}\n');
    truncateSync(journal, Math.floor(statSync(journal).size * 0.7));

    const again = await serve(ws);
    await expectSinkholed(ws.port, 'worm.zapto.org', '127.0.1.99');
    const warned = async () => again.logs().filter((l) => l.event === 'hit-file-damaged');
    for (let i = 0; i < 100 && (await warned()).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    const warnings = await warned();
    expect(warnings.map((w) => w.file).sort()).toEqual([journal, snapshot]);
    for (const w of warnings) expect(existsSync(String(w.movedTo))).toBe(true);
    expect(dataFiles(ws.dir).filter((f) => f.includes('.corrupt-')).length).toBe(2);
    // The report works, with what could be read, and new hits go on being recorded.
    await new Promise((r) => setTimeout(r, 500));
    const r = await report(ws);
    expect(r.code).toBe(0);
    expect(r.doc!.clients.some((c) => c.client === '127.0.1.99')).toBe(true);
    const total = r.doc!.clients.reduce((a, c) => a + c.hits, 0);
    expect(total).toBeLessThanOrEqual(sent + 1);
    // A clean stop and start: nothing left to warn about.
    await again.kill('SIGTERM');
    const third = await serve(ws);
    await expectSinkholed(ws.port, 'c2.no-ip.biz');
    await third.waitFor('hits-loaded');
    expect(third.logs().filter((l) => l.event === 'hit-file-damaged')).toEqual([]);
  }, 90_000);

  it('an empty hits.json (a power cut under an earlier version) stops neither report nor serve: warned, named, moved aside', async () => {
    const ws = await sinkdWorkspace();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(ws.dir, 'data'), { recursive: true });
    const legacy = join(ws.dir, 'data', 'hits.json');
    writeFileSync(legacy, '');
    const r = await report(ws);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(legacy);
    expect(r.stderr).not.toContain('Unexpected end of JSON input');
    expect(existsSync(legacy)).toBe(false);

    // Another data directory, untouched by a report, for the server.
    const ws2 = await sinkdWorkspace();
    mkdirSync(join(ws2.dir, 'data'), { recursive: true });
    const legacy2 = join(ws2.dir, 'data', 'hits.json');
    writeFileSync(legacy2, '{"version":1,"dropped":0,"clients":[{"cli');
    const s = await serve(ws2);
    await expectSinkholed(ws2.port, 'c2.no-ip.biz');
    const w = await s.waitFor('hit-file-damaged');
    expect(w.file).toBe(legacy2);
    expect(String(w.msg)).toContain(legacy2);
    expect(existsSync(legacy2)).toBe(false);
    expect(dataFiles(ws2.dir).filter((f) => f.startsWith('hits.json.corrupt-')).length).toBe(1);
  }, 40_000);

  it('serve --workers 2: the workers hand their hits to the primary, which owns the embedded store', async () => {
    const ws = await sinkdWorkspace({ yaml: ['infected: { flushIntervalMs: 100 }'] });
    const p = spawnSinkd(['serve', '--config', ws.config, '--workers', '2'], { cwd: ws.dir });
    running.push(p);
    await p.waitFor('workers-started', 60_000);
    // 40 queries from 4 clients, answered by either worker.
    for (let i = 0; i < 40; i++) await expectSinkholed(ws.port, 'c2.no-ip.biz', `127.0.0.${50 + (i % 4)}`);
    let hits = 0;
    for (let k = 0; k < 40 && hits < 40; k++) {
      await new Promise((r) => setTimeout(r, 250));
      const r = await report(ws);
      hits = r.doc?.clients.filter((c) => c.client.startsWith('127.0.0.5')).reduce((a, c) => a + c.hits, 0) ?? 0;
    }
    expect(hits).toBe(40);
    expect(p.logs().filter((l) => l.event === 'hits-loaded').length).toBe(1); // one journal thread, the primary's
  }, 90_000);

  it('two servers on one data directory each write their own hit files, and the report adds them up', async () => {
    const ws = await sinkdWorkspace({ yaml: ['infected: { flushIntervalMs: 100 }'] });
    const first = await serve(ws);
    const otherPort = (await sinkdWorkspace()).port;
    const second = spawnSinkd(['serve', '--config', ws.config, '--listen', `127.0.0.1:${otherPort}`], { cwd: ws.dir });
    running.push(second);
    await second.waitFor('start', 30_000);
    await expectSinkholed(ws.port, 'c2.no-ip.biz', '127.0.0.46');
    await expectSinkholed(otherPort, 'c2.no-ip.biz', '127.0.0.46');
    await expectSinkholed(otherPort, 'c2.no-ip.biz', '127.0.0.47');
    // Each has its own set, so neither overwrites the other's.
    const journals = () => dataFiles(ws.dir).filter((f) => /^hits\.[0-9a-f]+\.journal$/.test(f));
    for (let i = 0; i < 50 && journals().length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect(journals()).toHaveLength(2);
    // While both run, and after both stopped.
    let doc: JsonReport | null = null;
    for (let i = 0; i < 40; i++) {
      doc = (await report(ws)).doc;
      if (doc?.clients.find((c) => c.client === '127.0.0.46')?.hits === 2) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(doc!.clients.find((c) => c.client === '127.0.0.46')?.hits).toBe(2);
    await first.kill('SIGTERM');
    await second.kill('SIGTERM');
    const r = await report(ws);
    expect(r.doc!.clients.find((c) => c.client === '127.0.0.46')?.hits).toBe(2);
    expect(r.doc!.clients.find((c) => c.client === '127.0.0.47')?.hits).toBe(1);
  }, 60_000);
});
