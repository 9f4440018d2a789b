// Owns "one writer per data directory" for the embedded hit store: two `sinkd serve` on one
// store.path would each fold their own hits into their own memory and overwrite each other's
// snapshots. The lock is a file created exclusively (O_EXCL) holding the owner's pid and its start
// time (/proc/PID/stat), so a lock left by a killed process is recognised as stale even when the
// pid has been reused (a container's pid 1 restarted). Node has no flock(); this is the portable
// equivalent, and it also tells a reader (`sinkd report`) whether a server is writing.

import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface LockOwner {
  readonly pid: number;
  /** Kernel start time of the process (clock ticks since boot), when /proc has it. */
  readonly start?: string;
}

/** Locks held by this process (by path), so a second server in the same process is refused too. */
const held = new Set<string>();

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, counted after the command name, which is in parentheses and may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (owner.start === undefined) return true;
  const now = startTime(owner.pid);
  return now === undefined || now === owner.start;
}

function readOwner(path: string): LockOwner | null {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; start?: unknown };
    if (typeof v.pid !== 'number' || !Number.isInteger(v.pid) || v.pid <= 0) return null;
    return typeof v.start === 'string' ? { pid: v.pid, start: v.start } : { pid: v.pid };
  } catch {
    return null;
  }
}

/** The live process that holds the lock at `path`, or null (no lock, or a stale one). */
export function lockHolder(path: string): LockOwner | null {
  if (held.has(path)) return { pid: process.pid };
  const owner = readOwner(path);
  if (owner === null) return null;
  if (owner.pid === process.pid && owner.start === startTime(process.pid)) return owner;
  return alive(owner) ? owner : null;
}

export class HitDirLockedError extends Error {
  constructor(
    readonly path: string,
    readonly owner: LockOwner,
  ) {
    super(`another sinkd (pid ${owner.pid}) is writing the hit store in this directory (${path}); stop it, or give this one its own store.path`);
  }
}

/**
 * Takes the lock or throws HitDirLockedError. A stale lock (its process gone) is taken over and
 * reported through `stale`.
 */
export function acquireHitDirLock(path: string, stale?: (owner: LockOwner) => void): () => void {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = lockHolder(path);
      if (owner !== null) throw new HitDirLockedError(path, owner);
      const previous = readOwner(path);
      try {
        unlinkSync(path);
      } catch {
        // Another process took it over first: the next attempt sees its lock.
      }
      if (previous !== null) stale?.(previous);
      continue;
    }
    const start = startTime(process.pid);
    writeSync(fd, JSON.stringify(start === undefined ? { pid: process.pid } : { pid: process.pid, start }));
    closeSync(fd);
    held.add(path);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      held.delete(path);
      try {
        if (readOwner(path)?.pid === process.pid) unlinkSync(path);
      } catch {
        // Gone already.
      }
    };
  }
  throw new Error(`cannot take the hit store lock ${path}: it keeps changing hands`);
}
