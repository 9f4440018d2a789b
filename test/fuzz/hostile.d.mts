// Types for hostile.mjs (plain ESM so that bench/fuzz.mjs can use it without a build).

export type Rand = () => number;

export type Category =
  | 'random'
  | 'truncated'
  | 'mutated'
  | 'pointer-loop'
  | 'long-label'
  | 'long-name'
  | 'qdcount'
  | 'bogus-opt'
  | 'garbage-after'
  | 'header-flags'
  | 'qr-set'
  | 'runt';

export const CATEGORIES: readonly Category[];

export function mulberry32(seed: number): Rand;
export function randInt(rand: Rand, lo: number, hi: number): number;
export function pick<T>(rand: Rand, items: readonly T[]): T;
export function randomBytes(rand: Rand, n: number): Buffer;
export function u16(n: number): Buffer;
export function randomLabel(rand: Rand, len: number): string;
export function randomName(rand: Rand): string;
export function encodeName(name: string): Buffer;
export function wireLabels(labels: readonly (string | Buffer)[]): Buffer;
export function header(h?: { id?: number; flags?: number; qd?: number; an?: number; ns?: number; ar?: number }): Buffer;
export function record(r?: { owner?: Buffer; type?: number; cls?: number; ttl?: number; rdata?: Buffer; rdlen?: number }): Buffer;
export function optRecord(o?: { owner?: Buffer; udpSize?: number; extRcode?: number; version?: number; flags?: number; rdata?: Buffer; rdlen?: number }): Buffer;
export function ednsOption(code: number, data: Buffer, len?: number): Buffer;
export function ecsData(family: number, prefix: number, addr: Buffer, scope?: number): Buffer;
export function randomEcs(rand: Rand): Buffer;
export function randomOptions(rand: Rand): Buffer;
export function validQuery(rand: Rand, name?: string): Buffer;
export function simpleQuery(name: string, opts?: { id?: number; type?: number; edns?: boolean }): Buffer;
export function mutate(rand: Rand, src: Buffer): Buffer;
export function expectsReply(buf: Buffer): boolean;
export function hostile(rand: Rand, category: Category): Buffer;

export interface ReplySummary {
  id: number;
  qr: boolean;
  tc: boolean;
  rcode: number;
  qd: number;
  an: number;
  addresses: string[];
}
export function readReply(buf: Buffer): ReplySummary | null;
