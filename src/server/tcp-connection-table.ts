// Who holds the DNS-over-TCP connection slots of one listener. Connections are counted per client
// address and per network prefix (/24 for IPv4, /56 for IPv6: one IPv6 host alone has a /64), each
// with its cap, so neither a few addresses nor one network can take every slot. When every slot
// is taken, the connection idle longest gives its slot to the newcomer (RFC 7766 6.2.3 lets a
// server close idle connections), so slots held open and unused cannot lock clients out; one
// waiting for an answer is never chosen.

import { ClientPrefixer } from '../rrl/client-prefix.js';

export interface ConnectionLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerClient: number;
  readonly maxConnectionsPerPrefix: number;
}

/** Why a connection was refused. */
export type Refusal = 'address' | 'prefix' | 'full';

export type Admission<C> = { readonly ok: true; readonly reclaimed: C | null } | { readonly ok: false; readonly why: Refusal };

interface Holder {
  readonly address: string;
  readonly prefix: string;
  /** True while the connection has answers pending: never reclaimed then. */
  readonly busy: () => boolean;
}

const PREFIX_V4 = 24;
const PREFIX_V6 = 56;

export class ConnectionTable<C> {
  /** In order of last activity, least recent first (re-inserted on activity). */
  private readonly holders = new Map<C, Holder>();
  private readonly perAddress = new Map<string, number>();
  private readonly perPrefix = new Map<string, number>();
  private readonly prefixer = new ClientPrefixer(PREFIX_V4, PREFIX_V6);

  constructor(private readonly limits: ConnectionLimits) {}

  get size(): number {
    return this.holders.size;
  }

  /**
   * Takes a slot for `conn` from `address`, or says why not. When the table was full, the
   * connection that gave up its slot is returned for the caller to close (it is out of the table).
   */
  admit(conn: C, address: string, busy: () => boolean): Admission<C> {
    if ((this.perAddress.get(address) ?? 0) >= this.limits.maxConnectionsPerClient) return { ok: false, why: 'address' };
    const prefix = this.prefixer.prefixOf(address);
    if ((this.perPrefix.get(prefix) ?? 0) >= this.limits.maxConnectionsPerPrefix) return { ok: false, why: 'prefix' };
    let reclaimed: C | null = null;
    if (this.holders.size >= this.limits.maxConnections) {
      reclaimed = this.idlest();
      if (reclaimed === null) return { ok: false, why: 'full' };
      this.remove(reclaimed);
    }
    this.holders.set(conn, { address, prefix, busy });
    bump(this.perAddress, address, 1);
    bump(this.perPrefix, prefix, 1);
    return { ok: true, reclaimed };
  }

  /** `conn` did something (a query arrived, an answer left): it is the most recently active now. */
  touch(conn: C): void {
    const h = this.holders.get(conn);
    if (h === undefined) return;
    this.holders.delete(conn);
    this.holders.set(conn, h);
  }

  /** Frees `conn`'s slot; a connection no longer in the table is ignored. */
  remove(conn: C): void {
    const h = this.holders.get(conn);
    if (h === undefined) return;
    this.holders.delete(conn);
    bump(this.perAddress, h.address, -1);
    bump(this.perPrefix, h.prefix, -1);
  }

  /** The connection idle longest that waits for no answer, or null when every one does. */
  private idlest(): C | null {
    for (const [conn, h] of this.holders) if (!h.busy()) return conn;
    return null;
  }
}

function bump(m: Map<string, number>, key: string, by: number): void {
  const n = (m.get(key) ?? 0) + by;
  if (n <= 0) m.delete(key);
  else m.set(key, n);
}
