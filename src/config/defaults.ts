// Where the installed package lives (for the defaults that name its own files), and freezing.
// The defaults themselves are written once, in schema.ts.
import { fileURLToPath } from 'node:url';

/**
 * The package's root. This module sits at src/config/ (tests) or dist/config/ (built),
 * both two levels down, so the installed CLI finds its own blocklists/ without a checkout.
 */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
