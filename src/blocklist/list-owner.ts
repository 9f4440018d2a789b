// Owns the name under which a serving instance claims the lists its config declares. A config
// list belongs to the configs that declare it: an instance empties a list only when it declared
// it before, no longer does, and no other instance declares it (SourceInfo.owners). So two
// instances with different lists, on one embedded store or on one Redis, never remove each
// other's lists.
//
// The name must stay the same across restarts (or a list dropped from the config would never be
// emptied) and differ between instances that run at the same time: the config file, the listen
// addresses (two instances on one host cannot listen on the same ones), and on a shared Redis
// the node's name (SINKD_NODE_NAME, else the host name), since every node may use the same
// config path and addresses. The embedded store is one host's file, so its owners leave the host
// name out (a container's host name changes with every new container).

import { hostname } from 'node:os';
import type { SinkdConfig } from '../config/types.js';
import { formatEndpoint } from '../net/address.js';

export function listOwner(config: Pick<SinkdConfig, 'configFile' | 'listen' | 'redis'>, env: NodeJS.ProcessEnv = process.env): string {
  const listen = config.listen.map(formatEndpoint).sort().join(',');
  const where = `${config.configFile ?? '(no config file)'} ${listen}`;
  if (config.redis.url === '') return where;
  const node = env.SINKD_NODE_NAME?.trim() || hostname();
  return `${node} ${where}`;
}
