// The infected-host data model, shared by the hit recorder, the hit stores, the verdict rule and
// the report renderers. Times are ms since the epoch inside sinkd, ISO 8601 strings in reports.

/** One sinkholed query: evidence that `client` may be infected. */
export interface Hit {
  readonly time: number;
  /** Source IP of the query. */
  readonly client: string;
  readonly qname: string;
  readonly qtype: string;
  /** The blocklist entry that matched. */
  readonly rule: string;
  readonly source: string;
  readonly family?: string;
  /** What kind of list the rule came from; none (older lists) counts as malware. */
  readonly category?: 'malware' | 'ads' | 'tracking' | 'other';
  readonly transport: 'udp' | 'tcp';
  /** EDNS Client Subnet (RFC 7871) "addr/prefix": the client is a resolver in front of the hosts. */
  readonly clientSubnet?: string;
}

export type HitCategory = NonNullable<Hit['category']>;

export interface NameStat {
  readonly name: string;
  readonly hits: number;
  readonly family?: string;
  /** The blocklist entry the name matched (the name itself or a name above it). */
  readonly rule?: string;
  /**
   * The list category of the name's hits: the most severe seen (malware, then other, tracking,
   * ads); absent for hits recorded without one, which count as malware.
   */
  readonly category?: HitCategory;
  /** The list sources whose entries matched the name (a few at most). */
  readonly sources?: readonly string[];
}

/** Does a name with this category count toward the likely-infected verdict? Malware, and unknown (older records). */
export function countsAsMalware(category: HitCategory | undefined): boolean {
  return category === undefined || category === 'malware';
}

/** Everything recorded about one client address over the retention window. */
export interface ClientRecord {
  readonly client: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly hits: number;
  /** Per query name (the name asked, not the rule), most hits first. */
  readonly names: readonly NameStat[];
  readonly families: readonly string[];
  /**
   * Activity per minute: [minute start (ms), hits], oldest first. A client over the store's
   * per-client bound has its oldest minutes merged into hour (then day) buckets, keyed by the
   * bucket's start.
   */
  readonly minutes: readonly (readonly [number, number])[];
  /**
   * Of `minutes`, the hits on ads/tracking/other lists, same keys (absent or empty when none):
   * they are shown but do not make a client likely infected.
   */
  readonly otherMinutes?: readonly (readonly [number, number])[];
  /** Hits on names not kept because the client already had the store's most names per client. */
  readonly unnamedHits?: number;
  /** ECS subnets seen from this client (it is a resolver for them). */
  readonly subnets: readonly string[];
  /** A responder marked the host as handled at `at`; it shows as handled until seen again after it. */
  readonly ack?: { readonly at: number; readonly note?: string };
}

export type Verdict = 'likely-infected' | 'single-contact';

/** The thresholds of the verdict rule (config `infected.verdict`). */
export interface VerdictRule {
  /** Hits spread over at least this many distinct minutes look like a beacon. */
  readonly minDistinctMinutes: number;
  /** Or: at least this many different listed names. */
  readonly minDistinctNames: number;
}

/** Who held the client IP when the hits happened, from DHCP leases. */
export interface ClientIdentity {
  readonly mac?: string;
  readonly hostname?: string;
  /** Lease file the identity came from. */
  readonly leaseFile?: string;
}

export interface ReportClient {
  readonly client: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly hits: number;
  readonly names: readonly NameStat[];
  readonly families: readonly string[];
  readonly verdict: Verdict;
  /** Why this verdict, in words (e.g. "hits in 14 distinct minutes; 2 listed names"). */
  readonly reason: string;
  /** Distinct minutes with hits that count toward the verdict (malware or uncategorized). */
  readonly distinctMinutes: number;
  /** Of `hits`, those on ads/tracking/other lists (not counted toward the verdict); absent when none. */
  readonly otherHits?: number;
  /** Hits on names the store did not keep (the per-client bound); absent when none. */
  readonly unnamedHits?: number;
  /** Acknowledged by a responder and not seen since. */
  readonly handled: boolean;
  readonly ack?: { readonly at: string; readonly note?: string };
  readonly mac?: string;
  readonly hostname?: string;
  /** Present when the client sent ECS: it is a resolver, the subnets are behind it. */
  readonly subnets?: readonly string[];
  /**
   * Seized zones (config `zones`) whose listed hosts this client asked for: sinkd answered it as
   * the zone's authority, so the client is almost always a recursive resolver and the infected
   * hosts are behind it (its ECS subnets, when it sent them, say where).
   */
  readonly seizedZones?: readonly string[];
  /** Activity per minute for the timeline: [ISO minute, hits]. */
  readonly timeline: readonly (readonly [string, number])[];
}

/** `sinkd report --format json` (DESIGN.md contract) and the input of every renderer. */
export interface Report {
  readonly generatedAt: string;
  /** Start of the window reported on (ISO), or null for everything retained. */
  readonly since: string | null;
  readonly rule: VerdictRule & { readonly explanation: string };
  /** Sorted: likely-infected first, then by hits, most first. */
  readonly clients: readonly ReportClient[];
  readonly summary: {
    readonly clients: number;
    readonly likelyInfected: number;
    readonly singleContact: number;
    readonly handled: number;
    readonly hits: number;
    /** Hits the recorders had to drop (buffer full while the store was down), when known. */
    readonly droppedHits?: number;
    /** Stored hit records (or parts of them) that failed validation and were left out; absent when none. */
    readonly malformedRecords?: number;
  };
}
