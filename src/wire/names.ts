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
 * question, label over 63, name over 255 octets on the wire, runs off the packet).
 * A "." inside a label is escaped as "\." and a "\" as "\\", so that two different names can never
 * read the same (one label "a.b" is "a\.b"; the labels "a\" and "b" are "a\\.b").
 * Only ASCII letters are lowercased (RFC 4343); other octets are kept as they are.
 */
export function readQuestionName(buf: Buffer, off: number): { name: string; end: number } | null {
  const start = off;
  const end = buf.length;
  let out = 0;
  let wire = 1; // octets of the name on the wire, counting the root label
  let escaped = false;
  for (;;) {
    if (off >= end) return null;
    const len = buf[off]!;
    if (len === 0) {
      off += 1;
      break;
    }
    if (len > 63) return null; // includes compression pointers: a question name has nothing to point back to
    wire += len + 1;
    if (off + 1 + len > end || wire > 255) return null;
    if (out > 0) scratch[out++] = 0x2e;
    for (let i = off + 1, stop = off + 1 + len; i < stop; i++) {
      let c = buf[i]!;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      else if (c === 0x2e || c === 0x5c) escaped = true;
      scratch[out++] = c;
    }
    off += len + 1;
  }
  if (!escaped) return { name: scratch.toString('latin1', 0, out), end: off };
  return { name: escapeDottedLabels(buf, start, off), end: off };
}

// Rare path: rebuild the name label by label with "\\" for backslashes and "\." for dots inside
// labels, lowercasing ASCII letters only (String#toLowerCase would also fold latin1 letters).
function escapeDottedLabels(buf: Buffer, start: number, nameEnd: number): string {
  const labels: string[] = [];
  let off = start;
  while (off < nameEnd - 1) {
    const len = buf[off]!;
    const label = buf.toString('latin1', off + 1, off + 1 + len).replace(/[A-Z]+/g, (m) => m.toLowerCase());
    labels.push(label.replaceAll('\\', '\\\\').replaceAll('.', '\\.'));
    off += len + 1;
  }
  return labels.join('.');
}

/**
 * Packet offsets of each label of an uncompressed name starting at `nameStart`, so that a suffix of the
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

/**
 * Reads a name anywhere in a message, following compression pointers (each must point strictly
 * backwards, so a loop cannot form). Lowercased, without the trailing dot, "" for the root; labels
 * are joined as they are (no escaping: for matching, not for display). Null when malformed.
 */
export function readName(buf: Buffer, off: number): string | null {
  const labels: string[] = [];
  let wire = 1;
  let limit = off; // a pointer must land before the name (or pointer) that holds it
  for (;;) {
    if (off >= buf.length) return null;
    const len = buf[off]!;
    if (len === 0) return labels.join('.');
    if ((len & 0xc0) === 0xc0) {
      if (off + 1 >= buf.length) return null;
      const target = ((len & 0x3f) << 8) | buf[off + 1]!;
      if (target >= limit) return null;
      off = limit = target;
      continue;
    }
    if (len > 63 || off + 1 + len > buf.length) return null;
    wire += len + 1;
    if (wire > 255) return null;
    labels.push(buf.toString('latin1', off + 1, off + 1 + len).replace(/[A-Z]+/g, (m) => m.toLowerCase()));
    off += len + 1;
  }
}
