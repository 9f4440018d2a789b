// What the embedded hit store's main side and its journal thread say to each other.

import type { ClientRecord } from './model.js';
import type { ClientDelta } from './hit-delta.js';

export type ToJournal = { readonly id: number } & (
  | { readonly t: 'add'; readonly clients: readonly ClientDelta[] }
  | { readonly t: 'dropped'; readonly count: number }
  | { readonly t: 'clients'; readonly since: number | null; readonly client?: string }
  | { readonly t: 'ack'; readonly client: string; readonly note?: string; readonly at: number }
  | { readonly t: 'dropped?' }
  | { readonly t: 'close' }
);

export type FromJournal =
  | { readonly t: 'ready' }
  | { readonly t: 'reply'; readonly id: number; readonly value?: unknown; readonly error?: string }
  | { readonly t: 'log'; readonly level: 'info' | 'warn'; readonly event: string; readonly fields: Record<string, unknown>; readonly msg: string };

export type ClientsReply = ClientRecord[];
