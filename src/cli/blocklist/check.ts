// `sinkd blocklist check NAME`: would a query for NAME be sinkholed, and by which entry? Loads
// the store's snapshot into the same matcher the server uses, with the same choice of one rule
// per name among the sources that list it, so the answer is the server's; and names every
// source (and family) that lists the matching name. Exit 0 when blocked, 1 when not (allowed or
// not listed), so scripts can branch on it.

import type { CommandModule } from 'yargs';
import { byPrecedence, effectiveRules } from '../../blocklist/effective-rule.js';
import { DomainMatcher } from '../../blocklist/matcher.js';
import type { Rule } from '../../blocklist/rule.js';
import type { StoredEntry } from '../../store/blocklist-store.js';
import { describeEntry, parseNames } from './names.js';
import { blocklistCommonOptions, runWithStore, usageError, type BlocklistArgs } from './run.js';

interface CheckArgs extends BlocklistArgs {
  name: string;
}

export const checkCommand: CommandModule<object, CheckArgs> = {
  command: 'check <name>',
  describe: 'say whether a name is blocked and by which entry (exit 0 = blocked, 1 = not)',
  builder: (y) =>
    y
      .positional('name', { type: 'string', describe: 'a query name, e.g. x.evil.no-ip.biz' })
      .options(blocklistCommonOptions)
      .example('$0 blocklist check x.evil.no-ip.biz', '') as never,
  handler: async (args) => {
    let name = '';
    await runWithStore(
      args,
      async (ctx) => {
        const { version, entries } = await ctx.store.snapshot();
        const matcher = new DomainMatcher();
        for (const rule of effectiveRules(entries)) matcher.add(rule);
        const verdict = matcher.explain(name);
        const defaultAction = ctx.config.sinkhole.mode;
        /** Every source's entry of the rule's name and kind, the one the rule came from first. */
        const listedBy = (r: Rule): StoredEntry[] => byPrecedence(entries.filter((e) => e.name === r.name && e.kind === r.kind));
        const ruleJson = (r: Rule) => ({
          name: r.name,
          kind: r.kind,
          source: r.source,
          ...(r.family === undefined ? {} : { family: r.family }),
          action: r.action ?? defaultAction,
          listedBy: listedBy(r).map((e) => ({ source: e.source, ...(e.family === undefined ? {} : { family: e.family }), ...(e.action === undefined ? {} : { action: e.action }) })),
        });
        const alsoListed = (r: Rule) => {
          for (const e of listedBy(r).slice(1)) ctx.out(`  also listed by ${describeEntry(e)}`);
        };

        if (ctx.json) {
          ctx.printJson({
            name,
            verdict: verdict.blocked ? 'blocked' : verdict.allowedBy !== undefined ? 'allowed' : 'not-listed',
            ...(verdict.rule === undefined ? {} : { rule: ruleJson(verdict.rule) }),
            ...(verdict.allowedBy === undefined ? {} : { allowedBy: ruleJson(verdict.allowedBy) }),
            version,
          });
        } else if (verdict.blocked && verdict.rule !== undefined) {
          ctx.out(`blocked: ${name} matches ${verdict.rule.name} (${describeEntry(verdict.rule, defaultAction)})`);
          alsoListed(verdict.rule);
        } else if (verdict.allowedBy !== undefined) {
          const would = verdict.rule === undefined ? '' : `; without it, it would match ${verdict.rule.name} (${describeEntry(verdict.rule, defaultAction)})`;
          ctx.out(`allowed: ${name} by allow entry ${verdict.allowedBy.name} (${describeEntry(verdict.allowedBy)})${would}`);
          alsoListed(verdict.allowedBy);
        } else {
          ctx.out(`not listed: ${name}`);
        }
        return verdict.blocked ? 0 : 1;
      },
      () => {
        const names = parseNames([args.name]);
        if (names.length !== 1) throw usageError('check takes one name');
        name = names[0] as string;
      },
    );
  },
};
