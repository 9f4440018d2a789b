// Faults, counted: a reply spoofed from the wrong address (right ID, right question) is never
// taken, relayed or cached; an upstream slower than the timeout costs one failover, not the
// answer; Redis killed and restarted under steady load costs no answer. Lost answers are
// counted and printed.

import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dns2 from 'dns2';
import { FakeUpstream } from '../helpers/fake-upstream.js';
import { buildQuery, queryUdp, sendUdpRaw } from '../helpers/dns-client.js';
import { startSinkd, type TestSinkd } from '../helpers/sinkd.js';
import { startRedis } from '../helpers/redis.js';

const { Packet } = dns2;

/** Answers every A query with `address`; before that, a socket on 127.0.0.99 sends a forged reply (same ID, same question, 6.6.6.6) to the asker. */
async function spoofedUpstream(address: string): Promise<{ port: number; close(): void }> {
  const real = dgram.createSocket('udp4');
  const forger = dgram.createSocket('udp4');
  await new Promise<void>((r) => forger.bind(0, '127.0.0.99', r));
  real.on('message', (msg, rinfo) => {
    const q = Packet.parse(msg);
    const reply = (addr: string) => {
      const p = new Packet();
      p.header.id = q.header.id;
      p.header.qr = 1;
      p.header.ra = 1;
      p.questions = q.questions;
      p.answers.push({ name: q.questions[0]!.name, type: Packet.TYPE.A, class: 1, ttl: 300, address: addr } as never);
      return p.toBuffer();
    };
    forger.send(reply('6.6.6.6'), rinfo.port, rinfo.address);
    setTimeout(() => real.send(reply(address), rinfo.port, rinfo.address), 30);
  });
  await new Promise<void>((r) => real.bind(0, '127.0.0.1', r));
  return { port: real.address().port, close: () => (real.close(), forger.close()) };
}

describe('a reply spoofed from another address', () => {
  let up: Awaited<ReturnType<typeof spoofedUpstream>>;
  let sinkd: TestSinkd;
  beforeAll(async () => {
    up = await spoofedUpstream('192.0.2.44');
    sinkd = await startSinkd({ upstreams: [`127.0.0.1:${up.port}`] });
  });
  afterAll(async () => {
    await sinkd?.stop();
    up?.close();
  });

  it('is rejected and counted; the real answer is relayed and cached, the forged one never', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await queryUdp(sinkd.port, `host${i}.spoof.test`);
      expect((r.answers[0] as { address?: string }).address).toBe('192.0.2.44');
      // Again, from the cache: still the real answer.
      const again = await queryUdp(sinkd.port, `host${i}.spoof.test`);
      expect((again.answers[0] as { address?: string }).address).toBe('192.0.2.44');
    }
    // Each forged reply left before the real one (30 ms earlier); all of them must have been refused.
    expect(sinkd.server.upstreams.stats.rejected).toBeGreaterThanOrEqual(18);
  });
});

describe('an upstream slower than the timeout', () => {
  let slow: FakeUpstream;
  let good: FakeUpstream;
  let sinkd: TestSinkd;
  beforeAll(async () => {
    slow = await FakeUpstream.start();
    good = await FakeUpstream.start();
    slow.defaultBehaviour = { delayMs: 1500 };
    for (const u of [slow, good]) u.add('slow.test', { type: 'A', ttl: 60, value: u === slow ? '192.0.2.1' : '192.0.2.2' });
    sinkd = await startSinkd({ upstreams: [slow.endpoint, good.endpoint] });
  });
  afterAll(async () => {
    await sinkd?.stop();
    await slow?.stop();
    await good?.stop();
  });

  it('costs one timeout: the next upstream answers within the client\'s patience, and its late reply is ignored', async () => {
    const t0 = Date.now();
    const r = await queryUdp(sinkd.port, 'slow.test', { timeoutMs: 2000 });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect((r.answers[0] as { address?: string }).address).toBe('192.0.2.2');
    await new Promise((res) => setTimeout(res, 1600)); // the slow server's reply arrives, to a closed socket
    const again = await queryUdp(sinkd.port, 'slow.test');
    expect((again.answers[0] as { address?: string }).address).toBe('192.0.2.2');
  });
});

describe('Redis killed and restarted under load', () => {
  it('loses no answer: the list in memory keeps serving', async () => {
    const redis = await startRedis();
    const up = await FakeUpstream.start();
    up.add('clean.test', { type: 'A', ttl: 3600, value: '192.0.2.9' });
    const sinkd = await startSinkd({ upstreams: [up.endpoint], blocklist: 'evil.no-ip.biz\n', yaml: `redis: { url: "${redis.url}" }` });
    try {
      let lost = 0;
      let wrong = 0;
      let sent = 0;
      for (let batch = 0; batch < 60; batch++) {
        if (batch === 15) await redis.kill();
        if (batch === 40) await redis.restart();
        const replies = await Promise.all(
          Array.from({ length: 50 }, (_, i) => sendUdpRaw(sinkd.port, buildQuery(i % 2 ? `b${batch}-${i}.evil.no-ip.biz` : 'clean.test'), { timeoutMs: 1000 })),
        );
        sent += replies.length;
        for (const [i, raw] of replies.entries()) {
          if (raw === null) lost++;
          else if ((Packet.parse(raw).answers[0] as { address?: string } | undefined)?.address !== (i % 2 ? '0.0.0.0' : '192.0.2.9')) wrong++;
        }
        await new Promise((r) => setTimeout(r, 40));
      }
      console.log(`Redis killed and restarted under load: ${sent} queries, ${lost} lost, ${wrong} wrong`);
      expect(lost).toBe(0);
      expect(wrong).toBe(0);
      expect(sinkd.logs.filter((l) => l.event === 'store-degraded')).toHaveLength(1);
    } finally {
      await sinkd.stop();
      await up.stop();
      await redis.stop();
    }
  }, 60_000);
});
