// Owns writing entries out as a list file (`sinkd blocklist export --format plain|hosts|rpz`),
// in a form loadListFile reads back to the same (name, kind, family, action) set.
//
// - plain and hosts: entries grouped under the header lines load-files.ts reads:
//   "# family: NAME", "# action: nxdomain|nodata" and, for allow entries, a last section under
//   "# kind: allow". Plain and hosts have no other way to say "allow"; a tool that ignores the
//   headers would read that section as blocks, so a comment above it says so.
// - rpz: a zone with $TTL, SOA (serial: Unix time of `now`) and NS, then QNAME triggers:
//   "CNAME ." (nxdomain), "CNAME *." (nodata), "CNAME rpz-passthru." (allow), and for the
//   default answer local data, "A 0.0.0.0" (or the given sinkhole addresses), which rpz.ts
//   reads back as the default action. Every entry is written for "name" and "*.name", so that
//   BIND, Unbound or Knot block the subtree as sinkd does; rpz.ts folds the pair into one entry.
//   Families go in "; family: NAME" comments. A name both blocked and allowed is written once,
//   as passthru: a zone may not hold two CNAMEs for one owner, and in sinkd the allow wins anyway.
//
// Action 'sinkhole' is the default answer (the store keeps an action only when it is not the
// default): it is written, and reads back, as no action.
//
// Entries are grouped and sorted (families, then names) so that two exports of the same list
// are the same file whatever order the store returned them in; the whole list is held in
// memory for that, as the store's snapshot already is.
import { isIP } from 'node:net';
import { normalizeName } from './name.js';
import type { RuleAction, RuleKind } from './rule.js';

export type ExportFormat = 'plain' | 'hosts' | 'rpz';

export interface ExportEntry {
  readonly name: string;
  readonly kind: RuleKind;
  readonly source: string;
  readonly family?: string;
  readonly action?: RuleAction;
}

export interface ExportOptions {
  /** RPZ zone name; default "rpz.sinkd.invalid." (a name that can never clash with a real one). */
  readonly origin?: string;
  /** Written in the header comment, and the RPZ serial (its Unix time); default the current time. */
  readonly now?: Date;
  /**
   * Local data for entries with the default answer (RPZ only): the addresses sinkd answers
   * with. Default: A 0.0.0.0 alone.
   */
  readonly sinkhole?: { readonly ipv4?: string; readonly ipv6?: string };
}

export const DEFAULT_RPZ_ORIGIN = 'rpz.sinkd.invalid';
/** TTL of the exported policy records: how long resolvers may cache a policy answer. */
const RPZ_TTL = 300;

interface Group {
  readonly kind: RuleKind;
  readonly action: 'nxdomain' | 'nodata' | undefined;
  readonly family: string | undefined;
  readonly names: string[];
}

const KIND_ORDER: Record<RuleKind, number> = { block: 0, allow: 1 };
const ACTION_ORDER = { none: 0, nxdomain: 1, nodata: 2 } as const;

/** The lines of the exported file, without line ends; lazily, but after reading every entry. */
export function* exportLines(
  entries: Iterable<ExportEntry>,
  format: ExportFormat,
  opts: ExportOptions = {},
): Generator<string, void, undefined> {
  const now = opts.now ?? new Date();
  const origin = format === 'rpz' ? rpzOrigin(opts.origin) : '';
  const sinkhole = format === 'rpz' ? sinkholeData(opts.sinkhole) : [];

  // One entry per name and kind: the first wins.
  const seen: Record<RuleKind, Set<string>> = { block: new Set(), allow: new Set() };
  const groups = new Map<string, Group>();
  for (const e of entries) {
    if (seen[e.kind].has(e.name)) continue;
    seen[e.kind].add(e.name);
    const action = e.kind === 'allow' || e.action === undefined || e.action === 'sinkhole' ? undefined : e.action;
    // A header line cannot hold a line break, and the reader trims the value.
    const family = e.family === undefined ? undefined : e.family.replace(/[\r\n]+/g, ' ').trim() || undefined;
    const key = `${e.kind}\u0000${action ?? ''}\u0000${family === undefined ? '' : `=${family}`}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = { kind: e.kind, action, family, names: [] };
      groups.set(key, g);
    }
    g.names.push(e.name);
  }
  const sorted = [...groups.values()];
  for (const g of sorted) g.names.sort();

  if (format === 'rpz') {
    yield* rpzLines(sorted, seen.allow, origin, sinkhole, now);
  } else {
    yield* listLines(sorted, format, seen.block.size, seen.allow.size, now);
  }
}

function compareFamily(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a < b ? -1 : 1;
}

function compareAnswer(a: Group, b: Group): number {
  return KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || ACTION_ORDER[a.action ?? 'none'] - ACTION_ORDER[b.action ?? 'none'];
}

function* listLines(
  groups: Group[],
  format: 'plain' | 'hosts',
  blocks: number,
  allows: number,
  now: Date,
): Generator<string, void, undefined> {
  // Kind, then answer, then family: one "# kind: allow" switch, as few headers as can be.
  groups.sort((a, b) => compareAnswer(a, b) || compareFamily(a.family, b.family));
  yield `# sinkd blocklist export (${format}), ${now.toISOString()}: ${count(blocks, 'block entry', 'block entries')}, ${count(allows, 'allow entry', 'allow entries')}`;
  yield '# Every name covers itself and every name below it. "# family:", "# action:" and "# kind:"';
  yield '# lines set the malware family, the answer and the kind of the names after them.';
  let kind: RuleKind = 'block';
  let action: string | undefined;
  let family: string | undefined;
  for (const g of groups) {
    yield '';
    if (g.kind !== kind) {
      if (g.kind === 'allow') {
        yield '# Exceptions: sinkd reads the names below as allow entries (an allow wins over every';
        yield '# block). A tool that ignores "# kind:" lines would block them instead.';
      }
      yield `# kind: ${g.kind}`;
      kind = g.kind;
    }
    if (g.action !== action) {
      yield `# action: ${g.action ?? ''}`.trimEnd();
      action = g.action;
    }
    if (g.family !== family) {
      yield `# family: ${g.family ?? ''}`.trimEnd();
      family = g.family;
    }
    if (format === 'plain') yield* g.names;
    else for (const name of g.names) yield `0.0.0.0 ${name}`;
  }
}

function* rpzLines(
  groups: Group[],
  allowed: ReadonlySet<string>,
  origin: string,
  sinkhole: readonly string[],
  now: Date,
): Generator<string, void, undefined> {
  // Family first here: the records themselves say kind and answer.
  groups.sort((a, b) => compareFamily(a.family, b.family) || compareAnswer(a, b));
  let blocks = 0;
  let allows = 0;
  let shadowed = 0;
  let unwritable = 0;
  for (const g of groups) {
    for (const name of g.names) {
      if (isTriggerLabel(name)) unwritable++;
      else if (g.kind === 'allow') allows++;
      else if (allowed.has(name)) shadowed++;
      else blocks++;
    }
  }
  const serial = Math.floor(now.getTime() / 1000) % 2 ** 32;
  yield `; sinkd blocklist export (RPZ, draft-vixie-dnsop-dns-rpz), ${now.toISOString()}:`;
  yield `; ${count(blocks, 'block entry', 'block entries')}, ${count(allows, 'allow entry', 'allow entries')} (rpz-passthru).`;
  if (shadowed > 0) {
    yield `; ${count(shadowed, 'blocked name is', 'blocked names are')} also allowed and written as passthru only (the allow wins in sinkd too).`;
  }
  if (unwritable > 0) {
    yield `; ${count(unwritable, 'name ends', 'names end')} in an rpz- label, which RPZ reads as another trigger type: not written.`;
  }
  yield '; Each entry is written for "name" and "*.name": a sinkd entry covers a name and its whole';
  yield '; subtree, an RPZ trigger without "*." only that exact name.';
  yield `$TTL ${RPZ_TTL}`;
  yield `$ORIGIN ${origin}.`;
  yield `@ IN SOA localhost. hostmaster.localhost. ${serial} 3600 600 604800 ${RPZ_TTL}`;
  yield '@ IN NS localhost.';
  yield '';
  let family: string | undefined;
  let wrote = false;
  for (const g of groups) {
    const data =
      g.kind === 'allow'
        ? ['CNAME rpz-passthru.']
        : g.action === 'nxdomain'
          ? ['CNAME .']
          : g.action === 'nodata'
            ? ['CNAME *.']
            : sinkhole;
    let header = g.family !== family;
    for (const name of g.names) {
      if ((g.kind === 'block' && allowed.has(name)) || isTriggerLabel(name)) continue;
      if (header) {
        if (wrote) yield '';
        yield `; family: ${g.family ?? ''}`.trimEnd();
        family = g.family;
        header = false;
      }
      for (const d of data) yield `${name} ${d}`;
      for (const d of data) yield `*.${name} ${d}`;
      wrote = true;
    }
  }
}

// "x.rpz-ip", "x.rpz-nsdname" ...: an owner RPZ reads as an IP or name-server trigger.
function isTriggerLabel(name: string): boolean {
  return name.slice(name.lastIndexOf('.') + 1).startsWith('rpz-');
}

function rpzOrigin(given: string | undefined): string {
  const origin = normalizeName(given ?? DEFAULT_RPZ_ORIGIN);
  if (origin === null) throw new Error(`invalid RPZ zone name ${JSON.stringify(given)}`);
  return origin;
}

function sinkholeData(given: ExportOptions['sinkhole']): string[] {
  if (given === undefined || (given.ipv4 === undefined && given.ipv6 === undefined)) return ['A 0.0.0.0'];
  const data: string[] = [];
  if (given.ipv4 !== undefined) {
    if (isIP(given.ipv4) !== 4) throw new Error(`invalid sinkhole IPv4 address ${JSON.stringify(given.ipv4)}`);
    data.push(`A ${given.ipv4}`);
  }
  if (given.ipv6 !== undefined) {
    if (isIP(given.ipv6) !== 6) throw new Error(`invalid sinkhole IPv6 address ${JSON.stringify(given.ipv6)}`);
    data.push(`AAAA ${given.ipv6}`);
  }
  return data;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
