// Owns the line syntax of list files (plain, hosts, adblock; RPZ lives in rpz.ts) and guessing
// which one a file uses.
import { isIP } from 'node:net';
import { normalizeName } from './name.js';
import { createRpzParser, isRpzSkip, type RpzResult } from './rpz.js';
import type { RuleAction, RuleKind } from './rule.js';

export type ListFormat = 'auto' | 'plain' | 'hosts' | 'adblock' | 'rpz';
export type ConcreteFormat = Exclude<ListFormat, 'auto'>;

/**
 * A name the line lists; kind only when the line itself says (adblock "@@" exceptions, RPZ
 * passthru), action only when the line says (RPZ).
 */
export interface LineEntry {
  readonly name: string;
  readonly kind?: RuleKind;
  readonly action?: RuleAction;
}
/** A line that means something but that a DNS sinkhole cannot use, and why. */
export interface LineSkip {
  readonly skip: string;
}
/** null: blank line, comment or header. */
export type LineResult = LineEntry | LineSkip | null;
/** A hosts line may name several hosts, so it yields one result per name. */
export type LineParser = (line: string) => LineResult | readonly (LineEntry | LineSkip)[];

export function isSkip<T extends object>(r: T | LineSkip): r is LineSkip {
  return (r as LineSkip).skip !== undefined;
}

function cutComment(line: string, marker: string): string {
  const at = line.indexOf(marker);
  return (at < 0 ? line : line.slice(0, at)).trim();
}

/** One name a line; "#" starts a comment anywhere on the line. */
export function parsePlainLine(line: string): LineResult {
  const text = cutComment(line, '#');
  if (text === '') return null;
  if (/\s/.test(text)) return { skip: 'more than one field (a hosts or adblock line?)' };
  if (text.includes('://') || text.includes('/')) return { skip: 'URL or path, not a hostname' };
  if (isIP(text) !== 0) return { skip: 'IP address, not a hostname' };
  // ".example.com" (squid and dnsmasq style) means the subtree, as every entry does here.
  const bare = text.startsWith('.') ? text.slice(1) : text;
  const name = normalizeName(bare, { stripWildcard: true });
  return name === null ? { skip: 'invalid hostname' } : { name };
}

// Names every stock hosts file carries; listing them is boilerplate, not a block.
const HOSTS_BOILERPLATE = new Set([
  'localhost',
  'localhost.localdomain',
  'local',
  'broadcasthost',
  'ip6-localhost',
  'ip6-loopback',
  'ip6-localnet',
  'ip6-mcastprefix',
  'ip6-allnodes',
  'ip6-allrouters',
  'ip6-allhosts',
  '0.0.0.0',
]);

/**
 * "ADDRESS name [name...]". Any address counts: a list that maps a name somewhere other
 * than 0.0.0.0 or 127.0.0.1 still says the name is unwanted.
 */
export function parseHostsLine(line: string): LineResult | (LineEntry | LineSkip)[] {
  const text = cutComment(line, '#');
  if (text === '') return null;
  const fields = text.split(/\s+/);
  const address = fields[0] as string;
  if (isIP(stripZone(address)) === 0) {
    return { skip: 'first field is not an IP address' };
  }
  if (fields.length === 1) return { skip: 'address without a hostname' };
  if (fields.length === 2) return hostsName(fields[1] as string);
  const out: (LineEntry | LineSkip)[] = [];
  for (let i = 1; i < fields.length; i++) out.push(hostsName(fields[i] as string));
  return out;
}

// "fe80::1%lo0" appears in macOS hosts files; the zone is not part of the address.
function stripZone(address: string): string {
  const pct = address.indexOf('%');
  return pct < 0 ? address : address.slice(0, pct);
}

function hostsName(field: string): LineEntry | LineSkip {
  const lower = field.toLowerCase();
  if (HOSTS_BOILERPLATE.has(lower) || lower.startsWith('ip6-')) {
    return { skip: `local hostname ${lower} (hosts-file boilerplate)` };
  }
  if (isIP(field) !== 0) return { skip: 'IP address, not a hostname' };
  const name = normalizeName(field);
  return name === null ? { skip: 'invalid hostname' } : { name };
}

// Modifiers that do not narrow a rule below "the whole host": a DNS sinkhole can honour
// the rule exactly. Anything else (third-party, domain=, script, dnstype=, client= ...)
// would need request context a resolver does not have, so blocking outright would
// over-block (and allowing outright would under-block).
const HOST_WIDE_MODIFIERS = new Set(['important', 'all', 'document', 'doc', 'popup']);

/**
 * Adblock Plus / AdGuard syntax, host rules only: "||name^" (block) and "@@||name^"
 * (exception). A missing "^" is read as if present, as DNS-level blockers do.
 */
export function parseAdblockLine(line: string): LineResult {
  const text = line.trim();
  if (text === '' || text.startsWith('!')) return null;
  if (text.startsWith('[') && text.endsWith(']')) return null; // "[Adblock Plus 2.0]"
  if (/#[@?$%]?#|#@[$?%]#/.test(text)) return { skip: 'cosmetic (element hiding) rule' };

  let body = text;
  let kind: RuleKind | undefined;
  if (body.startsWith('@@')) {
    kind = 'allow';
    body = body.slice(2);
  }
  if (body.startsWith('/') && body.length > 1 && body.endsWith('/')) {
    return { skip: 'regular-expression rule' };
  }
  if (!body.startsWith('||')) {
    return { skip: body.startsWith('|') ? 'address-anchored (URL) rule' : 'not a ||host^ rule' };
  }
  body = body.slice(2);

  const dollar = body.indexOf('$');
  if (dollar >= 0) {
    for (const mod of body.slice(dollar + 1).split(',')) {
      const key = mod.trim().toLowerCase();
      if (key === 'badfilter') return { skip: '$badfilter rule (cancels another rule; not supported)' };
      if (!HOST_WIDE_MODIFIERS.has(key)) {
        return { skip: `modifier $${key} narrows the rule below a whole host` };
      }
    }
    body = body.slice(0, dollar);
  }

  if (body.endsWith('^|')) body = body.slice(0, -2);
  else if (body.endsWith('^')) body = body.slice(0, -1);
  if (body.includes('/')) return { skip: 'rule has a path' };
  if (body.includes('*')) return { skip: 'wildcard inside the name' };
  if (body.includes('^') || body.includes(':') || body.includes('|')) {
    return { skip: 'separator or port inside the rule' };
  }
  if (isIP(body) !== 0) return { skip: 'IP address, not a hostname' };
  const name = normalizeName(body);
  if (name === null) return { skip: 'invalid hostname' };
  return kind === undefined ? { name } : { name, kind };
}

/**
 * The line parser of a format. For 'rpz' every call returns a new stateful parser that must be
 * fed every line of one file, in order; it cannot say what it skipped as a whole (rpz-ip
 * triggers ...) nor close a record left open at the end: loadListFile uses createRpzParser
 * itself for that.
 */
export function lineParserFor(format: ConcreteFormat): LineParser {
  switch (format) {
    case 'plain':
      return parsePlainLine;
    case 'hosts':
      return parseHostsLine;
    case 'adblock':
      return parseAdblockLine;
    case 'rpz': {
      const rpz = createRpzParser();
      return (line) => {
        const results = rpz.line(line);
        if (results.length === 0) return null;
        if (results.length === 1) return fromRpz(results[0] as RpzResult);
        return results.map(fromRpz);
      };
    }
  }
}

/** An RPZ result as a line result: 'block' is left to the list's kind, as in other formats. */
export function fromRpz(r: RpzResult): LineEntry | LineSkip {
  if (isRpzSkip(r)) return { skip: r.skip };
  if (r.kind === 'allow') return { name: r.name, kind: 'allow' };
  return r.action === undefined ? { name: r.name } : { name: r.name, action: r.action };
}

/**
 * A header comment that sets something for the entries after it (see load-files.ts):
 * "# family: NAME", "# kind: allow|block", "# action: nxdomain|nodata|sinkhole" ("!" instead of
 * "#" works too; an empty value goes back to the default, so does "action: sinkhole"). In RPZ
 * zone files only "; family: NAME": records carry their own kind and answer.
 */
export type ListHeader =
  | { readonly key: 'family'; readonly value: string }
  | { readonly key: 'kind'; readonly value: RuleKind | undefined }
  | { readonly key: 'action'; readonly value: RuleAction | undefined };

const HEADER = /^[#!]\s*(family|kind|action)\s*:\s*(.*?)\s*$/i;
const RPZ_HEADER = /^;\s*(family)\s*:\s*(.*?)\s*$/i;

/** null: not a header line; a skip: a header with a value that means nothing. */
export function parseHeaderLine(line: string, format: ConcreteFormat): ListHeader | LineSkip | null {
  const m = (format === 'rpz' ? RPZ_HEADER : HEADER).exec(line.trim());
  if (m === null) return null;
  const key = (m[1] as string).toLowerCase();
  const value = m[2] as string;
  if (key === 'family') return { key, value };
  const v = value.toLowerCase();
  if (key === 'kind') {
    if (v === '') return { key, value: undefined };
    if (v === 'block' || v === 'allow') return { key, value: v };
    return { skip: `unknown kind "${value}" in a kind: header (block or allow)` };
  }
  if (v === '' || v === 'sinkhole') return { key: 'action', value: undefined };
  if (v === 'nxdomain' || v === 'nodata') return { key: 'action', value: v };
  return { skip: `unknown action "${value}" in an action: header (nxdomain, nodata or sinkhole)` };
}

/** How many non-comment lines detectFormat needs to see to be confident. */
export const DETECT_SAMPLE_LINES = 50;

/**
 * Votes over the first non-blank, non-comment lines: "||"/"@@" lines or an
 * "[Adblock ...]" header say adblock, "ADDRESS name" lines say hosts, "name CNAME target"
 * (and "name A address") records say RPZ, anything else plain. A zone file's $ORIGIN or
 * $TTL directive or SOA record decides RPZ at once. A tie goes to plain, the format that is
 * hardest to misread.
 */
export function detectFormat(sampleLines: readonly string[]): ConcreteFormat {
  let adblock = 0;
  let hosts = 0;
  let rpz = 0;
  let plain = 0;
  let seen = 0;
  for (const raw of sampleLines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('!')) continue; // adblock comment; decides nothing alone
    if (line.startsWith(';')) continue; // zone-file comment; decides nothing alone
    if (/^\[adblock/i.test(line)) return 'adblock';
    if (ZONE_DIRECTIVE.test(line)) return 'rpz';
    if (SOA_RECORD.test(line) && !looksLikeHostsLine(line)) return 'rpz';
    if (line.startsWith('||') || line.startsWith('@@') || line.includes('##')) adblock++;
    else if (looksLikeHostsLine(line)) hosts++;
    else if (RPZ_RECORD.test(line)) rpz++;
    else plain++;
    if (++seen >= DETECT_SAMPLE_LINES) break;
  }
  if (adblock > hosts && adblock > plain && adblock > rpz) return 'adblock';
  if (rpz > plain && rpz > hosts && rpz > adblock) return 'rpz';
  if (hosts > plain && hosts >= adblock) return 'hosts';
  return 'plain';
}

const ZONE_DIRECTIVE = /^\$(?:ORIGIN|TTL)\s/i;
// owner [TTL] [class] SOA mname ...: the fields between owner and type are TTLs or classes.
const SOA_RECORD = /^\S+(?:\s+(?:\d\w*|IN))*\s+SOA\s+\S/i;
const RPZ_RECORD = /^\S+(?:\s+(?:\d\w*|IN))*\s+(?:CNAME|A|AAAA)\s+\S+\s*(?:;.*)?$/i;

function looksLikeHostsLine(line: string): boolean {
  const space = line.search(/\s/);
  if (space < 0) return false;
  return isIP(stripZone(line.slice(0, space))) !== 0;
}
