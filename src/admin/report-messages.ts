// What the admin listener and its report thread say to each other.

import type { ReportQuery } from '../infected/report-source.js';

export type ReportFormat = 'json' | 'html';

export type ToReportThread =
  | { readonly t: 'job'; readonly id: number; readonly query: ReportQuery; readonly format: ReportFormat }
  /** The HTTP side took a chunk: one more may be sent. */
  | { readonly t: 'more'; readonly id: number }
  /** The HTTP client went away: stop sending. */
  | { readonly t: 'cancel'; readonly id: number };

export type FromReportThread =
  | { readonly t: 'head'; readonly id: number }
  | { readonly t: 'chunk'; readonly id: number; readonly data: ArrayBuffer }
  | { readonly t: 'end'; readonly id: number }
  | { readonly t: 'error'; readonly id: number; readonly message: string };
