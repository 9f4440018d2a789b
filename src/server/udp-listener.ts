// DNS over UDP on one address: each datagram is one query; the reply goes back to its sender.
// Nothing a datagram carries may throw out of the message handler (that would end the process):
// a sender no reply can go to is dropped before any work, and every send is guarded.

import dgram from 'node:dgram';
import net from 'node:net';
import type { Endpoint } from '../net/address.js';
import type { QueryHandler } from './query-handler.js';

export class UdpListener {
  private socket: dgram.Socket | null = null;
  private accepting = true;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly handler: QueryHandler,
  ) {}

  /** Resolves with the bound port (useful with port 0). */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      const v6 = net.isIPv6(this.endpoint.host);
      // ipv6Only: "::" means IPv6 only, so "0.0.0.0" and "::" can both be listed without a clash.
      const socket = dgram.createSocket(v6 ? { type: 'udp6', ipv6Only: true } : { type: 'udp4' });
      this.socket = socket;
      socket.once('error', reject);
      socket.on('message', (msg, rinfo) => this.onMessage(socket, msg, rinfo));
      socket.bind(this.endpoint.port, this.endpoint.host, () => {
        socket.off('error', reject);
        // After bind, errors (e.g. ICMP unreachable surfaced on send) must not kill the process.
        socket.on('error', () => this.handler.listenerCounts.sendFailed++);
        resolve(socket.address().port);
      });
    });
  }

  private onMessage(socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (!this.accepting) return;
    // Source port 0 is no one's port: no reply can be sent to it (Node throws ERR_SOCKET_BAD_PORT)
    // and no real client sends from it, so it is spoofed or broken. Dropped before any work.
    if (rinfo.port === 0) {
      this.handler.counts.dropped++;
      return;
    }
    const client = { address: rinfo.address, port: rinfo.port };
    const reply = this.handler.answer(msg, client, 'udp');
    if (reply === null) return;
    if (reply instanceof Promise) {
      reply.then(
        (bytes) => {
          if (bytes !== null) this.send(socket, bytes, rinfo);
        },
        () => this.handler.listenerCounts.sendFailed++,
      );
    } else {
      this.send(socket, reply, rinfo);
    }
  }

  private send(socket: dgram.Socket, bytes: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.socket === null) return;
    try {
      socket.send(bytes, rinfo.port, rinfo.address);
    } catch {
      // A bad address or a socket closed meanwhile: this reply is lost, nothing else.
      this.handler.listenerCounts.sendFailed++;
    }
  }

  /** Stop reading new queries; the socket stays open so in-flight answers can still be sent. */
  stopAccepting(): void {
    this.accepting = false;
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    return new Promise((resolve) => (socket ? socket.close(() => resolve()) : resolve()));
  }
}
