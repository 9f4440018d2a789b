#!/usr/bin/env node
// The layers of src/, declared and checked: a folder may import only from its own layer or the
// ones below, and folders never import each other in a cycle (not even within one layer).
// Runs in `npm run lint`; exits 1 naming every offending import.
//
// Why these layers: wire and net are pure helpers with no knowledge of sinkd; config, logging,
// metrics and the component lifecycle are what every part is built with; the chain contract
// and the list model sit under the steps and stores that implement them; the report reads the
// hit stores; the admin listener serves reports; the server wires everything; workers run
// servers; the CLI runs everything.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const LAYERS = [
  ['wire'],
  ['net'],
  ['rrl', 'metrics', 'log'],
  ['config', 'lifecycle'],
  ['chain', 'blocklist'],
  ['acl', 'any', 'cache', 'client-limit', 'policy', 'upstream', 'zone', 'redis', 'store', 'infected', 'local', 'tls', 'catcher', 'native'],
  ['report'],
  ['admin', 'console'],
  ['server'],
  ['workers'],
  ['cli'],
];

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');
const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i])));

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (/\.(ts|mts|js|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) yield p;
  }
}

const folderOf = (file) => relative(src, file).split('/')[0];
const problems = [];
const edges = new Map(); // folder -> Map(folder -> first "file -> import" seen)
for (const file of files(src)) {
  const from = folderOf(file);
  if (from.includes('.')) continue; // a file directly in src/ (index.ts) is above every layer
  if (!rank.has(from)) problems.push(`${relative(root, file)}: folder src/${from} has no layer; add it to LAYERS in scripts/check-layers.mjs`);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
    const target = resolve(dirname(file), m[1]);
    const to = folderOf(target);
    if (to === from || to.includes('.')) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    if (!edges.get(from).has(to)) edges.get(from).set(to, `${relative(root, file)} imports ${m[1]}`);
    if (rank.has(from) && rank.has(to) && rank.get(to) > rank.get(from)) {
      problems.push(`${relative(root, file)}: imports ${m[1]} — src/${from} (layer ${rank.get(from)}) must not import src/${to} (layer ${rank.get(to)})`);
    }
  }
}

// Folder cycles: Tarjan's strongly connected components over the folder graph.
let index = 0;
const idx = new Map();
const low = new Map();
const stack = [];
const on = new Set();
function connect(v) {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  on.add(v);
  for (const w of edges.get(v)?.keys() ?? []) {
    if (!idx.has(w)) {
      connect(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const scc = [];
    let w;
    do {
      w = stack.pop();
      on.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1) {
      const inside = scc.flatMap((a) => scc.filter((b) => edges.get(a)?.has(b)).map((b) => `    ${edges.get(a).get(b)}`));
      problems.push(`folders import each other in a cycle: ${scc.sort().join(', ')}\n${inside.join('\n')}`);
    }
  }
}
for (const v of edges.keys()) if (!idx.has(v)) connect(v);

if (problems.length > 0) {
  process.stderr.write(`layer check failed:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`layers ok: ${edges.size} folders, no upward import, no cycle\n`);
