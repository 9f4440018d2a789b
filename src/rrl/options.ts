// Owns the response-rate-limiting settings: their names (BIND's `rate-limit` options in
// camelCase), their defaults and the reasons for them, and the range checks.

/** What the limiter asks of an exemption list; net/cidr's CidrSet fits. */
export interface ClientSet {
  contains(ip: string): boolean;
}

export interface RrlOptions {
  /**
   * Identical non-error answers (same qname and qtype: positive answers, NODATA,
   * referrals) per second to one client prefix. 0 = not limited.
   */
  responsesPerSecond: number;
  /** NXDOMAIN answers per second to one client prefix, counted per zone, not per name. 0 = not limited. */
  nxdomainsPerSecond: number;
  /** Error answers (SERVFAIL, REFUSED, FORMERR...) per second to one client prefix, all names together. 0 = not limited. */
  errorsPerSecond: number;
  /**
   * Seconds over which an account is tracked (1-3600). A balance never goes below
   * -window × rate, so a client that stops flooding is answered again after about
   * `window` seconds.
   */
  window: number;
  /**
   * Of the limited responses, every slip-th is sent as a small truncated (TC=1) reply
   * instead of being dropped, so that a real resolver behind a spoofed prefix retries over
   * TCP and still gets its answer. 0 = always drop, 1 = always slip, 2 = every other (0-10).
   */
  slip: number;
  /** Client addresses are grouped by this IPv4 prefix (0-32). */
  ipv4PrefixLength: number;
  /** Client addresses are grouped by this IPv6 prefix (0-128). */
  ipv6PrefixLength: number;
  /** Most accounts kept at once; past it the least recently used is reused. Bounds memory. */
  maxTableSize: number;
  /** Count and report what would be limited, but send everything (to try settings on live traffic). */
  logOnly: boolean;
  /** `shouldLog` says yes at most once per this many ms per client prefix. */
  logIntervalMs: number;
  /** Clients never limited (monitoring, the operator's own resolvers). */
  exemptClients?: ClientSet | undefined;
}

/** What a caller may pass: any subset; nxdomains/errors default to responsesPerSecond, as in BIND. */
export type RrlConfig = Partial<RrlOptions>;

/**
 * Defaults, and why:
 * - responsesPerSecond 10. BIND's ARM uses 5 in its example (BIND itself is off until set);
 *   Knot's module defaults to 20, NSD to 200. The account is per client /24 *and per
 *   identical answer*, and a resolver asks for one name again only when its cache entry
 *   expires (No-IP's TTL is 60 s), so even a resolver farm of a few hundred caches behind
 *   one /24 stays well under 10 for one name; a spoofed flood is held to 10 full answers a
 *   second per name, and anything over the limit still gets TC=1 half the time (slip 2),
 *   so a real resolver that trips it loses one round trip, not the answer.
 * - nxdomainsPerSecond and errorsPerSecond follow responsesPerSecond (BIND's rule).
 * - window 15, slip 2, ipv4PrefixLength 24, ipv6PrefixLength 56: BIND's defaults. /56 is
 *   the smallest allocation a typical end site gets, so one customer is one account.
 * - maxTableSize 100,000: BIND's max-table-size is 20,000, but a seized zone is asked by
 *   the whole Internet's resolvers and an account is per (prefix, answer); 100k accounts
 *   take about 11 MB (measured: 5.6 MB of typed arrays, 5.3 MB of heap for the keys).
 * - logIntervalMs 60,000: BIND logs a limited client once, then "stop limiting" a minute on.
 */
export const RRL_DEFAULTS: Readonly<Omit<RrlOptions, 'exemptClients'>> = Object.freeze({
  responsesPerSecond: 10,
  nxdomainsPerSecond: 10,
  errorsPerSecond: 10,
  window: 15,
  slip: 2,
  ipv4PrefixLength: 24,
  ipv6PrefixLength: 56,
  maxTableSize: 100_000,
  logOnly: false,
  logIntervalMs: 60_000,
});

/**
 * Fills in defaults and checks ranges. Throws a RangeError whose message is one line
 * naming the option, the value and the allowed range.
 */
export function resolveRrlOptions(config: RrlConfig = {}): RrlOptions {
  const responsesPerSecond = config.responsesPerSecond ?? RRL_DEFAULTS.responsesPerSecond;
  const o: RrlOptions = {
    responsesPerSecond,
    nxdomainsPerSecond: config.nxdomainsPerSecond ?? (config.responsesPerSecond === undefined ? RRL_DEFAULTS.nxdomainsPerSecond : responsesPerSecond),
    errorsPerSecond: config.errorsPerSecond ?? (config.responsesPerSecond === undefined ? RRL_DEFAULTS.errorsPerSecond : responsesPerSecond),
    window: config.window ?? RRL_DEFAULTS.window,
    slip: config.slip ?? RRL_DEFAULTS.slip,
    ipv4PrefixLength: config.ipv4PrefixLength ?? RRL_DEFAULTS.ipv4PrefixLength,
    ipv6PrefixLength: config.ipv6PrefixLength ?? RRL_DEFAULTS.ipv6PrefixLength,
    maxTableSize: config.maxTableSize ?? RRL_DEFAULTS.maxTableSize,
    logOnly: config.logOnly ?? RRL_DEFAULTS.logOnly,
    logIntervalMs: config.logIntervalMs ?? RRL_DEFAULTS.logIntervalMs,
    exemptClients: config.exemptClients,
  };
  range('responsesPerSecond', o.responsesPerSecond, 0, 1_000_000, false);
  range('nxdomainsPerSecond', o.nxdomainsPerSecond, 0, 1_000_000, false);
  range('errorsPerSecond', o.errorsPerSecond, 0, 1_000_000, false);
  range('window', o.window, 1, 3600, true);
  range('slip', o.slip, 0, 10, true);
  range('ipv4PrefixLength', o.ipv4PrefixLength, 0, 32, true);
  range('ipv6PrefixLength', o.ipv6PrefixLength, 0, 128, true);
  range('maxTableSize', o.maxTableSize, 1, 100_000_000, true);
  range('logIntervalMs', o.logIntervalMs, 0, 86_400_000, false);
  if (typeof o.logOnly !== 'boolean') throw new RangeError(`rrl.logOnly must be true or false, got ${String(o.logOnly)}`);
  return o;
}

function range(name: string, value: number, min: number, max: number, integer: boolean): void {
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
  if (!ok) {
    throw new RangeError(`rrl.${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${String(value)}`);
  }
}
