// Walking wire-format domain names: skipping them (with compression) and reading a question name.

/**
 * Offset just past the name starting at `off`, or -1 if the name runs off the end of the packet
 * or uses a reserved label type. A compression pointer ends the name (2 octets), so this never
 * loops: it does not follow pointers.
 */
export function skipName(buf: Buffer, off: number): number {
  const end = buf.length;
  let total = 0;
  while (off < end) {
    const len = buf[off]!;
    if (len === 0) return off + 1;
    const kind = len & 0xc0;
    if (kind === 0xc0) return off + 2 <= end ? off + 2 : -1;
    if (kind !== 0) return -1; // 0x40 / 0x80: extended label types, obsolete (RFC 6891 5)
    total += len + 1;
    if (total > 255) return -1;
    off += len + 1;
  }
  return -1;
}

// One scratch buffer reused for every question name: the hot path allocates only the final string.
const scratch = Buffer.allocUnsafe(256);

/**
 * Reads an uncompressed question name at `off`. Returns the lowercased name without the trailing
 * dot ("" for the root) and the offset past it, or null when the name is malformed (pointer in the
 * question, label over 63, name over 255 octets, runs off the packet).
 * A "." inside a label is escaped as "\." so that it can never be mistaken for a label boundary.
 */
export function readQuestionName(buf: Buffer, off: number): { name: string; end: number } | null {
  const start = off;
  const end = buf.length;
  let out = 0;
  let escaped = false;
  for (;;) {
    if (off >= end) return null;
    const len = buf[off]!;
    if (len === 0) {
      off += 1;
      break;
    }
    if (len > 63) return null; // includes compression pointers: a question name has nothing to point back to
    if (off + 1 + len > end || out + len + 1 > 255) return null;
    if (out > 0) scratch[out++] = 0x2e;
    for (let i = off + 1, stop = off + 1 + len; i < stop; i++) {
      let c = buf[i]!;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      else if (c === 0x2e) escaped = true;
      scratch[out++] = c;
    }
    off += len + 1;
  }
  if (!escaped) return { name: scratch.toString('latin1', 0, out), end: off };
  return { name: escapeDottedLabels(buf, start, off), end: off };
}

// Rare path: rebuild the name label by label with "\." for dots inside labels.
function escapeDottedLabels(buf: Buffer, start: number, nameEnd: number): string {
  const labels: string[] = [];
  let off = start;
  while (off < nameEnd - 1) {
    const len = buf[off]!;
    labels.push(buf.toString('latin1', off + 1, off + 1 + len).toLowerCase().replaceAll('.', '\\.'));
    off += len + 1;
  }
  return labels.join('.');
}

/**
 * Offsets (relative to `nameStart`) of each label of an uncompressed name, so that a suffix of the
 * question name can be addressed by a compression pointer (used for the SOA owner of a sinkhole).
 */
export function labelOffsets(buf: Buffer, nameStart: number): number[] {
  const offsets: number[] = [];
  let off = nameStart;
  while (off < buf.length && buf[off]! !== 0) {
    offsets.push(off);
    off += buf[off]! + 1;
  }
  return offsets;
}
