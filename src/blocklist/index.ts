// Owns the blocklist module's public surface: what other folders may import from blocklist/.
export { normalizeName, type NormalizeOptions } from './name.js';
export type { Rule, RuleAction, RuleKind } from './rule.js';
export {
  detectFormat,
  isSkip,
  lineParserFor,
  parseAdblockLine,
  parseHostsLine,
  parsePlainLine,
  type ConcreteFormat,
  type LineEntry,
  type LineParser,
  type LineResult,
  type LineSkip,
  type ListFormat,
} from './parsers.js';
export { DomainMatcher, matcherFromRules, type MatchExplanation } from './matcher.js';
export { loadListFile, type LoadedList, type LoadListOptions, type SkippedLine } from './load-files.js';
