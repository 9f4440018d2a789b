// The admin listener answers only requests addressed to it: a page on another site that rebinds
// its own name to the listener's address (DNS rebinding) makes the browser send `Host: <its
// name>`, and gets 421 for every path, the infected-host report included. The listener's own
// address, localhost on loopback, and names in admin.allowedHosts are served.

import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../helpers/fake-upstream.js';
import { queryUdp } from '../helpers/dns-client.js';
import { startSinkd, type TestSinkd } from '../helpers/sinkd.js';
import { freePort } from '../helpers/free-port.js';
import { AdminHostCheck, hostName } from '../../src/admin/host-check.js';

/** One GET with exactly these headers (fetch will not send a Host of our choosing). */
function get(port: number, path: string, headers: Record<string, string>, httpVersion: '1.0' | '1.1' = '1.1'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => (data += d));
    sock.on('error', reject);
    sock.on('close', () => {
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    const lines = [`GET ${path} HTTP/${httpVersion}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), 'Connection: close', '', ''];
    sock.write(lines.join('\r\n'));
  });
}

describe('admin listener: Host header check (DNS rebinding)', () => {
  let up: FakeUpstream;
  let s: TestSinkd;
  let port: number;
  beforeAll(async () => {
    up = await FakeUpstream.start();
    s = await startSinkd({
      upstreams: [up.endpoint],
      blocklist: 'c2.no-ip.biz\n',
      yaml: `admin: { listen: "127.0.0.1:${await freePort()}", allowedHosts: [sinkd-admin.lan] }\ninfected: { flushIntervalMs: 100 }`,
    });
    port = s.server.adminBound!.port;
    await queryUdp(s.port, 'c2.no-ip.biz', { source: '127.0.0.77' });
  });
  afterAll(async () => {
    await s?.stop();
    await up?.stop();
  });

  it('a rebinding page (Host: evil.example) gets 421 for the report, metrics and health alike', async () => {
    for (const path of ['/api/report', '/report', '/metrics', '/readyz', '/healthz']) {
      const r = await get(port, path, { Host: `evil.example:${port}` });
      expect(r.status, path).toBe(421);
      expect(r.body).not.toContain('127.0.0.77');
    }
    // Look-alikes of the allowed names are not them.
    for (const host of [`127.0.0.1.evil.example:${port}`, `sinkd-admin.lan.evil.example`, `localhost.evil.example:${port}`, `127.0.0.1:${port}@evil.example`, '']) {
      expect((await get(port, '/api/report', { Host: host })).status, host).toBe(421);
    }
    // No Host at all (HTTP/1.0).
    expect((await get(port, '/api/report', {}, '1.0')).status).toBe(421);
  });

  it('its own address, localhost and admin.allowedHosts are served', async () => {
    const own = await get(port, '/api/report', { Host: `127.0.0.1:${port}` });
    expect(own.status).toBe(200);
    expect(own.body).toContain('127.0.0.77');
    expect((await get(port, '/api/report', { Host: `localhost:${port}` })).status).toBe(200);
    expect((await get(port, '/healthz', { Host: `SINKD-ADMIN.lan:${port}` })).status).toBe(200);
    expect((await get(port, '/healthz', { Host: '127.0.0.1' })).status).toBe(200);
  });

  it('hostName and the check, unit by unit', () => {
    expect(hostName('[::1]:9053')).toBe('::1');
    expect(hostName('Example.LAN.:80')).toBe('example.lan');
    expect(hostName('a:b:c')).toBeUndefined();
    const any = new AdminHostCheck('0.0.0.0', []);
    expect(any.allows('127.0.0.1:9053')).toBe(true);
    expect(any.allows('192.0.2.250:9053')).toBe(false); // not an address of this machine
    expect(any.allows('evil.example')).toBe(false);
    const lan = new AdminHostCheck('192.0.2.10', []);
    expect(lan.allows('localhost:9053')).toBe(false);
    expect(lan.allows('192.0.2.10:9053')).toBe(true);
  });
});
