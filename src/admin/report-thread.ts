// The admin listener's side of its report thread (report-job.ts): reports are built there one at a
// time; a few requests may wait their turn and more are answered 503 at once, so looping report
// requests cost the DNS thread nothing but socket writes. The rendered report comes back in chunks
// and is written to the response as the client takes it (a slow reader holds one chunk window,
// not the whole report). A report that takes longer than the deadline is abandoned and the
// thread replaced.

import type http from 'node:http';
import { Worker } from 'node:worker_threads';
import type { SinkdConfig } from '../config/types.js';
import type { ReportQuery } from '../infected/report-source.js';
import { threadScript } from '../infected/background-thread.js';
import type { FromReportThread, ReportFormat, ToReportThread } from './report-messages.js';
import { CONTENT_SECURITY_POLICY } from '../report/render-html.js';

export interface ReportThreadOptions {
  /** Requests waiting for the thread, beyond the one it builds. */
  readonly maxWaiting: number;
  /** A report not sent within this long is abandoned (503) and the thread restarted. */
  readonly deadlineMs: number;
}

interface Job {
  readonly id: number;
  readonly query: ReportQuery;
  readonly format: ReportFormat;
  readonly res: http.ServerResponse;
  readonly done: () => void;
}

export class ReportThread {
  private worker: Worker | null = null;
  private readonly waiting: Job[] = [];
  private current: Job | null = null;
  private timer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private stopped = false;

  constructor(
    private readonly config: SinkdConfig,
    private readonly opts: ReportThreadOptions,
  ) {}

  /** Serves one report request; resolves when the response is finished (or given up). */
  serve(query: ReportQuery, format: ReportFormat, res: http.ServerResponse): Promise<void> {
    if (this.stopped || this.waiting.length >= this.opts.maxWaiting) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5', 'cache-control': 'no-store' });
      res.end('busy building other reports; try again in a few seconds\n');
      return Promise.resolve();
    }
    return new Promise<void>((done) => {
      const job: Job = { id: this.nextId++, query, format, res, done };
      // The client gave up while waiting: drop the job; while sending: tell the thread to stop.
      res.once('close', () => {
        if (res.writableFinished) return;
        const at = this.waiting.indexOf(job);
        if (at >= 0) {
          this.waiting.splice(at, 1);
          done();
        } else if (this.current === job) this.post({ t: 'cancel', id: job.id });
      });
      this.waiting.push(job);
      this.next();
    });
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(threadScript(import.meta.url, './report-job.js'), { workerData: { config: this.config } });
    w.on('message', (m: FromReportThread) => this.onMessage(m));
    w.on('error', (err) => this.fail(`the report thread failed: ${err.message}`));
    w.on('exit', () => {
      if (this.worker === w) this.worker = null;
      if (this.current) this.fail('the report thread stopped');
    });
    this.worker = w;
    return w;
  }

  private post(m: ToReportThread): void {
    this.worker?.postMessage(m);
  }

  private next(): void {
    if (this.current || this.stopped) return;
    const job = this.waiting.shift();
    if (!job) return;
    this.current = job;
    this.timer = setTimeout(() => {
      this.fail(`no report within ${this.opts.deadlineMs / 1000} s`);
      // Whatever it is stuck on, a new thread starts clean.
      void this.worker?.terminate();
      this.worker = null;
    }, this.opts.deadlineMs);
    this.timer.unref();
    this.thread().postMessage({ t: 'job', id: job.id, query: job.query, format: job.format } satisfies ToReportThread);
  }

  private finish(): void {
    const job = this.current;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.current = null;
    job?.done();
    this.next();
  }

  private fail(message: string): void {
    const job = this.current;
    if (!job) return;
    const res = job.res;
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(`cannot build the report: ${message}\n`);
    } else res.destroy();
    this.finish();
  }

  private onMessage(m: FromReportThread): void {
    const job = this.current;
    if (!job || m.id !== job.id) return;
    const res = job.res;
    if (m.t === 'head') {
      if (res.destroyed) return;
      res.writeHead(200, {
        'content-type': job.format === 'json' ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        // The page is self-contained: nothing may load from anywhere.
        ...(job.format === 'html' ? { 'content-security-policy': CONTENT_SECURITY_POLICY } : {}),
      });
    } else if (m.t === 'chunk') {
      if (res.destroyed) return;
      const more = () => this.post({ t: 'more', id: job.id });
      if (res.write(Buffer.from(m.data))) more();
      else res.once('drain', more);
    } else if (m.t === 'end') {
      if (!res.destroyed && !res.writableEnded) res.end();
      this.finish();
    } else if (m.t === 'error') {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
        res.end(`error: ${m.message}\n`);
      } else res.destroy();
      this.finish();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.waiting.splice(0)) {
      job.res.destroy();
      job.done();
    }
    if (this.current) this.fail('stopping');
    await this.worker?.terminate();
    this.worker = null;
  }
}
