// The upstream servers and the order we ask them in: configured order, but a server that just
// failed moves to the back for a while, so one dead primary does not add a timeout to every
// query. SERVFAIL or REFUSED from a server counts as its failure; the next one is asked.

import { Rcode } from '../wire/index.js';
import { formatEndpoint, type Endpoint } from '../net/address.js';
import { ExchangeError, exchangeTcp, exchangeUdp, type ExchangeStats } from './exchange.js';
import { randomQueryId } from './query-id.js';
import { Histogram } from '../metrics/histogram.js';

export interface UpstreamSettings {
  readonly timeoutMs: number;
  readonly tcpTimeoutMs: number;
}

export interface UpstreamEvents {
  /** A server failed after answering before (or at its first failure): logged once per change. */
  down(server: string, reason: string): void;
  up(server: string): void;
}

/** How long a failed server stays at the back of the line. */
const PENALTY_MS = 30_000;

interface ServerState {
  readonly endpoint: Endpoint;
  readonly label: string;
  failedUntil: number;
  down: boolean;
}

export class UpstreamPool {
  readonly stats: ExchangeStats = { rejected: 0 };
  /** Time to an acceptable answer from one server (UDP, plus TCP after a truncation). */
  readonly latency = new Histogram();
  /** Exchanges that failed: timeout, network error, SERVFAIL/REFUSED, malformed. */
  errors = 0;
  private readonly servers: ServerState[];

  constructor(
    endpoints: readonly Endpoint[],
    private readonly settings: UpstreamSettings,
    private readonly events: UpstreamEvents,
  ) {
    this.servers = endpoints.map((endpoint) => ({ endpoint, label: formatEndpoint(endpoint), failedUntil: 0, down: false }));
  }

  get labels(): string[] {
    return this.servers.map((s) => s.label);
  }

  /**
   * Asks each server in turn until one answers acceptably. The reply carries the ID we chose;
   * the caller puts the client's back. Null when every server failed.
   */
  async resolve(clientQuery: Buffer, questionEnd: number): Promise<Buffer | null> {
    for (const server of this.order()) {
      try {
        const started = performance.now();
        const reply = await this.ask(server.endpoint, clientQuery, questionEnd);
        const rcode = reply[3]! & 0x0f;
        if (rcode === Rcode.SERVFAIL || rcode === Rcode.REFUSED) {
          this.failed(server, rcode === Rcode.SERVFAIL ? 'answered SERVFAIL' : 'answered REFUSED');
          continue;
        }
        this.latency.observe((performance.now() - started) / 1000);
        this.succeeded(server);
        return reply;
      } catch (err) {
        this.failed(server, err instanceof ExchangeError ? err.message : String(err));
      }
    }
    return null;
  }

  private async ask(server: Endpoint, clientQuery: Buffer, questionEnd: number): Promise<Buffer> {
    const query = Buffer.from(clientQuery);
    query.writeUInt16BE(randomQueryId(), 0);
    const reply = await exchangeUdp(server, query, questionEnd, this.settings.timeoutMs, this.stats);
    if ((reply[2]! & 0x02) === 0) return reply;
    // TC=1: the full answer needs TCP (RFC 7766 5); a fresh ID for the new exchange.
    query.writeUInt16BE(randomQueryId(), 0);
    return exchangeTcp(server, query, questionEnd, this.settings.tcpTimeoutMs, this.stats);
  }

  private order(): ServerState[] {
    const now = Date.now();
    const healthy = this.servers.filter((s) => s.failedUntil <= now);
    if (healthy.length === this.servers.length) return this.servers;
    return [...healthy, ...this.servers.filter((s) => s.failedUntil > now)];
  }

  private failed(server: ServerState, reason: string): void {
    this.errors++;
    server.failedUntil = Date.now() + PENALTY_MS;
    if (!server.down) {
      server.down = true;
      this.events.down(server.label, reason);
    }
  }

  private succeeded(server: ServerState): void {
    server.failedUntil = 0;
    if (server.down) {
      server.down = false;
      this.events.up(server.label);
    }
  }
}
