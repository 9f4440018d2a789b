// Hostile DNS input for the fuzzers: well-formed queries to start from, and generators for every
// kind of bad input a client can send (random bytes, truncations, mutations, compression-pointer
// loops, oversized labels and names, QDCOUNT != 1, bogus OPT records, garbage after a query).
//
// Plain ESM with no imports, so that both the vitest fuzz tests (test/fuzz/*.test.ts) and the
// long-running `npm run fuzz` (bench/fuzz.mjs, no build step for test code) use the same generators.
// Every generator takes `rand`, a () => [0, 1) function: with a seeded PRNG the input is reproducible.

/**
 * mulberry32, the same PRNG as prng() in test/wire/helpers.ts (the tests use that one; the bench,
 * which cannot import TypeScript, uses this copy): a seed gives the same sequence in both.
 */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randInt(rand, lo, hi) {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

export function pick(rand, items) {
  return items[Math.floor(rand() * items.length)];
}

export function randomBytes(rand, n) {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

export function u16(n) {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
}

function u32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

// ---------------------------------------------------------------------------------------------
// well-formed material

const LDH = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_';

export function randomLabel(rand, len) {
  let l = '';
  for (let i = 0; i < len; i++) l += LDH[Math.floor(rand() * LDH.length)];
  return l;
}

/**
 * A valid host name in presentation form, without the final dot ("" is the root), letters of
 * both cases, digits, "-" and "_": sometimes at the limits (63-octet labels, 253 characters =
 * 255 octets on the wire, 127 one-octet labels).
 */
export function randomName(rand) {
  const r = rand();
  if (r < 0.02) return '';
  if (r < 0.04) {
    // exactly 255 octets on the wire: 63+63+63+61 plus 4 length octets plus the root
    return [randomLabel(rand, 63), randomLabel(rand, 63), randomLabel(rand, 63), randomLabel(rand, 61)].join('.');
  }
  if (r < 0.05) return Array.from({ length: 127 }, () => randomLabel(rand, 1)).join('.');
  const labels = [];
  let wire = 1;
  const count = rand() < 0.1 ? randInt(rand, 9, 40) : randInt(rand, 1, 6);
  for (let i = 0; i < count; i++) {
    const len = rand() < 0.05 ? 63 : randInt(rand, 1, 20);
    if (wire + len + 1 > 255) break;
    wire += len + 1;
    labels.push(randomLabel(rand, len));
  }
  return labels.join('.');
}

/** Wire form of a presentation name made of plain labels (no escapes). */
export function encodeName(name) {
  const parts = [];
  for (const l of name.split('.')) {
    if (l.length === 0) continue;
    const b = Buffer.from(l, 'latin1');
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** Wire form of raw labels (strings of latin1 octets or Buffers), root-terminated; no length check. */
export function wireLabels(labels) {
  const parts = [];
  for (const l of labels) {
    const b = typeof l === 'string' ? Buffer.from(l, 'latin1') : l;
    parts.push(Buffer.from([b.length & 0xff]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export function header({ id = 0x1234, flags = 0x0100, qd = 1, an = 0, ns = 0, ar = 0 } = {}) {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(id & 0xffff, 0);
  b.writeUInt16BE(flags & 0xffff, 2);
  b.writeUInt16BE(qd & 0xffff, 4);
  b.writeUInt16BE(an & 0xffff, 6);
  b.writeUInt16BE(ns & 0xffff, 8);
  b.writeUInt16BE(ar & 0xffff, 10);
  return b;
}

/** A resource record: owner (wire bytes), type, class, TTL, RDATA; `rdlen` may lie. */
export function record({ owner = Buffer.from([0]), type = 1, cls = 1, ttl = 60, rdata = Buffer.alloc(4), rdlen } = {}) {
  return Buffer.concat([owner, u16(type), u16(cls), u32(ttl), u16(rdlen ?? rdata.length), rdata]);
}

/** An OPT record (RFC 6891 6.1.2); `rdlen` may lie, `owner` may be something other than the root. */
export function optRecord({ owner = Buffer.from([0]), udpSize = 1232, extRcode = 0, version = 0, flags = 0, rdata = Buffer.alloc(0), rdlen } = {}) {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(41, 0);
  fixed.writeUInt16BE(udpSize & 0xffff, 2);
  fixed[4] = extRcode & 0xff;
  fixed[5] = version & 0xff;
  fixed.writeUInt16BE(flags & 0xffff, 6);
  fixed.writeUInt16BE((rdlen ?? rdata.length) & 0xffff, 8);
  return Buffer.concat([owner, fixed, rdata]);
}

/** One EDNS option; `len` may lie about the data's length. */
export function ednsOption(code, data, len) {
  return Buffer.concat([u16(code), u16(len ?? data.length), data]);
}

/** EDNS Client Subnet option data (RFC 7871): family, source prefix, scope prefix, address octets. */
export function ecsData(family, prefix, addr, scope = 0) {
  return Buffer.concat([u16(family), Buffer.from([prefix & 0xff, scope & 0xff]), addr]);
}

/** A valid ECS option for a random IPv4 or IPv6 subnet, address cut to ceil(prefix/8) octets. */
export function randomEcs(rand) {
  const v6 = rand() < 0.4;
  const prefix = v6 ? randInt(rand, 0, 128) : randInt(rand, 0, 32);
  const addr = randomBytes(rand, Math.ceil(prefix / 8));
  return ednsOption(8, ecsData(v6 ? 2 : 1, prefix, addr));
}

/** Random well-formed EDNS options: ECS, cookie, padding, keepalive, unknown codes. */
export function randomOptions(rand) {
  const out = [];
  const n = rand() < 0.5 ? 0 : randInt(rand, 1, 4);
  for (let i = 0; i < n; i++) {
    switch (randInt(rand, 0, 4)) {
      case 0:
        out.push(randomEcs(rand));
        break;
      case 1:
        out.push(ednsOption(10, randomBytes(rand, rand() < 0.5 ? 8 : randInt(rand, 16, 40))));
        break;
      case 2:
        out.push(ednsOption(12, Buffer.alloc(randInt(rand, 0, 64))));
        break;
      case 3:
        out.push(ednsOption(11, rand() < 0.5 ? Buffer.alloc(0) : u16(randInt(rand, 0, 0xffff))));
        break;
      default:
        out.push(ednsOption(randInt(rand, 16, 0xffff), randomBytes(rand, randInt(rand, 0, 12))));
    }
  }
  return Buffer.concat(out);
}

const COMMON_TYPES = [1, 2, 5, 6, 12, 15, 16, 28, 33, 43, 46, 48, 64, 65, 255];

/**
 * A well-formed query: a random name, type, class and id, RD/CD/AD at random, and half the time
 * an OPT record (DNSSEC OK at random, version 0, well-formed options).
 */
export function validQuery(rand, name = randomName(rand)) {
  const type = rand() < 0.7 ? pick(rand, COMMON_TYPES) : randInt(rand, 0, 0xffff);
  const cls = rand() < 0.85 ? 1 : pick(rand, [3, 4, 254, 255, randInt(rand, 0, 0xffff)]);
  let flags = 0;
  if (rand() < 0.85) flags |= 0x0100; // RD
  if (rand() < 0.2) flags |= 0x0010; // CD
  if (rand() < 0.2) flags |= 0x0020; // AD
  const edns = rand() < 0.5;
  const parts = [header({ id: randInt(rand, 0, 0xffff), flags, ar: edns ? 1 : 0 }), encodeName(name), u16(type), u16(cls)];
  if (edns) {
    parts.push(optRecord({ udpSize: rand() < 0.7 ? pick(rand, [512, 1232, 4096]) : randInt(rand, 1, 0xffff), flags: rand() < 0.5 ? 0x8000 : 0, rdata: randomOptions(rand) }));
  }
  return Buffer.concat(parts);
}

/** A plain query for `name` (A unless told), RD set, no EDNS: for liveness probes. */
export function simpleQuery(name, { id = 0x4242, type = 1, edns = false } = {}) {
  return Buffer.concat([header({ id, ar: edns ? 1 : 0 }), encodeName(name), u16(type), u16(1), edns ? optRecord() : Buffer.alloc(0)]);
}

// ---------------------------------------------------------------------------------------------
// mutation

/** 1-5 random edits: overwrite, bit flip, truncate, append, insert, delete, duplicate, counts, length octets. */
export function mutate(rand, src) {
  let buf = Buffer.from(src);
  const steps = randInt(rand, 1, 5);
  for (let s = 0; s < steps; s++) {
    const op = randInt(rand, 0, 9);
    const n = buf.length;
    if (op === 0 && n > 0) buf[randInt(rand, 0, n - 1)] = randInt(rand, 0, 255);
    else if (op === 1 && n > 0) buf[randInt(rand, 0, n - 1)] ^= 1 << randInt(rand, 0, 7);
    else if (op === 2) buf = buf.subarray(0, randInt(rand, 0, n));
    else if (op === 3) buf = Buffer.concat([buf, randomBytes(rand, randInt(rand, 1, 32))]);
    else if (op === 4) {
      const at = randInt(rand, 0, n);
      buf = Buffer.concat([buf.subarray(0, at), randomBytes(rand, randInt(rand, 1, 8)), buf.subarray(at)]);
    } else if (op === 5 && n > 0) {
      const at = randInt(rand, 0, n - 1);
      buf = Buffer.concat([buf.subarray(0, at), buf.subarray(Math.min(n, at + randInt(rand, 1, 8)))]);
    } else if (op === 6 && n > 0) {
      const at = randInt(rand, 0, n - 1);
      const len = randInt(rand, 1, Math.min(32, n - at));
      buf = Buffer.concat([buf.subarray(0, at + len), buf.subarray(at, at + len), buf.subarray(at + len)]);
    } else if (op === 7 && n >= 12) {
      buf.writeUInt16BE(rand() < 0.3 ? randInt(rand, 0, 0xffff) : randInt(rand, 0, 3), 4 + 2 * randInt(rand, 0, 3));
    } else if (op === 8 && n > 12) {
      buf[randInt(rand, 12, n - 1)] = pick(rand, [0, 1, 2, 62, 63, 64, 65, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xff]);
    } else if (op === 9 && n >= 4) {
      buf.writeUInt16BE(randInt(rand, 0, 0xffff) & 0x7fff, 2); // any flags but QR: keep it a query
    }
  }
  return buf;
}

// ---------------------------------------------------------------------------------------------
// hostile queries by category

/**
 * Every category of hostile datagram. `expectReply` says what a correct server does with all
 * of them: 'none' for runts and responses (never answer: no reflection), 'one' otherwise — every
 * packet of at least 12 octets with QR=0 gets exactly one reply (FORMERR, NOTIMP, BADVERS, or an
 * answer), whatever else is wrong with it.
 */
export const CATEGORIES = [
  'random',
  'truncated',
  'mutated',
  'pointer-loop',
  'long-label',
  'long-name',
  'qdcount',
  'bogus-opt',
  'garbage-after',
  'header-flags',
  'qr-set',
  'runt',
];

/** What a correct server sends back for this exact packet: no reply for runts and for responses. */
export function expectsReply(buf) {
  return buf.length >= 12 && (buf[2] & 0x80) === 0;
}

function question(rand, name = randomName(rand)) {
  return Buffer.concat([encodeName(name), u16(pick(rand, [1, 28, 255, 16])), u16(1)]);
}

function ptr(off) {
  return u16(0xc000 | (off & 0x3fff));
}

function pointerLoop(rand) {
  const id = randInt(rand, 0, 0xffff);
  switch (randInt(rand, 0, 7)) {
    case 0: // the question name is a pointer to itself
      return Buffer.concat([header({ id }), ptr(12), u16(1), u16(1)]);
    case 1: // a label, then a pointer back to the start of the name
      return Buffer.concat([header({ id }), Buffer.from([1, 0x61]), ptr(12), u16(1), u16(1)]);
    case 2: // two pointers pointing at each other
      return Buffer.concat([header({ id }), ptr(14), ptr(12), u16(1), u16(1)]);
    case 3: // a pointer past the end of the packet, or a reserved 0x40/0x80 label type
      return Buffer.concat([header({ id }), pick(rand, [ptr(0x3fff), ptr(randInt(rand, 0, 0x3fff)), Buffer.from([0x40, 0]), Buffer.from([0x80, 0])]), u16(1), u16(1)]);
    case 4: {
      // a good question, then additional records whose owner points at itself (OPT or A)
      const q = question(rand);
      const at = 12 + q.length;
      const rr = pick(rand, [optRecord({ owner: ptr(at) }), record({ owner: ptr(at) }), record({ owner: Buffer.concat([Buffer.from([1, 0x78]), ptr(at)]) })]);
      return Buffer.concat([header({ id, ar: randInt(rand, 1, 3) }), q, rr]);
    }
    case 5: {
      // an answer-section CNAME whose owner and RDATA are pointer loops, then a good OPT
      const q = question(rand);
      const at = 12 + q.length;
      const rr = record({ owner: ptr(at), type: 5, rdata: ptr(at + 12) });
      return Buffer.concat([header({ id, an: 1, ar: 1 }), q, rr, optRecord()]);
    }
    case 6: {
      // a chain of pointers, each to the one before it, ending in the question name
      const q = question(rand);
      let at = 12 + q.length;
      const chain = [];
      let prev = 12;
      const n = randInt(rand, 2, 60);
      for (let i = 0; i < n; i++) {
        chain.push(record({ owner: ptr(prev), type: 5, rdata: ptr(at) }));
        prev = at;
        at += 2 + 10 + 2;
      }
      return Buffer.concat([header({ id, ar: n }), q, ...chain]);
    }
    default: {
      // a pointer into the header or into the middle of a label
      const q = question(rand, randomLabel(rand, 8) + '.' + randomLabel(rand, 5));
      return Buffer.concat([header({ id, ar: 1 }), q, record({ owner: ptr(randInt(rand, 0, 12 + q.length)) })]);
    }
  }
}

function longLabel(rand) {
  const id = randInt(rand, 0, 0xffff);
  const len = randInt(rand, 64, 255);
  const label = Buffer.concat([Buffer.from([len]), randomBytes(rand, rand() < 0.7 ? len : randInt(rand, 0, len))]);
  const prefix = rand() < 0.5 ? Buffer.alloc(0) : encodeName(randomLabel(rand, randInt(rand, 1, 10))).subarray(0, -1);
  const name = Buffer.concat([prefix, label, rand() < 0.7 ? Buffer.from([0]) : Buffer.alloc(0)]);
  if (rand() < 0.8) return Buffer.concat([header({ id }), name, u16(1), u16(1)]);
  // in a record owner instead of the question
  return Buffer.concat([header({ id, ar: 1 }), question(rand), record({ owner: name })]);
}

function longName(rand) {
  const id = randInt(rand, 0, 0xffff);
  let labels;
  switch (randInt(rand, 0, 3)) {
    case 0: // 256 octets: one over the limit
      labels = [randomLabel(rand, 63), randomLabel(rand, 63), randomLabel(rand, 63), randomLabel(rand, 62)];
      break;
    case 1: // 128 one-octet labels: 257 octets
      labels = Array.from({ length: 128 }, () => randomLabel(rand, 1));
      break;
    case 2: {
      // anything from 256 to ~1100 octets in legal labels
      labels = [];
      let wire = 1;
      const target = randInt(rand, 256, 1100);
      while (wire <= target) {
        const len = randInt(rand, 1, 63);
        labels.push(randomLabel(rand, len));
        wire += len + 1;
      }
      break;
    }
    default: // a legal name at exactly 255 octets, to keep the boundary honest
      labels = [randomLabel(rand, 63), randomLabel(rand, 63), randomLabel(rand, 63), randomLabel(rand, 61)];
  }
  return Buffer.concat([header({ id, ar: rand() < 0.3 ? 1 : 0 }), wireLabels(labels), u16(1), u16(1), rand() < 0.3 ? optRecord() : Buffer.alloc(0)]);
}

function qdcount(rand) {
  const id = randInt(rand, 0, 0xffff);
  const qd = pick(rand, [0, 0, 2, 2, 3, 255, 0xffff]);
  const present = pick(rand, [0, 1, 2, Math.min(qd, 5)]);
  const qs = Array.from({ length: present }, () => question(rand));
  return Buffer.concat([header({ id, qd, ar: rand() < 0.3 ? 1 : 0 }), ...qs, rand() < 0.3 ? optRecord() : Buffer.alloc(0)]);
}

function bogusOpt(rand) {
  const id = randInt(rand, 0, 0xffff);
  const q = question(rand);
  const h = (counts) => header({ id, ...counts });
  switch (randInt(rand, 0, 12)) {
    case 0: // "wrong class": a UDP payload size below 512 or absurd, DO set, extended rcode set
      return Buffer.concat([h({ ar: 1 }), q, optRecord({ udpSize: pick(rand, [0, 1, 255, 511, 0xffff]), flags: 0xffff, extRcode: randInt(rand, 0, 255) })]);
    case 1: // RDLENGTH longer than what is there
      return Buffer.concat([h({ ar: 1 }), q, optRecord({ rdata: randomOptions(rand), rdlen: randInt(rand, 1, 0xffff) + 64 })]);
    case 2: // RDLENGTH shorter than the options it holds (options cut off mid-header)
      return Buffer.concat([h({ ar: 1 }), q, optRecord({ rdata: ednsOption(10, randomBytes(rand, 8)), rdlen: randInt(rand, 1, 3) }), randomBytes(rand, randInt(rand, 0, 12))]);
    case 3: // two OPT records (RFC 6891 6.1.1: FORMERR)
      return Buffer.concat([h({ ar: 2 }), q, optRecord(), optRecord({ udpSize: 4096, flags: 0x8000 })]);
    case 4: // OPT in the answer or the authority section
      return rand() < 0.5 ? Buffer.concat([h({ an: 1 }), q, optRecord()]) : Buffer.concat([h({ ns: 1, ar: 1 }), q, optRecord(), optRecord()]);
    case 5: // OPT owned by a real name, or by a pointer to the question
      return Buffer.concat([h({ ar: 1 }), q, optRecord({ owner: pick(rand, [encodeName('x.example'), ptr(12), Buffer.from([1, 0x61, 0])]) })]);
    case 6: // EDNS version != 0 (BADVERS)
      return Buffer.concat([h({ ar: 1 }), q, optRecord({ version: randInt(rand, 1, 255), flags: rand() < 0.5 ? 0x8000 : 0 })]);
    case 7: // an option whose length runs past the RDATA
      return Buffer.concat([h({ ar: 1 }), q, optRecord({ rdata: ednsOption(pick(rand, [8, 10, 12, 15, 0xffff]), randomBytes(rand, randInt(rand, 0, 6)), randInt(rand, 7, 0xffff)) })]);
    case 8: {
      // malformed Client Subnet: bad family, prefix over the address size, short option, long address
      const data = pick(rand, [
        ecsData(randInt(rand, 3, 0xffff), 24, randomBytes(rand, 3)),
        ecsData(1, randInt(rand, 33, 255), randomBytes(rand, randInt(rand, 0, 40))),
        ecsData(2, randInt(rand, 129, 255), randomBytes(rand, randInt(rand, 0, 40))),
        randomBytes(rand, randInt(rand, 0, 3)),
        ecsData(pick(rand, [1, 2]), randInt(rand, 0, 128), randomBytes(rand, randInt(rand, 17, 200))),
        ecsData(pick(rand, [1, 2]), randInt(rand, 0, 128), Buffer.alloc(0)),
      ]);
      return Buffer.concat([h({ ar: 1 }), q, optRecord({ rdata: ednsOption(8, data) })]);
    }
    case 9: // ARCOUNT larger than the records present
      return Buffer.concat([h({ ar: pick(rand, [2, 3, 100, 0xffff]) }), q, optRecord()]);
    case 10: // the OPT record cut inside its fixed part
      return Buffer.concat([h({ ar: 1 }), q, optRecord().subarray(0, randInt(rand, 0, 10))]);
    case 11: // many options, the last one truncated
      return Buffer.concat([h({ ar: 1 }), q, optRecord({ rdata: Buffer.concat([randomOptions(rand), randomOptions(rand), u16(8), u16(40), randomBytes(rand, 3)]) })]);
    default: // OPT with random bytes for RDATA
      return Buffer.concat([h({ ar: 1 }), q, optRecord({ rdata: randomBytes(rand, randInt(rand, 0, 80)) })]);
  }
}

/** One hostile datagram of `category` (see CATEGORIES). */
export function hostile(rand, category) {
  switch (category) {
    case 'random': {
      const r = rand();
      const len = r < 0.4 ? randInt(rand, 12, 64) : r < 0.9 ? randInt(rand, 64, 512) : randInt(rand, 512, 4096);
      const b = randomBytes(rand, len);
      if (rand() < 0.5) {
        b[2] &= 0x07; // QR=0, opcode QUERY: get past the first checks
        b.writeUInt16BE(rand() < 0.8 ? 1 : randInt(rand, 0, 4), 4);
        if (rand() < 0.5) b.writeUInt32BE(randInt(rand, 0, 2), 6);
        b.writeUInt16BE(randInt(rand, 0, 3), 10);
      }
      return b;
    }
    case 'truncated': {
      const q = validQuery(rand);
      return q.subarray(0, rand() < 0.1 ? randInt(rand, 0, 11) : randInt(rand, 12, q.length - 1));
    }
    case 'mutated':
      return mutate(rand, validQuery(rand));
    case 'pointer-loop':
      return pointerLoop(rand);
    case 'long-label':
      return longLabel(rand);
    case 'long-name':
      return longName(rand);
    case 'qdcount':
      return qdcount(rand);
    case 'bogus-opt':
      return bogusOpt(rand);
    case 'garbage-after': {
      const q = validQuery(rand);
      const junk = rand() < 0.2 ? validQuery(rand) : randomBytes(rand, randInt(rand, 1, 600));
      return Buffer.concat([q, junk]);
    }
    case 'header-flags': {
      const q = validQuery(rand);
      // opcode 1-15 (NOTIMP), AA/TC/Z bits, any rcode: everything but QR
      q.writeUInt16BE((randInt(rand, 0, 0xffff) & 0x7fff) | (rand() < 0.6 ? randInt(rand, 1, 15) << 11 : 0), 2);
      return q;
    }
    case 'qr-set': {
      const b = rand() < 0.7 ? validQuery(rand) : randomBytes(rand, randInt(rand, 12, 300));
      b[2] |= 0x80;
      return b;
    }
    case 'runt':
      return randomBytes(rand, randInt(rand, 0, 11));
    default:
      throw new Error(`unknown category ${category}`);
  }
}

// ---------------------------------------------------------------------------------------------
// reading replies (enough for liveness probes; no DNS library needed)

/** rcode, TC, counts and the A/AAAA addresses in the answer section; null when it does not parse. */
export function readReply(buf) {
  if (buf.length < 12) return null;
  const flags = buf.readUInt16BE(2);
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  let off = 12;
  const skip = () => {
    while (off < buf.length) {
      const len = buf[off];
      if (len === 0) return (off += 1), true;
      if ((len & 0xc0) === 0xc0) return (off += 2), off <= buf.length;
      if (len > 63) return false;
      off += len + 1;
    }
    return false;
  };
  for (let i = 0; i < qd; i++) {
    if (!skip()) return null;
    off += 4;
  }
  const addresses = [];
  for (let i = 0; i < an; i++) {
    if (!skip() || off + 10 > buf.length) return null;
    const type = buf.readUInt16BE(off);
    const rdlen = buf.readUInt16BE(off + 8);
    const rdata = buf.subarray(off + 10, off + 10 + rdlen);
    if (rdata.length !== rdlen) return null;
    if (type === 1 && rdlen === 4) addresses.push([...rdata].join('.'));
    if (type === 28 && rdlen === 16) addresses.push(rdata.toString('hex'));
    off += 10 + rdlen;
  }
  return { id: buf.readUInt16BE(0), qr: (flags & 0x8000) !== 0, tc: (flags & 0x0200) !== 0, rcode: flags & 0x0f, qd, an, addresses };
}
