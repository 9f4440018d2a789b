// What sinkd changes in a seized zone's relayed answer, and why. The answer's records, TTLs and
// rcode stay as the original servers gave them, with two exceptions, both about not letting the
// provider's data undo the takeover:
// - The provider's own NS set for the apex (and its glue), which its servers add to the authority
//   section of every positive answer. Sent with AA=1 by sinkd, resolvers would rank it above the
//   parent's delegation (RFC 2181 5.4.1) and start asking the provider's servers directly,
//   bypassing the sinkhole. A positive answer goes out "minimal" instead: answer section and OPT.
//   (Negative answers keep their authority section: the SOA there is what resolvers cache by.)
// - A CNAME chain that leads to a listed host: the answer stops at the CNAME that points to it,
//   so the resolver asks sinkd for the listed name and gets the sinkhole, instead of the
//   provider's address record for it riding along in the chain.

import { HEADER_SIZE, QType } from '../wire/index.js';
import { readName, skipName } from '../wire/names.js';

interface RecordAt {
  readonly start: number;
  readonly end: number;
  readonly owner: string;
  readonly type: number;
  readonly rdata: number;
}

/** The records of a reply, or null when it is malformed (then it is relayed as it is). */
function records(buf: Buffer, from: number, count: number): { list: RecordAt[]; end: number } | null {
  const list: RecordAt[] = [];
  let off = from;
  for (let i = 0; i < count; i++) {
    const owner = readName(buf, off);
    const afterName = skipName(buf, off);
    if (owner === null || afterName < 0 || afterName + 10 > buf.length) return null;
    const rdlen = buf.readUInt16BE(afterName + 8);
    const end = afterName + 10 + rdlen;
    if (end > buf.length) return null;
    list.push({ start: off, end, owner, type: buf.readUInt16BE(afterName), rdata: afterName + 10 });
    off = end;
  }
  return { list, end: off };
}

/**
 * The reply as sinkd relays it for the zone `apex`; the same Buffer when nothing needs to change.
 * `listed(name)`: whether the name is sinkholed in this zone.
 */
export function filterRelayed(reply: Buffer, questionEnd: number, apex: string, listed: (name: string) => boolean): Buffer {
  if (reply.length < HEADER_SIZE || questionEnd > reply.length) return reply;
  const an = reply.readUInt16BE(6);
  const ns = reply.readUInt16BE(8);
  const ar = reply.readUInt16BE(10);
  if (an === 0) return reply;
  const answers = records(reply, questionEnd, an);
  if (answers === null) return reply;
  const rest = records(reply, answers.end, ns + ar);
  if (rest === null) return reply;
  let keep = an;
  for (let i = 0; i < answers.list.length; i++) {
    const r = answers.list[i]!;
    if (r.type !== QType.CNAME) continue;
    const target = readName(reply, r.rdata);
    if (target !== null && listed(target)) {
      keep = i + 1;
      break;
    }
  }
  const authority = rest.list.slice(0, ns);
  const providerNs = authority.some((r) => r.type === QType.NS && r.owner === apex);
  if (keep === an && !providerNs) return reply;
  const opt = rest.list.slice(ns).find((r) => r.type === QType.OPT);
  const answerEnd = keep === 0 ? questionEnd : answers.list[keep - 1]!.end;
  const parts = [reply.subarray(0, answerEnd), ...(opt ? [reply.subarray(opt.start, opt.end)] : [])];
  const out = Buffer.concat(parts);
  out.writeUInt16BE(keep, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(opt ? 1 : 0, 10);
  return out;
}
