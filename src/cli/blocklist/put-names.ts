// Owns what `add` and `allow` share: putting names typed on the command line into the store as
// source "cli" entries, in one change set, and saying per name what happened.
//
// Entries are kept per source: when a list (another source) already has the name, the "cli"
// entry is added beside it, so the name stays listed when that list drops it; the output says
// which other lists have it.

import type { RuleAction, RuleKind } from '../../blocklist/rule.js';
import type { NewEntry, StoredEntry } from '../../store/blocklist-store.js';
import { describeEntry, entryJson, selfAndAncestors } from './names.js';
import type { CommandContext } from './run.js';

export const CLI_SOURCE = 'cli';

export interface PutRequest {
  readonly kind: RuleKind;
  readonly names: readonly string[];
  readonly family?: string;
  readonly action?: RuleAction;
}

type Outcome = 'added' | 'updated' | 'unchanged';

interface PutResult {
  readonly name: string;
  readonly outcome: Outcome;
  /** The entry as it is after the command. */
  readonly entry: NewEntry | StoredEntry;
  readonly before?: StoredEntry;
  /** Other sources' entries of the same name and kind. */
  readonly elsewhere: readonly StoredEntry[];
  /** For allow: the block entries (the name's own or an ancestor's) the new exception overrides. */
  readonly overrides?: readonly StoredEntry[];
}

export async function putNames(ctx: CommandContext, req: PutRequest): Promise<number> {
  const { store } = ctx;
  const results: PutResult[] = [];
  const puts: NewEntry[] = [];
  for (const name of req.names) {
    const same = (await store.get(name)).filter((e) => e.kind === req.kind);
    const before = same.find((e) => e.source === CLI_SOURCE);
    const elsewhere = same.filter((e) => e.source !== CLI_SOURCE);
    // Adding a name again without --family/--action keeps what it has.
    const mine = before;
    const family = req.family ?? mine?.family;
    const action = req.action ?? mine?.action;
    const wanted: NewEntry = {
      name,
      kind: req.kind,
      source: CLI_SOURCE,
      ...(family === undefined ? {} : { family }),
      ...(action === undefined ? {} : { action }),
    };
    let overrides: StoredEntry[] | undefined;
    if (req.kind === 'allow') {
      overrides = [];
      for (const n of selfAndAncestors(name)) overrides.push(...(await store.get(n)).filter((e) => e.kind === 'block'));
    }
    const extra = { elsewhere, ...(overrides === undefined ? {} : { overrides }) };
    if (before === undefined) {
      puts.push(wanted);
      results.push({ name, outcome: 'added', entry: wanted, ...extra });
    } else if (before.family === wanted.family && before.action === wanted.action) {
      results.push({ name, outcome: 'unchanged', entry: before, before, ...extra });
    } else {
      puts.push(wanted);
      results.push({ name, outcome: 'updated', entry: wanted, before, ...extra });
    }
  }
  const version = puts.length > 0 ? await store.apply(puts.map((entry) => ({ op: 'put', entry }))) : await store.version();

  if (ctx.json) {
    ctx.printJson({
      version,
      results: results.map((r) => ({
        name: r.name,
        result: r.outcome,
        entry: 'addedAt' in r.entry ? entryJson(r.entry) : r.entry,
        ...(r.before === undefined ? {} : { before: entryJson(r.before) }),
        ...(r.elsewhere.length === 0 ? {} : { alsoListedBy: r.elsewhere.map(entryJson) }),
        ...(r.overrides === undefined ? {} : { overrides: r.overrides.map(entryJson) }),
      })),
    });
    return 0;
  }
  const kindWord = req.kind === 'block' ? 'blocklist' : 'allowlist';
  for (const r of results) {
    const what = describeEntry(r.entry);
    switch (r.outcome) {
      case 'added':
        ctx.out(`${req.kind === 'block' ? 'added' : 'allowed'} ${r.name} (${what})`);
        break;
      case 'updated':
        ctx.out(`updated ${r.name} (${what}; was ${describeEntry(r.before as StoredEntry)})`);
        break;
      case 'unchanged':
        ctx.out(`unchanged ${r.name} (already on the ${kindWord}, ${what})`);
        break;
    }
    for (const e of r.elsewhere) ctx.out(`  also listed by ${describeEntry(e)}`);
    for (const o of r.overrides ?? []) {
      ctx.out(`  overrides block entry ${o.name} (${describeEntry(o)})`);
    }
  }
  ctx.out(puts.length > 0 ? `store version ${version}` : `nothing changed (store version ${version})`);
  return 0;
}
