// The per-connection log line of the catcher (DESIGN.md: `{"event":"catch",...}`): the fields of
// the contract (client, clientPort, address, port, protocol, host, path, userAgent, sni, tag)
// always present, null when they do not apply, then what else the catcher learnt. The strings
// are already printable (printable.ts), so the line carries no control character from the wire.

import type { Logger } from '../log/logger.js';
import type { Catch } from './catch.js';

export class CatchLog {
  constructor(private readonly log: Logger) {}

  write(c: Catch): void {
    if (!this.log.isLevelEnabled('info')) return;
    const about = c.host ?? c.sni;
    this.log.info(
      {
        event: 'catch',
        client: c.client,
        clientPort: c.clientPort,
        address: c.address,
        port: c.port,
        protocol: c.protocol,
        host: c.host,
        path: c.path,
        userAgent: c.userAgent,
        sni: c.sni,
        tag: c.tag,
        method: c.method,
        alpn: c.alpn,
        ja4: c.ja4,
        signature: c.signature,
        details: c.details,
        bytes: c.bytes,
        durationMs: c.durationMs,
        end: c.end,
      },
      `${c.client} connected to the sinkhole ${c.address}:${c.port}: ${c.protocol}${about ? ` for ${about}` : ''}${c.tag ? `, ${c.tag}` : ''}`,
    );
  }
}
