// A running sinkd: builds the chain from a validated config, binds UDP and TCP on every listen
// address, and owns reload (SIGHUP) and graceful stop (SIGTERM/SIGINT).

import type { SinkdConfig } from '../config/types.js';
import { formatEndpoint, type Endpoint } from '../net/address.js';
import { CidrSet } from '../net/cidr.js';
import type { Logger } from '../log/logger.js';
import { AclStep } from '../acl/acl-step.js';
import { PolicyStep, type SinkholeEvent } from '../policy/policy-step.js';
import { AnswerCache } from '../cache/answer-cache.js';
import { CacheStep } from '../cache/cache-step.js';
import { UpstreamPool } from '../upstream/upstream-pool.js';
import { ForwardStep } from '../upstream/forward-step.js';
import { buildChain } from '../chain/build-chain.js';
import { BlocklistMirror, type ListLoadReport } from '../blocklist/mirror.js';
import { qtypeName } from '../wire/index.js';
import { SinkholeLog } from '../log/sinkhole-log.js';
import { QueryHandler } from './query-handler.js';
import { UdpListener } from './udp-listener.js';
import { TcpListener } from './tcp-listener.js';

/** Skipped list lines logged one by one per file; the rest are counted. */
const SKIPPED_LINES_LOGGED = 20;

export class SinkdServer {
  readonly mirror = new BlocklistMirror();
  readonly cache: AnswerCache;
  readonly upstreams: UpstreamPool;
  readonly handler: QueryHandler;
  /** The addresses actually bound (port 0 in the config resolved to the real port). */
  readonly bound: Endpoint[] = [];
  readonly chainNames: string[];
  private readonly udp: UdpListener[] = [];
  private readonly tcp: TcpListener[] = [];
  private readonly sinkholeLog: SinkholeLog;

  private constructor(
    readonly config: SinkdConfig,
    private readonly log: Logger,
  ) {
    this.sinkholeLog = new SinkholeLog(log);
    this.cache = new AnswerCache(config.cache);
    this.upstreams = new UpstreamPool(config.upstreams, config.upstream, {
      down: (server, reason) => log.warn({ event: 'upstream-down', upstream: server, reason }, `upstream ${server} failed: ${reason}`),
      up: (server) => log.info({ event: 'upstream-up', upstream: server }, `upstream ${server} answers again`),
    });
    const chain = buildChain({
      acl: new AclStep(new CidrSet(config.acl.allow)),
      policy: new PolicyStep(this.mirror, config.sinkhole, (e) => this.logSinkhole(e)),
      cache: new CacheStep(this.cache),
      forward: new ForwardStep(this.upstreams),
    });
    this.chainNames = chain.names;
    this.handler = new QueryHandler(chain.handle, (err, client) =>
      log.error({ event: 'internal-error', client: client.address, err }, 'query handling failed'),
    );
  }

  static async start(config: SinkdConfig, log: Logger): Promise<SinkdServer> {
    if (config.upstreams.length === 0) {
      throw new Error('no upstream DNS server: set "upstreams" in the config or pass --upstream (none usable in /etc/resolv.conf)');
    }
    if (config.zones.length > 0) {
      // Answering for a zone needs the authoritative path (AA=1, pass-through to the original
      // servers, RRL); serving such a config as a plain resolver would silently do the wrong job.
      throw new Error('zones: seized-zone mode is not available in this version of sinkd; remove "zones" to run as a resolver');
    }
    const server = new SinkdServer(config, log);
    const lists = await server.mirror.loadFiles(config.blocklists, config.allowlists);
    server.logListReports(lists);
    try {
      for (const endpoint of config.listen) await server.listen(endpoint);
    } catch (err) {
      await server.closeListeners();
      throw err;
    }
    const counts = server.mirror.matcher.counts();
    log.info(
      {
        event: 'start',
        config: config.configFile ?? '(built-in defaults)',
        listeners: server.bound.map((e) => `${formatEndpoint(e)} udp+tcp`),
        upstreams: server.upstreams.labels,
        lists: lists.map((l) => ({ source: l.source, kind: l.kind, format: l.format, entries: l.entries, skipped: l.skipped.length })),
        rules: counts,
        chain: server.chainNames,
      },
      `sinkd listening on ${server.bound.map(formatEndpoint).join(', ')}; ${counts.block} block and ${counts.allow} allow rules; forwarding to ${server.upstreams.labels.join(', ')}`,
    );
    return server;
  }

  /** UDP and TCP on the same port; with port 0 the kernel's pick for UDP is reused for TCP. */
  private async listen(endpoint: Endpoint): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const udp = new UdpListener(endpoint, this.handler);
      const port = await udp.start().catch((err: NodeJS.ErrnoException) => {
        throw new Error(`cannot listen on ${formatEndpoint(endpoint)} (udp): ${err.code === 'EACCES' ? 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)' : err.message}`);
      });
      const tcp = new TcpListener({ host: endpoint.host, port }, this.handler, this.config.tcp);
      try {
        await tcp.start();
      } catch (err) {
        await udp.close();
        if (endpoint.port === 0 && attempt < 10) continue; // the TCP side of a random port was taken; pick again
        throw new Error(`cannot listen on ${formatEndpoint(endpoint)} (tcp): ${(err as Error).message}`);
      }
      this.udp.push(udp);
      this.tcp.push(tcp);
      this.bound.push({ host: endpoint.host, port });
      return;
    }
  }

  /** SIGHUP: re-read the list files; on any error the old lists keep serving. */
  async reloadLists(): Promise<boolean> {
    try {
      const lists = await this.mirror.loadFiles(this.config.blocklists, this.config.allowlists);
      this.logListReports(lists);
      const counts = this.mirror.matcher.counts();
      this.log.info({ event: 'reload', rules: counts }, `blocklists reloaded: ${counts.block} block and ${counts.allow} allow rules`);
      return true;
    } catch (err) {
      this.log.error({ event: 'reload-failed', error: (err as Error).message }, `reload failed, keeping the previous lists: ${(err as Error).message}`);
      return false;
    }
  }

  /** Stop taking queries, answer those in flight (up to `graceMs`), then close every socket. */
  async stop(graceMs = 5000): Promise<void> {
    for (const l of this.udp) l.stopAccepting();
    for (const l of this.tcp) l.stopAccepting();
    const deadline = Date.now() + graceMs;
    while (this.handler.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await this.closeListeners();
    this.sinkholeLog.flush();
    this.log.info({ event: 'stop', unanswered: this.handler.inflight }, 'sinkd stopped');
  }

  private async closeListeners(): Promise<void> {
    await Promise.all([...this.udp.map((l) => l.close()), ...this.tcp.map((l) => l.close())]);
  }

  private logSinkhole({ req, rule }: SinkholeEvent): void {
    this.sinkholeLog.write({
      client: req.client.address,
      qname: req.query.qname,
      qtype: qtypeName(req.query.qtype),
      rule: rule.name,
      source: rule.source,
      family: rule.family ?? null,
      transport: req.transport,
      clientSubnet: req.query.edns?.clientSubnet,
    });
  }

  private logListReports(lists: readonly ListLoadReport[]): void {
    for (const l of lists) {
      if (l.entries === 0) this.log.warn({ event: 'list-empty', source: l.source, path: l.path }, `list ${l.path} has no entries`);
      for (const s of l.skipped.slice(0, SKIPPED_LINES_LOGGED)) {
        this.log.warn({ event: 'list-skip', at: `${l.path}:${s.line}`, reason: s.reason }, `${l.path}:${s.line}: skipped: ${s.reason}`);
      }
      if (l.skipped.length > SKIPPED_LINES_LOGGED) {
        this.log.warn({ event: 'list-skip', path: l.path, more: l.skipped.length - SKIPPED_LINES_LOGGED }, `${l.path}: ${l.skipped.length - SKIPPED_LINES_LOGGED} more lines skipped`);
      }
    }
  }
}
