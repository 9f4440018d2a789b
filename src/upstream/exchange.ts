// One question to one upstream server over UDP or TCP, with the RFC 5452 checks: a reply is taken
// only from the address and port we sent to, with our ID and our question; anything else is
// ignored (and counted) while we keep waiting for the real one until the timeout.

import dgram from 'node:dgram';
import net from 'node:net';
import { answersQuestion } from '../wire/index.js';
import type { Endpoint } from '../net/address.js';

export class ExchangeError extends Error {
  constructor(
    message: string,
    readonly reason: 'timeout' | 'network' | 'malformed',
  ) {
    super(message);
  }
}

export interface ExchangeStats {
  /** Replies that failed the address/ID/question checks (spoofing attempts or stray packets). */
  rejected: number;
}

/**
 * Sends `query` (whose ID is already the one we chose) from a fresh socket on a random port and
 * resolves with the first acceptable reply.
 */
export function exchangeUdp(server: Endpoint, query: Buffer, questionEnd: number, timeoutMs: number, stats: ExchangeStats): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(server.host) ? 'udp6' : 'udp4');
    const id = query.readUInt16BE(0);
    let done = false;
    const finish = (err: Error | null, reply?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // Throws when the socket never bound (EMFILE) or is already closed: nothing left to close then.
      try {
        socket.close();
      } catch {}
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(new ExchangeError(`${server.host}:${server.port} timed out after ${timeoutMs} ms`, 'timeout')), timeoutMs);
    socket.on('error', (err) => finish(new ExchangeError(`${server.host}:${server.port}: ${err.message}`, 'network')));
    socket.on('message', (msg, rinfo) => {
      if (rinfo.port !== server.port || !sameAddress(rinfo.address, server.host) || !answersQuestion(msg, id, query, questionEnd)) {
        stats.rejected++;
        return;
      }
      finish(null, msg);
    });
    // Port 0: the kernel picks a random ephemeral port for every query (RFC 5452 source port
    // randomisation). exclusive: in a --workers worker, a shared (non-exclusive) bind would be
    // routed through the cluster primary, a round trip per query; this socket is ours alone.
    socket.bind({ port: 0, exclusive: true }, () => {
      if (done) return; // timed out before the bind completed; the socket is closed
      try {
        socket.send(query, server.port, server.host);
      } catch (err) {
        finish(new ExchangeError(`${server.host}:${server.port}: ${(err as Error).message}`, 'network'));
      }
    });
  });
}

/** The same exchange over TCP (RFC 7766 framing), used when a UDP reply came back truncated. */
export function exchangeTcp(server: Endpoint, query: Buffer, questionEnd: number, timeoutMs: number, stats: ExchangeStats): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const id = query.readUInt16BE(0);
    const socket = net.connect({ host: server.host, port: server.port });
    let buffered = Buffer.alloc(0);
    let done = false;
    const finish = (err: Error | null, reply?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(new ExchangeError(`${server.host}:${server.port} (tcp) timed out after ${timeoutMs} ms`, 'timeout')), timeoutMs);
    socket.on('error', (err) => finish(new ExchangeError(`${server.host}:${server.port} (tcp): ${err.message}`, 'network')));
    socket.on('close', () => finish(new ExchangeError(`${server.host}:${server.port} (tcp) closed the connection`, 'network')));
    socket.on('connect', () => {
      const framed = Buffer.allocUnsafe(query.length + 2);
      framed.writeUInt16BE(query.length, 0);
      query.copy(framed, 2);
      socket.write(framed);
    });
    socket.on('data', (chunk) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      while (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < len + 2) return;
        const msg = buffered.subarray(2, len + 2);
        buffered = buffered.subarray(len + 2);
        if (answersQuestion(msg, id, query, questionEnd)) return finish(null, Buffer.from(msg));
        stats.rejected++;
      }
    });
  });
}

function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  // An IPv4 upstream may be reported as IPv4-mapped on a dual-stack socket.
  return a.startsWith('::ffff:') && a.slice(7) === b;
}
