// `sinkd blocklist import` as a user runs it: the built binary (build first: npx tsc -p tsconfig.json),
// against the embedded store in a temp dir and against a real redis-server, with list files in a
// temp dir and feeds served by a local HTTP server on 127.0.0.1 (no external network).

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BIN, ROOT, contents, expectNoStack, redisUrl, runSinkd, useCliHarness, workspace, type Run, type Workspace } from '../helpers/cli-workspace.js';

// Every test runs the CLI several times, each a fresh node process.
vi.setConfig({ testTimeout: 60_000 });

useCliHarness();

// ---- a local feed server ----

interface Feed {
  body: string | ((res: ServerResponse) => void);
  etag?: string;
  lastModified?: string;
  status?: number;
}

class FeedServer {
  readonly feeds = new Map<string, Feed>();
  readonly requests: { path: string; headers: IncomingMessage['headers'] }[] = [];
  private constructor(private readonly server: Server) {}

  static async start(): Promise<FeedServer> {
    const server = createServer();
    const fs = new FeedServer(server);
    server.on('request', (req, res) => fs.handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return fs;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  hits(path: string): { path: string; headers: IncomingMessage['headers'] }[] {
    return this.requests.filter((r) => r.path === path);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    this.requests.push({ path, headers: req.headers });
    const feed = this.feeds.get(path);
    if (feed === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (feed.status !== undefined) {
      res.writeHead(feed.status).end('server error page\n');
      return;
    }
    if (feed.etag !== undefined && req.headers['if-none-match'] === feed.etag) {
      res.writeHead(304, { etag: feed.etag }).end();
      return;
    }
    if (feed.lastModified !== undefined && req.headers['if-modified-since'] === feed.lastModified) {
      res.writeHead(304, { 'last-modified': feed.lastModified }).end();
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    if (feed.etag !== undefined) headers.etag = feed.etag;
    if (feed.lastModified !== undefined) headers['last-modified'] = feed.lastModified;
    if (typeof feed.body === 'function') {
      res.writeHead(200, headers);
      feed.body(res);
      return;
    }
    res.writeHead(200, headers).end(feed.body);
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

// ---- the tests, once per store ----

describe.each(['embedded', 'redis'] as const)('blocklist import (%s store)', (kind) => {
  it('imports a plain file; a new version of it replaces the source (counts, dropped names gone)', async () => {
    const ws = workspace(kind);
    const path = ws.file('ddns-feed.txt', ['# a feed', '# family: Bladabindi', 'alpha.no-ip.biz', 'beta.no-ip.biz', 'gamma.hopto.org', ''].join('\n'));
    let r = await ws.run(['blocklist', 'import', path]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`imported ddns-feed from ${path}: added 3, unchanged 0, updated 0, removed 0, skipped 0 (version 1)\n`);
    expect(r.code).toBe(0);

    // beta dropped, gamma moved to another family, delta new.
    ws.file('ddns-feed.txt', ['# family: Bladabindi', 'alpha.no-ip.biz', '# family: Jenxcus', 'gamma.hopto.org', 'delta.zapto.org', ''].join('\n'));
    r = await ws.run(['blocklist', 'import', path]);
    expect(r.stdout).toBe(`imported ddns-feed from ${path}: added 1, unchanged 1, updated 1, removed 1, skipped 0 (version 2)\n`);
    expect(r.code).toBe(0);
    expect(await contents(ws)).toEqual({
      'block:alpha.no-ip.biz': 'ddns-feed Bladabindi -',
      'block:gamma.hopto.org': 'ddns-feed Jenxcus -',
      'block:delta.zapto.org': 'ddns-feed Jenxcus -',
    });
    r = await ws.run(['blocklist', 'check', 'www.beta.no-ip.biz']);
    expect([r.code, r.stdout]).toEqual([1, 'not listed: www.beta.no-ip.biz\n']);

    // The same file again changes nothing, and the version stays.
    r = await ws.run(['blocklist', 'import', path]);
    expect(r.stdout).toBe(`imported ddns-feed from ${path}: added 0, unchanged 3, updated 0, removed 0, skipped 0 (version 2)\n`);
  });

  it('detects hosts, adblock and RPZ files from their first lines', async () => {
    const ws = workspace(kind);
    const hosts = ws.file('hosts-list.txt', ['# hosts file', '127.0.0.1 localhost', '0.0.0.0 evil.no-ip.biz', '0.0.0.0 c2.hopto.org other.zapto.org', ''].join('\n'));
    const adblock = ws.file(
      'filters.txt',
      ['[Adblock Plus 2.0]', '! family: Jenxcus', '||worm.ddns.net^', '@@||printer.ddns.net^', '||ads.example^$third-party', ''].join('\n'),
    );
    const rpz = ws.file(
      'policy.rpz',
      [
        '$TTL 300',
        '$ORIGIN rpz.example.',
        '@ SOA ns.rpz.example. hostmaster.rpz.example. ( 1 3600 600 86400 60 )',
        '@ NS ns.rpz.example.',
        '; family: Bladabindi',
        'rat.no-ip.biz CNAME .',
        '*.rat.no-ip.biz CNAME .',
        'quiet.hopto.org CNAME *.',
        'fine.no-ip.biz CNAME rpz-passthru.',
        'sink.zapto.org A 192.0.2.1',
        '32.1.2.0.192.rpz-ip CNAME .',
        '',
      ].join('\n'),
    );
    const doc = await ws.json(['blocklist', 'import', hosts, adblock, rpz]);
    expect(doc.imports.map((i: any) => [i.source, i.result, i.inputs[0].format, i.added, i.skipped])).toEqual([
      ['hosts-list', 'imported', 'hosts', 3, 1],
      ['filters', 'imported', 'adblock', 2, 1],
      ['policy', 'imported', 'rpz', 4, 0],
    ]);
    expect(doc.imports[2].inputs[0].notes).toEqual(['skipped 1 rpz-ip trigger (sinkd matches query names only)']);
    expect(await contents(ws)).toEqual({
      'block:evil.no-ip.biz': 'hosts-list - -',
      'block:c2.hopto.org': 'hosts-list - -',
      'block:other.zapto.org': 'hosts-list - -',
      'block:worm.ddns.net': 'filters Jenxcus -',
      'allow:printer.ddns.net': 'filters Jenxcus -',
      'block:rat.no-ip.biz': 'policy Bladabindi nxdomain',
      'block:quiet.hopto.org': 'policy Bladabindi nodata',
      'allow:fine.no-ip.biz': 'policy Bladabindi -',
      'block:sink.zapto.org': 'policy Bladabindi -',
    });
  });

  it('warns about skipped lines as file:line: why, at most 20 per input, then a count', async () => {
    const ws = workspace(kind);
    const lines = ['good-one.no-ip.biz'];
    for (let i = 0; i < 25; i++) lines.push(`http://bad${i}.example/path`);
    lines.push('bad..name', 'good-two.no-ip.biz', '');
    const path = ws.file('messy.txt', lines.join('\n'));
    const r = await ws.run(['blocklist', 'import', path, '--format', 'plain']);
    expect(r.code).toBe(0);
    const err = r.stderr.trimEnd().split('\n');
    expect(err).toHaveLength(21);
    expect(err[0]).toBe(`${path}:2: skipped (URL or path, not a hostname): http://bad0.example/path`);
    expect(err[19]).toBe(`${path}:21: skipped (URL or path, not a hostname): http://bad19.example/path`);
    expect(err[20]).toBe(`${path}: 6 more skipped lines not shown`);
    expect(r.stdout).toBe(`imported messy from ${path}: added 2, unchanged 0, updated 0, removed 0, skipped 26 (version 1)\n`);
  });

  it('tags entries without a family header with --family', async () => {
    const ws = workspace(kind);
    const path = ws.file('mixed.txt', ['loose.no-ip.biz', '# family: Jenxcus', 'worm.ddns.net', '# family:', 'after.no-ip.biz', ''].join('\n'));
    expect((await ws.run(['blocklist', 'import', path, '--family', 'Bladabindi'])).code).toBe(0);
    expect(await contents(ws)).toEqual({
      'block:loose.no-ip.biz': 'mixed Bladabindi -',
      'block:worm.ddns.net': 'mixed Jenxcus -',
      'block:after.no-ip.biz': 'mixed Bladabindi -',
    });
  });

  it('imports several inputs as several sources, or as one with --source', async () => {
    const ws = workspace(kind);
    const a = ws.file('list-a.txt', 'a1.no-ip.biz\na2.no-ip.biz\n');
    const b = ws.file('list-b.hosts', '0.0.0.0 b1.hopto.org\n');
    let r = await ws.run(['blocklist', 'import', a, b]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      `imported list-a from ${a}: added 2, unchanged 0, updated 0, removed 0, skipped 0 (version 1)`,
      `imported list-b from ${b}: added 1, unchanged 0, updated 0, removed 0, skipped 0 (version 2)`,
      '',
    ]);

    const ws2 = workspace(kind);
    r = await ws2.run(['blocklist', 'import', a, b, '--source', 'combined']);
    expect(r.stdout).toBe(`imported combined from ${a}, ${b}: added 3, unchanged 0, updated 0, removed 0, skipped 0 (version 1)\n`);
    expect(Object.values(await contents(ws2))).toEqual(['combined - -', 'combined - -', 'combined - -']);
  });

  it('refuses to let an input without usable entries empty a source, unless --allow-empty', async () => {
    const ws = workspace(kind);
    const path = ws.file('feed.txt', 'one.no-ip.biz\ntwo.no-ip.biz\n');
    expect((await ws.run(['blocklist', 'import', path])).code).toBe(0);
    ws.file('feed.txt', '<html><body>503 Service Unavailable</body></html>\n');
    let r = await ws.run(['blocklist', 'import', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`sinkd: ${path}: no usable entries; source feed keeps its 2 entries (pass --allow-empty to empty it)\n`);
    expect(Object.keys(await contents(ws))).toHaveLength(2);
    r = await ws.run(['blocklist', 'import', path, '--allow-empty']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('removed 2');
    expect(await contents(ws)).toEqual({});
  });

  it('an unreadable file is one line and exit 1, and the other inputs still import', async () => {
    const ws = workspace(kind);
    const good = ws.file('good.txt', 'x.no-ip.biz\n');
    const missing = join(ws.dir, 'nope.txt');
    const r = await ws.run(['blocklist', 'import', missing, good]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`sinkd: cannot read ${missing}: no such file\n`);
    expect(r.stdout).toContain('imported good from');
    expectNoStack(r);
  });

  describe('from a URL', () => {
    let feeds: FeedServer;
    beforeAll(async () => {
      feeds = await FeedServer.start();
    });
    afterAll(async () => {
      await feeds.stop();
    });

    it('sends If-None-Match with the stored ETag; a 304 changes nothing', async () => {
      const ws = workspace(kind);
      const path = `/${kind}/feeds/njrat.txt`;
      feeds.feeds.set(path, { body: '# family: Bladabindi\nrat1.no-ip.biz\nrat2.no-ip.biz\n', etag: '"v1"' });
      const url = feeds.url(path);
      let r = await ws.run(['blocklist', 'import', url]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`imported njrat from ${url}: added 2, unchanged 0, updated 0, removed 0, skipped 0 (version 1)\n`);
      expect(feeds.hits(path)[0]!.headers['if-none-match']).toBeUndefined();

      r = await ws.run(['blocklist', 'import', url]);
      expect([r.code, r.stdout, r.stderr]).toEqual([0, 'njrat unchanged (304 Not Modified)\n', '']);
      expect(feeds.hits(path)).toHaveLength(2);
      expect(feeds.hits(path)[1]!.headers['if-none-match']).toBe('"v1"');
      expect((await ws.json(['blocklist', 'stats'])).version).toBe(1);

      // A new version with a new ETag is imported and its ETag kept for next time.
      feeds.feeds.set(path, { body: '# family: Bladabindi\nrat1.no-ip.biz\nrat3.no-ip.biz\n', etag: '"v2"' });
      r = await ws.run(['blocklist', 'import', url]);
      expect(r.stdout).toBe(`imported njrat from ${url}: added 1, unchanged 1, updated 0, removed 1, skipped 0 (version 2)\n`);
      const stats = await ws.json(['blocklist', 'stats']);
      expect(stats.sources.njrat).toMatchObject({ entries: 2, url, etag: '"v2"' });

      // --force asks without conditions.
      r = await ws.run(['blocklist', 'import', url, '--force']);
      expect(r.stdout).toContain('added 0, unchanged 2');
      expect(feeds.hits(path).at(-1)!.headers['if-none-match']).toBeUndefined();
      expect(feeds.hits(path)).toHaveLength(4);
    });

    it('sends If-Modified-Since when the feed gave Last-Modified', async () => {
      const ws = workspace(kind);
      const path = `/${kind}/lm/hosts-feed.txt`;
      const lastModified = 'Mon, 30 Jun 2014 12:00:00 GMT';
      feeds.feeds.set(path, { body: '0.0.0.0 a.no-ip.info\n', lastModified });
      expect((await ws.run(['blocklist', 'import', feeds.url(path)])).code).toBe(0);
      const r = await ws.run(['blocklist', 'import', feeds.url(path), '--json']);
      expect(JSON.parse(r.stdout)).toEqual({ imports: [{ source: 'hosts-feed', result: 'not-modified', inputs: [{ input: feeds.url(path) }] }] });
      expect(feeds.hits(path)[1]!.headers['if-modified-since']).toBe(lastModified);
    });

    it('a non-2xx status is one line naming it, exit 1', async () => {
      const ws = workspace(kind);
      feeds.feeds.set(`/${kind}/broken.txt`, { body: '', status: 503 });
      let r = await ws.run(['blocklist', 'import', feeds.url(`/${kind}/broken.txt`)]);
      expect([r.code, r.stdout, r.stderr]).toEqual([1, '', `sinkd: cannot fetch ${feeds.url(`/${kind}/broken.txt`)}: HTTP 503 Service Unavailable\n`]);
      r = await ws.run(['blocklist', 'import', feeds.url('/nothing-here.txt')]);
      expect(r.stderr).toBe(`sinkd: cannot fetch ${feeds.url('/nothing-here.txt')}: HTTP 404 Not Found\n`);
    });

    it('a connection cut mid-feed fails and leaves the source as it was', async () => {
      const ws = workspace(kind);
      const path = `/${kind}/cut.txt`;
      feeds.feeds.set(path, { body: 'keep1.no-ip.biz\nkeep2.no-ip.biz\n' });
      expect((await ws.run(['blocklist', 'import', feeds.url(path), '--source', 'feed'])).code).toBe(0);
      feeds.feeds.set(path, {
        body: (res) => {
          res.write(Array.from({ length: 5000 }, (_, i) => `partial${i}.no-ip.biz\n`).join(''));
          setTimeout(() => res.socket?.destroy(), 50);
        },
      });
      const r = await ws.run(['blocklist', 'import', feeds.url(path), '--source', 'feed']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^sinkd: cannot fetch ${feeds.url(path).replace(/[.?]/g, '\\$&')}: .+\\n$`));
      expectNoStack(r);
      expect(await contents(ws)).toEqual({ 'block:keep1.no-ip.biz': 'feed - -', 'block:keep2.no-ip.biz': 'feed - -' });
    });

    it('a refused connection is one line', async () => {
      const ws = workspace(kind);
      // A port that was free a moment ago (fetch refuses to try "bad ports" such as 1).
      const probe = createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
      const port = (probe.address() as AddressInfo).port;
      await new Promise<void>((r) => probe.close(() => r()));
      const r = await ws.run(['blocklist', 'import', `http://127.0.0.1:${port}/list.txt`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`sinkd: cannot fetch http://127.0.0.1:${port}/list.txt: connect ECONNREFUSED 127.0.0.1:${port}\n`);
    });
  });
});

describe('blocklist import arguments', () => {
  it('two inputs that would be the same source are a usage error', async () => {
    const ws = workspace('embedded');
    mkdtempSync(join(ws.dir, 'x'));
    const a = ws.file('same.txt', 'a.no-ip.biz\n');
    const sub = mkdtempSync(join(ws.dir, 'sub-'));
    const b = join(sub, 'same.txt');
    writeFileSync(b, 'b.no-ip.biz\n');
    const r = await ws.run(['blocklist', 'import', a, b]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`sinkd: ${a} and ${b} would both be source "same"`);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('a file that would become source "cli" needs an explicit --source', async () => {
    const ws = workspace('embedded');
    const path = ws.file('cli.txt', 'a.no-ip.biz\n');
    const r = await ws.run(['blocklist', 'import', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sinkd: .*would be source "cli"/);
  });

  it('rejects an unsupported URL scheme and an unknown format', async () => {
    const ws = workspace('embedded');
    let r = await ws.run(['blocklist', 'import', 'ftp://example.org/list.txt']);
    expect([r.code, r.stderr]).toEqual([2, 'sinkd: unsupported URL scheme ftp in ftp://example.org/list.txt (only http and https)\n']);
    r = await ws.run(['blocklist', 'import', 'x.txt', '--format', 'csv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Invalid values');
    expectNoStack(r);
  });
});
