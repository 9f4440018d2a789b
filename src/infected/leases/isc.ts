// Owns reading ISC dhcpd's lease database (dhcpd.leases(5), usually /var/lib/dhcp/dhcpd.leases).
//
// The file is append-only between rewrites: every change appends a new `lease` block, so one
// address appears many times and the later blocks are newer. All of them are kept, as history:
// which MAC held an address at the time of a hit is what the report needs.
//
//     lease 192.168.1.23 {
//       starts 3 2026/11/18 10:00:00;        # "w yyyy/mm/dd hh:mm:ss" in UTC,
//       ends epoch 1795039200; # ...         # or "epoch <secs>" (db-time-format local),
//       ends never;                          # or "never" (an infinite lease)
//       binding state active;
//       hardware ethernet 00:11:22:33:44:55;
//       uid "\001\000\021\"3DU";
//       client-hostname "laptop";
//       set ddns-fwd-name = "laptop.example.org";
//       on expiry { ... }
//     }
//
// Read: `starts`, `ends`, `hardware`, `client-hostname`, and `set ddns-fwd-name` (the hostname
// when there is no client-hostname). Every other statement, nested block and top-level
// declaration (server-duid, failover peer state, dynamic host declarations, DHCPv6 ia-na/ia-ta/
// ia-pd blocks, which name no MAC) is skipped. Strings may hold braces, semicolons, "#" and
// backslash escapes. Leases of every binding state are kept (a free lease still names its last
// holder for the time it held it); a lease with neither a hardware address nor a hostname is
// skipped. An unfinished block at the end (dhcpd caught mid-write) is read as far as it goes.
import { addressKey, cleanHostname, normalizeMac, type Lease } from './lease.js';

type Token = { readonly kind: 'word' | 'string'; readonly text: string } | { readonly kind: '{' | '}' | ';' };

function* tokenize(text: string): Generator<Token> {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11) {
      i++;
    } else if (c === 35 /* # */) {
      while (i < n && text.charCodeAt(i) !== 10) i++;
    } else if (c === 123 /* { */) {
      i++;
      yield { kind: '{' };
    } else if (c === 125 /* } */) {
      i++;
      yield { kind: '}' };
    } else if (c === 59 /* ; */) {
      i++;
      yield { kind: ';' };
    } else if (c === 34 /* " */) {
      let out = '';
      i++;
      while (i < n && text.charCodeAt(i) !== 34) {
        const ch = text[i]!;
        if (ch !== '\\' || i + 1 >= n) {
          out += ch;
          i++;
          continue;
        }
        const e = text[i + 1]!;
        i += 2;
        if (e >= '0' && e <= '7') {
          let v = Number(e);
          for (let k = 0; k < 2 && i < n && text[i]! >= '0' && text[i]! <= '7'; k++) v = v * 8 + Number(text[i++]);
          out += String.fromCharCode(v & 255);
        } else if (e === 'x' && i < n && /[0-9a-fA-F]/.test(text[i]!)) {
          let hex = text[i++]!;
          if (i < n && /[0-9a-fA-F]/.test(text[i]!)) hex += text[i++]!;
          out += String.fromCharCode(parseInt(hex, 16));
        } else {
          out += e === 't' ? '\t' : e === 'n' ? '\n' : e === 'r' ? '\r' : e === 'b' ? '\b' : e;
        }
      }
      i++;
      yield { kind: 'string', text: out };
    } else {
      const start = i;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d <= 32 || d === 123 || d === 125 || d === 59 || d === 34 || d === 35) break;
        i++;
      }
      yield { kind: 'word', text: text.slice(start, i) };
    }
  }
}

/** Words and strings of one statement, and whether it ended in a block (which was skipped). */
interface Statement {
  readonly words: Token[];
  /** The statement opened a block; the caller reads or skips it. */
  readonly opensBlock: boolean;
}

/** Reads a statement up to ";" or "{" (not consuming the block). Null at "}" or end of input. */
function readStatement(tokens: Iterator<Token>, first: Token): Statement | null {
  const words: Token[] = [];
  let t: Token | undefined = first;
  while (t !== undefined) {
    if (t.kind === ';') return { words, opensBlock: false };
    if (t.kind === '{') return { words, opensBlock: true };
    if (t.kind === '}') return null;
    words.push(t);
    const r = tokens.next();
    t = r.done ? undefined : r.value;
  }
  return words.length > 0 ? { words, opensBlock: false } : null;
}

/** Consumes tokens up to and including the "}" that closes a block already opened. */
function skipBlock(tokens: Iterator<Token>): void {
  let depth = 1;
  for (let r = tokens.next(); !r.done; r = tokens.next()) {
    if (r.value.kind === '{') depth++;
    else if (r.value.kind === '}' && --depth === 0) return;
  }
}

const ISC_DATE = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/;
const ISC_TIME = /^(\d{1,2}):(\d{2}):(\d{2})$/;

/** `starts`/`ends` arguments: "w yyyy/mm/dd hh:mm:ss" (UTC), "epoch N", or "never" (undefined). */
export function parseIscDate(words: readonly string[]): number | undefined {
  if (words[0] === 'never') return undefined;
  if (words[0] === 'epoch') {
    const s = words[1];
    return s !== undefined && /^[0-9]+$/.test(s) ? Number(s) * 1000 : undefined;
  }
  // The weekday is redundant; accept the date with or without it.
  const rest = words.length >= 3 ? words.slice(1) : words;
  const d = ISC_DATE.exec(rest[0] ?? '');
  const t = ISC_TIME.exec(rest[1] ?? '');
  if (!d || !t) return undefined;
  const ms = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(t[1]), Number(t[2]), Number(t[3]));
  return Number.isFinite(ms) ? ms : undefined;
}

function textOf(t: Token | undefined): string | undefined {
  return t !== undefined && (t.kind === 'word' || t.kind === 'string') ? t.text : undefined;
}

export function parseIsc(text: string): Lease[] {
  const leases: Lease[] = [];
  const tokens = tokenize(text)[Symbol.iterator]();
  for (let r = tokens.next(); !r.done; r = tokens.next()) {
    const st = readStatement(tokens, r.value);
    if (st === null) continue; // a stray "}" at top level
    const isLease = textOf(st.words[0]) === 'lease' && st.words.length === 2 && st.opensBlock;
    if (!isLease) {
      if (st.opensBlock) skipBlock(tokens);
      continue;
    }
    const ip = textOf(st.words[1])!;
    const lease = readLeaseBody(tokens, ip);
    if (lease !== undefined) leases.push(lease);
  }
  return leases;
}

function readLeaseBody(tokens: Iterator<Token>, ip: string): Lease | undefined {
  let start: number | undefined;
  let end: number | undefined;
  let mac = '';
  let clientHostname: string | undefined;
  let ddnsName: string | undefined;
  for (let r = tokens.next(); !r.done; r = tokens.next()) {
    const st = readStatement(tokens, r.value);
    if (st === null) break; // the closing "}"
    if (st.opensBlock) {
      skipBlock(tokens);
      continue;
    }
    const w = st.words.map((t) => textOf(t)!);
    switch (w[0]) {
      case 'starts':
        start = parseIscDate(w.slice(1));
        break;
      case 'ends':
        end = parseIscDate(w.slice(1));
        break;
      case 'hardware':
        // "hardware ethernet 00:11:22:33:44:55": the type word, then the address.
        mac = (w[2] !== undefined && normalizeMac(w[2])) || '';
        break;
      case 'client-hostname':
        clientHostname = cleanHostname(w[1]);
        break;
      case 'set':
        // "set ddns-fwd-name = "laptop.example.org"" (the "=" may be glued to either side).
        if (w[1] === 'ddns-fwd-name' || w[1] === 'ddns-fwd-name=') ddnsName = cleanHostname(w[w.length - 1]);
        break;
      default:
        break;
    }
  }
  const hostname = clientHostname ?? ddnsName;
  if (addressKey(ip) === undefined || (mac === '' && hostname === undefined)) return undefined;
  return {
    ip,
    mac,
    ...(hostname !== undefined && { hostname }),
    ...(start !== undefined && { start }),
    ...(end !== undefined && { end }),
  };
}
