// One client query as the chain sees it: raw bytes plus the fields derived once by the wire parser.

import type { ParsedQuery } from '../wire/index.js';

export type Transport = 'udp' | 'tcp';

export interface ClientAddress {
  readonly address: string;
  readonly port: number;
}

export interface DnsRequest {
  /** The query exactly as the client sent it (relayed upstream with a new ID). */
  readonly raw: Buffer;
  readonly query: ParsedQuery;
  readonly client: ClientAddress;
  readonly transport: Transport;
}
