// The admin listener's report thread: builds and renders infected-host reports, one at a time, so
// that none of that work (reading the hit store, judging every client, serializing megabytes of
// JSON) runs on the thread that answers DNS. It reads the hit store as `sinkd report` does (the
// embedded files read only, or its own Redis connection) and sends the rendered report back in
// chunks, a few ahead of what the HTTP client has taken (report-thread.ts).

import { parentPort, workerData } from 'node:worker_threads';
import type { SinkdConfig } from '../config/types.js';
import type { HitStore } from '../infected/hit-store.js';
import { openHitStore } from '../infected/open-hit-store.js';
import { produceReport } from '../infected/report-source.js';
import { yieldCpuToDns } from '../infected/background-thread.js';
import { renderHtml } from '../report/render-html.js';
import { renderJsonChunks } from '../report/render-json.js';
import type { FromReportThread, ToReportThread } from './report-messages.js';

yieldCpuToDns();
const port = parentPort!;
const config = (workerData as { config: SinkdConfig }).config;

/** Chunks sent before the HTTP side asks for more: bounds what waits in memory for a slow client. */
const WINDOW = 4;
const HTML_CHUNK = 256 * 1024;

let credits = 0;
let wake: (() => void) | null = null;
const cancelled = new Set<number>();
let redisStore: HitStore | null = null;

function post(m: FromReportThread, transfer: ArrayBuffer[] = []): void {
  port.postMessage(m, transfer);
}

/** Redis: one connection for the thread's life. Embedded: the files read afresh for each report. */
function openStore(): { store: HitStore; close: boolean } {
  if (config.redis.url !== '') {
    redisStore ??= openHitStore(config, 'serve');
    return { store: redisStore, close: false };
  }
  return { store: openHitStore(config, 'cli', { readOnly: true }), close: true };
}

function* pieces(text: string): Generator<string> {
  for (let i = 0; i < text.length; i += HTML_CHUNK) yield text.slice(i, i + HTML_CHUNK);
}

async function run(job: Extract<ToReportThread, { t: 'job' }>): Promise<void> {
  const { store, close } = openStore();
  let chunks: Iterable<string>;
  try {
    const { report } = await produceReport(config, store, job.query);
    chunks = job.format === 'json' ? renderJsonChunks(report) : pieces(renderHtml(report));
  } finally {
    if (close) await store.close().catch(() => {});
  }
  post({ t: 'head', id: job.id });
  credits = WINDOW;
  for (const text of chunks) {
    if (cancelled.has(job.id)) break;
    while (credits === 0 && !cancelled.has(job.id)) await new Promise<void>((r) => (wake = r));
    if (cancelled.has(job.id)) break;
    const b = Buffer.from(text, 'utf8');
    // A fresh ArrayBuffer of exactly the chunk, handed over without a copy.
    const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
    credits--;
    post({ t: 'chunk', id: job.id, data: ab }, [ab]);
  }
}

let chain = Promise.resolve();
port.on('message', (m: ToReportThread) => {
  if (m.t === 'more') {
    credits++;
    wake?.();
    wake = null;
  } else if (m.t === 'cancel') {
    cancelled.add(m.id);
    wake?.();
    wake = null;
  } else if (m.t === 'job') {
    chain = chain.then(() =>
      run(m).then(
        () => post({ t: 'end', id: m.id }),
        (err: Error) => post({ t: 'error', id: m.id, message: err.message }),
      ).finally(() => cancelled.delete(m.id)),
    );
  }
});
