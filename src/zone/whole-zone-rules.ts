// A blocklist rule for a seized zone's apex or above (the shipped list blocks all of no-ip.biz,
// for a LAN) does not sinkhole the zone: inside it only listed hosts are. Said once at start
// and on reload, so the operator knows why the rule seems not to apply.

import type { ZoneSpec } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { DomainMatcher } from '../blocklist/matcher.js';

export function warnWholeZoneRules(zones: readonly Pick<ZoneSpec, 'name'>[], matcher: DomainMatcher, log: Logger): void {
  for (const zone of zones) {
    const rule = matcher.match(zone.name);
    if (rule === undefined) continue;
    log.warn(
      { event: 'zone-rule-ignored', zone: zone.name, rule: rule.name, source: rule.source },
      `blocklist entry ${rule.name} (${rule.source}) covers all of the seized zone ${zone.name}; inside the zone only listed hosts below ${zone.name} are sinkholed, every other name is passed to its original servers`,
    );
  }
}
