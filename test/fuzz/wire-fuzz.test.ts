// Seeded fuzzing of the wire module (issue 6, "bad input"): parseQuery, inspectResponse,
// truncateReply and errorReply never throw and stay inside the packet on any input, and on valid
// input parseQuery and inspectResponse agree with two independent decoders, dns-packet and dns2.
//
// Deterministic: every loop runs from a fixed seed (SINKD_FUZZ_SEED overrides it); a failure
// names the seed, the loop, the iteration and the input in hex. test/wire/property.test.ts
// already checks dns2-built queries and mutations of them; this file adds the hostile shapes of
// test/fuzz/hostile.mjs, a reference decoder for the question name, and dns-packet as an oracle.

import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { parseQuery, type ParseResult } from '../../src/wire/query.js';
import { inspectResponse, truncateReply, type ResponseInfo } from '../../src/wire/response.js';
import { errorReply } from '../../src/wire/reply.js';
import { optSize, type OptSpec } from '../../src/wire/opt.js';
import { Packet, prng, randInt } from '../wire/helpers.js';
import { CATEGORIES, expectsReply, hostile, mutate, pick, randomBytes, randomLabel, randomName, validQuery, type Rand } from './hostile.mjs';

// dns-packet ships no types; the part used here.
interface DpQuestion { name: string; type: string; class: string }
interface DpOption { code: number; data?: Buffer; family?: number; sourcePrefixLength?: number; scopePrefixLength?: number; ip?: string; timeout?: number; length?: number }
interface DpAnswer {
  name: string;
  type: string;
  class?: string;
  ttl?: number;
  data?: unknown;
  udpPayloadSize?: number;
  extendedRcode?: number;
  ednsVersion?: number;
  flags?: number;
  flag_do?: boolean;
  options?: DpOption[];
}
interface DpPacket {
  id?: number;
  type?: 'query' | 'response';
  flags?: number;
  rcode?: string;
  flag_rd?: boolean;
  flag_cd?: boolean;
  flag_tc?: boolean;
  flag_qr?: boolean;
  opcode?: string;
  questions: DpQuestion[];
  answers: DpAnswer[];
  authorities: DpAnswer[];
  additionals: DpAnswer[];
}
interface DpCodec<T> {
  decode: ((buf: Buffer, offset?: number) => T) & { bytes: number };
  encodingLength(v: T): number;
}
interface DnsPacketLib {
  encode(p: Partial<DpPacket>): Buffer;
  decode(buf: Buffer): DpPacket;
  name: DpCodec<string>;
  question: DpCodec<DpQuestion>;
  answer: DpCodec<DpAnswer>;
}
const require = createRequire(import.meta.url);
const dp = require('dns-packet') as DnsPacketLib;
const dpTypes = require('dns-packet/types') as { toString(n: number): string; toType(s: string): number };
const dpClasses = require('dns-packet/classes') as { toString(n: number): string; toClass(s: string): number };

const SEED = Number(process.env.SINKD_FUZZ_SEED ?? 0x5eedf022) >>> 0;
/** Iteration counts are multiplied by this (SINKD_FUZZ_SCALE=20 for a long local run). */
const SCALE = Math.max(0.01, Number(process.env.SINKD_FUZZ_SCALE ?? 1));
const n = (base: number) => Math.ceil(base * SCALE);
const TIMEOUT = 60_000 * Math.max(1, SCALE);
const tried: Record<string, number> = {};
const count = (what: string, n = 1) => (tried[what] = (tried[what] ?? 0) + n);

afterAll(() => {
  const total = Object.values(tried).reduce((a, b) => a + b, 0);
  const lines = Object.entries(tried).map(([k, v]) => `  ${k.padEnd(46)} ${v}`);
  console.log(`wire fuzz (seed 0x${SEED.toString(16)}): ${total} inputs tried\n${lines.join('\n')}`);
});

/** Runs one iteration; a failure is rethrown naming the seed, the loop, the iteration and the input. */
function caseOf(loop: string, seed: number, i: number, input: Buffer, body: () => void): void {
  try {
    body();
  } catch (err) {
    const e = new Error(`[${loop}] iteration ${i}, seed 0x${seed.toString(16)} (SINKD_FUZZ_SEED=${SEED} replays), input ${input.length} octets: ${input.toString('hex')}\n${(err as Error).message}`);
    e.stack = `${e.message}\n${(err as Error).stack ?? ''}`;
    throw e;
  }
}

function assert(cond: unknown, what: string): asserts cond {
  if (!cond) throw new Error(`violated: ${what}`);
}

// ---------------------------------------------------------------------------------------------
// reference model: the question name as parseQuery documents it, decoded independently

/** Lowercased (ASCII letters only), "." and "\" inside a label escaped, "" for the root; null if malformed. */
function referenceQname(buf: Buffer): { name: string; end: number } | null {
  const labels: string[] = [];
  let off = 12;
  let wire = 1;
  for (;;) {
    if (off >= buf.length) return null;
    const len = buf[off]!;
    if (len === 0) return { name: labels.join('.'), end: off + 1 };
    if (len > 63) return null;
    wire += len + 1;
    if (wire > 255 || off + 1 + len > buf.length) return null;
    let label = '';
    for (const c of buf.subarray(off + 1, off + 1 + len)) {
      const ch = String.fromCharCode(c >= 0x41 && c <= 0x5a ? c | 0x20 : c);
      label += ch === '\\' ? '\\\\' : ch === '.' ? '\\.' : ch;
    }
    labels.push(label);
    off += len + 1;
  }
}

/** Every invariant of parseQuery on any input; returns the result for further checks. */
function checkParse(buf: Buffer): ParseResult {
  const before = Buffer.from(buf);
  const r = parseQuery(buf);
  assert(buf.equals(before), 'parseQuery does not modify its input');
  // The name is read through one shared scratch buffer: a second parse must give the same result.
  assert(JSON.stringify(parseQuery(buf)) === JSON.stringify(r), 'parseQuery is deterministic');
  const isDrop = buf.length < 12 || (buf[2]! & 0x80) !== 0;
  assert(isDrop === (!r.ok && r.kind === 'drop'), `dropped exactly the runts and responses (got ${r.ok ? 'ok' : r.kind})`);
  assert(isDrop === !expectsReply(buf), 'hostile.mjs expectsReply agrees with parseQuery');
  if (r.ok || r.kind === 'badvers') {
    const q = r.ok ? r.query : r.query;
    assert(((buf.readUInt16BE(2) >> 11) & 0xf) === 0 && buf.readUInt16BE(4) === 1, 'accepted only opcode QUERY with one question');
    const ref = referenceQname(buf);
    assert(ref !== null, 'accepted a question name the reference decoder rejects');
    assert(q.qname === ref.name, `qname ${JSON.stringify(q.qname)} = reference ${JSON.stringify(ref.name)}`);
    assert(q.nameEnd === ref.end && q.questionEnd === q.nameEnd + 4 && q.questionEnd <= buf.length, 'question inside the packet');
    assert(q.id === buf.readUInt16BE(0) && q.flags === buf.readUInt16BE(2), 'id and flags');
    assert(q.recursionDesired === ((q.flags & 0x100) !== 0) && q.checkingDisabled === ((q.flags & 0x10) !== 0), 'RD and CD');
    assert(q.qtype === buf.readUInt16BE(q.nameEnd) && q.qclass === buf.readUInt16BE(q.nameEnd + 2), 'qtype and qclass');
    if (q.edns) {
      const e = q.edns;
      assert(e.offset >= q.questionEnd && e.offset + e.length <= buf.length, 'OPT inside the packet, after the question');
      assert(buf[e.offset] === 0 && buf.readUInt16BE(e.offset + 1) === 41, 'OPT owned by the root');
      assert(e.length === 11 + buf.readUInt16BE(e.offset + 9), 'OPT length = fixed part + RDLENGTH');
      assert(e.udpSize === buf.readUInt16BE(e.offset + 3) && e.version === buf[e.offset + 6], 'udp size and version');
      assert(e.dnssecOk === ((buf[e.offset + 7]! & 0x80) !== 0), 'DO bit');
      if (e.clientSubnet !== undefined) {
        const m = /^(.+)\/(\d+)$/.exec(e.clientSubnet);
        assert(m && (/^\d+\.\d+\.\d+\.\d+$/.test(m[1]!) ? Number(m[2]) <= 32 : /^([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}$/.test(m[1]!) && Number(m[2]) <= 128), `ECS well-formed: ${e.clientSubnet}`);
      }
    }
    assert(r.ok === (q.edns === null || q.edns.version === 0), 'BADVERS exactly when the EDNS version is not 0');
  } else if (r.kind !== 'drop') {
    assert(r.questionEnd === -1 || (r.questionEnd > 12 && r.questionEnd <= buf.length), `problem questionEnd ${r.questionEnd} inside the packet`);
  }
  return r;
}

/** errorReply for a parse problem (or any rcode), checked field by field and by dns-packet. */
function checkErrorReply(query: Buffer, questionEnd: number, rcode: number, opt: OptSpec | null): Buffer {
  const out = errorReply(query, questionEnd, rcode, opt);
  const qLen = questionEnd > 12 ? questionEnd - 12 : 0;
  assert(out.length === 12 + qLen + (opt ? optSize(opt) : 0), 'errorReply size');
  if (query.length >= 2) assert(out.readUInt16BE(0) === query.readUInt16BE(0), 'errorReply echoes the id');
  const flags = out.readUInt16BE(2);
  assert((flags & 0x8000) !== 0 && (flags & 0xf) === (rcode & 0xf), 'QR and rcode');
  if (query.length >= 4) assert((flags & 0x7900) === (query.readUInt16BE(2) & 0x7900), 'opcode and RD echoed');
  assert(out.readUInt16BE(4) === (qLen ? 1 : 0) && out.readUInt16BE(6) === 0 && out.readUInt16BE(8) === 0 && out.readUInt16BE(10) === (opt ? 1 : 0), 'counts');
  if (qLen) assert(out.subarray(12, 12 + qLen).equals(query.subarray(12, questionEnd)), 'question copied byte for byte');
  const info = inspectResponse(out);
  assert(info !== null && info.questionEnd === 12 + qLen && info.ttls.length === 0, 'inspectResponse reads our own error reply');
  const d = dp.decode(out); // throws if malformed
  assert(d.questions.length === (qLen ? 1 : 0), 'dns-packet: question count');
  if (opt) {
    const o = d.additionals[0]!;
    assert(o.type === 'OPT' && o.extendedRcode === rcode >> 4 && o.flag_do === opt.dnssecOk, 'dns-packet: OPT with the extended rcode');
    if (opt.ede) {
      const ede = o.options?.find((x) => x.code === 15);
      assert(ede?.data && ede.data.readUInt16BE(0) === opt.ede.code && ede.data.subarray(2).toString('utf8') === opt.ede.text, 'dns-packet: EDE option');
    }
  }
  return out;
}

/** Every invariant of inspectResponse + truncateReply on any input. */
function checkInspect(buf: Buffer, rand: Rand): ResponseInfo | null {
  const before = Buffer.from(buf);
  const info = inspectResponse(buf);
  assert(buf.equals(before), 'inspectResponse does not modify its input');
  if (info === null) return null;
  const total = buf.readUInt16BE(6) + buf.readUInt16BE(8) + buf.readUInt16BE(10);
  assert(info.rcode === (buf[3]! & 0xf) && info.truncated === ((buf[2]! & 2) !== 0) && info.answerCount === buf.readUInt16BE(6), 'header fields');
  assert(info.questionEnd >= 12 && info.questionEnd <= buf.length, 'questionEnd inside');
  assert(info.ttlOffsets.length === info.ttls.length && info.ttls.length <= total, 'one TTL per record');
  let prev = info.questionEnd;
  info.ttlOffsets.forEach((off, i) => {
    assert(off > prev && off + 4 <= buf.length, `TTL offset ${off} inside and increasing`);
    prev = off;
    const raw = buf.readUInt32BE(off);
    assert(info.ttls[i] === (raw > 0x7fffffff ? 0 : raw), 'TTL value read at its offset');
  });
  assert(info.negativeTtl === null || (info.negativeTtl >= 0 && info.negativeTtl <= 0x7fffffff), 'negative TTL in range');
  assert(info.optOffset === -1 ? info.optLength === 0 : info.optOffset >= info.questionEnd && info.optOffset + info.optLength <= buf.length, 'OPT inside');
  if (info.optOffset >= 0) assert(info.optLength >= 11, 'an OPT record is at least 11 octets');
  for (const limit of [0, 12, 512, info.questionEnd, info.questionEnd + info.optLength, randInt(rand, 0, buf.length + 10)]) {
    const out = truncateReply(buf, info, limit);
    const keep = info.optOffset >= 0 && info.questionEnd + info.optLength <= limit;
    assert(out.length === info.questionEnd + (keep ? info.optLength : 0), 'truncated size');
    assert(out.length <= Math.max(limit, info.questionEnd), 'truncated reply within the limit (or just the question)');
    assert(out.subarray(0, 2).equals(buf.subarray(0, 2)) && (out[2]! & 2) !== 0, 'id kept, TC set');
    assert(out.readUInt16BE(6) === 0 && out.readUInt16BE(8) === 0 && out.readUInt16BE(10) === (keep ? 1 : 0), 'counts of a truncated reply');
    const again = inspectResponse(out);
    assert(again !== null && again.questionEnd === info.questionEnd && again.ttls.length === 0, 'a truncated reply inspects cleanly');
    assert(keep ? again.optOffset === info.questionEnd : again.optOffset === -1, 'OPT kept when it fits');
  }
  return info;
}

// ---------------------------------------------------------------------------------------------
// dns-packet oracle helpers

function classNumber(s: string): number {
  return s.startsWith('UNKNOWN_') ? Number(s.slice(8)) : dpClasses.toClass(s);
}

/** 16 octets of an IPv6 address in any textual form (with "::" or not). */
function ipv6Bytes(s: string): string {
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.padStart(4, '0')).join('');
}

function dpEcsString(o: DpOption): string | undefined {
  if (o.family === 1) return `${o.ip}/${o.sourcePrefixLength}`;
  if (o.family === 2) return `${ipv6Bytes(o.ip!)}/${o.sourcePrefixLength}`;
  return undefined;
}

function randomDpOption(rand: Rand): DpOption {
  switch (randInt(rand, 0, 5)) {
    case 0: {
      const p = randInt(rand, 0, 32);
      const ip = [0, 0, 0, 0].map((_, i) => (i < Math.ceil(p / 8) ? randInt(rand, 0, 255) : 0)).join('.');
      return { code: 8, family: 1, sourcePrefixLength: p, scopePrefixLength: 0, ip };
    }
    case 1: {
      const p = randInt(rand, 0, 128);
      const b = Buffer.alloc(16);
      randomBytes(rand, Math.ceil(p / 8)).copy(b);
      const ip = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16)).join(':');
      return { code: 8, family: 2, sourcePrefixLength: p, scopePrefixLength: 0, ip };
    }
    case 2:
      return { code: 10, data: randomBytes(rand, rand() < 0.5 ? 8 : randInt(rand, 16, 40)) };
    case 3:
      return { code: 12, length: randInt(rand, 0, 100) };
    case 4:
      return rand() < 0.5 ? { code: 11 } : { code: 11, timeout: randInt(rand, 1, 0xffff) };
    default:
      return { code: randInt(rand, 16, 0xfffe), data: randomBytes(rand, randInt(rand, 0, 20)) };
  }
}

function randomDpRecord(rand: Rand, name = randomName(rand) || '.'): DpAnswer {
  const ttl = rand() < 0.1 ? randInt(rand, 0x80000000, 0xffffffff) : randInt(rand, 0, 86400);
  const base = { name, ttl, class: 'IN' };
  switch (randInt(rand, 0, 8)) {
    case 0:
      return { ...base, type: 'A', data: [0, 0, 0, 0].map(() => randInt(rand, 0, 255)).join('.') };
    case 1:
      return { ...base, type: 'AAAA', data: Array.from({ length: 8 }, () => randInt(rand, 0, 0xffff).toString(16)).join(':') };
    case 2:
      return { ...base, type: pick(rand, ['CNAME', 'NS', 'PTR']), data: randomName(rand) || '.' };
    case 3:
      return { ...base, type: 'MX', data: { preference: randInt(rand, 0, 100), exchange: randomName(rand) || '.' } };
    case 4:
      return { ...base, type: 'TXT', data: [randomLabel(rand, randInt(rand, 0, 200))] };
    case 5:
      return { ...base, type: 'SRV', data: { priority: 1, weight: 2, port: randInt(rand, 1, 65535), target: randomName(rand) || '.' } };
    case 6:
      return { ...base, type: 'SOA', data: soaData(rand) };
    default:
      return { ...base, type: unknownType(rand), data: randomBytes(rand, randInt(rand, 0, 40)) };
  }
}

/** A type dns-packet has no codec for (its RDATA is written as opaque bytes). */
function unknownType(rand: Rand): string {
  for (;;) {
    const t = dpTypes.toString(randInt(rand, 256, 0xfeff));
    if (t.startsWith('UNKNOWN_')) return t;
  }
}

function soaData(rand: Rand) {
  return { mname: randomName(rand) || '.', rname: randomName(rand) || '.', serial: randInt(rand, 0, 0xffffffff), refresh: 1, retry: 2, expire: 3, minimum: randInt(rand, 0, 0xffffffff) };
}

function randomDpOpt(rand: Rand): DpAnswer {
  return {
    name: '.',
    type: 'OPT',
    udpPayloadSize: randInt(rand, 1, 0xffff),
    extendedRcode: rand() < 0.8 ? 0 : randInt(rand, 0, 255),
    ednsVersion: 0,
    flags: (rand() < 0.5 ? 0x8000 : 0) | (rand() < 0.1 ? randInt(rand, 0, 0x7fff) : 0),
    options: Array.from({ length: rand() < 0.4 ? 0 : randInt(rand, 1, 4) }, () => randomDpOption(rand)),
  };
}

/** A valid query built by dns-packet, with its expected reading. */
function dpQuery(rand: Rand) {
  const name = randomName(rand);
  const qtype = rand() < 0.6 ? pick(rand, [1, 28, 5, 15, 16, 33, 64, 65, 255, 43, 48]) : randInt(rand, 0, 0xffff);
  const qclass = rand() < 0.8 ? 1 : pick(rand, [2, 3, 4, 255, 0, randInt(rand, 5, 0xffff)]);
  let flags = 0;
  if (rand() < 0.8) flags |= 0x100;
  if (rand() < 0.3) flags |= 0x10;
  if (rand() < 0.3) flags |= 0x20;
  const additionals: DpAnswer[] = [];
  const withOpt = rand() < 0.6;
  if (rand() < 0.15) additionals.push(randomDpRecord(rand));
  if (withOpt) additionals.push(randomDpOpt(rand));
  if (rand() < 0.15) additionals.push(randomDpRecord(rand));
  const answers = rand() < 0.1 ? [randomDpRecord(rand)] : [];
  const authorities = rand() < 0.1 ? [randomDpRecord(rand)] : [];
  const buf = dp.encode({
    type: 'query',
    id: randInt(rand, 0, 0xffff),
    flags,
    questions: [{ name: name || '.', type: dpTypes.toString(qtype), class: 'IN' }],
    answers,
    authorities,
    additionals,
  });
  // dns-packet cannot write a class it has no name for: patch the QCLASS octets after the name.
  const nameEnd = 12 + dp.name.encodingLength(name || '.');
  buf.writeUInt16BE(qclass, nameEnd + 2);
  return { buf, name, qtype, qclass, additionals };
}

/** Where each record starts and its TTL field, walked with dns-packet's own decoders. */
function dpWalk(buf: Buffer) {
  const h = dp.decode(buf);
  let off = 12;
  for (let i = 0; i < h.questions.length; i++) {
    dp.question.decode(buf, off);
    off += dp.question.decode.bytes;
  }
  const questionEnd = off;
  const records: { start: number; end: number; ttlOffset: number; rec: DpAnswer; section: 'an' | 'ns' | 'ar' }[] = [];
  for (const [section, n] of [['an', h.answers.length], ['ns', h.authorities.length], ['ar', h.additionals.length]] as const) {
    for (let i = 0; i < n; i++) {
      dp.name.decode(buf, off);
      const ttlOffset = off + dp.name.decode.bytes + 4;
      const rec = dp.answer.decode(buf, off);
      const end = off + dp.answer.decode.bytes;
      records.push({ start: off, end, ttlOffset, rec, section });
      off = end;
    }
  }
  return { h, questionEnd, records };
}

// ---------------------------------------------------------------------------------------------

describe('wire fuzz: parseQuery and errorReply on hostile input', () => {
  it('never throw, and everything they return stays inside the packet (every category of hostile.mjs)', () => {
    const seed = SEED ^ 0x1;
    const rand = prng(seed);
    let i = 0;
    for (const category of CATEGORIES) {
      for (let k = 0; k < n(2500); k++, i++) {
        const buf = hostile(rand, category);
        count(`parseQuery: ${category}`);
        caseOf(`parse/${category}`, seed, i, buf, () => {
          const r = checkParse(buf);
          if (r.ok) return;
          if (r.kind === 'formerr') checkErrorReply(buf, r.questionEnd, 1, null);
          else if (r.kind === 'notimp') checkErrorReply(buf, r.questionEnd, 4, null);
          else if (r.kind === 'badvers') checkErrorReply(buf, r.query.questionEnd, 16, { dnssecOk: r.query.edns?.dnssecOk ?? false });
        });
      }
    }
  }, TIMEOUT);

  it('random bytes, every truncation of real queries, and deep mutations', () => {
    const seed = SEED ^ 0x2;
    const rand = prng(seed);
    for (let i = 0; i < n(10_000); i++) {
      const buf = randomBytes(rand, rand() < 0.1 ? randInt(rand, 0, 11) : randInt(rand, 12, rand() < 0.9 ? 128 : 1500));
      if (rand() < 0.5 && buf.length >= 12) buf[2]! &= 0x7f;
      count('parseQuery: raw random bytes');
      caseOf('parse/random-bytes', seed, i, buf, () => void checkParse(buf));
    }
    for (let i = 0; i < n(300); i++) {
      const q = validQuery(rand);
      for (let cut = 0; cut < q.length; cut++) {
        const buf = q.subarray(0, cut);
        count('parseQuery: every prefix of a query');
        caseOf('parse/prefix', seed, i, buf, () => {
          const r = checkParse(buf);
          assert(!r.ok, 'a strict prefix of a query is never accepted');
        });
      }
    }
    for (let i = 0; i < n(10_000); i++) {
      let buf = validQuery(rand);
      for (let rounds = randInt(rand, 1, 6); rounds > 0; rounds--) buf = mutate(rand, buf);
      count('parseQuery: stacked mutations');
      caseOf('parse/mutations', seed, i, buf, () => {
        const r = checkParse(buf);
        if (!r.ok && r.kind === 'formerr') checkErrorReply(buf, r.questionEnd, 1, null);
      });
    }
  }, TIMEOUT);

  it('errorReply is well-formed for every rcode, with and without OPT/EDE, on any packet', () => {
    const seed = SEED ^ 0x3;
    const rand = prng(seed);
    for (let i = 0; i < n(5000); i++) {
      const buf = rand() < 0.3 ? randomBytes(rand, randInt(rand, 0, 40)) : validQuery(rand);
      const r = parseQuery(buf);
      const questionEnd = r.ok ? r.query.questionEnd : r.kind === 'formerr' || r.kind === 'notimp' ? r.questionEnd : -1;
      const rcode = rand() < 0.5 ? pick(rand, [0, 1, 2, 3, 4, 5, 16]) : randInt(rand, 0, 4095);
      const opt: OptSpec | null = rand() < 0.5 ? null : { dnssecOk: rand() < 0.5, ...(rand() < 0.5 ? { ede: { code: randInt(rand, 0, 0xffff), text: randomLabel(rand, randInt(rand, 0, 80)) } } : {}) };
      count('errorReply');
      caseOf('errorReply', seed, i, buf, () => void checkErrorReply(buf, questionEnd, rcode, opt));
    }
  }, TIMEOUT);

  it('accepted question names agree with dns-packet, both ways, on mutated input', () => {
    const seed = SEED ^ 0x4;
    const rand = prng(seed);
    let compared = 0;
    for (let i = 0; i < n(12_000); i++) {
      const buf = mutate(rand, validQuery(rand));
      count('parseQuery vs dns-packet: mutated');
      caseOf('parse/dns-packet-mutated', seed, i, buf, () => {
        if (buf.length < 12 || (buf[2]! & 0x80) !== 0 || ((buf[2]! >> 3) & 0xf) !== 0 || buf.readUInt16BE(4) !== 1) return;
        let oracle: string | null = null;
        let pointer = false;
        try {
          dp.name.decode(buf, 12);
          oracle = dp.name.decode(buf, 12);
          // a compression pointer in a question is legal for dns-packet, a FORMERR for sinkd
          pointer = referenceQname(buf) === null && (buf.subarray(12).findIndex((c) => c >= 0xc0) >= 0);
          if (12 + dp.name.decode.bytes + 4 > buf.length) oracle = null; // QTYPE/QCLASS missing
        } catch {
          oracle = null;
        }
        const r = parseQuery(buf);
        const nameOk = r.ok || r.kind === 'badvers' || (r.kind === 'formerr' && r.reason !== 'malformed question name' && r.reason !== 'question runs off the packet');
        if (oracle === null) {
          assert(!nameOk, 'parseQuery took a question dns-packet cannot read');
          return;
        }
        if (pointer) return;
        compared++;
        assert(nameOk, `dns-packet reads the question (${JSON.stringify(oracle)}) but parseQuery says ${JSON.stringify(r)}`);
        const q = r.ok ? r.query : r.kind === 'badvers' ? r.query : null;
        if (q === null) return;
        const raw = buf.subarray(12, q.nameEnd);
        // dns-packet decodes labels as UTF-8 and does not escape: compare only where both are plain ASCII
        if (raw.some((c) => c >= 0x80 || c === 0x2e || c === 0x5c)) return;
        const lower = oracle === '.' ? '' : oracle.replace(/[A-Z]/g, (c) => c.toLowerCase());
        assert(q.qname === lower, `qname ${JSON.stringify(q.qname)} vs dns-packet ${JSON.stringify(lower)}`);
      });
    }
    expect(compared).toBeGreaterThan(n(12_000) / 4);
  }, TIMEOUT);
});

describe('wire fuzz: cross-check with dns-packet and dns2 on valid queries', () => {
  it('parseQuery reads id, qname, qtype, qclass and EDNS exactly as dns-packet (and dns2) do', () => {
    const seed = SEED ^ 0x5;
    const rand = prng(seed);
    for (let i = 0; i < n(10_000); i++) {
      const { buf, name, qtype, qclass, additionals } = dpQuery(rand);
      count('parseQuery vs dns-packet: valid queries');
      caseOf('dns-packet/query', seed, i, buf, () => {
        const r = checkParse(buf);
        assert(r.ok, `valid query rejected: ${JSON.stringify(r)}`);
        const q = r.query;
        const d = dp.decode(buf);
        const dq = d.questions[0]!;
        const dpName = dq.name === '.' ? '' : dq.name.toLowerCase();
        assert(dpName === name.toLowerCase(), 'dns-packet round trip of the name');
        assert(q.qname === dpName, `qname ${q.qname} vs dns-packet ${dpName}`);
        assert(q.qtype === dpTypes.toType(dq.type) && q.qtype === qtype, `qtype ${q.qtype} vs dns-packet ${dq.type}`);
        assert(q.qclass === classNumber(dq.class) && q.qclass === qclass, `qclass ${q.qclass} vs dns-packet ${dq.class}`);
        assert(q.id === d.id, 'id');
        assert(q.recursionDesired === d.flag_rd && q.checkingDisabled === d.flag_cd, 'RD/CD');
        assert((q.flags & 0x7fff) === d.flags, 'flags');
        const opts = d.additionals.filter((a) => a.type === 'OPT');
        assert(opts.length === additionals.filter((a) => a.type === 'OPT').length, 'dns-packet sees our OPT');
        if (opts.length === 0) {
          assert(q.edns === null, 'no OPT, no EDNS');
        } else {
          const o = opts[0]!;
          const e = q.edns;
          assert(e !== null, 'EDNS present');
          assert(e.udpSize === o.udpPayloadSize && e.version === o.ednsVersion && e.dnssecOk === o.flag_do, 'udp size, version, DO');
          assert(e.length === dp.answer.encodingLength(o), `OPT length ${e.length} vs dns-packet ${dp.answer.encodingLength(o)}`);
          const at = d.additionals.indexOf(o);
          const after = d.additionals.slice(at + 1).reduce((n, a) => n + dp.answer.encodingLength(a), 0);
          assert(e.offset === buf.length - after - e.length, 'OPT offset');
          const ecs = o.options?.find((x) => x.code === 8);
          const want = ecs ? dpEcsString(ecs) : undefined;
          const got = e.clientSubnet === undefined ? undefined : e.clientSubnet.includes(':') ? `${ipv6Bytes(e.clientSubnet.split('/')[0]!)}/${e.clientSubnet.split('/')[1]}` : e.clientSubnet;
          assert(got === want, `client subnet ${e.clientSubnet} vs dns-packet ${want}`);
        }
        // dns2, the second oracle: header and question
        const p = Packet.parse(buf);
        const pq = p.questions[0]!;
        assert(p.header.id === q.id && pq.name.toLowerCase() === q.qname && pq.type === q.qtype && pq.class === q.qclass, `dns2 reads ${JSON.stringify(pq)}`);
      });
    }
  }, TIMEOUT);

  it('errorReply to a valid query decodes in dns-packet with the same question and the EDE', () => {
    const seed = SEED ^ 0x6;
    const rand = prng(seed);
    for (let i = 0; i < n(3000); i++) {
      const { buf } = dpQuery(rand);
      count('errorReply vs dns-packet: valid queries');
      caseOf('dns-packet/errorReply', seed, i, buf, () => {
        const r = parseQuery(buf);
        assert(r.ok, 'valid');
        const rcode = pick(rand, [1, 2, 3, 5, 16, randInt(rand, 0, 4095)]);
        const opt = r.query.edns ? { dnssecOk: r.query.edns.dnssecOk, ede: { code: randInt(rand, 0, 30), text: randomLabel(rand, randInt(rand, 0, 60)) } } : null;
        const out = checkErrorReply(buf, r.query.questionEnd, rcode, opt);
        const d = dp.decode(out);
        const dq = dp.decode(buf).questions[0]!;
        assert(JSON.stringify(d.questions[0]) === JSON.stringify(dq), 'same question');
      });
    }
  }, TIMEOUT);
});

describe('wire fuzz: inspectResponse and truncateReply', () => {
  /** A valid response built by dns-packet (no compression) or dns2 (compressed names). */
  function validResponse(rand: Rand): Buffer {
    const flags = (rand() < 0.5 ? 0x0100 : 0) | (rand() < 0.2 ? 0x0200 : 0) | (rand() < 0.3 ? 0x0400 : 0) | 0x0080 | (rand() < 0.7 ? 0 : randInt(rand, 1, 15));
    const qname = randomName(rand) || '.';
    if (rand() < 0.7) {
      const answers = Array.from({ length: rand() < 0.2 ? 0 : randInt(rand, 1, 6) }, () => randomDpRecord(rand, rand() < 0.5 ? qname : undefined));
      const authorities = Array.from({ length: rand() < 0.5 ? 0 : randInt(rand, 1, 3) }, () =>
        rand() < 0.5 ? { name: qname, type: 'SOA', class: 'IN', ttl: rand() < 0.1 ? randInt(rand, 0x80000000, 0xffffffff) : randInt(rand, 0, 86400), data: soaData(rand) } : randomDpRecord(rand),
      );
      const additionals = Array.from({ length: rand() < 0.5 ? 0 : randInt(rand, 1, 3) }, () => randomDpRecord(rand));
      if (rand() < 0.6) additionals.splice(randInt(rand, 0, additionals.length), 0, randomDpOpt(rand));
      const questions = rand() < 0.9 ? [{ name: qname, type: 'A', class: 'IN' }] : Array.from({ length: randInt(rand, 0, 3) }, () => ({ name: randomName(rand) || '.', type: 'AAAA', class: 'IN' }));
      return dp.encode({ type: 'response', id: randInt(rand, 0, 0xffff), flags, questions, answers, authorities, additionals });
    }
    const p = new Packet();
    p.header.id = randInt(rand, 0, 0xffff);
    p.header.qr = 1;
    p.header.rcode = flags & 0xf;
    p.header.tc = (flags & 0x0200) !== 0 ? 1 : 0;
    const name = qname === '.' ? '' : qname;
    p.questions.push({ name, type: 1, class: 1 } as never);
    // a name below the question's, when there is room for one more label (255 octets at most)
    const sub = () => (name && name.length < 240 ? `${randomLabel(rand, randInt(rand, 1, 10))}.${name}` : randomLabel(rand, 5));
    for (let k = randInt(rand, 0, 5); k > 0; k--) {
      const ttl = randInt(rand, 0, 86400);
      p.answers.push(
        pick(rand, [
          { name, type: 1, class: 1, ttl, address: '192.0.2.1' },
          { name, type: 5, class: 1, ttl, domain: sub() },
          { name: sub(), type: 15, class: 1, ttl, exchange: sub(), priority: 5 },
          { name, type: 16, class: 1, ttl, data: randomLabel(rand, randInt(rand, 0, 100)) },
        ]) as never,
      );
    }
    if (rand() < 0.5) p.authorities.push({ name, type: 6, class: 1, ttl: randInt(rand, 0, 86400), primary: sub(), admin: sub(), serial: 1, refresh: 2, retry: 3, expiration: 4, minimum: randInt(rand, 0, 86400) } as never);
    if (rand() < 0.5) p.additionals.push(Packet.Resource.EDNS([], { udpPayloadSize: 1232 }) as never);
    return p.toBuffer();
  }

  it('match dns-packet on valid responses: questions, TTL offsets, negative TTL, OPT, truncation', () => {
    const seed = SEED ^ 0x7;
    const rand = prng(seed);
    for (let i = 0; i < n(5000); i++) {
      const buf = validResponse(rand);
      count('inspectResponse vs dns-packet: valid replies');
      caseOf('dns-packet/response', seed, i, buf, () => {
        const info = checkInspect(buf, rand);
        assert(info !== null, 'valid reply rejected');
        const { h, questionEnd, records } = dpWalk(buf);
        assert(info.questionEnd === questionEnd, `questionEnd ${info.questionEnd} vs ${questionEnd}`);
        assert(info.answerCount === h.answers.length && info.truncated === h.flag_tc, 'counts and TC');
        const plain = records.filter((r) => r.rec.type !== 'OPT');
        assert(JSON.stringify(info.ttlOffsets) === JSON.stringify(plain.map((r) => r.ttlOffset)), `TTL offsets ${info.ttlOffsets} vs dns-packet ${plain.map((r) => r.ttlOffset)}`);
        assert(JSON.stringify(info.ttls) === JSON.stringify(plain.map((r) => (r.rec.ttl! > 0x7fffffff ? 0 : r.rec.ttl))), 'TTLs');
        const soa = records.find((r) => r.section === 'ns' && r.rec.type === 'SOA');
        const wantNeg = soa ? Math.min(soa.rec.ttl! > 0x7fffffff ? 0 : soa.rec.ttl!, (soa.rec.data as { minimum: number }).minimum) : null;
        assert(info.negativeTtl === wantNeg, `negative TTL ${info.negativeTtl} vs ${wantNeg}`);
        const opt = records.filter((r) => r.rec.type === 'OPT').at(-1);
        assert(opt ? info.optOffset === opt.start && info.optLength === opt.end - opt.start : info.optOffset === -1, 'OPT position');
        const limit = randInt(rand, 0, buf.length);
        const t = dp.decode(truncateReply(buf, info, limit));
        assert(t.flag_tc && t.answers.length === 0 && t.authorities.length === 0, 'dns-packet reads the truncated reply');
        assert(JSON.stringify(t.questions) === JSON.stringify(h.questions), 'same questions after truncation');
        assert(t.additionals.length === (opt && questionEnd + (opt.end - opt.start) <= limit ? 1 : 0), 'OPT kept only when it fits');
      });
    }
  }, TIMEOUT);

  it('never throw on hostile replies: random bytes, mutations, pointer loops, lying counts', () => {
    const seed = SEED ^ 0x8;
    const rand = prng(seed);
    for (let i = 0; i < n(15_000); i++) {
      let buf: Buffer;
      const kind = i % 4;
      if (kind === 0) buf = randomBytes(rand, randInt(rand, 0, 600));
      else if (kind === 1) {
        buf = validResponse(rand);
        for (let r = randInt(rand, 1, 4); r > 0; r--) buf = mutate(rand, buf);
      } else if (kind === 2) {
        buf = validResponse(rand);
        buf = buf.subarray(0, randInt(rand, 0, buf.length));
      } else {
        // a hostile query turned into a "reply": loops, long labels, lying counts and OPTs
        buf = Buffer.from(hostile(rand, pick(rand, CATEGORIES)));
        if (buf.length >= 3) buf[2]! |= 0x80;
      }
      count('inspectResponse/truncateReply: hostile replies');
      caseOf('response/hostile', seed, i, buf, () => void checkInspect(buf, rand));
    }
  }, TIMEOUT);
});
