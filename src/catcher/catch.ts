// What the sinkhole catcher records about one TCP connection to the sinkhole address (a
// "catch"), and the interface a catch is handed to beyond the log. Every string in a Catch came
// from the network and has already been made printable and capped (printable.ts): whoever
// stores or renders a catch may trust it to hold no control character and to be short.

export type CatchProtocol = 'http' | 'tls' | 'tcp';

/**
 * Why the catcher stopped reading. 'done': it recognised enough to answer (an HTTP head, a
 * ClientHello, a signature); 'closed': the client closed first; the others are the limits
 * (bytes read, seconds, the connection slots that an older connection gave up), and 'stopped':
 * sinkd was stopping.
 */
export type CatchEnd = 'done' | 'closed' | 'bytes' | 'time' | 'evicted' | 'stopped';

export interface Catch {
  /** When the connection was accepted, ms since the epoch. */
  readonly time: number;
  readonly client: string;
  readonly clientPort: number;
  /** The local address the client connected to: the sinkhole address it was given by DNS. */
  readonly address: string;
  readonly port: number;
  readonly protocol: CatchProtocol;
  /** HTTP: the request method, the Host header, the request target, the User-Agent header. */
  readonly method: string | null;
  readonly host: string | null;
  readonly path: string | null;
  readonly userAgent: string | null;
  /** TLS: the server name, the ALPN protocols offered, the JA4 fingerprint (ja4.ts). */
  readonly sni: string | null;
  readonly alpn: readonly string[] | null;
  readonly ja4: string | null;
  /** The malware family of the signature that matched (signatures.ts), else null. */
  readonly tag: string | null;
  /** The matching signature's name and the fields it extracted (e.g. the bot's hostname). */
  readonly signature: string | null;
  readonly details: Readonly<Record<string, string>> | null;
  /** Bytes read from the client (at most the catcher's maxBytes). */
  readonly bytes: number;
  readonly durationMs: number;
  readonly end: CatchEnd;
}

/**
 * Where catches go besides the log line (the hit stores, in the second phase of issue 15).
 * Called once per connection on the catcher's event loop: it must not block or throw; a store
 * buffers and writes in batches, as the HitRecorder does for DNS hits.
 */
export interface CatchSink {
  record(c: Catch): void;
}
