// Issue 10, finding 7: upstream queries in flight are capped, in all and per client. Every
// forwarded query costs a socket until its upstream answers or times out, so a client asking many
// distinct names that resolve slowly used to push sinkd to the file-descriptor limit (after which
// TCP accept, the store and hit writes fail). Over real sockets, with a fake upstream that never
// answers those names: sinkd's open sockets stay within the cap, beyond it clients get SERVFAIL at
// once with an EDE saying why, /metrics counts it, and other clients are still answered.

import { metricValue } from '../helpers/metric-value.js';
import dgram from 'node:dgram';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../helpers/fake-upstream.js';
import { Packet, buildQuery, queryUdp } from '../helpers/dns-client.js';
import { startSinkd, type TestSinkd } from '../helpers/sinkd.js';
import { inspectResponse } from '../../src/wire/index.js';
import { renderPrometheus } from '../../src/metrics/prometheus.js';

const PER_CLIENT = 10;
const GLOBAL = 30;
const TIMEOUT_MS = 1500;

let upstream: FakeUpstream;
let sinkd: TestSinkd;

beforeAll(async () => {
  upstream = await FakeUpstream.start();
  upstream.defaultBehaviour = { drop: true }; // every name is slow (never answered) ...
  for (const name of ['fast.example', 'fast2.example', 'fast3.example']) {
    upstream.add(name, { type: 'A', ttl: 300, value: '192.0.2.10' });
    upstream.behaviours.set(name, {}); // ... but these
  }
  sinkd = await startSinkd({
    upstreams: [upstream.endpoint],
    blocklist: 'evil.example\n',
    yaml: `upstream: { timeoutMs: ${TIMEOUT_MS}, tcpTimeoutMs: ${TIMEOUT_MS}, maxInflight: ${GLOBAL}, maxInflightPerClient: ${PER_CLIENT} }`,
  });
});
afterAll(async () => {
  await sinkd?.stop();
  await upstream?.stop();
});

/** The RFC 8914 Extended DNS Error of a reply, if it has one. */
function edeOf(reply: Buffer): { code: number; text: string } | null {
  const info = inspectResponse(reply);
  if (info === null || info.optOffset < 0) return null;
  let off = info.optOffset + 11;
  const end = info.optOffset + info.optLength;
  while (off + 4 <= end) {
    const code = reply.readUInt16BE(off);
    const len = reply.readUInt16BE(off + 2);
    if (code === 15) return { code: reply.readUInt16BE(off + 4), text: reply.toString('utf8', off + 6, off + 4 + len) };
    off += 4 + len;
  }
  return null;
}

/** Sends every query from one socket at `source`; resolves with the replies when all came or after `ms`. */
function flood(source: string, names: string[], ms = TIMEOUT_MS + 2000): Promise<Buffer[]> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const replies: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.close();
      resolve(replies);
    };
    const timer = setTimeout(done, ms);
    socket.on('message', (m) => {
      replies.push(m);
      if (replies.length === names.length) done();
    });
    socket.bind(0, source, () => names.forEach((n, i) => socket.send(buildQuery(n, { id: i, edns: true }), sinkd.port, '127.0.0.1')));
  });
}

const openFds = () => readdirSync('/proc/self/fd').length;

/** Samples this process's open file descriptors every 5 ms until stopped; the peak. */
function fdPeak(): () => number {
  let peak = openFds();
  const timer = setInterval(() => (peak = Math.max(peak, openFds())), 5);
  return () => {
    clearInterval(timer);
    return peak;
  };
}

const limitedBy = (replies: Buffer[], limit: string) =>
  replies.filter((r) => Packet.parse(r).header.rcode === Packet.RCODE.SERVFAIL && edeOf(r)?.text.includes(`(${limit})`));

describe('upstream queries in flight', () => {
  it('keeps one client to its share: open sockets stay bounded, the excess gets SERVFAIL at once, others are answered', async () => {
    const baseline = openFds();
    const stop = fdPeak();
    const names = Array.from({ length: 100 }, (_, i) => `n${i}.slow.example`);
    const flooding = flood('127.0.0.41', names);
    await new Promise((r) => setTimeout(r, 300));
    // Meanwhile another client is answered by the upstream.
    const other = await queryUdp(sinkd.port, 'fast.example', { source: '127.0.0.42' });
    expect(other.answers[0]).toMatchObject({ address: '192.0.2.10' });
    const replies = await flooding;
    const peak = stop();
    // Sockets: the flooder's own, the other client's, and one per upstream query in flight.
    console.log(`open descriptors: ${baseline} before, peak ${peak} during the flood of 100 slow names`);
    expect(peak - baseline).toBeLessThanOrEqual(PER_CLIENT + 6);
    expect(replies).toHaveLength(100);
    expect(replies.every((r) => Packet.parse(r).header.rcode === Packet.RCODE.SERVFAIL)).toBe(true);
    const limited = limitedBy(replies, 'client');
    expect(limited).toHaveLength(100 - PER_CLIENT);
    expect(edeOf(limited[0]!)).toEqual({ code: 0, text: `too many queries in flight upstream (client)` });
    expect(upstream.count()).toBeLessThanOrEqual(PER_CLIENT + 1);
    expect(metricValue(sinkd.server.metrics(), 'sinkd_upstream_inflight_limited_total', { limit: 'client' })).toBe(100 - PER_CLIENT);
  }, 15_000);

  it('keeps the process to its total: beyond it every forwarded name gets SERVFAIL, listed and cached names are still answered', async () => {
    await queryUdp(sinkd.port, 'fast2.example'); // cached now
    const floods = ['127.0.0.43', '127.0.0.44', '127.0.0.45'].map((source) => flood(source, Array.from({ length: PER_CLIENT }, (_, i) => `${source}-${i}.slow.example`)));
    await new Promise((r) => setTimeout(r, 300));
    expect(metricValue(sinkd.server.metrics(), 'sinkd_upstream_inflight')).toBe(GLOBAL);
    const forwarded = await queryUdp(sinkd.port, 'fast3.example', { source: '127.0.0.46', edns: true });
    expect(forwarded.header.rcode).toBe(Packet.RCODE.SERVFAIL);
    expect((await queryUdp(sinkd.port, 'x.evil.example', { source: '127.0.0.46' })).answers[0]).toMatchObject({ address: '0.0.0.0' });
    expect((await queryUdp(sinkd.port, 'fast2.example', { source: '127.0.0.46' })).answers[0]).toMatchObject({ address: '192.0.2.10' });
    await Promise.all(floods);
    expect(metricValue(sinkd.server.metrics(), 'sinkd_upstream_inflight')).toBe(0);
    const text = renderPrometheus(sinkd.server.metrics());
    expect(text).toContain(`\nsinkd_upstream_inflight_limited_total{limit="global"} 1\n`);
    expect(text).toContain(`\nsinkd_upstream_inflight_limited_total{limit="client"} ${100 - PER_CLIENT}\n`);
    // Once the slow ones timed out, the same client is answered again.
    expect((await queryUdp(sinkd.port, 'fast3.example', { source: '127.0.0.46' })).answers[0]).toMatchObject({ address: '192.0.2.10' });
  }, 15_000);
});
