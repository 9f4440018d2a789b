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
  /** EDE extra text per rule, built once: a template string per sinkholed query showed in profiles. */
  private readonly edeText = new WeakMap<Rule, string>();

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
      q.edns === null ? null : replyOpt(req, { code: Ede.BLOCKED, text: this.textFor(rule) }),
    );
    return { kind: ResultKind.SINKHOLED, bytes };
  }

  private textFor(rule: Rule): string {
    let text = this.edeText.get(rule);
    if (text === undefined) {
      text = `sinkd: ${rule.name} (${rule.source})`;
      this.edeText.set(rule, text);
    }
    return text;
  }
}

/** Offset in the packet of the label where the rule's name starts inside the question name. */
function ruleOffset(raw: Buffer, qname: string, ruleName: string): number {
  if (ruleName.length === 0 || ruleName === qname) return HEADER_SIZE;
  // Each "." in the text stands where a length octet is on the wire, so a suffix of the text
  // starts at the same distance from the end, unless a label held an escaped "." or "\\".
  if (!qname.includes('\\')) return HEADER_SIZE + qname.length - ruleName.length;
  const offsets = labelOffsets(raw, HEADER_SIZE);
  const ruleLabels = ruleName.split('.').length;
  return offsets[offsets.length - ruleLabels] ?? HEADER_SIZE;
}
