// The signature table: how the catcher names the malware family behind a connection. Each
// signature is a few regular expressions over what a connection sent (its first bytes, or the
// fields of its HTTP request or TLS ClientHello); all of a signature's expressions must match,
// and the first signature that matches tags the catch. Named groups become the catch's details
// (e.g. the hostname a bot reports). The table is data: the shipped file
// (config/catcher-signatures.yaml) plus the operator's own files (`catcher.signatures`), whose
// entries come first and replace a shipped one of the same name.

import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { PACKAGE_ROOT } from '../config/defaults.js';
import { formatKeyPath } from '../config/errors.js';
import { readYamlFile } from '../config/yaml-file.js';
import { printable } from './printable.js';

export const SHIPPED_SIGNATURES = join(PACKAGE_ROOT, 'config/catcher-signatures.yaml');

/** What a signature is matched against; strings are binary strings (one character per byte). */
export interface MatchSubject {
  readonly protocol: 'http' | 'tls' | 'tcp';
  /** The first bytes of the connection (at most the catcher's byte limit). */
  readonly payload: string;
  readonly method?: string | null;
  readonly path?: string | null;
  readonly host?: string | null;
  readonly userAgent?: string | null;
  readonly sni?: string | null;
  readonly ja4?: string | null;
}

export interface SignatureMatch {
  readonly name: string;
  readonly tag: string;
  /** Named groups of the expressions that matched; null when they have none. */
  readonly details: Readonly<Record<string, string>> | null;
}

const HTTP_FIELDS = ['method', 'path', 'host', 'userAgent'] as const;
const TLS_FIELDS = ['sni', 'ja4'] as const;
const FIELDS = ['payload', ...HTTP_FIELDS, ...TLS_FIELDS] as const;
type Field = (typeof FIELDS)[number];

/** A detail is shown, logged and stored: kept short. */
const MAX_DETAIL = 200;

const pattern = z.string({ error: 'must be a regular expression (a string)' }).transform((s, ctx) => {
  try {
    // No user flags: every pattern is matched the same way ("u" would make \x00 mean U+0000 and
    // reject escapes that binary payloads need; "s" so that "." also crosses line ends).
    return new RegExp(s, 's');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `is not a valid regular expression: ${(err as Error).message}` });
    return z.NEVER;
  }
});

const signatureSchema = z
  .strictObject(
    {
      name: z.string({ error: 'must be a name' }).regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, _ . -'),
      tag: z.string({ error: 'must be a malware family name' }).regex(/^[A-Za-z0-9_.:/+-]{1,64}$/, 'must be 1-64 letters, digits, _ . : / + -'),
      about: z.string().optional(),
      references: z.array(z.string()).optional(),
      payload: pattern.optional(),
      method: pattern.optional(),
      path: pattern.optional(),
      host: pattern.optional(),
      userAgent: pattern.optional(),
      sni: pattern.optional(),
      ja4: pattern.optional(),
      // Named groups whose text is base64 and is shown decoded.
      base64: z.array(z.string()).optional(),
    },
    { error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown key; expected one of: name, tag, about, references, ${FIELDS.join(', ')}, base64` : 'must be a mapping') },
  )
  .superRefine((s, ctx) => {
    if (!FIELDS.some((f) => s[f] !== undefined)) ctx.addIssue({ code: 'custom', message: `needs at least one of: ${FIELDS.join(', ')}` });
    if (HTTP_FIELDS.some((f) => s[f] !== undefined) && TLS_FIELDS.some((f) => s[f] !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'mixes HTTP fields (method, path, host, userAgent) with TLS fields (sni, ja4): no connection has both' });
    }
  });

const fileSchema = z.strictObject(
  { signatures: z.array(signatureSchema, { error: 'must be a list of signatures' }) },
  { error: (iss) => (iss.code === 'unrecognized_keys' ? 'unknown key; expected: signatures' : 'the top level must be a mapping with the key "signatures"') },
);

interface Signature {
  readonly name: string;
  readonly tag: string;
  readonly needs: 'http' | 'tls' | null;
  readonly tests: readonly (readonly [Field, RegExp])[];
  readonly base64: ReadonlySet<string>;
}

export class SignatureTable {
  private constructor(private readonly signatures: readonly Signature[]) {}

  /**
   * The operator's files first (in order), then the shipped table; a later signature with the
   * name of an earlier one is dropped. Throws an Error naming the file, line and key of every
   * problem.
   */
  static load(userFiles: readonly string[], shipped: string | null = SHIPPED_SIGNATURES): SignatureTable {
    const all: Signature[] = [];
    const problems: string[] = [];
    for (const file of [...userFiles, ...(shipped === null ? [] : [shipped])]) {
      for (const s of readSignatureFile(file, problems)) if (!all.some((a) => a.name === s.name)) all.push(s);
    }
    if (problems.length > 0) throw new Error(problems.join('\n'));
    return new SignatureTable(all);
  }

  /** From already parsed data (tests, and files read elsewhere). */
  static fromData(data: unknown): SignatureTable {
    const problems: string[] = [];
    const parsed = fromValues(data, '(signatures)', () => undefined, problems);
    if (problems.length > 0) throw new Error(problems.join('\n'));
    return new SignatureTable(parsed);
  }

  get size(): number {
    return this.signatures.length;
  }

  get names(): string[] {
    return this.signatures.map((s) => s.name);
  }

  /** Whether any signature could match a connection of unknown protocol from its first bytes alone. */
  get hasPayloadOnly(): boolean {
    return this.signatures.some((s) => s.needs === null);
  }

  match(subject: MatchSubject): SignatureMatch | null {
    for (const s of this.signatures) {
      if (s.needs !== null && s.needs !== subject.protocol) continue;
      let groups: Record<string, string> | null = null;
      let ok = true;
      for (const [field, re] of s.tests) {
        const value = subject[field];
        const m = typeof value === 'string' ? re.exec(value) : null;
        if (m === null) {
          ok = false;
          break;
        }
        if (m.groups) {
          for (const [k, v] of Object.entries(m.groups)) {
            if (v === undefined) continue;
            groups ??= {};
            groups[k] = printable(s.base64.has(k) ? Buffer.from(v, 'base64') : v, MAX_DETAIL);
          }
        }
      }
      if (ok) return { name: s.name, tag: s.tag, details: groups };
    }
    return null;
  }
}

function readSignatureFile(file: string, problems: string[]): Signature[] {
  try {
    accessSync(file, constants.R_OK);
  } catch (err) {
    problems.push(`cannot read catcher signatures ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    return [];
  }
  let yaml;
  try {
    yaml = readYamlFile(file, file);
  } catch (err) {
    problems.push((err as Error).message);
    return [];
  }
  return fromValues(yaml.values, file, yaml.lineOf, problems);
}

function fromValues(values: unknown, display: string, lineOf: (path: readonly PropertyKey[]) => number | undefined, problems: string[]): Signature[] {
  const parsed = fileSchema.safeParse(values);
  if (!parsed.success) {
    for (const iss of parsed.error.issues) {
      const line = lineOf(iss.path);
      problems.push(`${display}${line === undefined ? '' : `:${line}`}: ${formatKeyPath(iss.path)}: ${iss.message}`);
    }
    return [];
  }
  return parsed.data.signatures.map((s) => ({
    name: s.name,
    tag: s.tag,
    needs: HTTP_FIELDS.some((f) => s[f] !== undefined) ? 'http' : TLS_FIELDS.some((f) => s[f] !== undefined) ? 'tls' : null,
    tests: FIELDS.flatMap((f) => (s[f] === undefined ? [] : [[f, s[f]] as const])),
    base64: new Set(s.base64 ?? []),
  }));
}
