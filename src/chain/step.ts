// The contract between chain steps (Blocky's resolver chain, undici's interceptors): a step either
// answers, or passes the request to `next` and may look at or replace what comes back.

import type { DnsRequest } from './request.js';
import type { Reply } from './result.js';

/** Sync where possible: the sinkhole path never allocates a promise. */
export type MaybePromise<T> = T | Promise<T>;
export type Next = (req: DnsRequest) => MaybePromise<Reply>;

export interface Step {
  /** Short name for the startup log line and metrics. */
  readonly name: string;
  handle(req: DnsRequest, next: Next): MaybePromise<Reply>;
}

/** The last step of a chain: it always answers (SERVFAIL when it cannot), so it takes no `next`. */
export interface FinalStep {
  readonly name: string;
  handle(req: DnsRequest): MaybePromise<Reply>;
}

/** A built chain: one function to call per query, and the step names in order (for the start log). */
export interface Chain {
  readonly handle: Next;
  readonly names: readonly string[];
}

/**
 * The one chain builder: `steps` in order (absent ones, switched off by the config, are left
 * out), then `final`, which answers whatever falls through every step.
 */
export function buildSteps(steps: readonly (Step | undefined)[], final: FinalStep): Chain {
  const present = steps.filter((s): s is Step => s !== undefined);
  return { handle: composeSteps(present, (req) => final.handle(req)), names: [...present.map((s) => s.name), final.name] };
}

/** Folds steps into one function; `last` answers whatever falls through every step. */
export function composeSteps(steps: readonly Step[], last: Next): Next {
  let next = last;
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    const after = next;
    next = (req) => step.handle(req, after);
  }
  return next;
}
