// TLS and password on every Redis connection, in every mode, against real redis-server
// processes that offer no plain-text port at all (--port 0) and ask for a password: a
// standalone server, a Sentinel in front of a master (both TLS, both with requirepass), and a
// 3-master Cluster whose bus is TLS too. Both stores (blocklist and hits) are used on each.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SinkdConfig } from '../../src/config/types.js';
import { openHitStore } from '../../src/infected/open-hit-store.js';
import { openStore, type StoreMode } from '../../src/store/open-store.js';
import { makeTestCa, startTlsCluster, startTlsRedis, startTlsSentinel, TLS_PASSWORD, type TestCa, type TlsCluster, type TlsRedis, type TlsSentinel } from '../helpers/redis-tls.js';

type RedisSection = SinkdConfig['redis'];

function settings(ca: TestCa, over: Partial<RedisSection>): Pick<SinkdConfig, 'redis' | 'store' | 'infected'> {
  return {
    redis: { url: '', mode: 'standalone', nodes: [], sentinelName: 'mymaster', prefix: `tls${process.pid}:`, required: false, connectTimeoutMs: 3000, tls: { ca: ca.ca, cert: '', key: '' }, ...over },
    store: { path: '/nonexistent/never-used.jsonl' },
    infected: { enabled: true, retentionDays: 1, verdict: { minDistinctMinutes: 3, minDistinctNames: 2 }, leases: [], bufferHits: 1000, flushIntervalMs: 1000, maxNamesPerClient: 1000, maxMinutesPerClient: 4096, maxClients: 100_000, journalMaxBytes: 1 << 24 },
  };
}

/** A write, a second instance following the feed, and a hit written and read back. */
async function roundTrip(config: ReturnType<typeof settings>, mode: StoreMode = 'serve'): Promise<void> {
  const store = openStore(config, mode);
  const follower = openStore(config, 'serve');
  try {
    const tag = `${mode}${Date.now()}`;
    const v = await store.apply([{ op: 'put', entry: { name: `a-${tag}.no-ip.biz`, kind: 'block', source: 'cli' } }]);
    expect(v).toBeGreaterThan(0);
    const waiting = follower.changesSince(v, 5000);
    await new Promise((r) => setTimeout(r, 100));
    await store.apply([{ op: 'put', entry: { name: `b-${tag}.no-ip.biz`, kind: 'block', source: 'tls' } }]);
    const got = await waiting;
    expect(got !== 'reset' && got.map((cs) => cs.version)).toEqual([v + 1]);
  } finally {
    await store.close();
    await follower.close();
  }
  const hits = openHitStore(config, mode);
  try {
    await hits.add([{ time: Date.now(), client: '192.0.2.7', qname: 'b.no-ip.biz', qtype: 'A', rule: 'b.no-ip.biz', source: 'tls', transport: 'udp' }]);
    const clients = await hits.clients({ since: null, client: '192.0.2.7' });
    expect(clients.map((c) => c.client)).toEqual(['192.0.2.7']);
  } finally {
    await hits.close();
  }
}

async function failure(config: ReturnType<typeof settings>): Promise<string> {
  const store = openStore(config, 'cli');
  try {
    await store.version();
    return 'no error';
  } catch (err) {
    return (err as Error).message;
  } finally {
    await store.close();
  }
}

let ca: TestCa;
beforeAll(() => {
  ca = makeTestCa();
}, 30_000);

describe('standalone over TLS', () => {
  let server: TlsRedis;
  beforeAll(async () => {
    server = await startTlsRedis(ca);
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('works with rediss://, the CA from redis.tls.ca and the password from the URL', async () => {
    await roundTrip(settings(ca, { url: `rediss://:${TLS_PASSWORD}@127.0.0.1:${server.port}/1` }));
    await roundTrip(settings(ca, { url: `rediss://:${TLS_PASSWORD}@localhost:${server.port}/1` }), 'cli');
  });

  it('checks the certificate: a CA that did not sign it is refused, in one line', async () => {
    const msg = await failure(settings(ca, { url: `rediss://:${TLS_PASSWORD}@127.0.0.1:${server.port}`, tls: { ca: ca.otherCa, cert: '', key: '' } }));
    expect(msg).toMatch(/^cannot reach Redis at rediss:\/\/127\.0\.0\.1:\d+: .*(certificate|self.signed)/i);
  });

  it('a wrong or missing password is refused', async () => {
    expect(await failure(settings(ca, { url: `rediss://:wrong@127.0.0.1:${server.port}` }))).toMatch(/WRONGPASS|invalid password/i);
    expect(await failure(settings(ca, { url: `rediss://127.0.0.1:${server.port}` }))).toMatch(/NOAUTH|Authentication required/i);
  });

  it('a client certificate from redis.tls.cert/key is presented', async () => {
    const strict = await startTlsRedis(ca, ['--tls-auth-clients', 'yes']);
    try {
      const url = `rediss://:${TLS_PASSWORD}@127.0.0.1:${strict.port}`;
      expect(await failure(settings(ca, { url }))).toMatch(/^cannot reach Redis/);
      await roundTrip(settings(ca, { url, tls: { ca: ca.ca, cert: ca.clientCert, key: ca.clientKey } }));
    } finally {
      await strict.stop();
    }
  }, 30_000);

  it('an unreadable TLS file is named', () => {
    expect(() => openStore(settings(ca, { url: 'rediss://127.0.0.1:1', tls: { ca: '/nonexistent/ca.pem', cert: '', key: '' } }), 'cli')).toThrow('cannot read redis.tls.ca /nonexistent/ca.pem: ENOENT');
  });
});

describe('Sentinel over TLS', () => {
  let s: TlsSentinel;
  beforeAll(async () => {
    s = await startTlsSentinel(ca);
  }, 30_000);
  afterAll(async () => {
    await s?.stop();
  });

  it('asks the Sentinel over TLS with the password, and uses the master it names over TLS with the password', async () => {
    const config = settings(ca, { url: `rediss://:${TLS_PASSWORD}@ignored.invalid:6379/2`, mode: 'sentinel', nodes: [s.node], sentinelName: s.name });
    await roundTrip(config);
    await roundTrip(config, 'cli');
  });

  it('without the password neither the Sentinel nor the master answers', async () => {
    const msg = await failure(settings(ca, { url: 'rediss://ignored.invalid:6379/2', mode: 'sentinel', nodes: [s.node], sentinelName: s.name }));
    expect(msg).toMatch(/^cannot reach Redis at sentinel tlsmaster@127\.0\.0\.1:\d+: /);
  });
});

describe('Cluster over TLS', () => {
  let cluster: TlsCluster;
  beforeAll(async () => {
    cluster = await startTlsCluster(ca, 3);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('reaches every node over TLS with the password', async () => {
    await roundTrip(settings(ca, { url: `rediss://:${TLS_PASSWORD}@127.0.0.1:1`, mode: 'cluster', nodes: cluster.nodes }));
  });
});
