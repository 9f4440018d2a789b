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
