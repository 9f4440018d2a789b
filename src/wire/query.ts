// Parsing a client query by hand: header, the one question, and the OPT record. Nothing else is
// decoded; everything the rest of sinkd needs is an offset or a number from here.

import { EDNS_OPTION_ECS, HEADER_SIZE, Opcode, QType } from './constants.js';
import { readQuestionName, skipName } from './names.js';

export interface EdnsInfo {
  /** Requestor's UDP payload size, as sent (may be below 512; callers clamp). */
  readonly udpSize: number;
  readonly version: number;
  /** DNSSEC OK bit (RFC 3225): echoed in our replies. */
  readonly dnssecOk: boolean;
  /** Offset of the OPT record in the query, and its length. */
  readonly offset: number;
  readonly length: number;
  /** EDNS Client Subnet (RFC 7871) as "addr/prefix", when the query carried one. */
  readonly clientSubnet?: string;
}

export interface ParsedQuery {
  readonly id: number;
  readonly flags: number;
  readonly recursionDesired: boolean;
  readonly checkingDisabled: boolean;
  /** Lowercased, no trailing dot; "" for the root. */
  readonly qname: string;
  readonly qtype: number;
  readonly qclass: number;
  /** Offset just past the question name (= where QTYPE starts). */
  readonly nameEnd: number;
  /** Offset just past the question (name, type, class). */
  readonly questionEnd: number;
  readonly edns: EdnsInfo | null;
}

/** Why a packet is not a query we answer normally; the listener turns each into its reply. */
export type QueryProblem =
  | { readonly kind: 'drop' } // too short for a header, or a response: nothing to answer
  | { readonly kind: 'formerr'; readonly reason: string; readonly questionEnd: number }
  | { readonly kind: 'notimp'; readonly questionEnd: number }
  | { readonly kind: 'badvers'; readonly query: ParsedQuery };

export type ParseResult = { readonly ok: true; readonly query: ParsedQuery } | ({ readonly ok: false } & QueryProblem);

const DROP = { ok: false, kind: 'drop' } as const;

export function parseQuery(buf: Buffer): ParseResult {
  if (buf.length < HEADER_SIZE) return DROP;
  const flags = buf.readUInt16BE(2);
  if (flags & 0x8000) return DROP; // QR=1: a response sent to us (reflection or confusion); never answer it
  const qdcount = buf.readUInt16BE(4);
  const opcode = (flags >> 11) & 0x0f;
  if (opcode !== Opcode.QUERY) {
    return { ok: false, kind: 'notimp', questionEnd: questionEndIfAny(buf, qdcount) };
  }
  if (qdcount !== 1) return formerr(qdcount === 0 ? 'no question' : 'more than one question', -1);
  const q = readQuestionName(buf, HEADER_SIZE);
  if (q === null) return formerr('malformed question name', -1);
  const nameEnd = q.end;
  const questionEnd = nameEnd + 4;
  if (questionEnd > buf.length) return formerr('question runs off the packet', -1);
  const qtype = buf.readUInt16BE(nameEnd);
  const qclass = buf.readUInt16BE(nameEnd + 2);

  const ancount = buf.readUInt16BE(6);
  const nscount = buf.readUInt16BE(8);
  const arcount = buf.readUInt16BE(10);
  let edns: EdnsInfo | null = null;
  if (arcount > 0) {
    let off = questionEnd;
    // Queries rarely carry answer/authority records (UPDATE prerequisites, TSIG aside); skip them.
    for (let i = 0; i < ancount + nscount; i++) {
      off = skipRecord(buf, off);
      if (off < 0) return formerr('record runs off the packet', questionEnd);
    }
    for (let i = 0; i < arcount; i++) {
      const start = off;
      const afterName = skipName(buf, off);
      if (afterName < 0 || afterName + 10 > buf.length) return formerr('record runs off the packet', questionEnd);
      const rdlen = buf.readUInt16BE(afterName + 8);
      off = afterName + 10 + rdlen;
      if (off > buf.length) return formerr('record runs off the packet', questionEnd);
      if (buf.readUInt16BE(afterName) !== QType.OPT) continue;
      if (edns !== null) return formerr('more than one OPT record', questionEnd); // RFC 6891 6.1.1
      if (afterName !== start + 1) return formerr('OPT owner is not the root', questionEnd);
      const ttl = buf.readUInt32BE(afterName + 4);
      edns = {
        udpSize: buf.readUInt16BE(afterName + 2),
        version: (ttl >>> 16) & 0xff,
        dnssecOk: (ttl & 0x8000) !== 0,
        offset: start,
        length: off - start,
        clientSubnet: readClientSubnet(buf, afterName + 10, off),
      };
    }
  }
  const query: ParsedQuery = {
    id: buf.readUInt16BE(0),
    flags,
    recursionDesired: (flags & 0x0100) !== 0,
    checkingDisabled: (flags & 0x0010) !== 0,
    qname: q.name,
    qtype,
    qclass,
    nameEnd,
    questionEnd,
    edns,
  };
  if (edns !== null && edns.version !== 0) return { ok: false, kind: 'badvers', query };
  return { ok: true, query };
}

function formerr(reason: string, questionEnd: number): ParseResult {
  return { ok: false, kind: 'formerr', reason, questionEnd };
}

/** Offset past a whole resource record, or -1. */
export function skipRecord(buf: Buffer, off: number): number {
  const afterName = skipName(buf, off);
  if (afterName < 0 || afterName + 10 > buf.length) return -1;
  const end = afterName + 10 + buf.readUInt16BE(afterName + 8);
  return end <= buf.length ? end : -1;
}

// For NOTIMP we echo the question when there is a well-formed one, as BIND and Unbound do.
function questionEndIfAny(buf: Buffer, qdcount: number): number {
  if (qdcount !== 1) return -1;
  const q = readQuestionName(buf, HEADER_SIZE);
  if (q === null || q.end + 4 > buf.length) return -1;
  return q.end + 4;
}

// Walks the OPT RDATA for option 8 (RFC 7871); malformed options are ignored, not fatal.
function readClientSubnet(buf: Buffer, off: number, end: number): string | undefined {
  while (off + 4 <= end) {
    const code = buf.readUInt16BE(off);
    const len = buf.readUInt16BE(off + 2);
    const data = off + 4;
    if (data + len > end) return undefined;
    if (code === EDNS_OPTION_ECS && len >= 4) {
      const family = buf.readUInt16BE(data);
      const prefix = buf[data + 2]!;
      const addr = buf.subarray(data + 4, data + len);
      if (family === 1 && prefix <= 32) {
        const b = [0, 0, 0, 0].map((_, i) => addr[i] ?? 0);
        return `${b.join('.')}/${prefix}`;
      }
      if (family === 2 && prefix <= 128) {
        const b = Buffer.alloc(16);
        addr.copy(b, 0, 0, Math.min(16, addr.length));
        const groups: string[] = [];
        for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
        return `${groups.join(':')}/${prefix}`;
      }
      return undefined;
    }
    off = data + len;
  }
  return undefined;
}
