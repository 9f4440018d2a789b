// Writing our OPT record (RFC 6891), with an optional Extended DNS Error (RFC 8914).

import { EDNS_OPTION_EDE, OUR_UDP_PAYLOAD, QType } from './constants.js';

export interface OptSpec {
  readonly dnssecOk: boolean;
  /** Upper 8 bits of a 12-bit rcode (BADVERS = 16 → 1). */
  readonly extendedRcode?: number;
  readonly ede?: { readonly code: number; readonly text: string };
}

/** Octets the OPT record for `spec` takes. */
export function optSize(spec: OptSpec): number {
  return 11 + (spec.ede ? 6 + Buffer.byteLength(spec.ede.text) : 0);
}

/** Writes the OPT record at `off`; returns the offset past it. */
export function writeOpt(out: Buffer, off: number, spec: OptSpec): number {
  out[off] = 0; // root owner
  out.writeUInt16BE(QType.OPT, off + 1);
  out.writeUInt16BE(OUR_UDP_PAYLOAD, off + 3);
  out[off + 5] = spec.extendedRcode ?? 0;
  out[off + 6] = 0; // version 0
  out.writeUInt16BE(spec.dnssecOk ? 0x8000 : 0, off + 7);
  if (!spec.ede) {
    out.writeUInt16BE(0, off + 9);
    return off + 11;
  }
  const textLen = out.write(spec.ede.text, off + 17, 'utf8');
  out.writeUInt16BE(6 + textLen, off + 9);
  out.writeUInt16BE(EDNS_OPTION_EDE, off + 11);
  out.writeUInt16BE(2 + textLen, off + 13);
  out.writeUInt16BE(spec.ede.code, off + 15);
  return off + 17 + textLen;
}
