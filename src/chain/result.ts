// The result kinds every answer is labelled with, defined once: logs, metrics and EDE read them.

export const ResultKind = {
  /** Name (or an ancestor) is on the blocklist: sinkhole answer, never forwarded. */
  SINKHOLED: 'sinkholed',
  /** Served from the answer cache within its TTL. */
  CACHED: 'cached',
  /** Asked of an upstream just now. */
  FORWARDED: 'forwarded',
  /** Served from cache past its TTL because every upstream failed (RFC 8767). */
  STALE: 'stale',
  /** Client not allowed to recurse. */
  REFUSED: 'refused',
  /** Every upstream failed and nothing was cached. */
  SERVFAIL: 'servfail',
  /** A seized zone's apex SOA/NS, answered from the config. */
  AUTHORITATIVE: 'authoritative',
  /** Answered by sinkd itself without asking anyone: RFC 8482 minimal answer to ANY. */
  LOCAL: 'local',
  /** Over the response rate limit (RRL): a TC=1 "slip", or nothing at all (empty bytes). */
  RATE_LIMITED: 'ratelimited',
  FORMERR: 'formerr',
  NOTIMP: 'notimp',
} as const;
export type ResultKind = (typeof ResultKind)[keyof typeof ResultKind];

/** What a chain step hands back: the reply bytes (ID already the client's) and how we got them; empty bytes = send nothing. */
export interface Reply {
  readonly kind: ResultKind;
  readonly bytes: Buffer;
  /** SINKHOLED: the listed entry that matched (response rate limiting counts by it). */
  readonly rule?: string;
}
