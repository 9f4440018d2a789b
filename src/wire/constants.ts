// DNS numbers the fast path needs (RFC 1035, 6891, 8914), and the names logs use for them.

export const HEADER_SIZE = 12;

export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended rcode 16 (RFC 6891): upper 8 bits go into the OPT TTL field. */
  BADVERS: 16,
} as const;

export const Opcode = { QUERY: 0 } as const;

export const QType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  DNSKEY: 48,
  SVCB: 64,
  HTTPS: 65,
  HINFO: 13,
  ANY: 255,
} as const;

export const QClass = { IN: 1 } as const;

/** RFC 8914 Extended DNS Error option code and the info-codes sinkd sends. */
export const EDNS_OPTION_EDE = 15;
export const EDNS_OPTION_ECS = 8;
export const Ede = {
  /** With a text saying what happened (e.g. too many queries in flight upstream). */
  OTHER: 0,
  STALE_ANSWER: 3,
  BLOCKED: 15,
  PROHIBITED: 18,
  NO_REACHABLE_AUTHORITY: 22,
} as const;

/** Our advertised EDNS UDP payload size: the DNS Flag Day 2020 value, safe from fragmentation. */
export const OUR_UDP_PAYLOAD = 1232;
/** Without EDNS a UDP reply is limited to 512 octets (RFC 1035 4.2.1). */
export const PLAIN_UDP_LIMIT = 512;

const typeNames = new Map<number, string>(Object.entries(QType).map(([k, v]) => [v, k]));

/** "A", "AAAA", ... or "TYPE65534" (RFC 3597 notation) for types we have no name for. */
export function qtypeName(qtype: number): string {
  return typeNames.get(qtype) ?? `TYPE${qtype}`;
}

const rcodeNames = new Map<number, string>(Object.entries(Rcode).map(([k, v]) => [v, k]));
export function rcodeName(rcode: number): string {
  return rcodeNames.get(rcode) ?? `RCODE${rcode}`;
}
