// Owns fetching a list feed over HTTP(S): a conditional GET (ETag / Last-Modified from the
// last import) whose body is handed on as a stream, never buffered whole, and every failure
// (bad URL, refused connection, non-2xx status, a server that stops sending) as one message.

import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/** What the last successful fetch of this URL returned, to send back as conditions. */
export interface FetchConditions {
  readonly etag?: string;
  readonly lastModified?: string;
}

export interface FetchOptions {
  /** Until the response headers arrive. */
  readonly responseTimeoutMs?: number;
  /** Longest silence while the body streams; a slow but steady feed is fine. */
  readonly idleTimeoutMs?: number;
}

export type FetchResult =
  | { readonly status: 'not-modified' }
  | {
      readonly status: 'ok';
      /** The body as bytes; it errors (naming the URL) if the transfer fails or stalls. */
      readonly body: Readable;
      readonly etag?: string;
      readonly lastModified?: string;
    };

const DEFAULT_RESPONSE_TIMEOUT_MS = 30_000;
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/** True for anything written as scheme://...; only http and https are fetched. */
export function looksLikeUrl(arg: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(arg);
}

/** Parses an http(s) URL or throws a one-line reason. */
export function parseFeedUrl(arg: string): URL {
  let url: URL;
  try {
    url = new URL(arg);
  } catch {
    throw new Error(`invalid URL ${arg}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`unsupported URL scheme ${url.protocol.slice(0, -1)} in ${arg} (only http and https)`);
  }
  return url;
}

/** The URL's last path segment without its extension ("…/lists/njrat.txt" → "njrat"), else its host. */
export function sourceNameFromUrl(url: URL): string {
  const segments = url.pathname.split('/').filter((s) => s !== '');
  const last = segments.at(-1);
  if (last === undefined) return url.hostname;
  let name: string;
  try {
    name = decodeURIComponent(last);
  } catch {
    name = last;
  }
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

export async function fetchSource(url: URL, conditions: FetchConditions = {}, opts: FetchOptions = {}): Promise<FetchResult> {
  const display = url.href;
  const controller = new AbortController();
  const responseTimeout = opts.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
  const headers: Record<string, string> = { 'user-agent': 'sinkd (blocklist import)', accept: 'text/plain, */*;q=0.8' };
  if (conditions.etag !== undefined) headers['if-none-match'] = conditions.etag;
  if (conditions.lastModified !== undefined) headers['if-modified-since'] = conditions.lastModified;

  const timer = setTimeout(
    () => controller.abort(new Error(`cannot fetch ${display}: no response within ${Math.round(responseTimeout / 1000)} s`)),
    responseTimeout,
  );
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: controller.signal, redirect: 'follow' });
  } catch (err) {
    throw fetchError(display, err, controller.signal);
  } finally {
    clearTimeout(timer);
  }

  if (res.status === 304) {
    await res.body?.cancel().catch(() => undefined);
    return { status: 'not-modified' };
  }
  if (res.status < 200 || res.status > 299) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`cannot fetch ${display}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  }

  const etag = res.headers.get('etag') ?? undefined;
  const lastModified = res.headers.get('last-modified') ?? undefined;
  const body = res.body === null ? Readable.from([]) : watchIdle(res.body, display, controller, opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
  return {
    status: 'ok',
    body,
    ...(etag === undefined ? {} : { etag }),
    ...(lastModified === undefined ? {} : { lastModified }),
  };
}

/** The body as a Node stream that errors when nothing arrives for `idleMs`, or when the transfer breaks. */
function watchIdle(web: ReadableStream<Uint8Array>, display: string, controller: AbortController, idleMs: number): Readable {
  let idle: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(idle);
    idle = setTimeout(() => controller.abort(new Error(`cannot fetch ${display}: the server sent nothing for ${Math.round(idleMs / 1000)} s`)), idleMs);
  };
  const watch = new Transform({
    transform(chunk, _enc, done) {
      arm();
      done(null, chunk);
    },
    flush(done) {
      clearTimeout(idle);
      done();
    },
  });
  arm();
  const source = Readable.fromWeb(web as WebReadableStream<Uint8Array>);
  // Not pipeline(): it would hand the consumer the raw error ("terminated") before ours.
  source.on('error', (err) => {
    clearTimeout(idle);
    watch.destroy(fetchError(display, err, controller.signal));
  });
  source.pipe(watch);
  // Whoever stops reading early (an error further on) must not leave the timer or the socket behind.
  watch.on('close', () => {
    clearTimeout(idle);
    if (!source.destroyed) source.destroy();
  });
  return watch;
}

function fetchError(display: string, err: unknown, signal: AbortSignal): Error {
  if (signal.aborted && signal.reason instanceof Error) return signal.reason;
  if (err instanceof Error && err.message.startsWith(`cannot fetch ${display}`)) return err;
  // undici says "fetch failed" and keeps the reason (ECONNREFUSED, a TLS problem ...) in cause.
  let reason = err instanceof Error ? err.message : String(err);
  let cause = err instanceof Error ? err.cause : undefined;
  while (cause instanceof Error) {
    reason = cause.message;
    cause = cause.cause;
  }
  return new Error(`cannot fetch ${display}: ${reason.split('\n')[0]}`, { cause: err });
}
