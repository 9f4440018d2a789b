// The sinkhole catcher as a component: TCP listeners on the sinkhole address that record what
// an infected host does once DNS has sent it there. Per connection it reads at most maxBytes
// within timeoutMs, recognises the first bytes (recognize.ts), answers minimally, closes, and
// records one catch: a log line, the counters, and the sink (the hit store). It never relays.
//
// Bounded under abuse: the bytes kept per connection, the time a connection may stay, and the
// connections held in all and per client. At either connection cap the OLDEST connection (of
// all, or of that client) gives way, and is recorded with what it sent: a flood of idle
// connections therefore never stops a new one from being recorded, and memory stays at most
// maxConnections x maxBytes.

import net from 'node:net';
import type { Component, Health } from '../lifecycle/component.js';
import { formatEndpoint, type Endpoint } from '../net/address.js';
import type { MetricFamily } from '../metrics/family.js';
import type { Catch, CatchEnd, CatchSink } from './catch.js';
import type { CatchLog } from './catch-log.js';
import { CatcherCounts, catcherMetrics, type CatcherLimit } from './metrics.js';
import { printable } from './printable.js';
import { recognize, type Recognition } from './recognize.js';
import type { SignatureTable } from './signatures.js';

export interface CatcherSettings {
  readonly listen: readonly Endpoint[];
  readonly maxBytes: number;
  readonly timeoutMs: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerClient: number;
}

/** Caps on what a catch keeps of each string from the wire. */
const MAX = { method: 16, host: 255, path: 1024, userAgent: 512, sni: 255, alpn: 64, alpnCount: 8 } as const;

const LIMIT_OF_END: Partial<Record<CatchEnd, CatcherLimit>> = { bytes: 'bytes', time: 'time' };

interface Connection {
  readonly socket: net.Socket;
  readonly client: string;
  readonly clientPort: number;
  readonly address: string;
  readonly port: number;
  readonly accepted: number;
  received: Buffer;
  /** Set once the catch is recorded; the socket may linger until the client reads the answer. */
  recorded: boolean;
  /** Bytes that arrived after the catch was recorded (read and thrown away). */
  discarded: number;
  timer: NodeJS.Timeout | null;
}

export class SinkholeCatcher implements Component {
  readonly name = 'catcher';
  readonly bound: Endpoint[] = [];
  readonly counts = new CatcherCounts();
  private readonly servers: net.Server[] = [];
  /** Open connections, oldest first (Map order is insertion order). */
  private readonly open = new Map<net.Socket, Connection>();
  private readonly perClient = new Map<string, Set<Connection>>();
  private stopping = false;

  constructor(
    private readonly settings: CatcherSettings,
    private readonly signatures: SignatureTable,
    private readonly log: CatchLog,
    private readonly sink: CatchSink | null,
  ) {}

  async start(): Promise<void> {
    try {
      for (const endpoint of this.settings.listen) await this.listen(endpoint);
    } catch (err) {
      await this.closeServers();
      throw err;
    }
  }

  /** Stops accepting; connections still open are recorded as they are ('stopped') and closed. */
  async stop(): Promise<void> {
    this.stopping = true;
    const closing = this.closeServers();
    for (const conn of [...this.open.values()]) this.finish(conn, 'stopped', null);
    await closing;
  }

  health(): Health {
    if (this.stopping) return { state: 'down', reason: 'stopping' };
    return this.bound.length === this.settings.listen.length ? { state: 'ok' } : { state: 'down', reason: 'not listening' };
  }

  metrics(): MetricFamily[] {
    return catcherMetrics(this.counts);
  }

  describe(): string {
    return `${this.bound.map(formatEndpoint).join(', ')} (${this.signatures.size} signatures)`;
  }

  private listen(endpoint: Endpoint): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((socket) => this.onConnection(socket));
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          new Error(
            `cannot listen on ${formatEndpoint(endpoint)} (catcher, tcp): ${err.code === 'EACCES' ? 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)' : err.code === 'EADDRNOTAVAIL' ? 'no such address on this host (the catcher listens on an address of the sinkd host: point sinkhole.ipv4/ipv6 at it)' : err.message}`,
          ),
        );
      });
      server.listen({ host: endpoint.host, port: endpoint.port, ipv6Only: true }, () => {
        server.removeAllListeners('error');
        server.on('error', () => {});
        this.servers.push(server);
        this.bound.push({ host: endpoint.host, port: (server.address() as net.AddressInfo).port });
        resolve();
      });
    });
  }

  private onConnection(socket: net.Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const conn: Connection = {
      socket,
      client: plainAddress(socket.remoteAddress),
      clientPort: socket.remotePort ?? 0,
      address: plainAddress(socket.localAddress),
      port: socket.localPort ?? 0,
      accepted: Date.now(),
      received: EMPTY,
      recorded: false,
      discarded: 0,
      timer: null,
    };
    // Make room: the client's oldest connection, then the oldest of all, gives way to this one.
    const mine = this.perClient.get(conn.client);
    if (mine !== undefined && mine.size >= this.settings.maxConnectionsPerClient) this.evict(mine.values().next().value!, 'client-connections');
    if (this.open.size >= this.settings.maxConnections) this.evict(this.open.values().next().value!, 'connections');
    this.open.set(socket, conn);
    if (mine === undefined) this.perClient.set(conn.client, new Set([conn]));
    else mine.add(conn);
    this.counts.open = this.open.size;

    // The deadline counts from the accept, not from the last byte: a trickle cannot extend it.
    conn.timer = setTimeout(() => (conn.recorded ? this.release(conn) : this.finish(conn, 'time', null)), this.settings.timeoutMs);
    socket.on('error', () => this.finish(conn, 'closed', null));
    socket.on('close', () => this.finish(conn, 'closed', null));
    // The client closed its side: record what it sent. Once recorded, 'close' follows when our
    // answer is out (Node ends our side by itself), and releases the connection.
    socket.on('end', () => {
      if (!conn.recorded) this.finish(conn, 'closed', null);
    });
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
  }

  private onData(conn: Connection, chunk: Buffer): void {
    if (conn.recorded) {
      // The answer is on its way; whatever else the client sends is read and dropped, up to a point.
      conn.discarded += chunk.length;
      if (conn.discarded > this.settings.maxBytes) this.release(conn);
      return;
    }
    const room = this.settings.maxBytes - conn.received.length;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    // A copy, so that a large chunk is not kept alive by a small view of it.
    conn.received = Buffer.concat([conn.received, kept]);
    const full = conn.received.length >= this.settings.maxBytes;
    const r = recognize(conn.received, full, this.signatures);
    if (r !== null) this.finish(conn, full && r.reply === null && r.match === null ? 'bytes' : 'done', r);
  }

  private evict(conn: Connection, limit: CatcherLimit): void {
    if (!conn.recorded) {
      this.counts.limited[limit]++;
      this.finish(conn, 'evicted', null);
    }
    this.release(conn);
  }

  /** Records the catch (once), then answers and closes, or closes at once when a limit ended it. */
  private finish(conn: Connection, end: CatchEnd, recognition: Recognition | null): void {
    if (conn.recorded) {
      if (end !== 'done') this.release(conn);
      return;
    }
    conn.recorded = true;
    const r = recognition ?? recognize(conn.received, true, this.signatures);
    this.record(conn, r, end);
    conn.received = EMPTY;
    if (end === 'done' && r.reply !== null && !conn.socket.destroyed) {
      // Answer and close our side; the socket goes once the client closes, or at the deadline.
      conn.socket.end(r.reply);
    } else if (end === 'done' && !conn.socket.destroyed) {
      conn.socket.end();
    } else {
      this.release(conn);
    }
  }

  private record(conn: Connection, r: Recognition, end: CatchEnd): void {
    const limit = LIMIT_OF_END[end];
    if (limit !== undefined) this.counts.limited[limit]++;
    this.counts.catches[r.protocol]++;
    if (r.match !== null) this.counts.tags[r.match.tag] = (this.counts.tags[r.match.tag] ?? 0) + 1;
    const c: Catch = {
      time: conn.accepted,
      client: conn.client,
      clientPort: conn.clientPort,
      address: conn.address,
      port: conn.port,
      protocol: r.protocol,
      method: text(r.method, MAX.method),
      host: text(r.host, MAX.host),
      path: text(r.path, MAX.path),
      userAgent: text(r.userAgent, MAX.userAgent),
      sni: text(r.sni, MAX.sni),
      alpn: r.alpn === null ? null : r.alpn.slice(0, MAX.alpnCount).map((a) => printable(a, MAX.alpn)),
      ja4: r.ja4,
      tag: r.match?.tag ?? null,
      signature: r.match?.name ?? null,
      details: r.match?.details ?? null,
      bytes: conn.received.length,
      durationMs: Date.now() - conn.accepted,
      end,
    };
    this.log.write(c);
    this.sink?.record(c);
  }

  /** Forgets the connection and destroys its socket (idempotent). */
  private release(conn: Connection): void {
    if (conn.timer !== null) {
      clearTimeout(conn.timer);
      conn.timer = null;
    }
    if (this.open.delete(conn.socket)) {
      const mine = this.perClient.get(conn.client);
      mine?.delete(conn);
      if (mine?.size === 0) this.perClient.delete(conn.client);
      this.counts.open = this.open.size;
    }
    conn.socket.destroy();
  }

  private async closeServers(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.servers.length = 0;
  }
}

const EMPTY = Buffer.alloc(0);

function text(raw: string | null, max: number): string | null {
  return raw === null ? null : printable(raw, max);
}

/** "::ffff:192.0.2.1" (an IPv4 client on a dual-stack socket) as "192.0.2.1". */
function plainAddress(a: string | undefined): string {
  if (a === undefined) return '';
  return a.startsWith('::ffff:') && net.isIPv4(a.slice(7)) ? a.slice(7) : a;
}
