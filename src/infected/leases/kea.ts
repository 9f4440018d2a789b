// Owns reading Kea's memfile lease files (kea-leases4.csv, kea-leases6.csv).
//
// The files are CSV with a header line that names the columns; columns are found by name, so
// files from older Kea versions (fewer columns) and newer ones (more, e.g. pool_id) both read:
//
//     address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id
//     address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source,pool_id
//
// - Kea escapes "," (and "&") inside a field as "&#x2c" ("&#x26"): "&#x" and two hex digits.
//   Kea itself never quotes fields; RFC 4180 double-quoted fields are accepted too, for files
//   that went through other tools.
// - expire is epoch seconds; the lease started at expire - valid_lifetime (Kea's own reading).
//   valid_lifetime 4294967295 is an infinite lease (no end).
// - The file is append-only between cleanups (LFC): every change appends a row, later rows are
//   newer. Rows are kept as history, except:
//     state 1 (declined): the address was declined, Kea cleared the client; no holder.
//     valid_lifetime 0: how Kea records a deleted lease; it bounds no holding.
//     lease_type 2 (IA_PD, DHCPv6): a delegated prefix, not an address a client queries from.
//   State 0 (default, i.e. active) and state 2 (expired-reclaimed) are kept: a reclaimed lease
//   keeps the client's hardware address and still says who held the address until it expired.
//   Other states (e.g. 3, released, in newer Kea) are kept likewise.
// - DHCPv6 rows often have an empty hwaddr; the MAC is then taken from the DUID when it embeds
//   one (DUID-LL, DUID-LLT over Ethernet).
// Rows with the wrong number of fields, an address that is not one, or no usable expire are
// skipped. A file without an "address" header column is not a Kea lease file: that throws.
import { addressKey, cleanHostname, macFromDuid, normalizeMac, splitLines, type Lease } from './lease.js';

const INFINITE_LIFETIME = 4294967295;
const STATE_DECLINED = 1;
const LEASE_TYPE_PD = 2;

/** Kea's "&#xHH" field escape. */
export function unescapeKea(field: string): string {
  if (!field.includes('&#x')) return field;
  return field.replace(/&#x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Splits one CSV line into fields: plain commas, plus RFC 4180 quoted fields ("" for a quote). */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let out = '';
      i++;
      while (i < line.length) {
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            out += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        out += line[i++];
      }
      // Anything between the closing quote and the next comma is kept, as lenient readers do.
      const comma = line.indexOf(',', i);
      out += comma < 0 ? line.slice(i) : line.slice(i, comma);
      fields.push(out);
      if (comma < 0) return fields;
      i = comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      fields.push(comma < 0 ? line.slice(i) : line.slice(i, comma));
      if (comma < 0) return fields;
      i = comma + 1;
    }
  }
}

export function parseKea(text: string): Lease[] {
  const lines = splitLines(text);
  let h = 0;
  while (h < lines.length && lines[h]!.trim() === '') h++;
  const header = splitCsvLine(lines[h] ?? '').map((c) => c.trim().toLowerCase());
  const col = (name: string): number => header.indexOf(name);
  const cAddress = col('address');
  const cExpire = col('expire');
  const cValid = col('valid_lifetime');
  if (cAddress < 0 || cExpire < 0 || cValid < 0) {
    throw new Error('not a Kea lease file: no header line with address, valid_lifetime and expire columns');
  }
  const cHw = col('hwaddr');
  const cDuid = col('duid');
  const cHost = col('hostname');
  const cState = col('state');
  const cType = col('lease_type');

  const leases: Lease[] = [];
  for (let i = h + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const f = splitCsvLine(line);
    if (f.length !== header.length) continue;
    const ip = f[cAddress]!.trim();
    if (addressKey(ip) === undefined) continue;
    const valid = Number(f[cValid]);
    const expire = Number(f[cExpire]);
    if (!Number.isInteger(valid) || !Number.isInteger(expire) || valid <= 0 || expire <= 0) continue;
    if (cState >= 0 && Number(f[cState]) === STATE_DECLINED) continue;
    if (cType >= 0 && Number(f[cType]) === LEASE_TYPE_PD) continue;

    let mac = cHw >= 0 ? (normalizeMac(unescapeKea(f[cHw]!)) ?? '') : '';
    if (mac === '' && cDuid >= 0) mac = macFromDuid(unescapeKea(f[cDuid]!)) ?? '';
    const hostname = cHost >= 0 ? cleanHostname(unescapeKea(f[cHost]!)) : undefined;
    if (mac === '' && hostname === undefined) continue;
    leases.push({
      ip,
      mac,
      ...(hostname !== undefined && { hostname }),
      start: (expire - valid) * 1000,
      ...(valid !== INFINITE_LIFETIME && { end: expire * 1000 }),
    });
  }
  return leases;
}
