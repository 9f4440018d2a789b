// From `clientLimit:` to the step (absent when queriesPerSecond is 0), with its log event.

import type { SinkdConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { CidrSet } from '../net/cidr.js';
import { ClientLimitStep } from './client-limit-step.js';

export function clientLimitStep(limit: SinkdConfig['clientLimit'], log: Logger): ClientLimitStep | undefined {
  if (limit.queriesPerSecond === 0) return undefined;
  return new ClientLimitStep(
    { queriesPerSecond: limit.queriesPerSecond, action: limit.action, exempt: new CidrSet(limit.exempt) },
    {
      limited: (client, action) =>
        log.warn(
          { event: 'client-limit', client, limit: limit.queriesPerSecond, action },
          `client ${client} asks more than ${limit.queriesPerSecond} queries a second: ${action === 'drop' ? 'dropping' : 'refusing'} the excess (logged once a minute per client)`,
        ),
    },
  );
}
