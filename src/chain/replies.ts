// Replies every step may need to give, built from the request so each step stays its own logic.

import { Ede, Rcode, errorReply, type OptSpec } from '../wire/index.js';
import type { DnsRequest } from './request.js';
import { ResultKind, type Reply } from './result.js';

/** Our OPT for a reply to `req`: present only when the query had one (RFC 6891 7). */
export function replyOpt(req: DnsRequest, ede?: { code: number; text: string }): OptSpec | null {
  const edns = req.query.edns;
  if (edns === null) return null;
  return ede ? { dnssecOk: edns.dnssecOk, ede } : { dnssecOk: edns.dnssecOk };
}

export function refused(req: DnsRequest, text = 'recursion not allowed for this client'): Reply {
  return {
    kind: ResultKind.REFUSED,
    bytes: errorReply(req.raw, req.query.questionEnd, Rcode.REFUSED, replyOpt(req, { code: Ede.PROHIBITED, text })),
  };
}

export function servfail(req: DnsRequest, text = 'no upstream answered'): Reply {
  return {
    kind: ResultKind.SERVFAIL,
    bytes: errorReply(req.raw, req.query.questionEnd, Rcode.SERVFAIL, replyOpt(req, { code: Ede.NO_REACHABLE_AUTHORITY, text })),
  };
}
