// The serving node's copy of the lists: one matcher, built off to the side and swapped in whole,
// so a reload never shows a query a half-loaded list and never stalls one.

import { DomainMatcher } from './matcher.js';
import { loadListFile, type SkippedLine } from './load-files.js';
import type { ListFormat } from './parsers.js';
import type { RuleKind } from './rule.js';

export interface ListFileSpec {
  readonly path: string;
  readonly format: ListFormat;
  readonly source: string;
  readonly family?: string;
}

export interface ListLoadReport {
  readonly source: string;
  readonly path: string;
  readonly kind: RuleKind;
  readonly format: string;
  readonly entries: number;
  readonly skipped: readonly SkippedLine[];
}

export class BlocklistMirror {
  private current = new DomainMatcher();

  get matcher(): DomainMatcher {
    return this.current;
  }

  replace(next: DomainMatcher): void {
    this.current = next;
  }

  /**
   * Loads every file into a new matcher and swaps it in. Rejects (keeping the current list) when
   * any file cannot be read: a half-loaded policy is worse than the previous one.
   */
  async loadFiles(blocklists: readonly ListFileSpec[], allowlists: readonly ListFileSpec[]): Promise<ListLoadReport[]> {
    const next = new DomainMatcher();
    const reports: ListLoadReport[] = [];
    const load = async (spec: ListFileSpec, kind: RuleKind) => {
      const list = await loadListFile(spec.path, { format: spec.format, kind, source: spec.source, family: spec.family });
      for (const rule of list.rules) next.add(rule);
      reports.push({ source: spec.source, path: spec.path, kind, format: list.format, entries: list.rules.length, skipped: list.skipped });
    };
    for (const spec of blocklists) await load(spec, 'block');
    for (const spec of allowlists) await load(spec, 'allow');
    this.replace(next);
    return reports;
  }
}
