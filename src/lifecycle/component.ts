// The one lifecycle every long-lived part of a running sinkd shares (listeners, the blocklist
// mirror, the hit recorder, the admin listener, the url-list refresher, the workers): start, stop,
// and a health word for /readyz. Components are started in the order the composition root
// declares and stopped in reverse, so nothing runs without what it depends on.

import type { Logger } from '../log/logger.js';

export type HealthState = 'ok' | 'degraded' | 'down';

export interface Health {
  readonly state: HealthState;
  /** Why it is not ok, in words an operator can act on. */
  readonly reason?: string;
}

export interface Component {
  /** Short and stable: it appears in the log and in /readyz. */
  readonly name: string;
  /** Resolves once the component does its job; rejects (with a message for the operator) if it cannot. */
  start(): Promise<void>;
  /** Releases everything it holds; never rejects. `graceMs`: how long work in flight may take. */
  stop(graceMs: number): Promise<void>;
  /** Absent: always ok once started. */
  health?(): Health;
}

/**
 * Starts components in order; if one fails, those already started are stopped (in reverse)
 * and the failure is rethrown: one place decides what a failed start means.
 */
export class Lifecycle {
  private readonly started: Component[] = [];
  private stopping: Promise<void> | null = null;

  constructor(private readonly log: Logger) {}

  async start(components: readonly Component[]): Promise<void> {
    for (const c of components) {
      try {
        await c.start();
      } catch (err) {
        this.log.debug({ event: 'component-start-failed', component: c.name, error: (err as Error).message }, `${c.name} did not start`);
        await this.stop(0);
        throw err;
      }
      this.started.push(c);
    }
  }

  /** Stops what was started, last first; a component that throws does not keep the others running. */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= (async () => {
      while (this.started.length > 0) {
        const c = this.started.pop()!;
        try {
          await c.stop(graceMs);
        } catch (err) {
          this.log.warn({ event: 'component-stop-failed', component: c.name, error: (err as Error).message }, `${c.name}: stopping failed: ${(err as Error).message}`);
        }
      }
    })();
    return this.stopping;
  }

  /** Every started component's health, by name. */
  health(): Record<string, Health> {
    const out: Record<string, Health> = {};
    for (const c of this.started) out[c.name] = c.health?.() ?? { state: 'ok' };
    return out;
  }
}

/** A component from two functions, for parts whose start and stop are one call each. */
export function component(name: string, start: () => Promise<void> | void, stop: (graceMs: number) => Promise<void> | void, health?: () => Health): Component {
  return {
    name,
    start: async () => {
      await start();
    },
    stop: async (graceMs) => {
      await stop(graceMs);
    },
    ...(health ? { health } : {}),
  };
}
