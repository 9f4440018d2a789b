// DHCP lease files: who held a client address when it asked for a sinkholed name.
export { type Lease, type LeaseFormat, normalizeMac, macFromDuid, addressKey } from './lease.js';
export { parseDnsmasq } from './dnsmasq.js';
export { parseIsc, parseIscDate } from './isc.js';
export { parseKea } from './kea.js';
export { detectLeaseFormat } from './detect.js';
export { LeaseIndex } from './lease-index.js';
export { loadLeaseFile, parseLeases } from './load.js';
