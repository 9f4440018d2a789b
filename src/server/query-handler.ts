// The fast path in front of the chain: parse the packet by hand, answer what is not a normal
// query (FORMERR, NOTIMP, BADVERS) or drop it (responses, runts), run the chain, and fit the reply
// to the client's UDP size. Whatever a client sends, this never throws.

import type { Next } from '../chain/step.js';
import type { ClientAddress, DnsRequest, Transport } from '../chain/request.js';
import { ResultKind, type Reply } from '../chain/result.js';
import { servfail } from '../chain/replies.js';
import { newListenerCounts, type ListenerCounts } from './listener-counts.js';
import {
  OUR_UDP_PAYLOAD,
  PLAIN_UDP_LIMIT,
  Rcode,
  errorReply,
  inspectResponse,
  parseQuery,
  truncateReply,
  type ParsedQuery,
} from '../wire/index.js';

export type QueryCounts = Record<ResultKind | 'dropped' | 'errors', number>;

export class QueryHandler {
  /** Answers not yet sent, for a graceful shutdown. */
  inflight = 0;
  readonly counts: QueryCounts = {
    sinkholed: 0, cached: 0, forwarded: 0, stale: 0, refused: 0, servfail: 0, authoritative: 0, local: 0, ratelimited: 0, formerr: 0, notimp: 0, dropped: 0, errors: 0,
  };

  readonly transports: Record<Transport, number> = { udp: 0, tcp: 0 };
  /** What the listeners sharing this handler refused or failed to send. */
  readonly listenerCounts: ListenerCounts = newListenerCounts();

  constructor(
    private chain: Next,
    private readonly onError: (err: unknown, client: ClientAddress) => void,
    /** Names sinkd answers as an authority (seized zones): their error replies say RA=0 too. */
    private readonly authoritativeFor: (qname: string) => boolean = () => false,
    /**
     * Response rate limiting of the FORMERR/NOTIMP/BADVERS answers made here, over UDP: the reply,
     * its TC=1 slip, or null (send nothing). Set in seized-zone mode, where anyone may send them.
     */
    private readonly limitError: (client: ClientAddress, reply: Buffer, questionEnd: number) => Buffer | null = (_c, reply) => reply,
  ) {}

  /** Hot reload: queries from now on run through `chain`; those in flight finish on the old one. */
  setChain(chain: Next): void {
    this.chain = chain;
  }

  /**
   * Reply bytes, a promise of them (never rejected), or null for "send nothing". Never throws:
   * a bug met by some input costs that one answer (counted, logged), never the listener.
   */
  answer(raw: Buffer, client: ClientAddress, transport: Transport): Buffer | Promise<Buffer | null> | null {
    try {
      return this.answerOrThrow(raw, client, transport);
    } catch (err) {
      this.counts.errors++;
      this.onError(err, client);
      return null;
    }
  }

  private answerOrThrow(raw: Buffer, client: ClientAddress, transport: Transport): Buffer | Promise<Buffer | null> | null {
    this.transports[transport]++;
    const parsed = parseQuery(raw);
    if (!parsed.ok) {
      switch (parsed.kind) {
        case 'drop':
          this.counts.dropped++;
          return null;
        case 'formerr':
          this.counts.formerr++;
          return this.limited(errorReply(raw, parsed.questionEnd, Rcode.FORMERR, null), parsed.questionEnd, client, transport);
        case 'notimp':
          this.counts.notimp++;
          return this.limited(errorReply(raw, parsed.questionEnd, Rcode.NOTIMP, null), parsed.questionEnd, client, transport);
        case 'badvers':
          this.counts.formerr++;
          return this.limited(
            errorReply(raw, parsed.query.questionEnd, Rcode.BADVERS, { dnssecOk: parsed.query.edns?.dnssecOk ?? false }, {
              recursionAvailable: !this.authoritativeFor(parsed.query.qname),
            }),
            parsed.query.questionEnd,
            client,
            transport,
          );
      }
    }
    const req: DnsRequest = { raw, query: parsed.query, client, transport };
    let reply: Reply | Promise<Reply>;
    try {
      reply = this.chain(req);
    } catch (err) {
      return this.failed(req, err);
    }
    if (!(reply instanceof Promise)) return this.finish(req, reply);
    this.inflight++;
    return reply.then(
      (r) => {
        this.inflight--;
        try {
          return this.finish(req, r);
        } catch (err) {
          return this.failed(req, err);
        }
      },
      (err) => {
        this.inflight--;
        return this.failed(req, err);
      },
    );
  }

  private limited(reply: Buffer, questionEnd: number, client: ClientAddress, transport: Transport): Buffer | null {
    return transport === 'udp' ? this.limitError(client, reply, questionEnd) : reply;
  }

  private finish(req: DnsRequest, reply: Reply): Buffer | null {
    this.counts[reply.kind]++;
    if (reply.bytes.length === 0) return null; // dropped by the rate limiter
    if (req.transport === 'udp') return fitUdp(reply.bytes, req.query);
    return reply.bytes;
  }

  private failed(req: DnsRequest, err: unknown): Buffer | null {
    this.counts.errors++;
    this.onError(err, req.client);
    try {
      return this.finish(req, servfail(req, 'internal error'));
    } catch {
      return null;
    }
  }
}

/** RFC 6891 7 / RFC 1035 4.2.1: cut to header+question(+OPT) with TC=1 when over the client's limit. */
function fitUdp(bytes: Buffer, q: ParsedQuery): Buffer {
  const limit = q.edns === null ? PLAIN_UDP_LIMIT : Math.min(Math.max(q.edns.udpSize, PLAIN_UDP_LIMIT), OUR_UDP_PAYLOAD);
  if (bytes.length <= limit) return bytes;
  const info = inspectResponse(bytes);
  // An upstream reply too broken to cut down cleanly: SERVFAIL rather than a half record.
  if (info === null) return errorReply(bytes, -1, Rcode.SERVFAIL, null);
  return truncateReply(bytes, info, limit);
}
