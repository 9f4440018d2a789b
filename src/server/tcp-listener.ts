// DNS over TCP on one address (RFC 7766): 2-octet length framing, several queries per connection
// answered as each is ready (out of order), an idle timeout, and caps on connections and on
// queries in flight per connection so one client cannot hold unbounded memory.

import net from 'node:net';
import type { Endpoint } from '../net/address.js';
import type { QueryHandler } from './query-handler.js';

export interface TcpSettings {
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
}

/** Per connection: past this many unanswered queries we stop reading until some are answered. */
const MAX_PIPELINED = 64;

export class TcpListener {
  private server: net.Server | null = null;
  /** Open connections, each with its "close once idle" function for a graceful stop. */
  private readonly connections = new Map<net.Socket, () => void>();
  private draining = false;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly handler: QueryHandler,
    private readonly settings: TcpSettings,
  ) {}

  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = net.createServer({ noDelay: true }, (socket) => this.onConnection(socket));
      this.server = server;
      server.maxConnections = this.settings.maxConnections;
      server.once('error', reject);
      server.listen({ host: this.endpoint.host, port: this.endpoint.port, ipv6Only: true }, () => {
        server.off('error', reject);
        server.on('error', () => {});
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  private onConnection(socket: net.Socket): void {
    const client = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    let buffered: Buffer = Buffer.alloc(0);
    let pending = 0;
    let readEnded = false;
    const maybeEnd = () => {
      if (pending === 0 && (readEnded || this.draining)) socket.end();
    };
    this.connections.set(socket, maybeEnd);
    socket.setTimeout(this.settings.idleTimeoutMs, () => {
      // RFC 7766 6.2.3: an idle connection is closed by the server; one with answers pending waits.
      if (pending === 0) socket.destroy();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.connections.delete(socket));
    socket.on('end', () => {
      readEnded = true;
      maybeEnd();
    });
    const write = (bytes: Buffer) => {
      if (socket.destroyed) return;
      const framed = Buffer.allocUnsafe(bytes.length + 2);
      framed.writeUInt16BE(bytes.length, 0);
      bytes.copy(framed, 2);
      socket.write(framed);
    };
    socket.on('data', (chunk: Buffer) => {
      if (this.draining) return;
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      while (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < len + 2) break;
        // Copy: the handler may keep the query (coalescing, caching) after this chunk is reused.
        const msg = Buffer.from(buffered.subarray(2, len + 2));
        buffered = buffered.subarray(len + 2);
        const reply = this.handler.answer(msg, client, 'tcp');
        if (reply === null) continue;
        if (!(reply instanceof Promise)) {
          write(reply);
          continue;
        }
        pending++;
        if (pending >= MAX_PIPELINED) socket.pause();
        reply.then((bytes) => {
          pending--;
          if (bytes !== null) write(bytes);
          if (pending < MAX_PIPELINED && socket.isPaused()) socket.resume();
          maybeEnd();
        });
      }
    });
  }

  /** Stop accepting connections and queries; connections close once their answers are written. */
  stopAccepting(): void {
    this.draining = true;
    this.server?.close();
    for (const endWhenIdle of this.connections.values()) endWhenIdle();
  }

  async close(): Promise<void> {
    this.stopAccepting();
    for (const socket of this.connections.keys()) socket.destroy();
    this.connections.clear();
    this.server = null;
  }
}
