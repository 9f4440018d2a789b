#!/usr/bin/env node
// Container health check (the Dockerfile's HEALTHCHECK): sends one DNS message with opcode
// STATUS and no question to sinkd's UDP listener and waits for the reply. sinkd answers it
// with NOTIMP from its wire fast path, before the chain: no upstream query, no cache entry,
// no hit in the infected-host report, no log line. Any reply with our ID means the listener
// and the event loop are alive.
//   SINKD_HEALTHCHECK_ADDR  HOST:PORT or [IPv6]:PORT to ask (default 127.0.0.1:53)
// Exit 0 = healthy, 1 = not (the reason on stderr).

import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';

const TIMEOUT_MS = 2000;
const OPCODE_STATUS = 2;

const target = process.env.SINKD_HEALTHCHECK_ADDR || '127.0.0.1:53';
const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\]]+)):(\d{1,5})$/.exec(target);
const host = m ? (m[1] ?? m[2]) : '';
const port = m ? Number(m[3]) : 0;
if (!m || isIP(host) === 0 || port < 1 || port > 65535) fail(`SINKD_HEALTHCHECK_ADDR "${target}" is not IP:PORT or [IPv6]:PORT`);

const id = randomInt(0, 0x10000);
const query = Buffer.alloc(12); // header only: QDCOUNT 0
query.writeUInt16BE(id, 0);
query.writeUInt16BE(OPCODE_STATUS << 11, 2);

const sock = dgram.createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
const timer = setTimeout(() => fail(`no answer from ${target} within ${TIMEOUT_MS} ms`), TIMEOUT_MS);
sock.on('error', (err) => fail(`${target}: ${err.message}`));
sock.on('message', (msg) => {
  if (msg.length < 12 || msg.readUInt16BE(0) !== id || (msg[2] & 0x80) === 0) return; // not our answer
  clearTimeout(timer);
  sock.close();
  process.exit(0);
});
sock.send(query, port, host);

function fail(why) {
  process.stderr.write(`sinkd healthcheck: ${why}\n`);
  process.exit(1);
}
