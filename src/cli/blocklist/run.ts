// Owns the boundary every `sinkd blocklist` subcommand runs inside: load the config, open the
// store, run the body, close the store, and turn every failure into one `sinkd: ...` line on
// stderr and an exit code (1 = failed, 2 = usage) — never a stack trace.

import type { Options } from 'yargs';
import { ConfigError, loadConfig, type SinkdConfig } from '../../config/load.js';
import type { BlocklistStore } from '../../store/blocklist-store.js';
import { openStore } from '../../store/open-store.js';
import { configOption, redisOption } from '../config-options.js';
import { overridesFrom } from '../overrides.js';

/** The options every blocklist subcommand takes. */
export const blocklistCommonOptions = {
  ...configOption,
  ...redisOption,
  json: { type: 'boolean', default: false, describe: 'print one JSON document (for scripts) instead of text for people' },
} satisfies Record<string, Options>;

export interface BlocklistArgs {
  config?: string;
  redis?: string;
  json: boolean;
}

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure the user can act on, with the exit code it deserves; printed as `sinkd: message`. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

export function usageError(message: string): CommandError {
  return new CommandError(message, EXIT_USAGE);
}

export interface CommandContext {
  readonly config: SinkdConfig;
  readonly store: BlocklistStore;
  readonly json: boolean;
  /** One line to stdout. */
  out(line: string): void;
  /** One line to stderr (warnings, notes; never the command's result). */
  note(line: string): void;
  /** The JSON document of a --json run. */
  printJson(value: unknown): void;
}

/** What the body returns: the exit code (0 unless it says otherwise). */
export type CommandBody = (ctx: CommandContext) => Promise<number | void>;

/**
 * Runs `body` against the store the flags and config select, and exits with its code.
 * `precheck` runs before the store is opened (argument checks that need no store).
 */
export async function runWithStore(args: BlocklistArgs, body: CommandBody, precheck?: () => void): Promise<void> {
  let code: number;
  let store: BlocklistStore | undefined;
  quietOnClosedStdout();
  try {
    precheck?.();
    const config = loadBlocklistConfig(args);
    const opened = await openStore(config, 'cli');
    store = opened;
    const ctx: CommandContext = {
      config,
      store: opened,
      json: args.json,
      out: (line) => void process.stdout.write(`${line}\n`),
      note: (line) => void process.stderr.write(`${line}\n`),
      printJson: (value) => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    };
    code = (await body(ctx)) ?? 0;
  } catch (err) {
    code = report(err);
  }
  if (store !== undefined) {
    try {
      await store.close();
    } catch (err) {
      code = Math.max(code, report(err));
    }
  }
  await finish(code);
}

function loadBlocklistConfig(args: BlocklistArgs): SinkdConfig {
  try {
    return loadConfig(overridesFrom(args));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // One line per problem, each complete on its own.
    throw new CommandError(err.problems.map((p) => `invalid configuration: ${p}`).join('\nsinkd: '), EXIT_USAGE);
  }
}

/** Prints an error as one line (per problem) and returns its exit code. */
export function report(err: unknown): number {
  const code = err instanceof CommandError ? err.exitCode : EXIT_FAILURE;
  process.stderr.write(`sinkd: ${oneLine(err)}\n`);
  // For whoever maintains sinkd: the whole story of an unexpected failure.
  if (process.env.SINKD_DEBUG && err instanceof Error && !(err instanceof CommandError)) process.stderr.write(`${err.stack}\n`);
  return code;
}

/** The first line of an error's message (the modules below say what failed in it); ours are kept whole. */
export function oneLine(err: unknown): string {
  if (err instanceof CommandError) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0] || 'unknown error';
}

/** `sinkd blocklist list | head` closes stdout early: that is the reader's choice, not a failure to report. */
function quietOnClosedStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    process.stderr.write(`sinkd: cannot write to stdout: ${err.message}\n`);
    process.exit(EXIT_FAILURE);
  });
}

/**
 * Exits once stdout and stderr have taken everything written. Explicitly: a closed Redis client
 * can hold a disconnect timer for seconds, and a finished command must not wait for it.
 */
async function finish(code: number): Promise<void> {
  process.exitCode = code;
  const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write('', () => resolve());
  });
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
