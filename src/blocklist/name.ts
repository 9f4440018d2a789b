// Owns the canonical form of a blocklist name: the one spelling used as a matcher key.
import { domainToASCII } from 'node:url';

export interface NormalizeOptions {
  /**
   * Accept a leading "*." and drop it. Every entry already covers its whole subtree, so
   * "*.example.com" adds nothing over "example.com"; formats where a wildcard means
   * something else (adblock, hosts) leave this off and get null instead.
   */
  readonly stripWildcard?: boolean;
}

const MAX_NAME = 253;
const MAX_LABEL = 63;

/**
 * Lowercase, one trailing dot stripped, IDN converted to punycode; null when the input is
 * not a usable DNS name (empty, empty label, label > 63 or name > 253 octets, or a
 * character outside [a-z0-9-_]).
 */
export function normalizeName(input: string, opts?: NormalizeOptions): string | null {
  let name = input;
  if (opts?.stripWildcard === true && name.startsWith('*.')) name = name.slice(2);
  if (name.endsWith('.')) name = name.slice(0, -1);
  const checked = checkAscii(name);
  if (checked === OK) return name;
  if (checked === UPPER) {
    name = name.toLowerCase();
    return name;
  }
  if (checked === INVALID) return null;
  // Non-ASCII: domainToASCII applies UTS #46 mapping (case folding included) and returns
  // '' for names it cannot convert; the result still has to pass our own checks.
  const ascii = domainToASCII(name);
  if (ascii === '') return null;
  const trimmed = ascii.endsWith('.') ? ascii.slice(0, -1) : ascii;
  return checkAscii(trimmed) === OK ? trimmed : null;
}

const OK = 0;
const UPPER = 1;
const INVALID = 2;
const NON_ASCII = 3;

// One pass over the characters, checking lengths as it goes; the common case (already
// lowercase ASCII) allocates nothing.
function checkAscii(name: string): number {
  const len = name.length;
  if (len === 0 || len > MAX_NAME) {
    // A long non-ASCII name may still shrink or grow under punycode; let the caller try.
    return len > MAX_NAME && hasNonAscii(name) ? NON_ASCII : INVALID;
  }
  let upper = false;
  let labelStart = 0;
  for (let i = 0; i < len; i++) {
    const c = name.charCodeAt(i);
    if (c === 46 /* . */) {
      const labelLen = i - labelStart;
      if (labelLen === 0 || labelLen > MAX_LABEL) return INVALID;
      labelStart = i + 1;
    } else if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95) {
      // a-z 0-9 - _
    } else if (c >= 65 && c <= 90) {
      upper = true;
    } else if (c > 127) {
      return NON_ASCII;
    } else {
      return INVALID;
    }
  }
  const last = len - labelStart;
  if (last === 0 || last > MAX_LABEL) return INVALID;
  return upper ? UPPER : OK;
}

function hasNonAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return true;
  return false;
}
