// Owns the text form of socket endpoints (listeners, upstreams): parsing "IP[:PORT]" and printing it back.
import { isIP } from 'node:net';

export interface Endpoint {
  host: string;
  port: number;
}

/**
 * Parses `1.2.3.4`, `1.2.3.4:53`, `[::1]:5353`, `[::1]` or a bare `::1` (a bare IPv6 literal
 * never carries a port: `::1:53` would be ambiguous). Only IP literals are accepted: a
 * hostname would need a resolver to find the resolver, and sinkd must not depend on itself.
 * Throws an Error whose message is one line naming the input and what is wrong.
 */
export function parseEndpoint(text: string, defaultPort: number): Endpoint {
  const fail = (why: string): never => {
    throw new Error(`bad address ${JSON.stringify(text)}: ${why}`);
  };
  if (text.length === 0) fail('empty');

  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) fail('missing "]" after the IPv6 address');
    const host = text.slice(1, close);
    if (isIP(host) !== 6) fail(`"${host}" is not an IPv6 address`);
    const rest = text.slice(close + 1);
    if (rest === '') return { host, port: defaultPort };
    if (!rest.startsWith(':')) fail('expected ":PORT" after "]"');
    return { host, port: parsePort(rest.slice(1), fail) };
  }

  if (isIP(text) !== 0) return { host: text, port: defaultPort };

  const colon = text.lastIndexOf(':');
  if (colon >= 0) {
    const host = text.slice(0, colon);
    const family = isIP(host);
    if (family === 4) return { host, port: parsePort(text.slice(colon + 1), fail) };
    // "fe80::1:53"-style input is reported as the bracket problem it is, not as a bad host.
    if (family === 6 || host.includes(':')) fail('write an IPv6 address with a port as [IPv6]:PORT');
  }
  return fail('not an IP address (hostnames are not allowed; use IPv4, IPv4:PORT, IPv6 or [IPv6]:PORT)');
}

function parsePort(text: string, fail: (why: string) => never): number {
  // Digits only: Number() would accept "0x35", "1e3" and " 53".
  if (!/^[0-9]{1,5}$/.test(text)) return fail('port must be 1-65535');
  const port = Number(text);
  if (port < 1 || port > 65535) return fail('port must be 1-65535');
  return port;
}

/** `1.2.3.4:53` or `[::1]:53`: the form parseEndpoint reads back. */
export function formatEndpoint(e: Endpoint): string {
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}
