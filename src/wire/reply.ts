// Building sinkd's own replies straight into Buffers: errors (FORMERR, NOTIMP, REFUSED, SERVFAIL,
// BADVERS) and sinkhole answers. The question is copied byte for byte, so it keeps the client's case.

import { HEADER_SIZE, QClass, QType, Rcode } from './constants.js';
import { optSize, writeOpt, type OptSpec } from './opt.js';

export interface ReplyFlags {
  /** AA: set for answers sinkd gives as the authority (seized zones). */
  readonly authoritative?: boolean;
  /** RA: a recursive resolver says yes; an authority says no. */
  readonly recursionAvailable?: boolean;
}

/** QR=1, the query's opcode, RD and CD copied, AA/RA as asked, and the rcode's low 4 bits. */
function replyFlags(queryFlags: number, rcode: number, f: ReplyFlags): number {
  let flags = 0x8000 | (queryFlags & 0x7900 /* opcode + RD */) | (queryFlags & 0x0010 /* CD */) | (rcode & 0x0f);
  if (f.authoritative) flags |= 0x0400;
  if (f.recursionAvailable ?? true) flags |= 0x0080;
  return flags;
}

/** One class IN record whose owner is a compression pointer to `ownerOffset`; returns the offset past it. */
function writeRecord(out: Buffer, off: number, ownerOffset: number, type: number, ttl: number, rdata: Buffer): number {
  out.writeUInt16BE(0xc000 | ownerOffset, off);
  out.writeUInt16BE(type, off + 2);
  out.writeUInt16BE(QClass.IN, off + 4);
  out.writeUInt32BE(ttl, off + 6);
  out.writeUInt16BE(rdata.length, off + 10);
  rdata.copy(out, off + 12);
  return off + 12 + rdata.length;
}

function writeHeader(out: Buffer, id: number, flags: number, qd: number, an: number, ns: number, ar: number): void {
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(flags, 2);
  out.writeUInt16BE(qd, 4);
  out.writeUInt16BE(an, 6);
  out.writeUInt16BE(ns, 8);
  out.writeUInt16BE(ar, 10);
}

/**
 * An answer with no records: `rcode`, the question echoed when `questionEnd` > 0, and an OPT
 * record when the query had one (`opt` non-null), which may carry an EDE.
 */
export function errorReply(
  query: Buffer,
  questionEnd: number,
  rcode: number,
  opt: OptSpec | null,
  flags: ReplyFlags = {},
): Buffer {
  const qLen = questionEnd > HEADER_SIZE ? questionEnd - HEADER_SIZE : 0;
  const out = Buffer.allocUnsafe(HEADER_SIZE + qLen + (opt ? optSize(opt) : 0));
  const queryFlags = query.length >= 4 ? query.readUInt16BE(2) : 0;
  writeHeader(out, query.length >= 2 ? query.readUInt16BE(0) : 0, replyFlags(queryFlags, rcode, flags), qLen ? 1 : 0, 0, 0, opt ? 1 : 0);
  if (qLen) query.copy(out, HEADER_SIZE, HEADER_SIZE, questionEnd);
  if (opt) writeOpt(out, HEADER_SIZE + qLen, { ...opt, extendedRcode: rcode >> 4 });
  return out;
}

export type SinkholeMode = 'sinkhole' | 'nxdomain' | 'nodata';

export interface SinkholeSpec {
  readonly mode: SinkholeMode;
  /** 4 octets. */
  readonly ipv4: Buffer;
  /** 16 octets. */
  readonly ipv6: Buffer;
  readonly ttl: number;
  /** The SOA record's RDATA (mname, rname, serial, refresh, retry, expire, minimum), prebuilt. */
  readonly soaRdata: Buffer;
}

/**
 * The sinkhole answer for a query whose name (or an ancestor) is listed.
 * `zoneOffset` is where, inside the question name, the matching rule's name starts: the SOA of a
 * NODATA/NXDOMAIN answer is owned by it and written as a compression pointer to that spot.
 */
export function sinkholeReply(
  query: Buffer,
  questionEnd: number,
  qtype: number,
  zoneOffset: number,
  spec: SinkholeSpec,
  opt: OptSpec | null,
  flags: ReplyFlags = {},
): Buffer {
  const qLen = questionEnd - HEADER_SIZE;
  let rcode: number = Rcode.NOERROR;
  let addrs: Buffer[] = [];
  if (spec.mode === 'nxdomain') rcode = Rcode.NXDOMAIN;
  else if (spec.mode === 'sinkhole') {
    if (qtype === QType.A) addrs = [spec.ipv4];
    else if (qtype === QType.AAAA) addrs = [spec.ipv6];
    else if (qtype === QType.ANY) addrs = [spec.ipv4, spec.ipv6];
  }
  const withSoa = addrs.length === 0;
  let size = HEADER_SIZE + qLen;
  for (const a of addrs) size += 12 + a.length;
  if (withSoa) size += 12 + spec.soaRdata.length;
  if (opt) size += optSize(opt);

  const out = Buffer.allocUnsafe(size);
  writeHeader(out, query.readUInt16BE(0), replyFlags(query.readUInt16BE(2), rcode, flags), 1, addrs.length, withSoa ? 1 : 0, opt ? 1 : 0);
  query.copy(out, HEADER_SIZE, HEADER_SIZE, questionEnd);
  let off = questionEnd;
  // Owners: a pointer to the question name; the SOA's to the rule's spot inside it.
  for (const a of addrs) off = writeRecord(out, off, HEADER_SIZE, a.length === 4 ? QType.A : QType.AAAA, spec.ttl, a);
  if (withSoa) off = writeRecord(out, off, zoneOffset, QType.SOA, spec.ttl, spec.soaRdata);
  if (opt) writeOpt(out, off, opt);
  return out;
}

/** Wire form of a dotted name ("ns.sinkd.invalid." or without the final dot). */
export function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((l) => l.length > 0);
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, 'ascii');
    if (b.length > 63) throw new Error(`label too long in ${name}`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export interface SoaFields {
  readonly mname: string;
  readonly rname: string;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minimum: number;
}

export function soaRdata(soa: SoaFields): Buffer {
  const nums = Buffer.allocUnsafe(20);
  [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum].forEach((v, i) => nums.writeUInt32BE(v >>> 0, i * 4));
  return Buffer.concat([encodeName(soa.mname), encodeName(soa.rname), nums]);
}

/** A record owned by the question's name: its type, TTL and prebuilt RDATA. */
export interface OwnRecord {
  readonly type: number;
  readonly ttl: number;
  readonly rdata: Buffer;
}

/**
 * A NOERROR reply whose records are all owned by the question name (a zone apex's SOA and NS):
 * each owner is written as a pointer to the question.
 */
export function recordsReply(
  query: Buffer,
  questionEnd: number,
  answers: readonly OwnRecord[],
  authority: readonly OwnRecord[],
  opt: OptSpec | null,
  flags: ReplyFlags = {},
): Buffer {
  let size = questionEnd + (opt ? optSize(opt) : 0);
  for (const r of answers) size += 12 + r.rdata.length;
  for (const r of authority) size += 12 + r.rdata.length;
  const out = Buffer.allocUnsafe(size);
  writeHeader(out, query.readUInt16BE(0), replyFlags(query.readUInt16BE(2), Rcode.NOERROR, flags), 1, answers.length, authority.length, opt ? 1 : 0);
  query.copy(out, HEADER_SIZE, HEADER_SIZE, questionEnd);
  let off = questionEnd;
  for (const r of answers) off = writeRecord(out, off, HEADER_SIZE, r.type, r.ttl, r.rdata);
  for (const r of authority) off = writeRecord(out, off, HEADER_SIZE, r.type, r.ttl, r.rdata);
  if (opt) writeOpt(out, off, opt);
  return out;
}
