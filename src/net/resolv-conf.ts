// Owns reading the system's nameservers from resolv.conf, the upstream default when none are configured.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Endpoint } from './address.js';
import { CidrSet } from './cidr.js';

/** resolv.conf has no port syntax: every nameserver listens on 53. */
const DNS_PORT = 53;

/**
 * The `nameserver` entries of a resolv.conf, as port-53 endpoints, minus any that is one
 * of `exclude` (sinkd's own listeners): if sinkd is the system resolver, forwarding to
 * resolv.conf's entry would send every query back to sinkd. A stub such as systemd's
 * 127.0.0.53 is kept unless it is one of those listeners, because it is then a real
 * resolver running beside sinkd. A listener on 0.0.0.0 or :: stands for every local
 * address, so it excludes loopback and this host's interface addresses too.
 * A missing file gives [] (containers and minimal systems may have none).
 */
export function readResolvConf(path = '/etc/resolv.conf', exclude: Endpoint[] = []): Endpoint[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
  const self = selfAddresses(exclude);
  const seen = new Set<string>();
  const out: Endpoint[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*/, '').trim();
    const [keyword, address] = line.split(/\s+/);
    if (keyword !== 'nameserver' || address === undefined) continue;
    // The zone (%eth0) is kept in the endpoint, since a link-local server is unreachable
    // without it, but is not part of the address compared with the listeners.
    const bare = address.replace(/%.*/, '');
    if (isIP(bare) === 0 || self.contains(bare) || seen.has(address)) continue;
    seen.add(address);
    out.push({ host: address, port: DNS_PORT });
  }
  return out;
}

function selfAddresses(exclude: Endpoint[]): CidrSet {
  const hosts = new Set<string>();
  for (const e of exclude) {
    if (e.port !== DNS_PORT) continue;
    const bare = e.host.replace(/%.*/, '');
    if (bare === '0.0.0.0' || bare === '::') {
      // A v6 wildcard socket is dual-stack on the platforms sinkd targets, so it takes IPv4 too.
      for (const local of localAddresses(bare === '::' ? 6 : 4)) hosts.add(local);
    } else if (isIP(bare) !== 0) {
      hosts.add(bare);
    }
  }
  return new CidrSet(hosts);
}

function localAddresses(upTo: 4 | 6): string[] {
  const out = ['127.0.0.0/8'];
  if (upTo === 6) out.push('::1/128');
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv4' || upTo === 6) out.push(a.address.replace(/%.*/, ''));
    }
  }
  return out;
}
