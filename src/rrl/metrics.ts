// Response rate limiting's figures: seized-zone answers over UDP by verdict.

import { counter, type MetricFamily } from '../metrics/family.js';
import type { ResponseRateLimiter } from './rate-limiter.js';

export function rrlMetrics(rrl: ResponseRateLimiter): MetricFamily[] {
  const s = rrl.stats();
  return [
    counter('sinkd_rrl_responses_total', 'Seized-zone answers over UDP by rate-limit verdict.', [
      { labels: { verdict: 'sent' }, value: s.sent },
      { labels: { verdict: 'slipped' }, value: s.slipped },
      { labels: { verdict: 'dropped' }, value: s.dropped },
    ]),
  ];
}
