// DNS over TCP on one address (RFC 7766): 2-octet length framing, several queries per connection
// answered as each is ready (out of order), an idle timeout, a deadline for a message to arrive
// whole, caps on connections (in all, per client address and per /24 or /56: tcp-connection-table.ts,
// which also reclaims idle connections when every slot is taken) and on queries in flight, and no
// reading while the client does not read its answers, so one client cannot hold unbounded
// memory or every connection slot.

import net from 'node:net';
import type { Endpoint } from '../net/address.js';
import type { QueryHandler } from './query-handler.js';
import { ConnectionTable } from './tcp-connection-table.js';

export interface TcpSettings {
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerClient: number;
  readonly maxConnectionsPerPrefix: number;
}

/** Per connection: past this many unanswered queries we stop reading until some are answered. */
const MAX_PIPELINED = 64;

export class TcpListener {
  private server: net.Server | null = null;
  /** Open connections, each with its "close once idle" function for a graceful stop. */
  private readonly connections = new Map<net.Socket, () => void>();
  private draining = false;
  /** Who holds the slots: per address and per prefix, and which idle one gives way. */
  private readonly table: ConnectionTable<net.Socket>;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly handler: QueryHandler,
    private readonly settings: TcpSettings,
  ) {
    this.table = new ConnectionTable(settings);
  }

  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      // allowHalfOpen: a client may send its queries and shut its side (RFC 7766 allows it);
      // the answers still go back before we close ours.
      const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => this.onConnection(socket));
      // No server.maxConnections: Node would close a newcomer before the table could reclaim an
      // idle slot for it; the table refuses what it cannot seat.
      this.server = server;
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
    let pending = 0;
    const seat = this.table.admit(socket, client.address, () => pending > 0);
    if (!seat.ok) {
      this.handler.listenerCounts.tcpRefused[seat.why]++;
      socket.destroy();
      return;
    }
    if (seat.reclaimed !== null) {
      this.handler.listenerCounts.tcpReclaimed++;
      seat.reclaimed.destroy();
    }
    let buffered: Buffer = Buffer.alloc(0);
    let readEnded = false;
    /** Set while a message has started arriving but is not complete. */
    let partialTimer: NodeJS.Timeout | null = null;
    const maybeEnd = () => {
      if (pending === 0 && buffered.length === 0 && (readEnded || this.draining) && !socket.writableNeedDrain) socket.end();
    };
    this.connections.set(socket, maybeEnd);
    socket.setTimeout(this.settings.idleTimeoutMs, () => {
      // RFC 7766 6.2.3: an idle connection is closed by the server; one with answers pending waits.
      if (pending === 0) socket.destroy();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.connections.delete(socket);
      this.table.remove(socket);
      if (partialTimer) clearTimeout(partialTimer);
    });
    socket.on('end', () => {
      readEnded = true;
      maybeEnd();
    });
    // Reading stops while too many answers are outstanding or the client is not reading what we
    // write (the kernel then holds its queries, not our heap), and resumes when both clear.
    const mayRead = () => pending < MAX_PIPELINED && !socket.writableNeedDrain;
    const write = (bytes: Buffer) => {
      if (socket.destroyed || socket.writableEnded) {
        this.handler.listenerCounts.sendFailed++;
        return;
      }
      const framed = Buffer.allocUnsafe(bytes.length + 2);
      framed.writeUInt16BE(bytes.length, 0);
      bytes.copy(framed, 2);
      socket.write(framed);
      this.table.touch(socket);
    };
    const pump = () => {
      while (buffered.length >= 2 && !this.draining && !socket.destroyed && mayRead()) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < len + 2) break;
        // Copy: the handler may keep the query (coalescing, caching) after this chunk is reused.
        const msg = Buffer.from(buffered.subarray(2, len + 2));
        buffered = buffered.subarray(len + 2);
        this.table.touch(socket);
        const reply = this.handler.answer(msg, client, 'tcp');
        if (reply === null) continue;
        if (!(reply instanceof Promise)) {
          write(reply);
          continue;
        }
        pending++;
        reply.then(
          (bytes) => {
            pending--;
            if (bytes !== null) write(bytes);
            resume();
            maybeEnd();
          },
          () => {
            // The handler's promise never rejects; should it, this connection ends, nothing else.
            this.handler.listenerCounts.sendFailed++;
            socket.destroy();
          },
        );
      }
      if (mayRead()) {
        if (socket.isPaused() && !readEnded) socket.resume();
      } else socket.pause();
      // A message that has begun must be complete within the idle timeout, however slowly its
      // bytes trickle in (each byte would otherwise restart the idle timer).
      const waitingForBytes = buffered.length > 0 && mayRead();
      if (waitingForBytes && partialTimer === null) {
        partialTimer = setTimeout(() => socket.destroy(), this.settings.idleTimeoutMs);
      } else if (!waitingForBytes && partialTimer !== null) {
        clearTimeout(partialTimer);
        partialTimer = null;
      }
    };
    const resume = () => {
      if (mayRead()) pump();
    };
    socket.on('drain', () => {
      resume();
      maybeEnd();
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.draining) return;
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      pump();
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
