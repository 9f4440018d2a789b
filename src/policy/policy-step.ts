// Chain step: the blocklist. A listed name, or any name below a listed one, gets the sinkhole
// answer here and never reaches the cache or an upstream, whatever its type (dnsmasq forwards
// AAAA/HTTPS for blocked names; we must not). Sits above the cache so a list change applies at
// once to names already cached.

import type { Next, Step } from '../chain/step.js';
import type { DnsRequest } from '../chain/request.js';
import { replyOpt } from '../chain/replies.js';
import { ResultKind, type Reply } from '../chain/result.js';
import { Ede, HEADER_SIZE, labelOffsets, sinkholeReply, type SinkholeSpec } from '../wire/index.js';
import type { Rule } from '../blocklist/rule.js';
import type { DomainMatcher } from '../blocklist/matcher.js';
import { sinkholeSpec, type SinkholeSettings } from './sinkhole-answer.js';

export interface SinkholeEvent {
  readonly req: DnsRequest;
  readonly rule: Rule;
}

/** Where the current matcher comes from; swapped atomically on reload. */
export interface MatcherSource {
  readonly matcher: DomainMatcher;
}

export class PolicyStep implements Step {
  readonly name = 'policy';
  private readonly specs: Record<'sinkhole' | 'nxdomain' | 'nodata', SinkholeSpec>;

  constructor(
    private readonly lists: MatcherSource,
    settings: SinkholeSettings,
    private readonly onSinkhole: (event: SinkholeEvent) => void,
  ) {
    this.specs = {
      sinkhole: sinkholeSpec(settings, settings.mode),
      nxdomain: sinkholeSpec(settings, 'nxdomain'),
      nodata: sinkholeSpec(settings, 'nodata'),
    };
  }

  handle(req: DnsRequest, next: Next): Reply | ReturnType<Next> {
    const rule = this.lists.matcher.match(req.query.qname);
    if (rule === undefined) return next(req);
    this.onSinkhole({ req, rule });
    const q = req.query;
    const spec = this.specs[rule.action ?? 'sinkhole'];
    const bytes = sinkholeReply(
      req.raw,
      q.questionEnd,
      q.qtype,
      ruleOffset(req.raw, q.qname, rule.name),
      spec,
      replyOpt(req, { code: Ede.BLOCKED, text: `sinkd: ${rule.name} (${rule.source})` }),
    );
    return { kind: ResultKind.SINKHOLED, bytes };
  }
}

/** Offset in the packet of the label where the rule's name starts inside the question name. */
function ruleOffset(raw: Buffer, qname: string, ruleName: string): number {
  if (ruleName.length === 0 || ruleName === qname) return HEADER_SIZE;
  const offsets = labelOffsets(raw, HEADER_SIZE);
  const ruleLabels = ruleName.split('.').length;
  return offsets[offsets.length - ruleLabels] ?? HEADER_SIZE;
}
