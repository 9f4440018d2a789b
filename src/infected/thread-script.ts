// Owns where the compiled script of a worker_thread is. Node 20 runs only JavaScript in a worker
// thread, so when sinkd runs from its TypeScript sources (the test runner imports src/), a thread
// is started from the build of the same file in dist/ (`npm test` builds first).

import { fileURLToPath } from 'node:url';

/** The .js file `name` beside the module at `fromUrl` (import.meta.url), in dist/ when that module is a .ts source. */
export function threadScript(fromUrl: string, name: string): string {
  const path = fileURLToPath(new URL(name, fromUrl));
  if (!fromUrl.endsWith('.ts')) return path;
  const at = path.lastIndexOf('/src/');
  return `${path.slice(0, at)}/dist/${path.slice(at + 5)}`;
}
