// The budget of upstream queries in flight, for the whole process and for each client. Every
// forwarded query holds a socket (a file descriptor) until its upstream answers or times out, so a
// client asking many distinct names that resolve slowly would otherwise take sinkd to its
// descriptor limit, after which TCP accept, the store and hit writes fail. Beyond the budget a
// query is answered SERVFAIL at once, with an EDE saying why, and counted. One budget serves the
// resolver's upstreams and every seized zone's original servers: the descriptors are the process's.
// A client is one IPv4 address or one IPv6 /64 (what one host holds).

import type { DnsRequest } from '../chain/request.js';
import { replyOpt } from '../chain/replies.js';
import { ResultKind, type Reply } from '../chain/result.js';
import { ClientPrefixer } from '../rrl/client-prefix.js';
import { Ede, Rcode, errorReply } from '../wire/index.js';

export interface InflightLimits {
  /** Upstream queries in flight at once, in all. */
  readonly maxInflight: number;
  /** ... and for one client. */
  readonly maxInflightPerClient: number;
}

/** Which limit a refused query met. */
export type InflightLimited = 'global' | 'client';

export class InflightLimit {
  /** Queries in flight now. */
  inflight = 0;
  /** Queries refused, by the limit they met. */
  readonly limited = { global: 0, client: 0 };
  private readonly perClient = new Map<string, number>();
  private readonly clientOf = new ClientPrefixer(32, 64);

  constructor(private limits: InflightLimits) {}

  /** Hot reload: new limits apply from the next query; queries in flight keep their slots. */
  configure(limits: InflightLimits): void {
    this.limits = limits;
  }

  /**
   * Runs `ask` within the budget of `req`'s client; over the budget, answers SERVFAIL at once
   * (EDE 0 "too many queries in flight upstream (global|client)") without calling it.
   */
  async run(req: DnsRequest, ask: () => Promise<Reply>): Promise<Reply> {
    const client = this.clientOf.prefixOf(req.client.address);
    const mine = this.perClient.get(client) ?? 0;
    const over: InflightLimited | null = this.inflight >= this.limits.maxInflight ? 'global' : mine >= this.limits.maxInflightPerClient ? 'client' : null;
    if (over !== null) {
      this.limited[over]++;
      return overloaded(req, over);
    }
    this.inflight++;
    this.perClient.set(client, mine + 1);
    try {
      return await ask();
    } finally {
      this.inflight--;
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left <= 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
    }
  }
}

function overloaded(req: DnsRequest, limit: InflightLimited): Reply {
  const ede = { code: Ede.OTHER, text: `too many queries in flight upstream (${limit})` };
  return { kind: ResultKind.SERVFAIL, bytes: errorReply(req.raw, req.query.questionEnd, Rcode.SERVFAIL, replyOpt(req, ede)) };
}
