// Options (RFC 6891 6.1.2) in an OPT record someone else wrote: whether one is there, and a copy
// of the message without it. The OPT is given by its offset and whole length, as parseQuery and
// inspectResponse report them.

import { inspectResponse } from './response.js';

/** Octets of an OPT record before its RDATA: root owner, TYPE, CLASS, TTL, RDLENGTH. */
const OPT_FIXED = 11;

/** Whether the OPT at `optOffset` holds option `code` (an option list that runs off its record ends the search). */
export function hasEdnsOption(buf: Buffer, optOffset: number, optLength: number, code: number): boolean {
  const end = optOffset + optLength;
  for (let off = optOffset + OPT_FIXED; off + 4 <= end; off += 4 + buf.readUInt16BE(off + 2)) {
    if (buf.readUInt16BE(off) === code) return true;
  }
  return false;
}

/** Whether a reply carries option `code` in its OPT record; false without one, or when malformed. */
export function replyHasEdnsOption(reply: Buffer, code: number): boolean {
  if (reply.length < 12 || reply.readUInt16BE(10) === 0) return false; // no additional record, no OPT
  const info = inspectResponse(reply);
  return info !== null && info.optOffset >= 0 && hasEdnsOption(reply, info.optOffset, info.optLength, code);
}

/**
 * A copy of `buf` whose OPT record (at `optOffset`, `optLength` octets) no longer holds option
 * `code`, or null when it held none. An option list that runs off its record loses that tail
 * too: what cannot be read is not passed on.
 */
export function withoutEdnsOption(buf: Buffer, optOffset: number, optLength: number, code: number): Buffer | null {
  const start = optOffset + OPT_FIXED;
  const end = optOffset + optLength;
  const kept: [number, number][] = [];
  let keptLength = 0;
  let removed = false;
  for (let off = start; off < end; ) {
    const next = off + 4 <= end ? off + 4 + buf.readUInt16BE(off + 2) : end + 1;
    if (next > end) {
      removed = true;
      break;
    }
    if (buf.readUInt16BE(off) === code) removed = true;
    else {
      kept.push([off, next]);
      keptLength += next - off;
    }
    off = next;
  }
  if (!removed) return null;
  const out = Buffer.allocUnsafe(buf.length - (end - start) + keptLength);
  let at = buf.copy(out, 0, 0, start);
  for (const [from, to] of kept) at += buf.copy(out, at, from, to);
  buf.copy(out, at, end);
  out.writeUInt16BE(keptLength, optOffset + 9);
  return out;
}
