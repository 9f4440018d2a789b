// `sinkd blocklist remove NAME...`: delete the names' block entries, from every list that has
// them, and say which lists those were, so "remove" leaves no copy behind; but a list that is
// imported again brings its names back, which the output points out.

import type { CommandModule } from 'yargs';
import type { RuleKind } from '../../blocklist/rule.js';
import type { StoredEntry } from '../../store/blocklist-store.js';
import { describeEntry, entryJson, parseNames, selfAndAncestors } from './names.js';
import { CLI_SOURCE } from './put-names.js';
import { blocklistCommonOptions, runWithStore, type BlocklistArgs } from './run.js';

interface RemoveArgs extends BlocklistArgs {
  names: string[];
  kind: RuleKind;
}

interface Removal {
  readonly name: string;
  /** The name's own entries of that kind, one per source. */
  readonly removed?: readonly StoredEntry[];
  /** When the name has no entry of its own: the ancestor entries that cover it. */
  readonly coveredBy?: readonly StoredEntry[];
}

export const removeCommand: CommandModule<object, RemoveArgs> = {
  command: 'remove <names..>',
  describe: 'delete the block entries of these names, from whichever source (exit 1 if a name had none)',
  builder: (y) =>
    y
      .positional('names', { type: 'string', array: true, describe: 'hostnames, exactly as listed' })
      .options({
        ...blocklistCommonOptions,
        kind: { type: 'string', choices: ['block', 'allow'], default: 'block', describe: 'which entries to delete: block entries, or allow exceptions' },
      })
      .example('$0 blocklist remove legit.no-ip.biz', '')
      .example('$0 blocklist remove --kind allow printer.ddns.net', '') as never,
  handler: async (args) => {
    let names: string[] = [];
    await runWithStore(
      args,
      async (ctx) => {
        const { store } = ctx;
        const removals: Removal[] = [];
        for (const name of names) {
          const own = (await store.get(name)).filter((e) => e.kind === args.kind);
          if (own.length > 0) {
            removals.push({ name, removed: own });
            continue;
          }
          const coveredBy: StoredEntry[] = [];
          for (const n of selfAndAncestors(name).slice(1)) coveredBy.push(...(await store.get(n)).filter((e) => e.kind === args.kind));
          removals.push({ name, coveredBy });
        }
        const dels = removals.filter((r) => r.removed !== undefined);
        const version = dels.length > 0 ? await store.apply(dels.map((r) => ({ op: 'del', name: r.name, kind: args.kind }))) : await store.version();
        const missing = removals.length - dels.length;

        if (ctx.json) {
          ctx.printJson({
            version,
            results: removals.map((r) =>
              r.removed !== undefined
                ? { name: r.name, result: 'removed', entry: entryJson(r.removed[0]!), entries: r.removed.map(entryJson) }
                : { name: r.name, result: 'not-listed', coveredBy: (r.coveredBy ?? []).map(entryJson) },
            ),
          });
          return missing > 0 ? 1 : 0;
        }
        const kindWord = args.kind === 'block' ? 'block' : 'allow';
        for (const r of removals) {
          if (r.removed !== undefined) {
            for (const e of r.removed) {
              ctx.out(`removed ${r.name} (${kindWord} entry, ${describeEntry(e)})`);
              if (e.source !== CLI_SOURCE) {
                const keep = args.kind === 'block' ? `; to keep it unblocked, run: sinkd blocklist allow ${r.name}` : '';
                ctx.out(`  note: importing ${e.source} again will list it again${keep}`);
              }
            }
          } else {
            ctx.out(`not listed: ${r.name} has no ${kindWord} entry of its own`);
            for (const c of r.coveredBy ?? []) {
              const hint = args.kind === 'block' ? `; to unblock just this name, run: sinkd blocklist allow ${r.name}` : '';
              ctx.out(`  it is covered by ${kindWord} entry ${c.name} (${describeEntry(c)})${hint}`);
            }
          }
        }
        ctx.out(dels.length > 0 ? `store version ${version}` : `nothing changed (store version ${version})`);
        return missing > 0 ? 1 : 0;
      },
      () => {
        names = parseNames(args.names);
      },
    );
  },
};
