// What /readyz reports for one process: ready while every component is ok or degraded (a node
// whose store is down still serves the list it has), with each component's word on itself.

import type { Health } from '../lifecycle/component.js';

export interface Readiness {
  ready: boolean;
  pid: number;
  /** Why it is not ready, or what is degraded. */
  problems: string[];
  listeners: string[];
  blocklist: { block: number; allow: number; version: number };
  store: { description: string; state: string; reason?: string };
  components: Record<string, Health>;
}

export function readiness(components: Record<string, Health>, facts: Pick<Readiness, 'listeners' | 'blocklist' | 'store'>): Readiness {
  const down = Object.values(components).filter((h) => h.state === 'down');
  return {
    ready: down.length === 0,
    pid: process.pid,
    problems: down.map((h) => h.reason ?? 'down'),
    ...facts,
    components,
  };
}
