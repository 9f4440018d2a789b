// Owns what one stored entry may hold. Everything a store reads back (the change log, a Redis
// hash field or feed entry) is checked here like any other input, and so is what it is asked to
// write: a name sinkd can match, a known kind and action, and short text fields. The caps keep
// one hostile record from costing a node its list or a 20 MB log line per query.
//
// Caps (characters): name 253 (a DNS name), source 200, family 100, any other text field 100.
// Text fields hold no control characters. Fields this code does not know are kept when they are
// short strings (so an optional field added later passes through), and dropped otherwise.

import { normalizeName } from '../blocklist/name.js';
import type { NewEntry, StoredEntry } from './blocklist-store.js';

export const ENTRY_LIMITS = { name: 253, source: 200, family: 100, field: 100 } as const;

const KINDS = new Set(['block', 'allow']);
const ACTIONS = new Set(['sinkhole', 'nxdomain', 'nodata']);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why `text` is not a usable text field of at most `max` characters, or undefined when it is. */
function badText(what: string, text: unknown, max: number): string | undefined {
  if (typeof text !== 'string') return `${what} is not a string`;
  if (text.length === 0) return `${what} is empty`;
  if (text.length > max) return `${what} longer than ${max} characters (${text.length})`;
  // The same few sources and families repeat across a million entries: check each once.
  if (cleanTexts.has(text)) return undefined;
  if (CONTROL.test(text)) return `${what} holds control characters`;
  if (cleanTexts.size >= 10_000) cleanTexts.clear();
  cleanTexts.add(text);
  return undefined;
}

const cleanTexts = new Set<string>();

/** Why `name` is not a name an entry may have (normalized, a DNS name sinkd can match), or undefined. */
export function badName(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'name is not a string';
  if (name.length > ENTRY_LIMITS.name) return `name longer than ${ENTRY_LIMITS.name} characters (${name.length})`;
  if (normalizeName(name) !== name) return `not a normalized DNS name: ${JSON.stringify(name.slice(0, 100))}`;
  return undefined;
}

/**
 * A clean entry from `raw` (name, kind, source, family?, action?, other short strings, and
 * addedAt when `withAddedAt`), or the reason it is not one. The result holds only checked fields:
 * `raw` itself when that is all it holds, else a copy of those.
 */
export function checkEntry(raw: Readonly<Record<string, unknown>>, withAddedAt: true): StoredEntry | string;
export function checkEntry(raw: Readonly<Record<string, unknown>>, withAddedAt: false): NewEntry | string;
export function checkEntry(raw: Readonly<Record<string, unknown>>, withAddedAt: boolean): StoredEntry | NewEntry | string {
  const { name, kind, source, family, action, addedAt } = raw;
  const why0 = badName(name);
  if (why0 !== undefined) return why0;
  if (typeof kind !== 'string' || !KINDS.has(kind)) return 'kind is not block or allow';
  const why = badText('source', source, ENTRY_LIMITS.source) ?? (family === undefined ? undefined : badText('family', family, ENTRY_LIMITS.family));
  if (why !== undefined) return why;
  if (action !== undefined && (typeof action !== 'string' || !ACTIONS.has(action))) return 'action is not sinkhole, nxdomain or nodata';
  if (withAddedAt && (typeof addedAt !== 'number' || !Number.isSafeInteger(addedAt) || addedAt < 0)) return 'addedAt is not a time';
  // Most entries hold only checked fields: then `raw` itself is the clean entry (no copy: an
  // import or a full load goes through a million of them). Otherwise a copy without the rest.
  let clean = true;
  for (const k in raw) {
    const v = raw[k];
    if (k === 'addedAt' ? !withAddedAt : CORE.has(k) ? v === undefined : !(v !== undefined && badText(k, v, ENTRY_LIMITS.field) === undefined && SAFE_KEY.test(k))) {
      clean = false;
      break;
    }
  }
  if (clean && Object.getPrototypeOf(raw) === Object.prototype) return raw as unknown as StoredEntry;
  const out: Record<string, unknown> = { name, kind, source };
  if (family !== undefined) out.family = family;
  if (action !== undefined) out.action = action;
  for (const k in raw) {
    if (CORE.has(k) || !Object.hasOwn(raw, k)) continue;
    const v = raw[k];
    if (v !== undefined && badText(k, v, ENTRY_LIMITS.field) === undefined && SAFE_KEY.test(k)) out[k] = v;
  }
  if (withAddedAt) out.addedAt = addedAt;
  return out as unknown as StoredEntry;
}

const CORE = new Set(['name', 'kind', 'source', 'family', 'action', 'addedAt']);
/** Field names an entry may carry: short identifiers (never __proto__ and the like, which a plain object would not keep as data). */
const SAFE_KEY = /^(?!__proto__$|constructor$|prototype$)[A-Za-z][A-Za-z0-9_]{0,31}$/;

/** A key or field for a log line: at most 100 characters. */
export function clip(text: string): string {
  return text.length <= 100 ? text : `${text.slice(0, 100)}... (${text.length} characters)`;
}
