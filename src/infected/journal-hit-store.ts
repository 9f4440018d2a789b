// The embedded hit store as a server sees it: batches are folded per client here and posted to the
// journal thread (journal-thread.ts), which makes them durable and keeps the aggregate; everything
// slow happens there. The promise of add() settles once the batch is fsynced, so the recorder keeps
// what could not be written. Opening takes the data directory's lock (hit-dir-lock.ts) first: a
// second server on the same directory stops at start with a message saying so.

import { Worker } from 'node:worker_threads';
import type { ClientRecord, Hit } from './model.js';
import { foldBatch, type HitQuery, type HitStore } from './hit-store.js';
import type { HitFiles } from './hit-files.js';
import { acquireHitDirLock, type LockOwner } from './hit-dir-lock.js';
import type { JournalThreadSettings } from './journal-thread.js';
import type { FromJournal, ToJournal } from './journal-messages.js';
import { threadScript } from './background-thread.js';
import type { ClientDelta } from './hit-delta.js';

export interface HitStoreLog {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type Request = ToJournal extends infer T ? (T extends { id: number } ? Omit<T, 'id'> : never) : never;

/** A thread that died is started again at most this often (it reloads the files). */
const RESTART_EVERY_MS = 5_000;

export class JournalHitStore implements HitStore {
  readonly description: string;
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private lastStart = 0;
  private closed = false;
  private readonly release: () => void;

  constructor(
    private readonly settings: JournalThreadSettings,
    private readonly log: HitStoreLog,
  ) {
    this.description = `files in ${settings.files.dir} (${basename(settings.files.journal)}, ${basename(settings.files.snapshot)})`;
    this.release = acquireHitDirLock(settings.files.lock, (owner: LockOwner) =>
      log.warn({ event: 'hit-lock-stale', lock: settings.files.lock, pid: owner.pid }, `taking over the hit store lock ${settings.files.lock} left by pid ${owner.pid}, which is gone`),
    );
    this.start();
  }

  get files(): HitFiles {
    return this.settings.files;
  }

  private start(): void {
    this.lastStart = Date.now();
    const w = new Worker(threadScript(import.meta.url, './journal-thread.js'), { workerData: this.settings });
    this.worker = w;
    w.on('message', (m: FromJournal) => {
      if (m.t === 'reply') {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error !== undefined) p?.reject(new Error(m.error));
        else p?.resolve(m.value);
      } else if (m.t === 'log') this.log[m.level]({ event: m.event, ...m.fields }, m.msg);
    });
    w.on('error', (err) => {
      this.log.warn({ event: 'hit-thread-failed', error: err.message }, `the hit store's thread failed: ${err.message}`);
    });
    w.on('exit', () => {
      if (this.worker === w) this.worker = null;
      const lost = [...this.pending.values()];
      this.pending.clear();
      for (const p of lost) p.reject(new Error('the hit store thread stopped'));
    });
  }

  private call<T>(req: Request): Promise<T> {
    if (this.closed) return Promise.reject(new Error('hit store closed'));
    if (this.worker === null) {
      if (Date.now() - this.lastStart < RESTART_EVERY_MS) return Promise.reject(new Error('the hit store thread stopped; restarting it shortly'));
      this.start();
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker!.postMessage({ ...req, id });
    });
  }

  /** Folding here keeps the message small (a client's repeats are one entry); the rest is the thread's. */
  add(hits: readonly Hit[]): Promise<void> {
    const clients: ClientDelta[] = [];
    for (const b of foldBatch(hits).values()) clients.push({ ...b, unnamed: 0 });
    return this.call({ t: 'add', clients });
  }

  addDropped(count: number): Promise<void> {
    return this.call({ t: 'dropped', count });
  }

  clients(query: HitQuery): Promise<ClientRecord[]> {
    return this.call({ t: 'clients', since: query.since, ...(query.client !== undefined ? { client: query.client } : {}) });
  }

  ack(client: string, note: string | undefined, at: number): Promise<boolean> {
    return this.call({ t: 'ack', client, at, ...(note !== undefined ? { note } : {}) });
  }

  dropped(): Promise<number> {
    return this.call({ t: 'dropped?' });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const w = this.worker;
    if (w !== null) {
      const exited = new Promise<void>((r) => w.once('exit', () => r()));
      await this.call({ t: 'close' }).catch(() => {});
      this.closed = true;
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
      await w.terminate();
    }
    this.closed = true;
    this.release();
  }
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
