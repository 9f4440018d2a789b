// Owns the shape of one blocklist entry, shared by parsers, stores, the matcher and logs.

export type RuleKind = 'block' | 'allow';

/** How a blocked name is answered; absent means the server's configured default. */
export type RuleAction = 'sinkhole' | 'nxdomain' | 'nodata';

export interface Rule {
  /** Normalized name (see normalizeName); the rule covers this name and its whole subtree. */
  readonly name: string;
  readonly kind: RuleKind;
  /** Where the rule came from (list file name, "cli", a feed URL ...), for logs and reports. */
  readonly source: string;
  /** Malware family, where the list says so. */
  readonly family?: string;
  readonly action?: RuleAction;
}
