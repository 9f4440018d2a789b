// The admin HTTP listener (off unless `admin.listen` / --admin is set): the infected-host report
// as a page (/report) and as JSON (/api/report), /metrics (Prometheus), /healthz (alive) and
// /readyz (serving). It shows which machines are infected, so it is meant for loopback or a
// management network, never the LAN at large.

import http from 'node:http';
import { isIP } from 'node:net';
import type { SinkdConfig } from '../config/types.js';
import type { HitStore } from '../infected/hit-store.js';
import type { HitRecorder } from '../infected/hit-recorder.js';
import { produceReport, type ReportQuery } from '../infected/report-source.js';
import { parseSince } from '../infected/since.js';
import type { Endpoint } from '../net/address.js';
import { CONTENT_SECURITY_POLICY, renderHtml } from '../report/render-html.js';
import { renderJson } from '../report/render-json.js';
import type { MetricsSnapshot } from '../metrics/snapshot.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../metrics/prometheus.js';

/** One process's readiness, or a primary's summary of its workers'. */
export interface ReadinessReport {
  ready: boolean;
  problems: string[];
  [key: string]: unknown;
}

/** Where /metrics and /readyz get their figures: the server itself, or a primary asking its workers. */
export interface NodeStatus {
  metrics(): Promise<MetricsSnapshot | null>;
  readiness(): Promise<ReadinessReport>;
}

export class AdminServer {
  private server: http.Server | null = null;

  constructor(
    private readonly config: SinkdConfig,
    private readonly hits: { store: HitStore | null; recorder: HitRecorder | null },
    private readonly status: NodeStatus,
  ) {}

  /** Resolves with the bound port. */
  start(endpoint: Endpoint): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = http.createServer((req, res) => {
        this.route(req, res).catch((err: Error) => send(res, 500, 'text/plain; charset=utf-8', `error: ${err.message}\n`));
      });
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
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
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
      return send(res, 200, PROMETHEUS_CONTENT_TYPE, renderPrometheus(m));
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
    const { report } = await produceReport(this.config, this.hits.store, query);
    if (url.pathname === '/api/report') return send(res, 200, 'application/json; charset=utf-8', renderJson(report));
    return send(res, 200, 'text/html; charset=utf-8', renderHtml(report));
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
