// Starts a real SinkdServer in-process for integration tests: config from a temp YAML file
// through the real loader, lists written to temp files, log lines captured as parsed JSON.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { SinkdServer } from '../../src/server/sinkd-server.js';
import { freePort } from './free-port.js';

export interface TestSinkd {
  server: SinkdServer;
  port: number;
  logs: Record<string, unknown>[];
  /** The same lines as written, for checks on the bytes of the log itself. */
  rawLogs: string[];
  dir: string;
  stop(): Promise<void>;
}

export interface TestSinkdOptions {
  upstreams: string[];
  blocklist?: string;
  allowlist?: string;
  /** Extra YAML appended to the generated config. */
  yaml?: string;
  listen?: string;
}

export async function startSinkd(opts: TestSinkdOptions): Promise<TestSinkd> {
  const dir = mkdtempSync(join(tmpdir(), 'sinkd-test-'));
  const lines = [`listen: ["${opts.listen ?? `127.0.0.1:${await freePort()}`}"]`, `upstreams: [${opts.upstreams.map((u) => `"${u}"`).join(', ')}]`];
  // Short timeouts unless the test's own yaml sets the upstream section.
  if (!/^upstream:/m.test(opts.yaml ?? '')) lines.push('upstream: { timeoutMs: 300, tcpTimeoutMs: 1000 }');
  // Each test server gets its own embedded store, never the checkout's data/ directory.
  if (!opts.yaml?.includes('store:')) lines.push(`store: { path: ${JSON.stringify(join(dir, 'store.jsonl'))} }`);
  if (opts.blocklist !== undefined) {
    writeFileSync(join(dir, 'block.txt'), opts.blocklist);
    lines.push('blocklists: [{ path: block.txt, source: test-block }]');
  } else if (!opts.yaml?.includes('blocklists:')) lines.push('blocklists: []');
  if (opts.allowlist !== undefined) {
    writeFileSync(join(dir, 'allow.txt'), opts.allowlist);
    lines.push('allowlists: [{ path: allow.txt, source: test-allow }]');
  }
  if (opts.yaml) lines.push(opts.yaml);
  const file = join(dir, 'sinkd.yaml');
  writeFileSync(file, lines.join('\n') + '\n');
  const config = loadConfig({ config: file });
  const logs: Record<string, unknown>[] = [];
  const rawLogs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) {
        if (!line) continue;
        rawLogs.push(line);
        logs.push(JSON.parse(line));
      }
      cb();
    },
  });
  const log = pino({ level: 'info' }, sink);
  const server = await SinkdServer.start(config, log);
  return { server, port: server.bound[0]!.port, logs, rawLogs, dir, stop: () => server.stop(1000) };
}
