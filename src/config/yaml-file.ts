// Owns reading a YAML config file: its values, syntax errors with their line, and the line of any key path.
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError } from './errors.js';

export interface YamlFile {
  /** The document as plain data; {} for an empty file. */
  values: unknown;
  /** 1-based line of the deepest part of `path` present in the file, for error messages. */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory, not a file',
};

/** `display` is the name used in messages (the path as the admin would type it). */
export function readYamlFile(path: string, display: string): YamlFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ConfigError(`cannot read config ${display}: ${READ_ERRORS[e.code ?? ''] ?? e.message}`);
  }

  const lines = new LineCounter();
  // uniqueKeys (the default) makes a key given twice an error: with YAML's usual
  // last-one-wins, half of an admin's edit would silently not apply.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return `${display}:${line}:${col}: YAML syntax error: ${e.message.split('\n')[0]}`;
      }),
    );
  }

  return {
    values: doc.toJS({ maxAliasCount: 1000 }) ?? {},
    lineOf: (keyPath) => {
      const offset = offsetOf(doc, keyPath);
      return offset === undefined ? undefined : lines.linePos(offset).line;
    },
  };
}

/** Walks maps by key and sequences by index; points at the key itself, so the line is where the admin wrote it. */
function offsetOf(doc: Document, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair === undefined) break;
      offset = isScalar(pair.key) ? pair.key.range?.[0] : offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item: unknown = node.items[seg];
      if (item === undefined) break;
      offset = (item as { range?: [number, number, number] }).range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}
