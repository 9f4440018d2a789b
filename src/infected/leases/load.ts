// Owns reading a lease file from disk into a LeaseIndex.
import { readFile } from 'node:fs/promises';
import { detectLeaseFormat, sniffLeaseFormat } from './detect.js';
import { parseDnsmasq } from './dnsmasq.js';
import { parseIsc } from './isc.js';
import { parseKea } from './kea.js';
import { LeaseIndex } from './lease-index.js';
import type { Lease, LeaseFormat } from './lease.js';

export function parseLeases(text: string, format: LeaseFormat): Lease[] {
  switch (format) {
    case 'dnsmasq':
      return parseDnsmasq(text);
    case 'isc':
      return parseIsc(text);
    case 'kea':
      return parseKea(text);
  }
}

/**
 * Reads and parses a lease file. Rejects with an Error whose message is one line naming the
 * file and what is wrong (unreadable, or not a lease file of the format given or detected).
 */
export async function loadLeaseFile(path: string, format: 'auto' | LeaseFormat = 'auto'): Promise<LeaseIndex> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory' : oneLine(e.message);
    throw new Error(`cannot read lease file ${path}: ${why}`);
  }
  try {
    const f = format === 'auto' ? detectLeaseFormat(text) : checkedFormat(text, format);
    return new LeaseIndex(parseLeases(text, f), path);
  } catch (err) {
    throw new Error(`lease file ${path}: ${oneLine((err as Error).message)}`);
  }
}

/** The format asked for, unless the text plainly is another one (a wrong --format would silently identify nobody). */
function checkedFormat(text: string, format: LeaseFormat): LeaseFormat {
  let seen: LeaseFormat | undefined;
  try {
    seen = sniffLeaseFormat(text);
  } catch {
    return format;
  }
  if (seen !== undefined && seen !== format) throw new Error(`looks like a ${seen} lease file, not ${format}`);
  return format;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
