// Chain step: a per-client query rate limit for the resolver side, so that one client flooding
// sinkd (a looping script, a misbehaving IoT box, an attack from inside the LAN) cannot starve
// the others. Over the limit, a query is answered REFUSED or dropped (config), and the client is
// logged once a minute. The accounting is the RRL table (src/rrl), keyed by client address
// (IPv4 /32, IPv6 /64: one host may hold many addresses of its /64) instead of by answer.

import type { Next, Step } from '../chain/step.js';
import type { DnsRequest } from '../chain/request.js';
import { refused } from '../chain/replies.js';
import { ResultKind, type Reply } from '../chain/result.js';
import { ResponseRateLimiter, type ClientSet } from '../rrl/index.js';

export interface ClientLimitSettings {
  readonly queriesPerSecond: number;
  readonly action: 'refused' | 'drop';
  readonly exempt?: ClientSet;
}

export interface ClientLimitEvents {
  /** At most once a minute per client. */
  limited(client: string, action: 'refused' | 'drop'): void;
}

const NOTHING = Buffer.alloc(0);

export class ClientLimitStep implements Step {
  readonly name = 'client-limit';
  private readonly limiter: ResponseRateLimiter;

  constructor(
    private readonly settings: ClientLimitSettings,
    private readonly events: ClientLimitEvents,
  ) {
    const rate = settings.queriesPerSecond;
    this.limiter = new ResponseRateLimiter({
      responsesPerSecond: rate,
      nxdomainsPerSecond: rate,
      errorsPerSecond: rate,
      // A client that stops flooding is served again within a second or two.
      window: 1,
      slip: 0,
      ipv4PrefixLength: 32,
      ipv6PrefixLength: 64,
      maxTableSize: 100_000,
      exemptClients: settings.exempt,
    });
  }

  handle(req: DnsRequest, next: Next): Reply | ReturnType<Next> {
    const ip = req.client.address;
    const now = Date.now();
    // One account per client: every query counts, whatever it asks.
    if (this.limiter.check(ip, '', 'error', now) === 'send') return next(req);
    if (this.limiter.shouldLog(ip, now)) this.events.limited(ip, this.settings.action);
    if (this.settings.action === 'drop') return { kind: ResultKind.RATE_LIMITED, bytes: NOTHING };
    const r = refused(req, 'query rate over the per-client limit');
    return { kind: ResultKind.RATE_LIMITED, bytes: r.bytes };
  }
}
