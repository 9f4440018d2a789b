// Owns what leaves instead of a reply the limiter holds back: a "slip" (header and question,
// TC=1, so a real resolver asks again over TCP) or nothing. One place for every caller: the zones'
// rrl step, the refusals to clients outside the acl, and the wire fast path's FORMERR/NOTIMP.

import { HEADER_SIZE } from '../wire/constants.js';
import type { ResponseKind, ResponseRateLimiter, RrlVerdict } from './rate-limiter.js';

const TC = 0x0200;
const NOTHING = Buffer.alloc(0);

/** Called when a client prefix goes over a limit, at most once per prefix per log interval. */
export type OnLimited = (prefix: string, verdict: Exclude<RrlVerdict, 'send'>) => void;

/**
 * Debits the account (client prefix, kind, key) for `reply` and returns what to send: `reply`
 * itself, its slip, or an empty Buffer (send nothing).
 */
export function limitReply(
  limiter: ResponseRateLimiter,
  clientIp: string,
  reply: Buffer,
  questionEnd: number,
  kind: ResponseKind,
  key: string,
  onLimited: OnLimited,
  nowMs = Date.now(),
): Buffer {
  const verdict = limiter.check(clientIp, key, kind, nowMs);
  if (verdict === 'send') return reply;
  const prefix = limiter.prefixOf(clientIp);
  if (limiter.shouldLog(prefix, nowMs)) onLimited(prefix, verdict);
  return verdict === 'drop' ? NOTHING : slipReply(reply, questionEnd);
}

/**
 * Header and question only (header only when there is no question, questionEnd < 12), TC=1:
 * never larger than the question, so useless for amplification.
 */
export function slipReply(reply: Buffer, questionEnd: number): Buffer {
  const end = questionEnd > HEADER_SIZE ? Math.min(questionEnd, reply.length) : HEADER_SIZE;
  const out = Buffer.from(reply.subarray(0, end));
  if (out.length < HEADER_SIZE) return out;
  out.writeUInt16BE(out.readUInt16BE(2) | TC, 2);
  if (end === HEADER_SIZE) out.writeUInt16BE(0, 4);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(0, 10);
  return out;
}
