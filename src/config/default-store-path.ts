// Owns where the embedded store lives when store.path is "" (the default): a directory that
// belongs to whoever runs sinkd, never the installed package (every instance and every CLI
// command on a machine used to share one file inside it, whatever the working directory; and a
// package directory is often not writable at all).
//
//   $STATE_DIRECTORY             set by systemd for StateDirectory= (and by the container image)
//   /var/lib/sinkd               when running as root
//   $XDG_STATE_HOME/sinkd        for a user (XDG Base Directory spec), else ~/.local/state/sinkd
//
// The file is blocklist-store.jsonl in it, and the embedded hit file hits.json beside it. An
// explicit store.path keeps working as before (relative to the config file).

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { PACKAGE_ROOT } from './defaults.js';

export const STORE_FILE = 'blocklist-store.jsonl';

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env, uid: number | undefined = process.getuid?.()): string {
  // systemd may list several directories, colon-separated; sinkd's is the first.
  const stateDirectory = env.STATE_DIRECTORY?.split(':')[0];
  if (stateDirectory && isAbsolute(stateDirectory)) return stateDirectory;
  if (uid === 0) return '/var/lib/sinkd';
  const xdg = env.XDG_STATE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'sinkd');
  return join(env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir(), '.local', 'state', 'sinkd');
}

export function defaultStorePath(env?: NodeJS.ProcessEnv, uid?: number): string {
  return join(defaultStateDir(env, uid), STORE_FILE);
}

/** Where sinkd before this version kept the embedded store by default: inside the package. */
export const LEGACY_STORE_PATH = join(PACKAGE_ROOT, 'data', STORE_FILE);

/**
 * A line for the log when an older sinkd's store is still in the package and this one uses
 * another file: its config lists come back by themselves, names added by hand do not.
 */
export function legacyStoreNote(storePath: string): string | undefined {
  if (storePath === LEGACY_STORE_PATH || !existsSync(LEGACY_STORE_PATH)) return undefined;
  return `the embedded store of an older sinkd is at ${LEGACY_STORE_PATH}; this one keeps its store at ${storePath} (store.path). Config lists are imported again by themselves; to keep names added with "sinkd blocklist add/allow", stop sinkd and copy that file to ${storePath}`;
}
