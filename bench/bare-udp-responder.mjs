#!/usr/bin/env node
// Baseline for `npm run bench`: the fastest "DNS server" plain Node.js can be.
// It parses nothing: every datagram is sent straight back with the QR bit set
// (byte 2, bit 0x80), so a DNS client sees a reply with its own ID and question.
// Whatever sinkd reaches is bounded by this figure on the same machine and core.
//
// usage: node bench/bare-udp-responder.mjs [--host 127.0.0.1] [--port 0]
// Prints "listening HOST:PORT" on stdout once bound. Stops on SIGTERM/SIGINT.
import dgram from 'node:dgram';

const args = process.argv.slice(2);
function opt(name, def) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
}
const host = opt('--host', '127.0.0.1');
const port = Number(opt('--port', '0'));

const sock = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
sock.on('error', (err) => {
  console.error(`bare-udp-responder: ${err.message}`);
  process.exit(1);
});
sock.on('message', (msg, rinfo) => {
  if (msg.length < 12) return; // not even a DNS header: drop
  msg[2] |= 0x80; // QR = 1 (response); everything else untouched
  sock.send(msg, rinfo.port, rinfo.address);
});
sock.bind(port, host, () => {
  const a = sock.address();
  process.stdout.write(`listening ${a.address}:${a.port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => sock.close(() => process.exit(0)));
}
