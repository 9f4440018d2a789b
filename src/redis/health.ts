// Owns whether one Redis connection can be used: its state (up or down, reported once per
// transition, not once per reconnect attempt), why it last failed, a bounded wait for it, and
// the one-line error every caller shows: "cannot reach Redis at TARGET: ECONNREFUSED".

import net from 'node:net';
import type { Cluster, Redis } from 'ioredis';
import type { RedisNode } from './url.js';

export type RedisClient = Redis | Cluster;
export type RedisState = 'up' | 'down';
export type RedisStateListener = (state: RedisState, reason?: string) => void;

export interface RedisHealthOptions {
  /** Where, for messages: "redis://10.0.0.5:6379", "cluster a:1,b:2". Never holds a password. */
  readonly target: string;
  /** How long the first connection may take (ms). */
  readonly connectTimeoutMs: number;
  /**
   * Cluster and Sentinel seed nodes. ioredis reports their failures only as "Connection is
   * closed."; when that is all there is, a plain TCP connect to the seeds finds the reason.
   */
  readonly seeds: readonly RedisNode[];
}

export class RedisHealth {
  private state: RedisState | undefined;
  private lastError: string | undefined;
  private readonly listeners = new Set<RedisStateListener>();
  private closed = false;
  private readonly waits = new WeakMap<RedisClient, Promise<void>>();

  constructor(
    private readonly client: RedisClient,
    private readonly opts: RedisHealthOptions,
  ) {
    // Listening for 'error' also keeps ioredis from printing every failed reconnect.
    client.on('error', (err: Error) => this.noteError(err));
    if (isCluster(client)) client.on('node error', (err: Error) => this.noteError(err));
    client.on('ready', () => {
      this.lastError = undefined;
      this.setState('up');
    });
    const down = () => {
      if (!this.closed) this.setState('down', this.lastError ?? 'connection closed');
    };
    client.on('close', down);
    client.on('end', down);
  }

  /** undefined until the first connection attempt has an outcome. */
  get current(): RedisState | undefined {
    return this.state;
  }

  /** Called once per transition; returns a function that stops the calls. */
  onChange(listener: RedisStateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** No more state reports (the owner is closing the connection on purpose). */
  markClosed(): void {
    this.closed = true;
  }

  /** Runs one operation once the connection is up; a connection problem becomes one clear line. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      await this.ready(this.client, true);
    } catch (err) {
      if (this.opts.seeds.length > 0 && !isErrnoCode(this.lastError)) {
        const code = await probeSeeds(this.opts.seeds, Math.min(this.opts.connectTimeoutMs, 1000));
        if (code !== undefined) {
          this.lastError = code;
          throw this.unreachable();
        }
      }
      throw err;
    }
    try {
      return await fn();
    } catch (err) {
      // The socket can be gone before ioredis's status says so ("Stream isn't writeable").
      if (this.client.status !== 'ready' || GENERIC_ERRORS.test(String((err as Error)?.message))) throw this.unreachable(err);
      throw err;
    }
  }

  /**
   * Waits for `conn` (this health's connection, or a duplicate of it) to be ready. The first
   * connection gets connectTimeoutMs; once the main connection has failed, calls fail at once
   * (serve keeps reconnecting in the background and reports "degraded" meanwhile; the CLI's
   * connection does not reconnect at all, so its status is 'end').
   */
  async ready(conn: RedisClient = this.client, main = conn === this.client): Promise<void> {
    if (conn.status === 'ready') return;
    if (conn.status === 'wait') conn.connect().catch(() => {});
    else if (conn.status === 'end' || conn.status === 'reconnecting' || (main && this.lastError !== undefined)) throw this.unreachable();
    // Callers that arrive while the connection is being made share one wait (one set of listeners).
    let waiting = this.waits.get(conn);
    if (waiting === undefined) {
      waiting = this.waitFor(conn).finally(() => this.waits.delete(conn));
      this.waits.set(conn, waiting);
    }
    await waiting;
  }

  private waitFor(conn: RedisClient): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        conn.off('ready', onReady);
        conn.off('end', onFail);
        conn.off('close', onFail);
        conn.off('error', onFail);
      };
      const onReady = () => {
        cleanup();
        resolve();
      };
      // The first failure is reported at once; serve's connection keeps retrying in the background.
      const onFail = (err?: unknown) => {
        cleanup();
        reject(this.unreachable(err instanceof Error ? err : undefined));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(this.unreachable(undefined, `no connection within ${this.opts.connectTimeoutMs} ms`));
      }, this.opts.connectTimeoutMs);
      conn.on('ready', onReady);
      conn.on('end', onFail);
      conn.on('close', onFail);
      conn.on('error', onFail);
    });
  }

  /** One line: `cannot reach Redis at redis://host:port: ECONNREFUSED`. */
  unreachable(cause?: unknown, fallback?: string): Error {
    let why = this.lastError;
    if (why === undefined && cause instanceof Error) why = GENERIC_ERRORS.test(cause.message) ? 'connection lost' : errorReason(cause);
    const err = new Error(`cannot reach Redis at ${this.opts.target}: ${why ?? fallback ?? 'not connected'}`);
    err.stack = err.message; // one line wherever it is printed
    return err;
  }

  private noteError(err: Error): void {
    const reason = errorReason(err);
    // "Connection is closed." after an ECONNREFUSED says less: keep the code.
    if (isErrnoCode(this.lastError) && GENERIC_ERRORS.test(reason)) return;
    this.lastError = reason;
    if (this.client.status !== 'ready') this.setState('down', this.lastError);
  }

  private setState(state: RedisState, reason?: string): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of this.listeners) {
      try {
        listener(state, reason);
      } catch {
        // A listener's problem is not the connection's.
      }
    }
  }
}

export function isCluster(c: RedisClient): c is Cluster {
  return (c as { isCluster?: boolean }).isCluster === true;
}

function isErrnoCode(s: string | undefined): boolean {
  return s !== undefined && /^E[A-Z]+$/.test(s);
}

/** The first seed's connect error code (ECONNREFUSED ...), or undefined when one accepts a connection. */
async function probeSeeds(seeds: readonly RedisNode[], timeoutMs: number): Promise<string | undefined> {
  let first: string | undefined;
  for (const { host, port } of seeds) {
    const code = await new Promise<string | undefined>((resolve) => {
      const sock = net.connect({ host, port });
      const done = (c: string | undefined) => {
        clearTimeout(timer);
        sock.destroy();
        resolve(c);
      };
      const timer = setTimeout(() => done('ETIMEDOUT'), timeoutMs);
      sock.once('connect', () => done(undefined));
      sock.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? 'ECONNREFUSED'));
    });
    if (code === undefined) return undefined;
    first ??= code;
  }
  return first;
}

/** Messages that only say "it failed" (ioredis's wrappers), not why. */
const GENERIC_ERRORS = /^(Connection is closed|None of startup nodes is available|Failed to refresh slots cache|Stream isn't writeable)/;

/** ECONNREFUSED, ETIMEDOUT ... when there is a system code; else the first line of the message. */
export function errorReason(err: Error): string {
  const e = err as NodeJS.ErrnoException & { lastNodeError?: Error };
  const inner = (e.lastNodeError as NodeJS.ErrnoException | undefined) ?? e;
  return inner.code && /^E[A-Z]+$/.test(inner.code) ? inner.code : inner.message.split('\n')[0]!.trim();
}
