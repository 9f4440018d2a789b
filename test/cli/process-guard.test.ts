// The last-resort process guard (src/cli/process-guard.ts), in a process of its own (it takes over
// the process's uncaughtException and unhandledRejection handlers): an exception thrown from a
// timer and a rejected promise nobody awaits are each logged as an `internal-error` event and
// counted, and the process keeps running (Node's default is to print and exit 1).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIST = join(import.meta.dirname, '../../dist');

describe.skipIf(!existsSync(join(DIST, 'cli/process-guard.js')))('process guard (built)', () => {
  it('logs and counts an uncaught exception and an unhandled rejection, and the process keeps running', () => {
    const url = (p: string) => pathToFileURL(join(DIST, p)).href;
    const script = `
      import { installProcessGuard } from '${url('cli/process-guard.js')}';
      import { createLogger, flushLogger } from '${url('log/logger.js')}';
      import { processCounts } from '${url('metrics/process.js')}';
      const log = createLogger('info');
      installProcessGuard(log);
      setTimeout(() => { throw new Error('thrown from a timer'); }, 10);
      setTimeout(() => { void Promise.reject(new Error('rejected, never awaited')); }, 20);
      setTimeout(async () => {
        log.info({ event: 'still-running', uncaught: processCounts.uncaught }, 'still running');
        await flushLogger(log);
        process.exit(0);
      }, 300);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15_000 });
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const errors = lines.filter((l) => l.event === 'internal-error');
    expect(errors.map((l) => l.origin)).toEqual(['uncaughtException', 'unhandledRejection']);
    expect(errors.map((l) => (l.err as { message: string }).message)).toEqual(['thrown from a timer', 'rejected, never awaited']);
    expect(lines.find((l) => l.event === 'still-running')).toMatchObject({ uncaught: 2 });
  });
});
