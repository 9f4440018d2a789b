// Owns reading Response Policy Zone files (draft-vixie-dnsop-dns-rpz, as published by abuse.ch
// ThreatFox/URLhaus, Spamhaus and others) into sinkd entries, one line at a time.
//
// What sinkd takes from a policy zone, and how it reads it:
//
// - QNAME triggers only. The trigger is the owner name relative to the zone apex (the SOA
//   owner, else the first $ORIGIN): "evil.example.rpz.zone." in zone "rpz.zone." is
//   evil.example. Triggers under the rpz-ip, rpz-nsdname, rpz-nsip and rpz-client-ip labels
//   match answers, name servers or clients, which sinkd does not look at: they are counted
//   (finish().skippedTriggers) so the caller can print one warning, not one per line.
// - Subtrees. A sinkd entry always covers the name and every name below it. In RPZ, "name"
//   matches only that exact name and "*.name" only the names below it. So "*.name" and "name"
//   both become the one entry "name" (folded: the second adds nothing), and a zone that lists
//   only "name" gets its subdomains blocked too: a deliberate deviation, the same one every
//   sinkd list format makes.
// - Actions: "CNAME ." is NXDOMAIN, "CNAME *." NODATA, "CNAME rpz-passthru." (or the older
//   "CNAME <the name itself>.") an allow entry. "CNAME rpz-drop." asks the resolver to send no
//   answer at all; sinkd never leaves a client waiting (a dropped query is retried and then
//   times out, multiplying the load that sank the 2014 No-IP takedown), so it answers NXDOMAIN
//   and counts the entry in finish().approximated['rpz-drop']. "CNAME rpz-tcp-only." only forces
//   a retry over TCP and blocks nothing: the line is skipped with a reason.
// - Local data. Any other record at a trigger (A, AAAA, TXT, a CNAME to a walled garden ...)
//   means "answer with this data instead": the name is unwanted, so it becomes a block entry
//   with sinkd's default action (its configured sinkhole addresses). A/AAAA addresses are kept
//   in `localData` and a CNAME target in `rewrite` for a caller that wants them; sinkd itself
//   does not follow the CNAME, and counts such entries in finish().approximated.cname.
// - One entry per name. Records for the name of the entry just read, with the same meaning
//   ("*.name" after "name", AAAA after A), are folded into it; one with a different meaning is
//   skipped with a reason naming the earlier line, since sinkd keeps one rule per name and
//   kind and "name"/"*.name" mean the same to it. Only records that follow each other are
//   compared: that is how zone files hold them (records of one owner together; "*.name" sorts
//   right after "name" in DNSSEC order, and exporters, sinkd's included, write the pair
//   together). A name that comes back further down gives a second entry, which the matcher
//   and the stores keep as one (the later wins). A set of every name read would catch those
//   too, but doubled the time to read a million-line zone.
//
// Zone-file syntax handled: ";" comments (also trailing), blank lines, $ORIGIN (absolute or
// relative to the current origin), $TTL, owners relative to $ORIGIN or absolute with a
// trailing dot, "@", a blank owner (= the previous owner), optional TTL and class fields in
// either order, records continued over lines in parentheses, quoted strings, and the zone's
// own SOA/NS (ignored). $INCLUDE and $GENERATE are refused with a reason.
import { isIP } from 'node:net';
import { normalizeName } from './name.js';
import type { RuleAction, RuleKind } from './rule.js';

/** One name the zone lists. */
export interface RpzEntry {
  /** Normalized trigger name (the whole subtree, see above). */
  readonly name: string;
  /** 'allow' for rpz-passthru, else 'block'. */
  readonly kind: RuleKind;
  /** Absent: sinkd's default sinkhole answer (local data). */
  readonly action?: RuleAction;
  /**
   * Addresses of the A/AAAA local data at this name, as written. The array of an entry
   * already returned may still grow while later lines add records to the same owner.
   */
  readonly localData?: readonly string[];
  /** Target of a local-data CNAME (a walled garden), absolute, without the trailing dot. */
  readonly rewrite?: string;
  /** How sinkd's answer differs from what the zone asks for, when it does. */
  readonly note?: string;
  /** Line of the file where the record starts (1-based, counting every line given). */
  readonly line: number;
}

/** A record sinkd cannot use, and why. */
export interface RpzSkip {
  readonly skip: string;
  /** Line where the record starts. */
  readonly line: number;
  /** That line's text. */
  readonly text: string;
}

export type RpzResult = RpzEntry | RpzSkip;

export interface RpzSummary {
  /** Records with a trigger sinkd cannot match, by trigger label ('rpz-ip', 'rpz-nsdname' ...). */
  readonly skippedTriggers: Record<string, number>;
  /** Entries answered differently from what the zone asks: 'rpz-drop' (NXDOMAIN), 'cname' (sinkhole). */
  readonly approximated: Record<string, number>;
  /** Results only known at the end: a record whose "(" was never closed, and the lines after it. */
  readonly results: RpzResult[];
  /** The zone apex the triggers were read relative to ('' for the root), if any record was read. */
  readonly apex: string | undefined;
}

export interface RpzParser {
  /** Feed every line of the file, in order; returns what the line completes (often nothing). */
  line(text: string): readonly RpzResult[];
  /** Call once after the last line. */
  finish(): RpzSummary;
}

export function isRpzSkip(r: RpzResult): r is RpzSkip {
  return (r as RpzSkip).skip !== undefined;
}

/** Trigger labels for what sinkd does not match on; their records are counted, not listed. */
export const RPZ_UNMATCHED_TRIGGERS: readonly string[] = ['rpz-ip', 'rpz-nsdname', 'rpz-nsip', 'rpz-client-ip'];
const UNMATCHED = new Set(RPZ_UNMATCHED_TRIGGERS);

/** A record still open after this many lines lost its ")": give up and read the lines again. */
const MAX_RECORD_LINES = 32;

// "300", "1h30m", "2W": a BIND-style TTL.
const TTL = /^(?:\d+|(?:\d+[smhdw])+)$/i;
const CLASSES = new Set(['IN', 'CH', 'HS', 'CS']);
// Record types taken as local data. Anything else is a typo or garbage, not a policy.
const LOCAL_DATA_TYPES = new Set([
  'A', 'AAAA', 'CNAME', 'TXT', 'MX', 'PTR', 'SRV', 'NAPTR', 'HINFO', 'CAA', 'DNAME', 'HTTPS',
  'SVCB', 'TLSA', 'SSHFP', 'LOC', 'SPF', 'URI', 'NS', 'SOA',
]);
// A signed policy zone carries these at every owner; they are not policy.
const DNSSEC_TYPES = new Set(['RRSIG', 'NSEC', 'NSEC3', 'NSEC3PARAM', 'DNSKEY', 'DS', 'CDS', 'CDNSKEY', 'ZONEMD']);

const NONE: readonly RpzResult[] = Object.freeze([]);

// How a name was read, for folding and conflicts.
const CODE_DEFAULT = 0;
const CODE_NXDOMAIN = 1;
const CODE_NODATA = 2;
const CODE_ALLOW = 3;
const CODE_TEXT = ['local data (sinkhole)', 'NXDOMAIN', 'NODATA', 'rpz-passthru (allow)'];

interface Tokenized {
  readonly tokens: string[];
  readonly depth: number;
  readonly error?: string;
}

// Splits one line into fields: ";" ends the line, "(" and ")" only change the depth, a quoted
// string is one field (quotes kept), a backslash escapes the next character.
function tokenize(text: string, depthIn: number): Tokenized {
  const tokens: string[] = [];
  let depth = depthIn;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13) {
      i++;
    } else if (c === 59 /* ; */) {
      break;
    } else if (c === 40 /* ( */) {
      depth++;
      i++;
    } else if (c === 41 /* ) */) {
      if (depth === 0) return { tokens, depth: 0, error: '")" without "("' };
      depth--;
      i++;
    } else if (c === 34 /* " */) {
      let j = i + 1;
      while (j < n && text.charCodeAt(j) !== 34) j += text.charCodeAt(j) === 92 ? 2 : 1;
      if (j >= n) return { tokens, depth, error: 'unterminated quoted string' };
      tokens.push(text.slice(i, j + 1));
      i = j + 1;
    } else {
      let j = i;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 92 /* \ */) {
          j += 2;
          continue;
        }
        if (d === 32 || d === 9 || d === 13 || d === 59 || d === 40 || d === 41 || d === 34) break;
        j++;
      }
      if (j > n) j = n;
      tokens.push(text.slice(i, j));
      i = j;
    }
  }
  return { tokens, depth };
}

export function createRpzParser(): RpzParser {
  let lineNo = 0;
  // Current $ORIGIN, lowercase, no trailing dot; '' is the root (also: never set).
  let origin = '';
  let apex: string | undefined;
  let lastOwner: string | undefined;
  let lastCounted: string | undefined;
  // A record open across lines.
  let depth = 0;
  let pending: string[] = [];
  let pendingRaw: string[] = [];
  let pendingBlank = false;
  let pendingLine = 0;
  let finished = false;

  // The last entry returned, for folding the records that follow it at the same name.
  let last: { name: string; code: number; line: number; localData: string[] | undefined } | undefined;
  const skippedTriggers: Record<string, number> = {};
  const approximated: Record<string, number> = {};

  const skip = (reason: string, at: number, text: string): readonly RpzResult[] => [{ skip: reason, line: at, text }];

  // An owner or target field as an absolute name: lowercase, no trailing dot, '' for the root.
  const absolute = (field: string): string | null => {
    if (field.includes('\\') || field.includes('"')) return null;
    if (field === '@') return origin;
    if (field === '.') return '';
    const lower = field.toLowerCase();
    if (lower.endsWith('.')) return lower.slice(0, -1);
    return origin === '' ? lower : `${lower}.${origin}`;
  };

  const directive = (tokens: string[], at: number, text: string): readonly RpzResult[] => {
    const name = (tokens[0] as string).toUpperCase();
    switch (name) {
      case '$ORIGIN': {
        const o = tokens.length === 2 ? absolute(tokens[1] as string) : null;
        if (o === null) return skip('invalid $ORIGIN directive', at, text);
        origin = o;
        return NONE;
      }
      case '$TTL':
        return tokens.length === 2 && TTL.test(tokens[1] as string) ? NONE : skip('invalid $TTL directive', at, text);
      case '$INCLUDE':
        return skip('$INCLUDE is not supported (load the included file as a list of its own)', at, text);
      case '$GENERATE':
        return skip('$GENERATE is not supported', at, text);
      default:
        return skip(`unknown directive ${tokens[0]}`, at, text);
    }
  };

  // null when `name` starts a new entry (the caller then accept()s it); else what the line
  // gives instead: nothing (the same meaning as the entry before: folded) or a conflict skip.
  const fold = (name: string, code: number, at: number, text: string, address?: string): readonly RpzResult[] | null => {
    if (last === undefined || last.name !== name) return null;
    if (last.code !== code) {
      return skip(
        `${name} was already read as ${CODE_TEXT[last.code]} at line ${last.line}; ` +
          'sinkd keeps one rule per name ("name" and "*.name" alike)',
        at,
        text,
      );
    }
    if (address !== undefined && last.localData !== undefined && !last.localData.includes(address)) {
      last.localData.push(address);
    }
    return NONE;
  };

  const accept = (e: RpzEntry, code: number): readonly RpzResult[] => {
    last = { name: e.name, code, line: e.line, localData: e.localData as string[] | undefined };
    return [e];
  };

  const record = (tokens: string[], blank: boolean, at: number, text: string): readonly RpzResult[] => {
    const first = tokens[0] as string;
    if (!blank && first.startsWith('$')) return directive(tokens, at, text);

    let owner: string;
    let i = 0;
    if (blank) {
      if (lastOwner === undefined) return skip('record without an owner name (the first record starts with a blank)', at, text);
      owner = lastOwner;
    } else {
      const o = absolute(first);
      if (o === null) return skip(`owner name ${first} has escapes or quotes`, at, text);
      owner = o;
      i = 1;
    }
    lastOwner = owner;

    let ttlSeen = false;
    let cls: string | undefined;
    for (; i < tokens.length; i++) {
      const t = tokens[i] as string;
      const c = t.charCodeAt(0);
      if (!ttlSeen && c >= 48 && c <= 57 && TTL.test(t)) ttlSeen = true;
      else if (cls === undefined && t.length === 2 && CLASSES.has(t.toUpperCase())) cls = t.toUpperCase();
      else break;
    }
    if (i >= tokens.length) return skip('no record type', at, text);
    const typeField = tokens[i] as string;
    const type = typeField.toUpperCase();
    // The record data: tokens[i + 1 ...].
    const rdataLength = tokens.length - i - 1;
    const rdata0 = tokens[i + 1];
    if (cls !== undefined && cls !== 'IN') return skip(`class ${cls} record (policy zones are class IN)`, at, text);
    if (DNSSEC_TYPES.has(type)) return NONE;
    if (!LOCAL_DATA_TYPES.has(type) && !/^TYPE\d+$/.test(type)) return skip(`unknown record type ${typeField}`, at, text);

    if (apex === undefined) apex = type === 'SOA' ? owner : origin;
    let rel: string;
    if (apex === '') rel = owner;
    else if (owner === apex) rel = '';
    else if (owner.endsWith(`.${apex}`)) rel = owner.slice(0, owner.length - apex.length - 1);
    else return skip(`owner ${owner}. is outside the zone ${apex}.`, at, text);

    // The zone's own records (SOA, NS, a TXT about the feed) are not policy.
    if (rel === '') return NONE;
    if (type === 'SOA') return skip('SOA record below the zone apex', at, text);
    if (type === 'NS') return skip('NS record below the zone apex (a delegation, not a policy)', at, text);

    const label = rel.slice(rel.lastIndexOf('.') + 1);
    if (label.startsWith('rpz-')) {
      if (!UNMATCHED.has(label)) return skip(`unknown trigger type ${label}`, at, text);
      if (owner !== lastCounted) {
        skippedTriggers[label] = (skippedTriggers[label] ?? 0) + 1;
        lastCounted = owner;
      }
      return NONE;
    }

    let trigger = rel;
    let wildcard = false;
    if (trigger === '*') return skip('wildcard owner "*" would match every name', at, text);
    if (trigger.startsWith('*.')) {
      trigger = trigger.slice(2);
      wildcard = true;
    }
    const name = normalizeName(trigger);
    if (name === null) return skip(`invalid trigger name ${trigger}`, at, text);
    // A normalized name has no ":", so only an all-digit last label can make it an address.
    const lastChar = name.charCodeAt(name.length - 1);
    if (lastChar >= 48 && lastChar <= 57 && isIP(name) !== 0) return skip('IP address as a query name (IP triggers belong under rpz-ip)', at, text);

    if (type === 'CNAME') {
      if (rdataLength !== 1 || rdata0 === undefined) return skip('CNAME needs exactly one target', at, text);
      const target = rdata0.toLowerCase();
      switch (target) {
        case '.':
          return fold(name, CODE_NXDOMAIN, at, text) ?? accept({ name, kind: 'block', action: 'nxdomain', line: at }, CODE_NXDOMAIN);
        case '*.':
          return fold(name, CODE_NODATA, at, text) ?? accept({ name, kind: 'block', action: 'nodata', line: at }, CODE_NODATA);
        case 'rpz-passthru.':
          return fold(name, CODE_ALLOW, at, text) ?? accept({ name, kind: 'allow', line: at }, CODE_ALLOW);
        case 'rpz-drop.': {
          const folded = fold(name, CODE_NXDOMAIN, at, text);
          if (folded !== null) return folded;
          approximated['rpz-drop'] = (approximated['rpz-drop'] ?? 0) + 1;
          const note = 'rpz-drop answered NXDOMAIN (sinkd never leaves a query unanswered)';
          return accept({ name, kind: 'block', action: 'nxdomain', note, line: at }, CODE_NXDOMAIN);
        }
        case 'rpz-tcp-only.':
          return skip('rpz-tcp-only only makes clients retry over TCP; it blocks nothing', at, text);
      }
      const dest = absolute(rdata0);
      if (dest === null) return skip(`CNAME target ${rdata0} has escapes or quotes`, at, text);
      // The older PASSTHRU form: a CNAME to the query name itself.
      if (dest === name || (wildcard && dest === `*.${name}`)) {
        return fold(name, CODE_ALLOW, at, text) ?? accept({ name, kind: 'allow', line: at }, CODE_ALLOW);
      }
      const folded = fold(name, CODE_DEFAULT, at, text);
      if (folded !== null) return folded;
      approximated.cname = (approximated.cname ?? 0) + 1;
      const note = `local-data CNAME to ${dest} answered with the sinkhole addresses`;
      return accept({ name, kind: 'block', rewrite: dest, note, line: at }, CODE_DEFAULT);
    }

    let address: string | undefined;
    if (type === 'A' || type === 'AAAA') {
      const family = type === 'A' ? 4 : 6;
      if (rdataLength !== 1 || rdata0 === undefined || isIP(rdata0) !== family) {
        return skip(`${type} record needs one IPv${family} address`, at, text);
      }
      address = rdata0;
    } else if (rdataLength === 0) {
      return skip(`${type} record without data`, at, text);
    }
    return (
      fold(name, CODE_DEFAULT, at, text, address) ??
      accept(address === undefined ? { name, kind: 'block', line: at } : { name, kind: 'block', localData: [address], line: at }, CODE_DEFAULT)
    );
  };

  const processLine = (text: string, at: number): readonly RpzResult[] => {
    if (depth === 0) {
      const t = tokenize(text, 0);
      if (t.error !== undefined) return skip(t.error, at, text);
      if (t.depth > 0) {
        depth = t.depth;
        pending = t.tokens;
        pendingRaw = [text];
        pendingBlank = text.charCodeAt(0) === 32 || text.charCodeAt(0) === 9;
        pendingLine = at;
        return NONE;
      }
      if (t.tokens.length === 0) return NONE;
      return record(t.tokens, text.charCodeAt(0) === 32 || text.charCodeAt(0) === 9, at, text);
    }
    pendingRaw.push(text);
    const t = tokenize(text, depth);
    if (t.error !== undefined) {
      const first = pendingRaw[0] as string;
      const startedAt = pendingLine;
      reset();
      return skip(`${t.error} (line ${at}) in a record continued over lines`, startedAt, first);
    }
    for (const tok of t.tokens) pending.push(tok);
    depth = t.depth;
    if (depth > 0) return pendingRaw.length >= MAX_RECORD_LINES ? unclosed() : NONE;
    const tokens = pending;
    const first = pendingRaw[0] as string;
    const blank = pendingBlank;
    const startedAt = pendingLine;
    reset();
    if (tokens.length === 0) return NONE;
    return record(tokens, blank, startedAt, first);
  };

  const reset = (): void => {
    depth = 0;
    pending = [];
    pendingRaw = [];
  };

  // A "(" never closed: skip that record, then read the lines it swallowed on their own.
  const unclosed = (): readonly RpzResult[] => {
    const raw = pendingRaw;
    const startedAt = pendingLine;
    reset();
    const out: RpzResult[] = [
      { skip: `"(" not closed within ${MAX_RECORD_LINES} lines`, line: startedAt, text: raw[0] as string },
    ];
    for (let k = 1; k < raw.length; k++) for (const r of processLine(raw[k] as string, startedAt + k)) out.push(r);
    return out;
  };

  return {
    line(text: string): readonly RpzResult[] {
      if (finished) throw new Error('RPZ parser used after finish()');
      lineNo++;
      return processLine(text, lineNo);
    },
    finish(): RpzSummary {
      if (finished) throw new Error('RPZ parser finished twice');
      finished = true;
      const results: RpzResult[] = [];
      while (depth > 0) {
        const raw = pendingRaw;
        const startedAt = pendingLine;
        reset();
        results.push({ skip: '"(" not closed before the end of the file', line: startedAt, text: raw[0] as string });
        for (let k = 1; k < raw.length; k++) for (const r of processLine(raw[k] as string, startedAt + k)) results.push(r);
      }
      return { skippedTriggers, approximated, results, apex };
    },
  };
}

/** One line per kind of loss, for the caller to print once per file (empty when nothing was lost). */
export function describeRpzSummary(summary: RpzSummary): string[] {
  const notes: string[] = [];
  for (const [label, n] of Object.entries(summary.skippedTriggers)) {
    notes.push(`skipped ${n} ${label} trigger${n === 1 ? '' : 's'} (sinkd matches query names only)`);
  }
  const drops = summary.approximated['rpz-drop'] ?? 0;
  if (drops > 0) {
    notes.push(`${drops} rpz-drop entr${drops === 1 ? 'y' : 'ies'} answered NXDOMAIN (sinkd never drops a query)`);
  }
  const cnames = summary.approximated.cname ?? 0;
  if (cnames > 0) {
    notes.push(
      `${cnames} local-data CNAME entr${cnames === 1 ? 'y' : 'ies'} answered with the sinkhole addresses (sinkd does not follow the CNAME)`,
    );
  }
  return notes;
}
