// Owns answering "who held this address at that time" from parsed leases.
import type { ClientIdentity } from '../model.js';
import { addressKey, normalizeMac, type Lease } from './lease.js';

interface Entry {
  readonly lease: Lease;
  /** -Infinity when unknown ("since ever"). */
  readonly start: number;
  /** +Infinity when infinite. */
  readonly end: number;
  /** Built once per lease and shared by every lookup that finds it. */
  readonly identity: ClientIdentity;
}

const CANONICAL_MAC = /^[0-9a-f]{2}(:[0-9a-f]{2})*$/;

export class LeaseIndex {
  /** Per address key, entries sorted by start (unknown start first), file order among equals. */
  private readonly byIp = new Map<string, Entry[]>();

  /** Leases indexed. */
  readonly size: number;

  constructor(
    leases: readonly Lease[],
    readonly file?: string,
  ) {
    let size = 0;
    for (const given of leases) {
      const key = addressKey(given.ip);
      if (key === undefined) continue;
      const mac = given.mac === '' || CANONICAL_MAC.test(given.mac) ? given.mac : (normalizeMac(given.mac) ?? '');
      const lease: Lease = mac === given.mac ? given : { ...given, mac };
      const identity: { mac?: string; hostname?: string; leaseFile?: string } = {};
      if (mac !== '') identity.mac = mac;
      if (lease.hostname !== undefined) identity.hostname = lease.hostname;
      if (file !== undefined) identity.leaseFile = file;
      const entry: Entry = { lease, start: lease.start ?? -Infinity, end: lease.end ?? Infinity, identity };
      const list = this.byIp.get(key);
      if (list === undefined) this.byIp.set(key, [entry]);
      else list.push(entry);
      size++;
    }
    this.size = size;
    for (const list of this.byIp.values()) {
      // Array.prototype.sort is stable: equal starts keep file order (later = newer).
      if (list.length > 1) list.sort((a, b) => (a.start === b.start ? 0 : a.start < b.start ? -1 : 1));
    }
  }

  /** Every lease recorded for the address, oldest start first. */
  leasesFor(ip: string): readonly Lease[] {
    const key = addressKey(ip);
    const list = key === undefined ? undefined : this.byIp.get(key);
    return list === undefined ? [] : list.map((e) => e.lease);
  }

  /**
   * The lease for `ip` whose [start, end] contains `atMs` (the latest-starting one if several
   * do; a missing start is "since ever", a missing end "for ever"); else the most recent lease
   * that started at or before `atMs` (the last known holder); else undefined. The identity
   * returned is shared between calls: do not change it.
   */
  identify(ip: string, atMs: number): ClientIdentity | undefined {
    const key = addressKey(ip);
    if (key === undefined) return undefined;
    const list = this.byIp.get(key);
    if (list === undefined) return undefined;
    let fallback: Entry | undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const e = list[i]!;
      if (e.start > atMs) continue;
      if (atMs <= e.end) return e.identity;
      fallback ??= e;
    }
    return fallback?.identity;
  }
}
