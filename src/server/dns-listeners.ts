// The DNS listeners of one process as a component: UDP and TCP on every listen address, the
// same port for both (with port 0 the kernel's pick for UDP is reused for TCP). Stopping stops
// taking queries first, lets those in flight be answered (up to the grace time), then closes.

import type { Component, Health } from '../lifecycle/component.js';
import { formatEndpoint, type Endpoint } from '../net/address.js';
import type { QueryHandler } from './query-handler.js';
import { TcpListener, type TcpSettings } from './tcp-listener.js';
import { UdpListener } from './udp-listener.js';

/** With port 0, how often to pick again when TCP cannot have the port UDP got. */
const RANDOM_PORT_ATTEMPTS = 10;

export class DnsListeners implements Component {
  readonly name = 'dns';
  /** The addresses actually bound (port 0 in the config resolved to the real port). */
  readonly bound: Endpoint[] = [];
  private readonly udp: UdpListener[] = [];
  private readonly tcp: TcpListener[] = [];
  private stopping = false;

  constructor(
    private readonly endpoints: readonly Endpoint[],
    private readonly handler: QueryHandler,
    private readonly tcpSettings: TcpSettings,
  ) {}

  async start(): Promise<void> {
    try {
      for (const endpoint of this.endpoints) await this.listen(endpoint);
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const l of this.udp) l.stopAccepting();
    for (const l of this.tcp) l.stopAccepting();
    const deadline = Date.now() + graceMs;
    while (this.handler.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await this.close();
  }

  health(): Health {
    if (this.stopping) return { state: 'down', reason: 'stopping' };
    return this.bound.length === 0 ? { state: 'down', reason: 'no listener bound' } : { state: 'ok' };
  }

  private async listen(endpoint: Endpoint): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const udp = new UdpListener(endpoint, this.handler);
      const port = await udp.start().catch((err: NodeJS.ErrnoException) => {
        throw new Error(`cannot listen on ${formatEndpoint(endpoint)} (udp): ${err.code === 'EACCES' ? 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)' : err.message}`);
      });
      const tcp = new TcpListener({ host: endpoint.host, port }, this.handler, this.tcpSettings);
      try {
        await tcp.start();
      } catch (err) {
        await udp.close();
        if (endpoint.port === 0 && attempt < RANDOM_PORT_ATTEMPTS) continue; // the TCP side of a random port was taken; pick again
        throw new Error(`cannot listen on ${formatEndpoint(endpoint)} (tcp): ${(err as Error).message}`);
      }
      this.udp.push(udp);
      this.tcp.push(tcp);
      this.bound.push({ host: endpoint.host, port });
      return;
    }
  }

  private async close(): Promise<void> {
    await Promise.all([...this.udp.map((l) => l.close()), ...this.tcp.map((l) => l.close())]);
  }
}
