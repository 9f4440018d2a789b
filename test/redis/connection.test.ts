// src/redis/: what a connection does when Redis goes away, per mode, on a real redis-server.
// The CLI ('cli') tries once and then fails every call at once, with the first reason; a
// serving node ('serve') reports "down" once, keeps reconnecting, and reports "up" again.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SinkdConfig } from '../../src/config/types.js';
import { RedisConnection } from '../../src/redis/connection.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

function section(url: string): SinkdConfig['redis'] {
  return { url, mode: 'standalone', nodes: [], sentinelName: 'mymaster', prefix: 'sinkd:', required: false, connectTimeoutMs: 2000, tls: { ca: '', cert: '', key: '' } };
}

describe('RedisConnection', () => {
  let server: TestRedis;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("'cli' fails fast and stays failed; 'serve' reconnects and says so once per transition", async () => {
    const cli = RedisConnection.open(section(server.url), 'cli');
    const serve = RedisConnection.open(section(server.url), 'serve');
    const states: string[] = [];
    serve.health.onChange((s) => states.push(s));
    expect(cli.failFast).toBe(true);
    expect(serve.failFast).toBe(false);
    expect(await cli.health.run(() => cli.client.ping())).toBe('PONG');
    expect(await serve.health.run(() => serve.client.ping())).toBe('PONG');

    await server.kill();
    await expect(cli.health.run(() => cli.client.ping())).rejects.toThrow(/^cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: /);
    await expect(serve.health.run(() => serve.client.ping())).rejects.toThrow(/^cannot reach Redis/);
    await server.restart();

    const deadline = Date.now() + 10_000;
    while (serve.client.status !== 'ready' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await serve.health.run(() => serve.client.ping())).toBe('PONG');
    // The CLI's connection did not come back: one attempt is all a command gets.
    const t0 = Date.now();
    await expect(cli.health.run(() => cli.client.ping())).rejects.toThrow(/^cannot reach Redis/);
    expect(Date.now() - t0).toBeLessThan(500);
    expect(states).toEqual(['up', 'down', 'up']);
    await cli.close();
    await serve.close();
  }, 20_000);

  it('a password never shows in the description or the target', () => {
    const c = RedisConnection.open(section('redis://user:hunter2@127.0.0.1:1/4'), 'cli');
    expect(c.description).toBe('redis redis://127.0.0.1:1/4 (standalone)');
    expect(`${c.description} ${c.target}`).not.toContain('hunter2');
    void c.close();
  });
});
