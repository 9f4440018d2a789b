// Response rate limiting (BIND's RRL model) for the authoritative answers of seized zones.
export { ResponseRateLimiter, type LimitedAccount, type ResponseKind, type RrlStats, type RrlVerdict } from './rate-limiter.js';
export { RRL_DEFAULTS, resolveRrlOptions, type ClientSet, type RrlConfig, type RrlOptions } from './options.js';
export { ClientPrefixer, FAMILY_V4, FAMILY_V6, NOT_AN_ADDRESS } from './client-prefix.js';
export {
  accountFor,
  answerFingerprint,
  NO_WILDCARD,
  NO_WILDCARDS,
  UNKNOWN,
  WILDCARD,
  type Account,
  type ReplyOrigin,
  type WildcardKnowledge,
} from './response-account.js';
export { limitReply, slipReply, type OnLimited } from './limited-reply.js';
