// The primary's side of `serve --workers N`: forks the workers (Node's cluster module, so they
// share the UDP and TCP listeners), restarts one that dies while the others keep serving, passes
// reload and stop on, and asks them for their figures for /metrics and /readyz.

import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../log/logger.js';
import type { Hit } from '../infected/model.js';
import { mergeSnapshots, type MetricsSnapshot } from '../metrics/snapshot.js';
import { processCounts } from '../metrics/guards.js';
import type { NodeStatus, ReadinessReport } from '../admin/admin-server.js';
import type { Readiness } from '../server/sinkd-server.js';
import { isFromWorker, type FromWorker, type ToWorker } from './messages.js';

export interface SupervisorEvents {
  hits(hits: readonly Hit[]): void;
  dropped(count: number): void;
}

/** A worker that dies within this long of the previous restart is restarted after RESTART_DELAY_MS. */
const CRASH_LOOP_MS = 5_000;
const RESTART_DELAY_MS = 1_000;
const READY_TIMEOUT_MS = 60_000;
const STATUS_TIMEOUT_MS = 1_000;

interface StatusReply {
  metrics: MetricsSnapshot;
  readiness: Readiness;
}

export class WorkerSupervisor implements NodeStatus {
  private readonly workers = new Set<Worker>();
  private readonly ready = new Set<Worker>();
  private stopping = false;
  private lastRestart = 0;
  private nextId = 1;
  private readonly pending = new Map<number, Map<Worker, (r: StatusReply) => void>>();
  /** Workers restarted since start (for tests and the log). */
  restarts = 0;

  constructor(
    private readonly count: number,
    private readonly log: Logger,
    private readonly events: SupervisorEvents,
  ) {}

  /** Forks every worker; resolves when all are answering, rejects if one fails to start. */
  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.count }, () => this.fork()));
  }

  private fork(): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = cluster.fork();
      this.workers.add(worker);
      let started = false;
      const timer = setTimeout(() => {
        if (!started) reject(new Error(`worker ${worker.process.pid} did not start within ${READY_TIMEOUT_MS / 1000} s`));
      }, READY_TIMEOUT_MS);
      worker.on('message', (m: unknown) => {
        if (!isFromWorker(m)) return;
        if (m.t === 'ready') {
          started = true;
          clearTimeout(timer);
          this.ready.add(worker);
          resolve();
        } else this.onMessage(worker, m);
      });
      worker.on('exit', (code, signal) => {
        clearTimeout(timer);
        this.workers.delete(worker);
        this.ready.delete(worker);
        for (const waiting of this.pending.values()) waiting.delete(worker);
        if (!started) {
          reject(new Error(`worker ${worker.process.pid} exited while starting (${signal ?? `code ${code}`}); its log says why`));
          return;
        }
        if (this.stopping) return;
        this.log.error({ event: 'worker-exit', pid: worker.process.pid, code, signal }, `worker ${worker.process.pid} died (${signal ?? `code ${code}`}); ${this.ready.size} still serving; restarting it`);
        const now = Date.now();
        const delay = now - this.lastRestart < CRASH_LOOP_MS ? RESTART_DELAY_MS : 0;
        this.lastRestart = now;
        setTimeout(() => {
          if (this.stopping) return;
          this.restarts++;
          this.fork().then(
            () => this.log.info({ event: 'worker-restarted', workers: this.ready.size }, `worker restarted; ${this.ready.size} serving`),
            (err: Error) => this.log.error({ event: 'worker-restart-failed', error: err.message }, `restarting a worker failed: ${err.message}`),
          );
        }, delay).unref();
      });
    });
  }

  private onMessage(worker: Worker, m: FromWorker): void {
    if (m.t === 'hits') this.events.hits(m.hits);
    else if (m.t === 'dropped') this.events.dropped(m.count);
    else if (m.t === 'status') this.pending.get(m.id)?.get(worker)?.({ metrics: m.metrics, readiness: m.readiness });
  }

  get serving(): number {
    return this.ready.size;
  }

  get pids(): number[] {
    return [...this.ready].map((w) => w.process.pid!).filter((p) => p !== undefined);
  }

  /** Every serving worker's status; a worker that does not answer within a second is left out. */
  private async statuses(): Promise<StatusReply[]> {
    const id = this.nextId++;
    const waiting = new Map<Worker, (r: StatusReply) => void>();
    this.pending.set(id, waiting);
    const replies = await Promise.all(
      [...this.ready].map(
        (w) =>
          new Promise<StatusReply | null>((resolve) => {
            const timer = setTimeout(() => resolve(null), STATUS_TIMEOUT_MS);
            waiting.set(w, (r) => {
              clearTimeout(timer);
              resolve(r);
            });
            if (!send(w, { t: 'status', id })) {
              clearTimeout(timer);
              resolve(null);
            }
          }),
      ),
    );
    this.pending.delete(id);
    return replies.filter((r): r is StatusReply => r !== null);
  }

  async metrics(): Promise<MetricsSnapshot | null> {
    const merged = mergeSnapshots((await this.statuses()).map((s) => s.metrics));
    // The primary's own last-resort catches count for the node too.
    if (merged?.guards) merged.guards.uncaught += processCounts.uncaught;
    return merged;
  }

  /** Ready while at least one worker serves; each worker's own report is listed. */
  async readiness(): Promise<ReadinessReport> {
    const all = await this.statuses();
    const serving = all.filter((s) => s.readiness.ready).length;
    const problems = serving === 0 ? ['no worker is serving'] : [];
    if (serving < this.count) problems.push(`${serving} of ${this.count} workers serving`);
    return { ready: serving > 0, problems, workers: { configured: this.count, serving }, perWorker: all.map((s) => s.readiness) };
  }

  reload(): void {
    for (const w of this.ready) send(w, { t: 'reload' });
  }

  /** Asks every worker to stop gracefully; kills those still running after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const exits = [...this.workers].map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r()))));
    for (const w of this.workers) send(w, { t: 'stop' });
    const timer = setTimeout(() => {
      for (const w of this.workers) if (!w.isDead()) w.process.kill('SIGKILL');
    }, graceMs);
    await Promise.all(exits);
    clearTimeout(timer);
  }
}

function send(w: Worker, m: ToWorker): boolean {
  try {
    return w.isConnected() && w.send(m);
  } catch {
    return false;
  }
}
