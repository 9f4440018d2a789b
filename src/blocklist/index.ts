// Owns the blocklist module's public surface: what other folders may import from blocklist/.
export { normalizeName, type NormalizeOptions } from './name.js';
export type { Rule, RuleAction, RuleKind } from './rule.js';
export {
  detectFormat,
  fromRpz,
  isSkip,
  lineParserFor,
  parseAdblockLine,
  parseHeaderLine,
  parseHostsLine,
  parsePlainLine,
  type ConcreteFormat,
  type LineEntry,
  type LineParser,
  type LineResult,
  type LineSkip,
  type ListFormat,
  type ListHeader,
} from './parsers.js';
export {
  createRpzParser,
  describeRpzSummary,
  isRpzSkip,
  RPZ_UNMATCHED_TRIGGERS,
  type RpzEntry,
  type RpzParser,
  type RpzResult,
  type RpzSkip,
  type RpzSummary,
} from './rpz.js';
export {
  DEFAULT_RPZ_ORIGIN,
  exportLines,
  type ExportEntry,
  type ExportFormat,
  type ExportOptions,
} from './export.js';
export { DomainMatcher, matcherFromRules, type MatchExplanation } from './matcher.js';
export { loadListFile, type LoadedList, type LoadListOptions, type SkippedLine } from './load-files.js';
