// Issue 10, finding 1: a UDP datagram from source port 0 must not stop sinkd. Node's
// socket.send(..., 0, address) throws ERR_SOCKET_BAD_PORT: synchronously for the answers made at
// once (sinkhole, REFUSED, FORMERR, a seized zone's apex) and inside a promise for forwarded ones
// (an unhandled rejection), either of which ended the process. Over real sockets: the datagrams
// are crafted with a raw socket (test/helpers/udp-port0.py; needs root, else skipped visibly), in
// resolver mode and in seized-zone mode; afterwards sinkd must answer every kind of query, and the
// datagrams must have been dropped before any work (nothing forwarded, counted as dropped).
// The same against the built binary with --workers 2: test/blackbox/source-port-zero.test.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../helpers/fake-upstream.js';
import { Packet, queryUdp, sendUdpRaw } from '../helpers/dns-client.js';
import { everyKind, twoQuestions } from '../helpers/every-kind.js';
import { startSinkd, type TestSinkd } from '../helpers/sinkd.js';
import { portZeroSkipReason, sendFromPortZero } from '../fuzz/net-scenarios.mjs';

const SKIP = portZeroSkipReason();
if (SKIP) console.warn(`source-port-0 tests skipped: ${SKIP}`);

const ZONE = 'seized.test';

describe.skipIf(SKIP !== null)(`UDP datagrams from source port 0${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  let upstream: FakeUpstream;
  let sinkd: TestSinkd;

  beforeAll(async () => {
    upstream = await FakeUpstream.start();
    upstream.add('ok.fwd.example', { type: 'A', ttl: 60, value: '192.0.2.1' });
    upstream.add(`ok.host.${ZONE}`, { type: 'A', ttl: 60, value: '192.0.2.2' });
    sinkd = await startSinkd({
      upstreams: [upstream.endpoint],
      blocklist: `evil.example\nlisted.${ZONE}\n`,
      yaml: [
        // Only 127.0.0.1 may recurse, so a query from 127.0.0.9 is REFUSED.
        'acl: { allow: [127.0.0.1/32] }',
        'zones:',
        `  - name: ${ZONE}`,
        `    nameservers: ["${upstream.endpoint}"]`,
        '    soa: { mname: ns1.sinkhole.example., rname: hostmaster.sinkhole.example., serial: 1, refresh: 3600, retry: 600, expire: 604800, minimum: 60 }',
        '    ns: [ns1.sinkhole.example.]',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await sinkd?.stop();
    await upstream?.stop();
  });

  async function expectServing(): Promise<void> {
    expect((await queryUdp(sinkd.port, 'y.evil.example')).answers[0]).toMatchObject({ address: '0.0.0.0' });
    expect((await queryUdp(sinkd.port, 'ok.fwd.example')).answers[0]).toMatchObject({ address: '192.0.2.1' });
    expect((await queryUdp(sinkd.port, `ok.host.${ZONE}`)).answers[0]).toMatchObject({ address: '192.0.2.2' });
    expect((await queryUdp(sinkd.port, 'ok.fwd.example', { source: '127.0.0.9' })).header.rcode).toBe(Packet.RCODE.REFUSED);
    const formerr = await sendUdpRaw(sinkd.port, twoQuestions());
    expect(formerr && Packet.parse(formerr).header.rcode).toBe(Packet.RCODE.FORMERR);
  }

  it('drops them before any work, from an allowed client and from one the acl refuses, and keeps answering', async () => {
    await expectServing();
    const dropped = sinkd.server.handler.counts.dropped;
    const seen = upstream.count();
    const datagrams = [...everyKind('p0', ZONE), ...everyKind('p0', ZONE)];
    expect(await sendFromPortZero(sinkd.port, datagrams)).toBe(datagrams.length);
    expect(await sendFromPortZero(sinkd.port, everyKind('p0r', ZONE), { source: '127.0.0.9' })).toBe(8);
    // Let any forwarded answer come back (the fake upstream answers at once).
    await new Promise((r) => setTimeout(r, 500));
    await expectServing();
    expect(sinkd.server.handler.counts.dropped - dropped).toBe(datagrams.length + 8);
    // Nothing from port 0 reached an upstream: only the 2 forwarded names asked by expectServing
    // (cached since its first call, so not even those).
    expect(upstream.count() - seen).toBe(0);
    expect(sinkd.logs.filter((l) => l.event === 'internal-error')).toEqual([]);
  });
});
