// Owns telling the three lease file formats apart from their text.
import type { LeaseFormat } from './lease.js';

const ISC_TOP_LEVEL =
  /^\s*(lease\s+\S+\s*(\{|$)|ia-(na|ta|pd)\s|server-duid\s|authoring-byte-order\s|failover\s+peer\s|host\s+\S+\s*\{|group\s*\{|subclass\s|class\s)/;
const DNSMASQ_LINE = /^\s*(duid\s+\S+\s*$|[0-9]+\s+\S+\s+\S+\s+\S+(\s+\S+)?\s*$)/;

/**
 * Which lease file this is, from its first meaningful line: a CSV header starting with
 * "address," is Kea; a dhcpd.leases declaration (lease, ia-na, server-duid, failover peer, ...)
 * is ISC; "<expiry> <hwaddr> <ip> <name> <id>" or "duid ..." is dnsmasq. A file with no leases
 * yet (empty, or only comments) reads as ISC when its comments mention dhcpd, else as dnsmasq;
 * either way it yields no leases. Throws when the text is none of them.
 */
export function detectLeaseFormat(text: string): LeaseFormat {
  const seen = sniffLeaseFormat(text);
  if (seen !== undefined) return seen;
  return /^\s*#.*dhcpd/im.test(text) ? 'isc' : 'dnsmasq';
}

/** The format of the first line that is not blank or a comment; undefined if there is none. Throws like detectLeaseFormat. */
export function sniffLeaseFormat(text: string): LeaseFormat | undefined {
  let from = 0;
  while (from < text.length) {
    let to = text.indexOf('\n', from);
    if (to < 0) to = text.length;
    const line = text.slice(from, to).replace(/\r$/, '');
    from = to + 1;
    const t = line.trim();
    if (t === '') continue;
    if (t.startsWith('#')) continue;
    if (/^"?address"?\s*,/i.test(t)) return 'kea';
    if (ISC_TOP_LEVEL.test(t)) return 'isc';
    if (DNSMASQ_LINE.test(t)) return 'dnsmasq';
    throw new Error(`not a dnsmasq, ISC dhcpd or Kea lease file (first line: ${JSON.stringify(t.slice(0, 60))})`);
  }
  return undefined;
}
