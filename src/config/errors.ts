// Owns how configuration problems are reported: one error carrying every problem, one line each.

/**
 * Thrown by loadConfig. `message` is every problem, one a line, each saying where it is
 * (`config/sinkd.yaml:12: cache.maxTtl: ...` or `--listen: ...`) and what is wrong, so that
 * the admin fixes them all in one pass rather than one per restart.
 */
export class ConfigError extends Error {
  readonly code = 'ERR_SINKD_CONFIG';
  readonly problems: readonly string[];

  constructor(problems: string | readonly string[]) {
    const list = typeof problems === 'string' ? [problems] : [...problems];
    super(list.join('\n'));
    this.name = 'ConfigError';
    this.problems = Object.freeze(list);
  }
}

/** `cache.maxTtl`, `listen[1]`, `blocklists[0].format`; the top level is `(top level)`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(top level)' : out;
}
