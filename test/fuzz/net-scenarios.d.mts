// Types for net-scenarios.mjs (plain ESM so that bench/fuzz.mjs can use it without a build).

import type { Rand, ReplySummary } from './hostile.mjs';

export function frame(msg: Buffer, len?: number): Buffer;

export class FuzzStats {
  readonly counts: Map<string, number>;
  readonly failures: string[];
  readonly notes: Map<string, number>;
  count(category: string, n?: number): void;
  fail(what: string): void;
  note(what: string, n?: number): void;
  readonly total: number;
  table(): string;
}

export interface UdpBatchResult {
  sent: number;
  expected: number;
  replies: number;
  missing: Buffer[];
  problems: string[];
  /** Datagrams the kernel dropped machine-wide meanwhile (Linux RcvbufErrors), null if unknown. */
  kernelDrops: number | null;
}
export function udpRcvbufErrors(): number | null;
export function udpBatch(
  port: number,
  datagrams: Buffer[],
  opts?: { host?: string; timeoutMs?: number; graceMs?: number; udpLimit?: (query: Buffer) => number; burst?: number; pauseMs?: number },
): Promise<UdpBatchResult>;

/** Why datagrams from source port 0 cannot be sent here, or null when they can. */
export function portZeroSkipReason(): string | null;
/** Sends each datagram from `source` (default: host), UDP source port 0; resolves with how many were sent. */
export function sendFromPortZero(port: number, datagrams: Buffer[], opts?: { host?: string; source?: string }): Promise<number>;

export type TcpStep = Buffer | number | 'end' | 'reset';
export interface TcpResult {
  why: 'timeout' | 'closed' | 'answered' | 'reset';
  ids: number[];
  replies: Buffer[];
  closedByServer: boolean;
  error: string | null;
  ms: number;
  sinceLastWrite: number;
  answeredAll: boolean;
}
export function tcpConversation(
  port: number,
  steps: TcpStep[],
  opts?: { host?: string; want?: number[]; timeoutMs?: number; stayOpen?: boolean },
): Promise<TcpResult>;

export const TCP_KINDS: readonly string[];
export function tcpScenario(
  port: number,
  kind: string,
  rand: Rand,
  opts?: { host?: string; probeName: string; onLyingPrefix?: (conversation: Promise<TcpResult>) => void; timeoutMs?: number },
): Promise<string | null>;

export function probe(
  port: number,
  name: string,
  transport: 'udp' | 'tcp',
  check: (reply: ReplySummary) => string | null,
  opts?: { host?: string; timeoutMs?: number },
): Promise<{ failure: string | null; ms: number }>;

export interface Slowloris {
  readonly sent: number;
  stop(timeoutMs?: number): Promise<{ trickled: number; closedByServer: boolean; answered: boolean }>;
}
export function slowloris(port: number, name: string, opts?: { host?: string; intervalMs?: number }): Slowloris;

export interface Probe {
  name: string;
  check: (reply: ReplySummary) => string | null;
}
/** Idle TCP connections from `count` addresses (each its own /24) while a new client asks `probeName`. */
export function slotHog(
  port: number,
  count: number,
  opts: { host?: string; probeName: string; check: (reply: ReplySummary) => string | null; timeoutMs?: number },
): Promise<{ failure: string | null; closedByServer: number }>;
/** Many slow names at once from one client: replies, SERVFAILs, and those with the in-flight EDE. */
export function inflightFlood(port: number, names: string[], opts?: { host?: string; source?: string; timeoutMs?: number }): Promise<{ replies: number; servfail: number; limited: number }>;

export function fuzzRound(opts: {
  port: number;
  host?: string;
  rand: Rand;
  stats: FuzzStats;
  round: number;
  udpPerCategory?: number;
  tcpPerKind?: number;
  probes: (round: number) => Probe[];
  udpLimit?: (query: Buffer) => number;
  onLyingPrefix?: (conversation: Promise<TcpResult>) => void;
  goodName: (rand: Rand) => string;
  probeTimeoutMs?: number;
  /** Send the round's UDP datagrams again from source port 0 (see portZeroSkipReason). */
  portZero?: boolean;
  /**
   * Hold `connections` idle TCP connections from as many addresses while a new client asks; with more
   * than `maxConnections` (the server's tcp.maxConnections) it is served only if idle ones give way.
   */
  slotHogs?: { connections: number; maxConnections: number } | null;
  /**
   * Flood slow names (under `slowZone`, never answered upstream) from `source`: 3x `perClient`,
   * the server's upstream.maxInflightPerClient.
   */
  inflight?: { perClient: number; slowZone: string; source: string; timeoutMs: number } | null;
}): Promise<{ slowestProbeMs: number }>;
