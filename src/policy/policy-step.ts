// Chain step: the blocklist. A listed name, or any name below a listed one, gets the sinkhole
// answer here and never reaches the cache or an upstream, whatever its type (dnsmasq forwards
// AAAA/HTTPS for blocked names; we must not). Sits above the cache so a list change applies at
// once to names already cached.

import type { Next, Step } from '../chain/step.js';
import type { DnsRequest } from '../chain/request.js';
import { replyOpt } from '../chain/replies.js';
import { ResultKind, type Reply } from '../chain/result.js';
import { Ede, HEADER_SIZE, labelOffsets, sinkholeReply, type ReplyFlags, type SinkholeSpec, type SoaFields } from '../wire/index.js';
import type { Rule } from '../blocklist/rule.js';
import type { DomainMatcher } from '../blocklist/matcher.js';
import { sinkholeSpec, type SinkholeSettings } from './sinkhole-answer.js';

export interface SinkholeEvent {
  readonly req: DnsRequest;
  readonly rule: Rule;
}

/**
 * The policy as a seized zone's authority applies it: AA=1 RA=0, the zone's SOA (owned by the
 * apex) in NODATA/NXDOMAIN answers, and only rules for names strictly below the apex. A rule
 * for the apex or above (the shipped list blocks all of no-ip.biz, for a LAN) would sinkhole
 * the whole zone, which is the 2014 failure this mode exists to avoid; inside a seized zone,
 * sinkd sinkholes listed hosts only.
 */
export interface ZonePolicy {
  readonly apex: string;
  readonly soa: SoaFields;
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
  private readonly flags: ReplyFlags;
  /** In a seized zone: rules must be longer than this (strictly below the apex). */
  private readonly minRuleLength: number;

  constructor(
    private readonly lists: MatcherSource,
    settings: SinkholeSettings,
    private readonly onSinkhole: (event: SinkholeEvent) => void,
    private readonly zone: ZonePolicy | null = null,
  ) {
    const soa = zone?.soa;
    this.specs = {
      sinkhole: sinkholeSpec(settings, settings.mode, soa),
      nxdomain: sinkholeSpec(settings, 'nxdomain', soa),
      nodata: sinkholeSpec(settings, 'nodata', soa),
    };
    this.flags = zone ? { authoritative: true, recursionAvailable: false } : {};
    this.minRuleLength = zone ? zone.apex.length : -1;
  }

  handle(req: DnsRequest, next: Next): Reply | ReturnType<Next> {
    const rule = this.lists.matcher.match(req.query.qname);
    if (rule === undefined || rule.name.length <= this.minRuleLength) return next(req);
    this.onSinkhole({ req, rule });
    const q = req.query;
    const spec = this.specs[rule.action ?? 'sinkhole'];
    const bytes = sinkholeReply(
      req.raw,
      q.questionEnd,
      q.qtype,
      // The SOA's owner: the matching rule's name, or in a seized zone its apex.
      ruleOffset(req.raw, q.qname, this.zone ? this.zone.apex : rule.name),
      spec,
      q.edns === null ? null : replyOpt(req, { code: Ede.BLOCKED, text: this.textFor(rule) }),
      this.flags,
    );
    return { kind: ResultKind.SINKHOLED, bytes, rule: rule.name };
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
