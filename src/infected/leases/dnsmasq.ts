// Owns reading dnsmasq's lease file (dhcp-leasefile, usually /var/lib/misc/dnsmasq.leases).
//
// dnsmasq rewrites the whole file on every change, one line per current lease:
//
//     <expiry> <hwaddr> <ipv4> <hostname|*> <client-id|*>
//     duid <server DUID>
//     <expiry> [T]<IAID> <ipv6> <hostname|*> <client DUID|*>
//
// - expiry is epoch seconds, 0 for an infinite lease. dnsmasq built with HAVE_BROKEN_RTC writes
//   the lease length instead; a value below 10^9 (before 2001-09-09) cannot be an expiry time
//   written by a live server, so it is read as "end unknown".
// - hwaddr is colon-separated hex; a hardware type other than Ethernet (or an empty address) is
//   written as a "<type>-" prefix ("20-" InfiniBand, "00-" none), which is dropped.
// - After the `duid` line come DHCPv6 leases, whose second field is the IAID (a "T" prefix for
//   temporary addresses), not a MAC. The MAC is taken from the client's DUID when it embeds one
//   (DUID-LL, DUID-LLT over Ethernet); otherwise the lease keeps its hostname with mac ''. A v6
//   lease with neither is skipped: it would identify nothing.
// - dnsmasq records no start time, so leases have only `end`.
// Lines that fit none of this are skipped.
import { addressKey, cleanHostname, macFromDuid, normalizeMac, splitLines, type Lease } from './lease.js';

/** Seconds values below this are lease lengths (HAVE_BROKEN_RTC builds), not expiry times. */
const MIN_EPOCH_SECONDS = 1_000_000_000;

export function parseDnsmasq(text: string): Lease[] {
  const leases: Lease[] = [];
  for (const raw of splitLines(text)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(/\s+/);
    if (f[0] === 'duid') continue;
    if (f.length < 4 || !/^[0-9]+$/.test(f[0]!)) continue;
    const [expiryText, hw, ip, name] = f as [string, string, string, string];
    const clientId = f[4];
    const key = addressKey(ip);
    if (key === undefined) continue;
    const expiry = Number(expiryText);
    const end = expiry >= MIN_EPOCH_SECONDS ? expiry * 1000 : undefined;
    const hostname = cleanHostname(name);
    let mac: string;
    if (ip.includes(':')) {
      if (!/^T?[0-9]+$/.test(hw)) continue;
      mac = (clientId !== undefined && clientId !== '*' ? macFromDuid(clientId) : undefined) ?? '';
      if (mac === '' && hostname === undefined) continue;
    } else {
      const typed = /^([0-9a-fA-F]{1,2})-([^-]*)$/.exec(hw);
      const addr = typed ? typed[2]! : hw;
      if (addr === '') {
        mac = '';
      } else {
        const m = normalizeMac(addr);
        if (m === undefined) continue;
        mac = m;
      }
      if (mac === '' && hostname === undefined) continue;
    }
    leases.push({
      ip,
      mac,
      ...(hostname !== undefined && { hostname }),
      ...(end !== undefined && { end }),
    });
  }
  return leases;
}
