// Owns turning names typed on the command line into the store's spelling, and describing an
// entry in one line of output.

import { normalizeName } from '../../blocklist/name.js';
import type { StoredEntry } from '../../store/blocklist-store.js';
import { usageError } from './run.js';

/**
 * Normalised names, duplicates dropped, in the order given. An unusable name is a usage error
 * naming it: nothing is changed when any argument is wrong.
 */
export function parseNames(args: readonly (string | number)[]): string[] {
  const out: string[] = [];
  const bad: string[] = [];
  for (const arg of args) {
    const raw = String(arg).trim();
    const name = normalizeName(raw, { stripWildcard: true });
    if (name === null) bad.push(JSON.stringify(raw));
    else if (!out.includes(name)) out.push(name);
  }
  if (bad.length > 0) {
    throw usageError(`invalid ${bad.length === 1 ? 'name' : 'names'} ${bad.join(', ')}: expected a hostname such as evil.no-ip.biz`);
  }
  return out;
}

/** "source S, family F, action A", the parts an entry has. */
export function describeEntry(e: Pick<StoredEntry, 'source' | 'family' | 'action'>, defaultAction?: string): string {
  const parts = [`source ${e.source}`];
  if (e.family !== undefined) parts.push(`family ${e.family}`);
  const action = e.action ?? defaultAction;
  if (action !== undefined) parts.push(`action ${action}`);
  return parts.join(', ');
}

/** The entry as --json prints it: addedAt as an ISO date. */
export function entryJson(e: StoredEntry): Record<string, unknown> {
  return {
    name: e.name,
    kind: e.kind,
    source: e.source,
    ...(e.family === undefined ? {} : { family: e.family }),
    ...(e.action === undefined ? {} : { action: e.action }),
    addedAt: new Date(e.addedAt).toISOString(),
  };
}

/** The name and each name above it, most specific first: a.b.c → a.b.c, b.c, c. */
export function selfAndAncestors(name: string): string[] {
  const out = [name];
  for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) out.push(name.slice(dot + 1));
  return out;
}
