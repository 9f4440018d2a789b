// The admin HTTP listener (off unless `admin.listen` / --admin is set): the infected-host report
// as a page (/report) and as JSON (/api/report), /metrics (Prometheus), /healthz (alive) and
// /readyz (serving). It shows which machines are infected, so it is meant for loopback or a
// management network, never the LAN at large, and it runs in the process that answers DNS, so:
// - only requests whose Host is the listener's own address (or admin.allowedHosts) are answered
//   (421 otherwise): a DNS-rebinding page in a LAN browser gets nothing (host-check.ts);
// - reports are built on a thread of their own (report-thread.ts), never on the DNS thread;
// - at most admin.maxConnections connections, and a request must arrive whole within
//   admin.requestTimeoutMs: a slowloris cannot take the file descriptors DNS needs.

import http from 'node:http';
import { isIP } from 'node:net';
import type { SinkdConfig } from '../config/types.js';
import type { HitStore } from '../infected/hit-store.js';
import type { HitRecorder } from '../infected/hit-recorder.js';
import type { ReportQuery } from '../infected/report-source.js';
import { parseSince } from '../infected/since.js';
import type { Endpoint } from '../net/address.js';
import { CONTENT_SECURITY_POLICY } from '../report/render-html.js';
import { AdminHostCheck } from './host-check.js';
import { ReportThread } from './report-thread.js';
import type { MetricFamily } from '../metrics/family.js';
import type { Component } from '../lifecycle/component.js';
import { formatEndpoint } from '../net/address.js';
import { cacheHitRatio } from '../cache/metrics.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../metrics/prometheus.js';

/** One process's readiness, or a primary's summary of its workers'. */
export interface ReadinessReport {
  ready: boolean;
  problems: string[];
  [key: string]: unknown;
}

/** Where /metrics and /readyz get their figures: the server itself, or a primary asking its workers. */
export interface NodeStatus {
  metrics(): Promise<MetricFamily[] | null>;
  readiness(): Promise<ReadinessReport>;
}

/** Report requests that may wait while another is built; more get 503 at once. */
const REPORTS_WAITING = 4;
/** A report not sent within this long is given up (503). */
const REPORT_DEADLINE_MS = 120_000;

export class AdminServer implements Component {
  readonly name = 'admin';
  private server: http.Server | null = null;
  private readonly reports: ReportThread;
  private hostCheck: AdminHostCheck | null = null;
  /** The address actually bound, once started. */
  bound: Endpoint | null = null;

  constructor(
    private readonly config: SinkdConfig,
    private readonly endpoint: Endpoint,
    private readonly hits: { store: HitStore | null; recorder: HitRecorder | null },
    private readonly status: NodeStatus,
  ) {
    this.reports = new ReportThread(config, { maxWaiting: REPORTS_WAITING, deadlineMs: REPORT_DEADLINE_MS });
  }

  async start(): Promise<void> {
    try {
      const port = await this.listen(this.endpoint);
      this.bound = { host: this.endpoint.host, port };
    } catch (err) {
      throw new Error(`cannot listen on ${formatEndpoint(this.endpoint)} (admin http): ${(err as Error).message}`);
    }
  }

  /** Resolves with the bound port. */
  private listen(endpoint: Endpoint): Promise<number> {
    const { admin } = this.config;
    this.hostCheck = new AdminHostCheck(endpoint.host, admin.allowedHosts ?? []);
    const requestTimeout = admin.requestTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const server = http.createServer(
        // Timeouts are checked every second (Node's default is every 30 s).
        { requestTimeout, headersTimeout: requestTimeout, connectionsCheckingInterval: 1000 },
        (req, res) => {
          this.route(req, res).catch((err: Error) => {
            if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `error: ${err.message}\n`);
            else res.destroy();
          });
        },
      );
      // Past the cap a new connection is closed at once: its descriptor is back in a moment.
      server.maxConnections = admin.maxConnections ?? 32;
      // A connection that sends nothing at all is dropped after as long as a request may take.
      server.setTimeout(requestTimeout);
      server.keepAliveTimeout = Math.min(5000, requestTimeout);
      this.server = server;
      server.once('error', reject);
      server.listen(endpoint.port, endpoint.host, () => {
        server.off('error', reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    await this.reports.stop();
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!this.hostCheck!.allows(req.headers.host)) {
      return send(
        res,
        421,
        'text/plain; charset=utf-8',
        `421 Misdirected Request: this listener answers only to its own address${this.config.admin.allowedHosts?.length ? ' and admin.allowedHosts' : ''} (DNS-rebinding protection); add the name you use to admin.allowedHosts\n`,
      );
    }
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'GET only\n');
    if (url.pathname === '/healthz') return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
    if (url.pathname === '/readyz') {
      const r = await this.status.readiness();
      return send(res, r.ready ? 200 : 503, 'application/json; charset=utf-8', JSON.stringify(r, null, 2) + '\n');
    }
    if (url.pathname === '/metrics') {
      const m = await this.status.metrics();
      if (m === null) return send(res, 503, 'text/plain; charset=utf-8', 'no worker answered\n');
      // Ratios are derived from the node's totals, after the workers' figures are added up.
      return send(res, 200, PROMETHEUS_CONTENT_TYPE, renderPrometheus([...m, cacheHitRatio(m)]));
    }
    if (url.pathname !== '/report' && url.pathname !== '/api/report') return send(res, 404, 'text/plain; charset=utf-8', 'not found: try /report, /api/report, /metrics, /healthz or /readyz\n');
    if (!this.hits.store) return send(res, 404, 'text/plain; charset=utf-8', 'infected-host tracking is off (infected.enabled: false)\n');
    let query: ReportQuery;
    try {
      query = parseQuery(url.searchParams);
    } catch (err) {
      return send(res, 400, 'text/plain; charset=utf-8', `${(err as Error).message}\n`);
    }
    // What this node buffered a moment ago belongs in the report too.
    await this.hits.recorder?.flush();
    // Building may take longer than an idle connection is allowed; the report deadline bounds it.
    req.socket.setTimeout(0);
    await this.reports.serve(query, url.pathname === '/api/report' ? 'json' : 'html', res);
  }
}

function parseQuery(p: URLSearchParams): ReportQuery {
  const since = p.get('since');
  const client = p.get('client');
  const verdict = p.get('verdict');
  if (client !== null && isIP(client) === 0) throw new Error(`client "${client}" is not an IP address`);
  if (verdict !== null && verdict !== 'likely-infected' && verdict !== 'single-contact') throw new Error('verdict must be likely-infected or single-contact');
  return {
    since: since === null || since === '' ? null : sinceParam(since),
    ...(client !== null ? { client } : {}),
    ...(verdict !== null ? { verdict } : {}),
  };
}

function sinceParam(text: string): number {
  try {
    return parseSince(text);
  } catch (err) {
    throw new Error(`since=${(err as Error).message}`);
  }
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // The page is self-contained: nothing may load from anywhere.
    ...(type.startsWith('text/html') ? { 'content-security-policy': CONTENT_SECURITY_POLICY } : {}),
  });
  res.end(body);
}
