// /metrics and /readyz over real HTTP from a running server that answered real DNS queries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../helpers/fake-upstream.js';
import { queryTcp, queryUdp } from '../helpers/dns-client.js';
import { startSinkd, type TestSinkd } from '../helpers/sinkd.js';
import { freePort } from '../helpers/free-port.js';

let upstream: FakeUpstream;
let sinkd: TestSinkd;
let base: string;

beforeAll(async () => {
  upstream = await FakeUpstream.start();
  upstream.add('www.example.com', { type: 'A', ttl: 300, value: '192.0.2.10' });
  sinkd = await startSinkd({ upstreams: [upstream.endpoint], blocklist: 'evil.example\n', yaml: `admin: { listen: "127.0.0.1:${await freePort()}" }` });
  base = `http://127.0.0.1:${sinkd.server.adminBound!.port}`;
});
afterAll(async () => {
  await sinkd?.stop();
  await upstream?.stop();
});

function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  if (line === undefined) throw new Error(`no ${series} in /metrics`);
  return Number(line.slice(series.length + 1));
}

describe('/metrics', () => {
  it('counts what the server answered, by result and transport, with upstream latency and the list size', async () => {
    await queryUdp(sinkd.port, 'x.evil.example');
    await queryUdp(sinkd.port, 'www.example.com'); // forwarded
    await queryUdp(sinkd.port, 'www.example.com'); // cached
    await queryTcp(sinkd.port, 'www.example.com'); // cached, over TCP
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await res.text();
    expect(sample(text, 'sinkd_queries_total{result="sinkholed"}')).toBe(1);
    expect(sample(text, 'sinkd_queries_total{result="forwarded"}')).toBe(1);
    expect(sample(text, 'sinkd_queries_total{result="cached"}')).toBe(2);
    expect(sample(text, 'sinkd_queries_by_transport_total{transport="udp"}')).toBe(3);
    expect(sample(text, 'sinkd_queries_by_transport_total{transport="tcp"}')).toBe(1);
    expect(sample(text, 'sinkd_upstream_latency_seconds_count{pool="resolver"}')).toBe(1);
    expect(sample(text, 'sinkd_blocklist_rules{kind="block"}')).toBe(1);
    expect(sample(text, 'sinkd_cache_entries')).toBe(1);
    expect(sample(text, 'sinkd_cache_hit_ratio')).toBeCloseTo(2 / 3);
    expect(sample(text, 'sinkd_store_state{state="synced"}')).toBe(1);
    expect(sample(text, 'sinkd_workers')).toBe(1);
  });
});

describe('/readyz and /healthz', () => {
  it('says ready with the listeners, the list and the store state', async () => {
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ready: boolean; listeners: string[]; store: { state: string }; blocklist: { block: number } };
    expect(body.ready).toBe(true);
    expect(body.listeners).toEqual([`127.0.0.1:${sinkd.port}`]);
    expect(body.store.state).toBe('synced');
    expect(body.blocklist.block).toBe(1);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
