// Owns which Host headers the admin listener answers (DNS-rebinding defence). A web page on
// evil.example can make its own name resolve to this listener's address; the visitor's browser
// then sends the page's requests here with `Host: evil.example` and lets the page read the
// answers (same origin), infected-host report included. A browser always sends the name from the
// URL, so answering only to the listener's own address (an IP literal), to localhost on a
// loopback listener, and to names the operator lists in admin.allowedHosts leaves a rebinding
// page nothing to read.

import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

const UNSPECIFIED = new Set(['0.0.0.0', '::']);

/** The host name of a Host header, lowercased, without port or IPv6 brackets; undefined when malformed. */
export function hostName(header: string): string | undefined {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const close = h.indexOf(']');
    if (close < 0) return undefined;
    const rest = h.slice(close + 1);
    if (rest !== '' && !/^:[0-9]{1,5}$/.test(rest)) return undefined;
    return h.slice(1, close);
  }
  const colon = h.indexOf(':');
  if (colon >= 0 && !/^:[0-9]{1,5}$/.test(h.slice(colon))) return undefined;
  const name = colon >= 0 ? h.slice(0, colon) : h;
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.') || ip === '::ffff:127.0.0.1';
}

export class AdminHostCheck {
  private readonly names: Set<string>;
  private readonly anyLocalAddress: boolean;

  /** `listenHost`: the IP the listener is bound to; `allowed`: admin.allowedHosts (lowercase). */
  constructor(listenHost: string, allowed: readonly string[]) {
    const host = listenHost.toLowerCase();
    this.names = new Set([host, ...allowed.map((a) => a.toLowerCase())]);
    this.anyLocalAddress = UNSPECIFIED.has(host);
    if (this.anyLocalAddress || isLoopback(host)) this.names.add('localhost');
  }

  /** May a request with this Host header (undefined: none sent) be answered? */
  allows(header: string | undefined): boolean {
    if (header === undefined) return false;
    const name = hostName(header);
    if (name === undefined || name === '') return false;
    if (this.names.has(name)) return true;
    // Listening on every address: any address of this machine is the listener's own.
    return this.anyLocalAddress && isIP(name) !== 0 && localAddresses().has(name);
  }
}

let cached: { at: number; set: Set<string> } | undefined;

/** This machine's addresses, looked up at most every 10 s (interfaces come and go). */
function localAddresses(): Set<string> {
  const now = Date.now();
  if (cached && now - cached.at < 10_000) return cached.set;
  const set = new Set<string>(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) set.add(a.address.toLowerCase());
  cached = { at: now, set };
  return set;
}
