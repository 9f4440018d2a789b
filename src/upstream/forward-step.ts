// Chain step (last): relay the client's query to the upstreams and hand back their reply under
// the client's ID; SERVFAIL only when every upstream failed, or at once when the client (or the
// process) already has too many queries in flight upstream.

import type { Step } from '../chain/step.js';
import type { DnsRequest } from '../chain/request.js';
import { servfail } from '../chain/replies.js';
import { ResultKind, type Reply } from '../chain/result.js';
import type { UpstreamPool } from './upstream-pool.js';
import { InflightLimit } from './inflight-limit.js';

export class ForwardStep implements Step {
  readonly name = 'forward';
  constructor(
    private readonly pool: UpstreamPool,
    private readonly inflight: InflightLimit,
  ) {}

  handle(req: DnsRequest): Promise<Reply> {
    return this.inflight.run(req, () => this.forward(req));
  }

  private async forward(req: DnsRequest): Promise<Reply> {
    const reply = await this.pool.resolve(req.raw, req.query.questionEnd);
    if (reply === null) return servfail(req);
    reply.writeUInt16BE(req.query.id, 0);
    return { kind: ResultKind.FORWARDED, bytes: reply };
  }
}
