// Reading an upstream reply without decoding it: where its TTLs are (so a cached copy can count
// them down in place), its negative-caching TTL (RFC 2308), whether it matches the question we
// asked (RFC 5452), and cutting it down to a truncated reply that fits the client's UDP size.

import { HEADER_SIZE, QType } from './constants.js';
import { skipName } from './names.js';

export interface ResponseInfo {
  readonly rcode: number;
  readonly truncated: boolean;
  readonly answerCount: number;
  readonly questionEnd: number;
  /** Offsets of the TTL field of every record except OPT, in packet order. */
  readonly ttlOffsets: number[];
  /** The TTLs at those offsets. */
  readonly ttls: number[];
  /** RFC 2308: min(SOA TTL, SOA MINIMUM) of the first SOA in the authority section, if any. */
  readonly negativeTtl: number | null;
  /** Offset and length of the OPT record, when there is one. */
  readonly optOffset: number;
  readonly optLength: number;
}

/** Walks every record of a reply. Null when the packet is malformed in any way. */
export function inspectResponse(buf: Buffer): ResponseInfo | null {
  if (buf.length < HEADER_SIZE) return null;
  const flags = buf.readUInt16BE(2);
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  let off = HEADER_SIZE;
  for (let i = 0; i < qd; i++) {
    off = skipName(buf, off);
    if (off < 0 || off + 4 > buf.length) return null;
    off += 4;
  }
  const questionEnd = off;
  const ttlOffsets: number[] = [];
  const ttls: number[] = [];
  let negativeTtl: number | null = null;
  let optOffset = -1;
  let optLength = 0;
  const total = an + ns + ar;
  for (let i = 0; i < total; i++) {
    const start = off;
    const afterName = skipName(buf, off);
    if (afterName < 0 || afterName + 10 > buf.length) return null;
    const type = buf.readUInt16BE(afterName);
    const rdlen = buf.readUInt16BE(afterName + 8);
    off = afterName + 10 + rdlen;
    if (off > buf.length) return null;
    if (type === QType.OPT) {
      optOffset = start;
      optLength = off - start;
      continue;
    }
    const rawTtl = buf.readUInt32BE(afterName + 4);
    const ttl = rawTtl > 0x7fffffff ? 0 : rawTtl; // RFC 2181 8: a TTL with the top bit set is treated as 0
    ttlOffsets.push(afterName + 4);
    ttls.push(ttl);
    if (type === QType.SOA && negativeTtl === null && i >= an && i < an + ns && rdlen >= 22) {
      negativeTtl = Math.min(ttl, buf.readUInt32BE(off - 4));
    }
  }
  return {
    rcode: flags & 0x0f,
    truncated: (flags & 0x0200) !== 0,
    answerCount: an,
    questionEnd,
    ttlOffsets,
    ttls,
    negativeTtl,
    optOffset,
    optLength,
  };
}

/**
 * RFC 5452: a reply is ours only if it carries our ID and the same single question (name compared
 * without regard to case, type and class exact).
 */
export function answersQuestion(reply: Buffer, id: number, query: Buffer, questionEnd: number): boolean {
  if (reply.length < questionEnd || reply.readUInt16BE(0) !== id) return false;
  if ((reply[2]! & 0x80) === 0) return false; // not a response
  if (reply.readUInt16BE(4) !== 1) return false;
  const nameEnd = questionEnd - 4;
  // QTYPE and QCLASS must match exactly: folding them like letters would take type 97 for HTTPS (65).
  if (reply.readUInt32BE(nameEnd) !== query.readUInt32BE(nameEnd)) return false;
  for (let i = HEADER_SIZE; i < nameEnd; i++) {
    let a = reply[i]!;
    let b = query[i]!;
    if (a === b) continue;
    if (a >= 0x41 && a <= 0x5a) a |= 0x20;
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    if (a !== b) return false;
  }
  return true;
}

/**
 * A reply cut to header + question (+ OPT) with TC=1, for a UDP client whose size limit the full
 * reply exceeds (RFC 1035 4.2.1, RFC 6891 7: keep OPT when truncating).
 */
export function truncateReply(reply: Buffer, info: ResponseInfo, limit: number): Buffer {
  const keepOpt = info.optOffset >= 0 && info.questionEnd + info.optLength <= limit;
  const out = Buffer.allocUnsafe(info.questionEnd + (keepOpt ? info.optLength : 0));
  reply.copy(out, 0, 0, info.questionEnd);
  out.writeUInt16BE(reply.readUInt16BE(2) | 0x0200, 2);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(keepOpt ? 1 : 0, 10);
  if (keepOpt) reply.copy(out, info.questionEnd, info.optOffset, info.optOffset + info.optLength);
  return out;
}
