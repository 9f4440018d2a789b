// The sinkhole catcher over real sockets, from several loopback source addresses: an HTTP
// check-in, TLS ClientHellos from Node's tls client and from `openssl s_client`, njRAT and
// H-worm check-in bytes, garbage, and the abuse cases (slowloris, a 5 MB upload, a flood of idle
// connections) while a new connection is still recorded and DNS still answers.
import { spawn } from 'node:child_process';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../helpers/fake-upstream.js';
import { queryUdp } from '../helpers/dns-client.js';
import { freePort } from '../helpers/free-port.js';
import { startSinkd, type TestSinkd } from '../helpers/sinkd.js';
import { HWORM_CHECKIN, NJRAT_CHECKIN } from '../catcher/fixtures.js';

const TIMEOUT_MS = 1500;
const MAX_BYTES = 4096;

let upstream: FakeUpstream;
let sinkd: TestSinkd;
let port: number;
let port2: number;

beforeAll(async () => {
  upstream = await FakeUpstream.start();
  port = await freePort();
  port2 = await freePort();
  sinkd = await startSinkd({
    upstreams: [upstream.endpoint],
    blocklist: 'evil.example\n',
    yaml: [
      'sinkhole: { ipv4: 127.0.0.1 }',
      `catcher: { listen: ["127.0.0.1:${port}", "127.0.0.1:${port2}"], maxBytes: ${MAX_BYTES}, timeoutMs: ${TIMEOUT_MS}, maxConnections: 64, maxConnectionsPerClient: 8 }`,
    ].join('\n'),
  });
});
afterAll(async () => {
  await sinkd?.stop();
  await upstream?.stop();
});

type Line = Record<string, unknown>;
const catches = () => sinkd.logs.filter((l) => l.event === 'catch');

async function caught(pred: (l: Line) => boolean, timeoutMs = 5000): Promise<Line> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = catches().find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no such catch; have ${JSON.stringify(catches().slice(-5))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function connect(source: string, to = port): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port: to, localAddress: source }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends `bytes` from `source` and reads until the server closes (or the guard time passes). */
async function exchange(source: string, bytes: Buffer, to = port): Promise<{ reply: Buffer; clientPort: number; closedByServer: boolean }> {
  const s = await connect(source, to);
  const clientPort = s.localPort!;
  return new Promise((resolve) => {
    const got: Buffer[] = [];
    const guard = setTimeout(() => {
      s.destroy();
      resolve({ reply: Buffer.concat(got), clientPort, closedByServer: false });
    }, TIMEOUT_MS * 3);
    s.on('data', (d) => got.push(d));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(guard);
      resolve({ reply: Buffer.concat(got), clientPort, closedByServer: true });
    });
    s.write(bytes);
  });
}

describe('what the catcher records', () => {
  it('an HTTP request: an empty 200 with Connection: close, and one catch line with the contract fields', async () => {
    const req = Buffer.from('GET /gate.php?id=42 HTTP/1.1\r\nHost: c2.evil.example\r\nUser-Agent: Mozilla/4.0 (compatible)\r\n\r\n');
    const { reply, clientPort, closedByServer } = await exchange('127.0.0.21', req);
    expect(reply.toString()).toBe('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    expect(closedByServer).toBe(true);
    const line = await caught((l) => l.client === '127.0.0.21');
    expect(line).toMatchObject({
      level: 30,
      event: 'catch',
      client: '127.0.0.21',
      clientPort,
      address: '127.0.0.1',
      port,
      protocol: 'http',
      host: 'c2.evil.example',
      path: '/gate.php?id=42',
      userAgent: 'Mozilla/4.0 (compatible)',
      sni: null,
      tag: null,
      method: 'GET',
      end: 'done',
    });
    // Every field of the DESIGN.md contract is present, null or not.
    for (const k of ['client', 'clientPort', 'address', 'port', 'protocol', 'host', 'path', 'userAgent', 'sni', 'tag']) expect(line).toHaveProperty(k);
  });

  it("a TLS ClientHello from Node's tls client: SNI, ALPN and a JA4 fingerprint, then the connection is closed", async () => {
    const err = await new Promise<Error>((resolve) => {
      const tcp = net.connect({ host: '127.0.0.1', port: port2, localAddress: '127.0.0.22' });
      const s = tls.connect({ socket: tcp, servername: 'c2.evil.example', ALPNProtocols: ['h2', 'http/1.1'], rejectUnauthorized: false });
      s.on('secureConnect', () => resolve(new Error('handshake completed')));
      s.on('error', resolve);
    });
    expect(err.message).toMatch(/handshake failure|socket disconnected|ECONNRESET/i);
    const line = await caught((l) => l.client === '127.0.0.22');
    expect(line).toMatchObject({ protocol: 'tls', sni: 'c2.evil.example', alpn: ['h2', 'http/1.1'], host: null, path: null, port: port2, end: 'done' });
    expect(line.ja4).toMatch(/^t13d\d{4}h2_[0-9a-f]{12}_[0-9a-f]{12}$/);
  });

  it('a TLS ClientHello from openssl s_client -servername', async () => {
    // Asynchronous: the catcher answers from this very process.
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-bind', '127.0.0.23:0', '-servername', 'openssl.evil.example', '-alpn', 'http/1.1'], {
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    const guard = setTimeout(() => child.kill(), 10_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(guard);
    expect(code).toBe(1); // the handshake fails: the catcher has no certificate to offer
    const line = await caught((l) => l.client === '127.0.0.23');
    expect(line).toMatchObject({ protocol: 'tls', sni: 'openssl.evil.example', alpn: ['http/1.1'] });
    expect(line.ja4).toMatch(/^t13d\d{4}h1_/);
  });

  it('an njRAT check-in: tagged Bladabindi with the victim fields, and closed without a word', async () => {
    const { reply, closedByServer } = await exchange('127.0.0.24', NJRAT_CHECKIN);
    expect(reply.length).toBe(0);
    expect(closedByServer).toBe(true);
    const line = await caught((l) => l.client === '127.0.0.24');
    expect(line).toMatchObject({ protocol: 'tcp', tag: 'Bladabindi', signature: 'njrat-checkin', end: 'done', bytes: NJRAT_CHECKIN.length });
    expect(line.details).toMatchObject({ botId: 'HacKed_7613A12F', hostname: 'SERVERPC', user: 'ser', version: '0.7d' });
  });

  it('an H-worm check-in: tagged Jenxcus, answered with the empty 200', async () => {
    const { reply } = await exchange('127.0.0.25', HWORM_CHECKIN);
    expect(reply.toString()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    const line = await caught((l) => l.client === '127.0.0.25');
    expect(line).toMatchObject({ protocol: 'http', method: 'POST', path: '/is-ready', tag: 'Jenxcus', host: 'dr-vip.no-ip.org:8885' });
    expect(line.details).toMatchObject({ volumeSerial: 'C4BA3647', hostname: 'USER-PC', user: 'admin' });
  });

  it('garbage: recorded as tcp when the client closes, with the bytes it sent', async () => {
    const s = await connect('127.0.0.26');
    s.write(Buffer.from([0x00, 0xff, 0x13, 0x37, 0x42]));
    await new Promise((r) => setTimeout(r, 100));
    s.end();
    const line = await caught((l) => l.client === '127.0.0.26');
    expect(line).toMatchObject({ protocol: 'tcp', tag: null, bytes: 5, end: 'closed', host: null, sni: null });
  });

  it('escapes what the wire sends: no control character reaches the log line', async () => {
    const evil = Buffer.concat([
      Buffer.from('GET /a HTTP/1.1\r\nHost: x\x1b[2J\x00y\x7f', 'latin1'),
      Buffer.from('\u202e', 'utf8'), // RIGHT-TO-LEFT OVERRIDE
      Buffer.from('\r\nUser-Agent: \x07\xc2\x9b31m' + 'A'.repeat(3000) + '\r\n\r\n', 'latin1'),
    ]);
    await exchange('127.0.0.27', evil);
    const line = await caught((l) => l.client === '127.0.0.27');
    expect(line.host).toBe('x\\x1b[2J\\x00y\\x7f\\u202e');
    expect((line.userAgent as string).startsWith('\\x07')).toBe(true);
    expect((line.userAgent as string).length).toBeLessThanOrEqual(512);
    const raw = sinkd.rawLogs.find((l) => l.includes('"client":"127.0.0.27"') && l.includes('"event":"catch"'))!;
    expect(raw).not.toMatch(/[\x00-\x1f\x7f-\x9f\u2028\u2029\u202e]/);
  });
});

describe('the catcher under abuse', () => {
  it('cuts a slowloris at the deadline and records the head it got', async () => {
    const s = await connect('127.0.0.31');
    s.on('error', () => {});
    s.write('GET /slow HTTP/1.1\r\nHost: slow.example\r\nX-Pad: ');
    const trickle = setInterval(() => s.writable && s.write('a'), 100);
    const t0 = Date.now();
    await new Promise((r) => s.on('close', r));
    clearInterval(trickle);
    const held = Date.now() - t0;
    expect(held).toBeGreaterThanOrEqual(TIMEOUT_MS - 200);
    expect(held).toBeLessThan(TIMEOUT_MS * 3);
    const line = await caught((l) => l.client === '127.0.0.31');
    expect(line).toMatchObject({ protocol: 'http', path: '/slow', host: 'slow.example', end: 'time' });
  });

  it('reads only maxBytes of a 5 MB upload, while a new connection is recorded and DNS answers', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 0x41);
    const raw = await connect('127.0.0.32');
    raw.on('error', () => {});
    const rawClosed = new Promise((r) => raw.on('close', r));
    raw.write(big);
    const post = await connect('127.0.0.33');
    post.on('error', () => {});
    const postClosed = new Promise((r) => post.on('close', r));
    post.write(Buffer.concat([Buffer.from(`POST /upload HTTP/1.1\r\nHost: up.example\r\nContent-Length: ${big.length}\r\n\r\n`), big]));
    // Meanwhile: a new check-in is recorded and a sinkholed name still resolves.
    const { reply } = await exchange('127.0.0.34', HWORM_CHECKIN, port2);
    expect(reply.toString()).toMatch(/^HTTP\/1\.1 200 OK/);
    const dns = await queryUdp(sinkd.port, 'evil.example', { source: '127.0.0.34' });
    expect(dns.answers[0]).toMatchObject({ address: '127.0.0.1' });
    await Promise.all([rawClosed, postClosed]);
    expect(await caught((l) => l.client === '127.0.0.32')).toMatchObject({ protocol: 'tcp', bytes: MAX_BYTES, end: 'bytes' });
    expect(await caught((l) => l.client === '127.0.0.33')).toMatchObject({ protocol: 'http', path: '/upload', end: 'done' });
    expect(await caught((l) => l.client === '127.0.0.34')).toMatchObject({ tag: 'Jenxcus' });
  });

  it('a flood of idle connections: the oldest give way, a new one is still recorded, DNS still answers', async () => {
    const before = counters();
    const idle: net.Socket[] = [];
    // 10 sources x 10 connections: beyond both the per-client cap (8) and the total cap (64).
    for (let src = 40; src < 50; src++) {
      for (let i = 0; i < 10; i++) {
        const s = await connect(`127.0.0.${src}`);
        s.on('error', () => {});
        idle.push(s);
      }
    }
    try {
      const open = counters().open;
      expect(open).toBeLessThanOrEqual(64);
      const { reply } = await exchange('127.0.0.51', Buffer.from('GET /after-flood HTTP/1.1\r\nHost: new.example\r\n\r\n'));
      expect(reply.toString()).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(await caught((l) => l.client === '127.0.0.51')).toMatchObject({ path: '/after-flood', end: 'done' });
      const dns = await queryUdp(sinkd.port, 'x.evil.example', { source: '127.0.0.51' });
      expect(dns.answers[0]).toMatchObject({ address: '127.0.0.1' });
      const after = counters();
      expect(after.limited['client-connections']! - before.limited['client-connections']!).toBe(20);
      expect(after.limited.connections! - before.limited.connections!).toBeGreaterThanOrEqual(100 - 20 - 64);
      // Evicted connections are recorded too, with what they sent (nothing).
      expect(catches().filter((l) => l.end === 'evicted' && String(l.client).startsWith('127.0.0.4')).length).toBe(after.limited['client-connections']! + after.limited.connections! - before.limited['client-connections']! - before.limited.connections!);
    } finally {
      for (const s of idle) s.destroy();
    }
  });
});

describe('metrics', () => {
  it('counts catches by protocol and tag, and what the limits cut', () => {
    const names = sinkd.server.metrics().map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['sinkd_catches_total', 'sinkd_catch_tags_total', 'sinkd_catcher_limited_total', 'sinkd_catcher_connections']));
    const c = counters();
    expect(c.catches.http).toBeGreaterThanOrEqual(4);
    expect(c.catches.tls).toBeGreaterThanOrEqual(2);
    expect(c.tags.Bladabindi).toBe(1);
    expect(c.limited.bytes).toBeGreaterThanOrEqual(1);
    expect(c.limited.time).toBeGreaterThanOrEqual(1);
  });
});

function counters() {
  const families = sinkd.server.metrics();
  const byLabel = (name: string, label: string) =>
    Object.fromEntries((families.find((f) => f.name === name)?.samples ?? []).map((s) => [s.labels![label]!, s.value])) as Record<string, number>;
  return {
    catches: byLabel('sinkd_catches_total', 'protocol'),
    tags: byLabel('sinkd_catch_tags_total', 'tag'),
    limited: byLabel('sinkd_catcher_limited_total', 'limit'),
    open: families.find((f) => f.name === 'sinkd_catcher_connections')!.samples[0]!.value,
  };
}

describe('starting the catcher', () => {
  it('warns when no sinkhole answer sends anyone to the catcher', async () => {
    const other = await startSinkd({ upstreams: [upstream.endpoint], yaml: `catcher: { listen: ["127.0.0.1:${await freePort()}"] }` });
    try {
      expect(other.logs.find((l) => l.event === 'catcher-unreachable')).toMatchObject({ level: 40, sinkhole: [] });
      expect(other.logs.find((l) => l.event === 'start')).toMatchObject({ catcher: expect.stringMatching(/^127\.0\.0\.1:\d+ \(2 signatures\)$/) });
    } finally {
      await other.stop();
    }
    expect(sinkd.logs.find((l) => l.event === 'catcher-unreachable')).toBeUndefined();
  });

  it('refuses to start on a bad signature file, naming the file and line', async () => {
    const start = startSinkd({
      upstreams: [upstream.endpoint],
      yaml: `sinkhole: { ipv4: 127.0.0.1 }\ncatcher: { listen: ["127.0.0.1:${await freePort()}"], signatures: [/nonexistent/sigs.yaml] }`,
    });
    await expect(start).rejects.toThrow(/cannot read catcher signatures \/nonexistent\/sigs\.yaml: no such file/);
  });
});
