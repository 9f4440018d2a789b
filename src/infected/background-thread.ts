// Owns what sinkd's background worker threads (the hit journal, report building) have in common:
// where their compiled script is, and that they yield the CPU to the thread that answers DNS.
//
// Node 20 runs only JavaScript in a worker thread, so when sinkd runs from its TypeScript sources
// (the test runner imports src/), a thread is started from the build of the same file in dist/
// (`npm test` builds first).

import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The .js file `name` beside the module at `fromUrl` (import.meta.url), in dist/ when that module is a .ts source. */
export function threadScript(fromUrl: string, name: string): string {
  const path = fileURLToPath(new URL(name, fromUrl));
  if (!fromUrl.endsWith('.ts')) return path;
  const at = path.lastIndexOf('/src/');
  return `${path.slice(0, at)}/dist/${path.slice(at + 5)}`;
}

/**
 * Called inside a background thread: lowers that one thread's scheduling priority (nice 5), so
 * on a busy machine a compaction or a report waits for the CPU, not a DNS answer. On Linux a
 * thread is a task with its own id (/proc/thread-self), and setpriority() on it affects only it.
 * Best effort: elsewhere, or without /proc, nothing changes.
 */
export function yieldCpuToDns(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0 && tid !== process.pid) setPriority(tid, 5);
  } catch {
    // Not Linux, or no /proc: the thread keeps the process's priority.
  }
}
