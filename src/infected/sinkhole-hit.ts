// A sinkholed query as a hit: the evidence the infected-host report is built from.

import type { SinkholeEvent } from '../policy/policy-step.js';
import { qtypeName } from '../wire/index.js';
import type { Hit } from './model.js';

export function sinkholeHit({ req, rule }: SinkholeEvent, now = Date.now()): Hit {
  const subnet = req.query.edns?.clientSubnet;
  return {
    time: now,
    client: req.client.address,
    qname: req.query.qname,
    qtype: qtypeName(req.query.qtype),
    rule: rule.name,
    source: rule.source,
    ...(rule.family !== undefined ? { family: rule.family } : {}),
    transport: req.transport,
    ...(subnet !== undefined ? { clientSubnet: subnet } : {}),
  };
}
