// Times DNS answers one at a time over UDP, from chosen loopback source addresses (one socket
// per source, kept), for latency tests: each figure is one answer's round trip.

import dgram from 'node:dgram';
import { buildQuery } from './dns-client.js';

/** One UDP query at a time, each timed; null when no answer within 2 s. */
export function dnsTimer(port: number): { ask(name: string, source: string): Promise<number | null>; close(): void } {
  const sockets = new Map<string, dgram.Socket>();
  const socketFor = async (source: string) => {
    let s = sockets.get(source);
    if (!s) {
      s = dgram.createSocket('udp4');
      await new Promise<void>((r) => s!.bind(0, source, () => r()));
      sockets.set(source, s);
    }
    return s;
  };
  return {
    async ask(name, source) {
      const s = await socketFor(source);
      const q = buildQuery(name);
      return new Promise<number | null>((resolve) => {
        const t0 = process.hrtime.bigint();
        const done = (v: number | null) => {
          clearTimeout(t);
          s.off('message', on);
          resolve(v);
        };
        const on = (msg: Buffer) => {
          if (msg.readUInt16BE(0) === q.readUInt16BE(0)) done(Number(process.hrtime.bigint() - t0) / 1e6);
        };
        const t = setTimeout(() => done(null), 2000);
        s.on('message', on);
        s.send(q, port, '127.0.0.1');
      });
    },
    close() {
      for (const s of sockets.values()) s.close();
    },
  };
}


/** Sorted times → "median x ms, p99 y ms, worst z ms". */
export function latencySummary(times: number[]): { p: (q: number) => number; worst: number; text: string } {
  const sorted = [...times].sort((a, b) => a - b);
  const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const worst = sorted[sorted.length - 1] ?? NaN;
  return { p, worst, text: `${sorted.length} answers: median ${p(0.5).toFixed(2)} ms, p99 ${p(0.99).toFixed(2)} ms, p99.9 ${p(0.999).toFixed(2)} ms, worst ${worst.toFixed(2)} ms` };
}
