// The HTML report in a real browser: Debian's headless Chromium, driven by its own command-line
// flags (no driver library): --dump-dom prints the DOM after the page's script has run, and
// --screenshot saves test-artifacts/report.png for a person to look at. The test installs
// nothing and is skipped when /usr/bin/chromium is absent (CI installs the `chromium` package).

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/render-html.js';
import { bins, timeAxis } from '../../src/report/timeline-svg.js';
import { realisticReport } from './fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const TIMEOUT = 60_000;

let dir: string;
let pageUrl: string;
let profiles = 0;

/** Runs headless Chromium with the hardened flags and a fresh profile; resolves with stdout. */
function chromium(args: string[]): Promise<string> {
  const profile = join(dir, `profile-${++profiles}`);
  mkdirSync(profile);
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${profile}`,
    ...args,
  ];
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, flags, { timeout: TIMEOUT - 5_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`chromium failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function clientsInOrder(dom: string): string[] {
  return [...dom.matchAll(/<tr class="client[^"]*" data-index="\d+" data-client="([^"]*)"/g)].map((m) => m[1] as string);
}

const report = realisticReport({ summary: { ...realisticReport().summary, droppedHits: 12 } });

describe.skipIf(!existsSync(CHROMIUM))('renderHtml in headless Chromium', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sinkd-report-html-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtml(report));
    pageUrl = pathToFileURL(file).href;
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs its script under its own CSP: sortable headers become buttons; rows and timelines are there', async () => {
    const dom = await chromium(['--dump-dom', pageUrl]);
    expect(dom).toContain('<table id="clients" data-sortable="true">');
    expect([...dom.matchAll(/<th [^>]*data-sort="\w+"[^>]*><button type="button">/g)]).toHaveLength(5);
    expect(clientsInOrder(dom)).toEqual(['10.0.0.53', '192.168.1.23', '2001:db8::7', '192.168.1.9', '::1']);
    expect([...dom.matchAll(/<svg class="timeline"/g)]).toHaveLength(5);
    const axis = timeAxis(report);
    const expectedBars = report.clients.reduce((a, c) => a + bins(c, axis).length, 0);
    expect(expectedBars).toBeGreaterThan(50);
    expect([...dom.matchAll(/<rect class="bar"/g)]).toHaveLength(expectedBars);
    // The hostile names stayed text: no element was made from them.
    expect(dom).not.toMatch(/<img\b/i);
    expect([...dom.matchAll(/<script\b/gi)]).toHaveLength(1);
    expect(dom).toContain('&lt;img src=x onerror=alert(1)&gt;.evil');
  }, TIMEOUT);

  it('sorts the client table (started from the #sort= fragment), ties in report order', async () => {
    const byHits = await chromium(['--dump-dom', `${pageUrl}#sort=hits:asc`]);
    expect(clientsInOrder(byHits)).toEqual(['192.168.1.9', '::1', '2001:db8::7', '192.168.1.23', '10.0.0.53']);
    expect(byHits).toMatch(/data-sort="hits"[^>]*aria-sort="ascending"/);
    expect(byHits).toMatch(/data-sort="verdict"[^>]*aria-sort="none"/);
    const byClient = await chromium(['--dump-dom', `${pageUrl}#sort=client`]);
    expect(clientsInOrder(byClient)).toEqual(['10.0.0.53', '192.168.1.9', '192.168.1.23', '::1', '2001:db8::7']);
    const byLast = await chromium(['--dump-dom', `${pageUrl}#sort=last`]);
    expect(clientsInOrder(byLast)).toEqual(['10.0.0.53', '192.168.1.23', '::1', '192.168.1.9', '2001:db8::7']);
    expect(byLast).toMatch(/data-sort="last"[^>]*aria-sort="descending"/);
  }, TIMEOUT);

  it('is whole without its script, as with JavaScript off (only sorting is missing)', async () => {
    // (--blink-settings=scriptEnabled=false also stops --dump-dom, so the copy has no script.)
    const file = join(dir, 'no-script.html');
    const page = renderHtml(report);
    const noScript = page.replace(/<script>[\s\S]*<\/script>/, '');
    expect(noScript.length).toBeLessThan(page.length);
    writeFileSync(file, noScript);
    const dom = await chromium(['--dump-dom', pathToFileURL(file).href]);
    expect(dom).toContain('<table id="clients">');
    expect(dom).not.toContain('<button');
    expect(clientsInOrder(dom)).toHaveLength(5);
    expect([...dom.matchAll(/<svg class="timeline"/g)]).toHaveLength(5);
    expect([...dom.matchAll(/<section class="client-detail/g)]).toHaveLength(5);
    expect(dom).toContain('12 hits were dropped by recorders');
  }, TIMEOUT);

  it('saves a screenshot to test-artifacts/report.png', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const png = join(ARTIFACTS, 'report.png');
    rmSync(png, { force: true });
    await chromium([`--screenshot=${png}`, '--window-size=1280,2000', '--hide-scrollbars', pageUrl]);
    const bytes = readFileSync(png);
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(bytes.readUInt32BE(16)).toBe(1280);
    expect(bytes.readUInt32BE(20)).toBe(2000);
    expect(bytes.length).toBeGreaterThan(50_000);
  }, TIMEOUT);
});
