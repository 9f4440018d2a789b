// Hostile clients for a live sinkd, shared by test/fuzz/server-fuzz.test.ts (in-process server)
// and bench/fuzz.mjs (the built server as a child process): UDP batches of every category of
// hostile.mjs, TCP conversations with lying length prefixes, garbage, resets and trickled bytes,
// a slowloris client, and the liveness probe that must be answered after every round.
//
// Plain ESM, Node built-ins only. Loopback only: every function takes the server's host and port
// and the callers only ever pass 127.0.0.1.

import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { CATEGORIES, expectsReply, hostile, pick, randInt, randomBytes, readReply, simpleQuery, validQuery } from './hostile.mjs';

/** The 2-octet length prefix of DNS over TCP; `len` may lie. */
export function frame(msg, len = msg.length) {
  const b = Buffer.allocUnsafe(msg.length + 2);
  b.writeUInt16BE(len & 0xffff, 0);
  msg.copy(b, 2);
  return b;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Tallies inputs per category and keeps every failure (the first few in full). */
export class FuzzStats {
  constructor() {
    this.counts = new Map();
    this.failures = [];
    this.notes = new Map();
  }
  count(category, n = 1) {
    this.counts.set(category, (this.counts.get(category) ?? 0) + n);
  }
  fail(what) {
    this.failures.push(what);
  }
  note(what, n = 1) {
    this.notes.set(what, (this.notes.get(what) ?? 0) + n);
  }
  get total() {
    let t = 0;
    for (const n of this.counts.values()) t += n;
    return t;
  }
  table() {
    const rows = [...this.counts.entries()].sort((a, b) => a[0].localeCompare(b[0]));
    const w = Math.max(...rows.map(([k]) => k.length), 8);
    return rows.map(([k, v]) => `  ${k.padEnd(w)} ${v}`).join('\n');
  }
}

// ---------------------------------------------------------------------------------------------
// UDP

/**
 * Linux's count of UDP datagrams dropped because a socket's receive buffer was full (machine-wide,
 * /proc/net/snmp RcvbufErrors); null where there is no such file. A server starved of CPU (a
 * loaded machine) drops datagrams this way: that is UDP, not a fault of the server.
 */
export function udpRcvbufErrors() {
  try {
    const lines = fs.readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    const names = lines[0].split(/\s+/);
    const values = lines[1].split(/\s+/);
    const v = Number(values[names.indexOf('RcvbufErrors')]);
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/**
 * Sends every datagram from one socket, each with its own ID (octets 0-1 rewritten), and checks
 * the replies: exactly one for every datagram a server must answer (12+ octets, QR=0), none for
 * runts and responses, each with QR=1, a known ID and within the client's UDP size limit
 * (`udpLimit(query)`, from the caller's reading of the query's EDNS).
 */
export function udpBatch(port, datagrams, { host = '127.0.0.1', timeoutMs = 3000, graceMs = 150, udpLimit = () => 512, burst = 16, pauseMs = 5 } = {}) {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const base = Math.floor(Math.random() * 0x10000);
    const byId = new Map();
    let expected = 0;
    const problems = [];
    const replied = new Set();
    let graceTimer = null;
    const dropsBefore = udpRcvbufErrors();
    const done = () => {
      clearTimeout(timer);
      clearTimeout(graceTimer);
      socket.close();
      const missing = [...byId.entries()].filter(([id, q]) => expectsReply(q) && !replied.has(id)).map(([, q]) => q);
      const dropsAfter = udpRcvbufErrors();
      const kernelDrops = dropsBefore === null || dropsAfter === null ? null : dropsAfter - dropsBefore;
      resolve({ sent: datagrams.length, expected, replies: replied.size, missing, problems, kernelDrops });
    };
    const timer = setTimeout(done, timeoutMs + Math.ceil(datagrams.length / burst) * pauseMs);
    socket.on('error', (err) => problems.push(`socket error: ${err.message}`));
    socket.on('message', (msg) => {
      if (msg.length < 12) return void problems.push(`reply shorter than a header: ${msg.toString('hex')}`);
      const id = msg.readUInt16BE(0);
      const q = byId.get(id);
      if (q === undefined) return void problems.push(`reply with an ID never sent: ${msg.subarray(0, 12).toString('hex')}`);
      if (!expectsReply(q)) return void problems.push(`answered a packet that must be dropped (${q.length} octets, QR=${(q[2] ?? 0) >> 7}): query ${q.toString('hex')}`);
      if (replied.has(id)) return void problems.push(`two replies to one query: ${q.toString('hex')}`);
      replied.add(id);
      if ((msg[2] & 0x80) === 0) problems.push(`reply without QR: ${msg.toString('hex')}`);
      const limit = udpLimit(q);
      if (msg.length > limit) problems.push(`UDP reply of ${msg.length} octets over the client's limit ${limit}: query ${q.toString('hex')}`);
      if (replied.size === expected && graceTimer === null) graceTimer = setTimeout(done, graceMs);
    });
    const queries = datagrams.map((d, i) => {
      const q = Buffer.from(d);
      if (q.length >= 2) q.writeUInt16BE((base + i) & 0xffff, 0);
      byId.set((base + i) & 0xffff, q);
      if (expectsReply(q)) expected++;
      return q;
    });
    socket.bind(0, '127.0.0.1', async () => {
      // In bursts: a few hundred datagrams at once overflow the server's socket receive buffer
      // (Linux's default is 208 KiB, each datagram costs ~1-5 KiB of it) and the kernel drops
      // them before sinkd sees them; that is UDP, not a fault of the server.
      for (let i = 0; i < queries.length; i += burst) {
        for (const q of queries.slice(i, i + burst)) socket.send(q, port, host);
        await sleep(pauseMs);
      }
      if (expected === 0) graceTimer = setTimeout(done, graceMs * 3);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// UDP from source port 0 (no socket API can send it: a raw socket, via test/helpers/udp-port0.py)

const PORT0_TOOL = fileURLToPath(new URL('../helpers/udp-port0.py', import.meta.url));
let port0Reason;

/**
 * Why datagrams from source port 0 cannot be sent here (no python3, no CAP_NET_RAW), or null
 * when they can. Callers skip with this text, visibly.
 */
export function portZeroSkipReason() {
  if (port0Reason !== undefined) return port0Reason;
  const r = spawnSync('python3', [PORT0_TOOL, 'probe'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) port0Reason = `python3 is not available (${r.error.code ?? r.error.message})`;
  else if (r.status !== 0) port0Reason = `no raw socket (needs root or CAP_NET_RAW): ${(r.stderr || `exit ${r.status}`).trim()}`;
  else port0Reason = null;
  return port0Reason;
}

/** Sends each datagram from `source`, port 0, to host:port; resolves with how many were sent. */
export function sendFromPortZero(port, datagrams, { host = '127.0.0.1', source = host } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [PORT0_TOOL, 'send', source, host, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`udp-port0.py exited ${code}: ${err.trim()}`))));
    child.stdin.end(datagrams.map((d) => d.toString('hex')).join('\n') + '\n');
  });
}

// ---------------------------------------------------------------------------------------------
// TCP

/**
 * One TCP connection: writes `steps` in order (a Buffer is written, a number waits that many ms,
 * 'end' half-closes, 'reset' destroys with RST) and collects framed replies by ID until every ID
 * in `want` has been answered, the server closes, or `timeoutMs` passes.
 */
export function tcpConversation(port, steps, { host = '127.0.0.1', want = [], timeoutMs = 3000, stayOpen = false } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect({ port, host });
    socket.setNoDelay(true);
    let buf = Buffer.alloc(0);
    const ids = [];
    const replies = [];
    let lastWrite = started;
    let closedByServer = false;
    let finished = false;
    let error = null;
    const wanted = new Set(want);
    const finish = (why) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ why, ids, replies, closedByServer, error, ms: Date.now() - started, sinceLastWrite: Date.now() - lastWrite, answeredAll: want.every((id) => ids.includes(id)) });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('error', (err) => {
      error = err.code ?? err.message;
    });
    socket.on('close', () => {
      closedByServer = !finished;
      finish('closed');
    });
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= buf.readUInt16BE(0) + 2) {
        const msg = Buffer.from(buf.subarray(2, buf.readUInt16BE(0) + 2));
        buf = buf.subarray(buf.readUInt16BE(0) + 2);
        replies.push(msg);
        if (msg.length >= 2) ids.push(msg.readUInt16BE(0));
      }
      if (!stayOpen && wanted.size > 0 && want.every((id) => ids.includes(id))) finish('answered');
    });
    socket.on('connect', async () => {
      for (const s of steps) {
        if (finished || socket.destroyed) return;
        if (typeof s === 'number') await sleep(s);
        else if (s === 'end') socket.end();
        else if (s === 'reset') {
          socket.resetAndDestroy();
          return finish('reset');
        } else {
          socket.write(s);
          lastWrite = Date.now();
        }
      }
    });
  });
}

/** The TCP scenario kinds of one round; each is counted as one input. */
export const TCP_KINDS = [
  'tcp-hostile-then-valid',
  'tcp-zero-length-frames',
  'tcp-length-longer',
  'tcp-length-shorter',
  'tcp-length-zero-then-garbage',
  'tcp-garbage-after-query',
  'tcp-max-frame',
  'tcp-huge-query',
  'tcp-split-bytes',
  'tcp-pipeline',
  'tcp-reset',
  'tcp-half-close',
];

function uniqueId(rand) {
  return randInt(rand, 0, 0xffff);
}

/**
 * Runs one TCP scenario; returns a failure string or null. A lying length prefix is passed to
 * `lyingPrefix(promise)` so the caller can check later that the connection was closed (by the
 * idle timeout) without waiting for it here.
 */
export async function tcpScenario(port, kind, rand, { host = '127.0.0.1', probeName, onLyingPrefix, timeoutMs = 1500 } = {}) {
  const id = uniqueId(rand);
  const good = simpleQuery(probeName, { id });
  const hostileMsg = () => hostile(rand, pick(rand, CATEGORIES));
  const expectAnswered = async (steps, want = [id], opts = {}) => {
    const r = await tcpConversation(port, steps, { host, want, timeoutMs, ...opts });
    return r.answeredAll ? null : `${kind}: the good query on the same connection was not answered (${r.why} after ${r.ms} ms, ${r.replies.length} replies, error ${r.error})`;
  };
  switch (kind) {
    case 'tcp-hostile-then-valid': {
      const n = randInt(rand, 1, 5);
      const msgs = Array.from({ length: n }, hostileMsg);
      return expectAnswered([Buffer.concat([...msgs.map((m) => frame(m)), frame(good)])]);
    }
    case 'tcp-zero-length-frames':
      return expectAnswered([Buffer.concat([Buffer.alloc(2 * randInt(rand, 1, 2000)), frame(good)])]);
    case 'tcp-length-longer': {
      const q = validQuery(rand);
      onLyingPrefix?.(tcpConversation(port, [frame(q, q.length + randInt(rand, 1, 2000))], { host, timeoutMs: 60_000 }));
      return null;
    }
    case 'tcp-length-shorter': {
      const q = validQuery(rand);
      onLyingPrefix?.(tcpConversation(port, [frame(q, randInt(rand, 0, q.length - 1)), frame(good)], { host, timeoutMs: 60_000 }));
      return null;
    }
    case 'tcp-length-zero-then-garbage':
      onLyingPrefix?.(tcpConversation(port, [Buffer.concat([Buffer.alloc(2), randomBytes(rand, randInt(rand, 1, 300))])], { host, timeoutMs: 60_000 }));
      return null;
    case 'tcp-garbage-after-query':
      // the garbage is read as the next length prefix: the good query is answered, then the rest idles out
      return expectAnswered([Buffer.concat([frame(good), randomBytes(rand, randInt(rand, 1, 500))])]);
    case 'tcp-max-frame':
      return expectAnswered([Buffer.concat([frame(randomBytes(rand, 0xffff)), frame(good)])]);
    case 'tcp-huge-query': {
      // a well-formed query padded to ~64 KiB: too big to forward over UDP, still answered
      const q = Buffer.from(simpleQuery(`h${id}.${probeName}`, { id }));
      const big = Buffer.concat([q, randomBytes(rand, randInt(rand, 60_000, 0xffff - q.length))]);
      return expectAnswered([frame(big)]);
    }
    case 'tcp-split-bytes': {
      const bytes = frame(good);
      const steps = [];
      for (let off = 0; off < bytes.length; ) {
        const n = randInt(rand, 1, 3);
        steps.push(bytes.subarray(off, off + n), randInt(rand, 0, 15));
        off += n;
      }
      return expectAnswered(steps, [id], { timeoutMs: timeoutMs + 1500 });
    }
    case 'tcp-pipeline': {
      // many hostile messages back to back, each with its own ID: every answerable one gets exactly one reply
      const msgs = Array.from({ length: randInt(rand, 20, 120) }, () => Buffer.from(hostileMsg()));
      const base = randInt(rand, 0, 0xffff);
      msgs.forEach((m, i) => m.length >= 2 && m.writeUInt16BE((base + i) & 0xffff, 0));
      const want = msgs.map((m, i) => (expectsReply(m) ? (base + i) & 0xffff : -1)).filter((x) => x >= 0);
      const r = await tcpConversation(port, [Buffer.concat(msgs.map((m) => frame(m)))], { host, want, timeoutMs: timeoutMs + 1500 });
      if (!r.answeredAll) return `tcp-pipeline: ${want.filter((w) => !r.ids.includes(w)).length} of ${want.length} answerable messages unanswered (${r.why})`;
      // runts and responses get nothing: exactly one reply per answerable message
      if (r.ids.length !== want.length) return `tcp-pipeline: ${r.ids.length} replies to ${want.length} answerable messages (of ${msgs.length})`;
      return null;
    }
    case 'tcp-reset':
      await tcpConversation(port, [frame(good), rand() < 0.5 ? 0 : randInt(rand, 1, 30), 'reset'], { host, timeoutMs });
      return null;
    case 'tcp-half-close': {
      const r = await tcpConversation(port, [frame(good), 'end'], { host, want: [id], timeoutMs, stayOpen: true });
      if (!r.ids.includes(id)) return `tcp-half-close: a query for ${probeName.replace(/^g\d+\./, 'g<round>.')} sent just before the client's FIN was not answered (${r.why}, server closed: ${r.closedByServer})`;
      if (!r.closedByServer) return `tcp-half-close: the server kept the connection open ${r.ms} ms after answering a half-closed client`;
      return null;
    }
    default:
      throw new Error(`unknown TCP scenario ${kind}`);
  }
}

// ---------------------------------------------------------------------------------------------
// liveness

/**
 * A well-formed query for `name` over UDP or TCP (a fresh socket or connection), answered within
 * `timeoutMs`; `check(summary)` returns why the answer is wrong, or null. Resolves with a failure
 * string or null, and the time taken.
 */
export async function probe(port, name, transport, check, { host = '127.0.0.1', timeoutMs = 1000 } = {}) {
  const id = Math.floor(Math.random() * 0x10000);
  const q = simpleQuery(name, { id });
  const started = Date.now();
  let reply = null;
  if (transport === 'udp') {
    reply = await new Promise((resolve) => {
      const socket = dgram.createSocket('udp4');
      const timer = setTimeout(() => {
        socket.close();
        resolve(null);
      }, timeoutMs);
      socket.on('error', () => {});
      socket.on('message', (msg) => {
        if (msg.length < 2 || msg.readUInt16BE(0) !== id) return;
        clearTimeout(timer);
        socket.close();
        resolve(msg);
      });
      socket.bind(0, '127.0.0.1', () => socket.send(q, port, host));
    });
  } else {
    const r = await tcpConversation(port, [frame(q)], { host, want: [id], timeoutMs });
    reply = r.replies.find((m) => m.length >= 2 && m.readUInt16BE(0) === id) ?? null;
  }
  const ms = Date.now() - started;
  if (reply === null) return { failure: `${transport} ${name}: no answer within ${timeoutMs} ms`, ms };
  const summary = readReply(reply);
  if (summary === null) return { failure: `${transport} ${name}: unreadable answer ${reply.toString('hex')}`, ms };
  const wrong = check(summary);
  return { failure: wrong ? `${transport} ${name}: ${wrong}` : null, ms };
}

// ---------------------------------------------------------------------------------------------
// slowloris

/**
 * A TCP client that sends a framed query for `name` one octet every `intervalMs`. stop() sends
 * the rest at once and waits up to `timeoutMs` for the answer; it reports whether the server
 * closed the connection meanwhile (allowed) and whether the answer came.
 */
export function slowloris(port, name, { host = '127.0.0.1', intervalMs = 1000 } = {}) {
  const id = Math.floor(Math.random() * 0x10000);
  const bytes = frame(simpleQuery(name, { id }));
  const socket = net.connect({ port, host });
  let sent = 0;
  let closedByServer = false;
  let stopping = false;
  let answered = false;
  let buf = Buffer.alloc(0);
  let onAnswer = () => {};
  socket.on('error', () => {});
  socket.on('close', () => {
    if (!stopping) closedByServer = true;
    onAnswer();
  });
  socket.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    if (buf.length >= 4 && buf.readUInt16BE(2) === id) {
      answered = true;
      onAnswer();
    }
  });
  // Keep one octet back so the query stays incomplete until stop().
  const timer = setInterval(() => {
    if (socket.destroyed || sent >= bytes.length - 1) return;
    socket.write(bytes.subarray(sent, sent + 1));
    sent++;
  }, intervalMs);
  return {
    get sent() {
      return sent;
    },
    async stop(timeoutMs = 1000) {
      clearInterval(timer);
      if (!socket.destroyed && !closedByServer) {
        socket.write(bytes.subarray(sent));
        await new Promise((resolve) => {
          onAnswer = resolve;
          if (answered) resolve();
          setTimeout(resolve, timeoutMs);
        });
      }
      stopping = true;
      socket.destroy();
      return { trickled: sent, closedByServer, answered };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// resource hogs: TCP slots from many addresses, upstream queries in flight

/**
 * `count` idle TCP connections, each from its own address and /24 of 127.0.0.0/8 (so no
 * per-address or per-prefix cap applies), held while a fresh client asks `probeName` over TCP
 * (`check` as for probe). With `count` above the server's connection limit the newcomer is served
 * only if idle connections give way. Resolves with the probe's failure (or null) and how many hog
 * connections the server closed.
 */
export async function slotHog(port, count, { host = '127.0.0.1', probeName, check, timeoutMs = 1000 } = {}) {
  const sockets = [];
  let closedByServer = 0;
  let stopping = false;
  await Promise.all(
    Array.from({ length: count }, (_, i) => new Promise((resolve) => {
      const s = net.connect({ port, host, localAddress: `127.${1 + (i >> 8)}.${i & 255}.1` });
      sockets.push(s);
      s.on('error', () => {});
      s.on('close', () => {
        if (!stopping) closedByServer++;
        resolve();
      });
      s.on('connect', resolve);
    })),
  );
  const r = await probe(port, probeName, 'tcp', check, { host, timeoutMs });
  stopping = true;
  for (const s of sockets) s.destroy();
  return { failure: r.failure, closedByServer };
}

/**
 * `names` (which the upstream answers slowly or never) asked at once from one socket at `source`,
 * with EDNS: past the server's per-client cap of queries in flight, each must get SERVFAIL with
 * the EDE "too many queries in flight". Resolves with the replies' count, the SERVFAILs, and
 * those carrying that EDE, after every name was answered or `timeoutMs`.
 */
export function inflightFlood(port, names, { host = '127.0.0.1', source = '127.0.0.1', timeoutMs = 3000 } = {}) {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    let replies = 0;
    let servfail = 0;
    let limited = 0;
    const done = () => {
      clearTimeout(timer);
      socket.close();
      resolve({ replies, servfail, limited });
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('error', () => {});
    socket.on('message', (msg) => {
      replies++;
      if (msg.length >= 4 && (msg[3] & 0x0f) === 2) servfail++;
      if (msg.includes('too many queries in flight')) limited++;
      if (replies === names.length) done();
    });
    socket.bind(0, source, () => names.forEach((n, i) => socket.send(simpleQuery(n, { id: i, edns: true }), port, host)));
  });
}

// ---------------------------------------------------------------------------------------------
// one round

/**
 * One round against a live server: a UDP batch with `udpPerCategory` datagrams of every hostile
 * category, every TCP scenario `tcpPerKind` times (in parallel), then the liveness probes, each
 * over UDP and over TCP within `probeTimeoutMs`. Failures and counts go into `stats`.
 */
export async function fuzzRound({ port, host = '127.0.0.1', rand, stats, round, udpPerCategory = 20, tcpPerKind = 1, probes, udpLimit, onLyingPrefix, goodName, probeTimeoutMs = 1000, portZero = false, slotHogs = null, inflight = null }) {
  const datagrams = [];
  for (const c of CATEGORIES) {
    for (let i = 0; i < udpPerCategory; i++) datagrams.push(hostile(rand, c));
    stats.count(`udp ${c}`, udpPerCategory);
  }
  const u = await udpBatch(port, datagrams, { host, udpLimit });
  for (const p of u.problems.slice(0, 5)) stats.fail(`round ${round} udp: ${p}`);
  if (u.problems.length > 5) stats.fail(`round ${round} udp: ${u.problems.length - 5} more problems`);
  if (u.missing.length > 0) {
    // Datagrams the kernel dropped (receive buffer full while the machine was busy) never reached
    // the server; only replies missing beyond those count as the server's fault.
    const dropped = Math.min(u.missing.length, u.kernelDrops ?? 0);
    if (dropped > 0) stats.note('udp datagrams dropped by the kernel (socket receive buffer full)', dropped);
    if (u.missing.length > dropped) stats.fail(`round ${round} udp: ${u.missing.length} of ${u.expected} answerable datagrams unanswered (kernel receive-buffer drops meanwhile: ${u.kernelDrops ?? 'unknown'}), e.g. ${u.missing[0].toString('hex')}`);
  }
  // The same datagrams again from source port 0 (no reply can go there): the liveness probes at
  // the end of the round say whether the server survived them.
  if (portZero) stats.count('udp source-port-0 (all categories)', await sendFromPortZero(port, datagrams, { host }));

  const scenarios = [];
  for (const kind of TCP_KINDS) {
    for (let i = 0; i < tcpPerKind; i++) {
      stats.count(kind);
      scenarios.push(tcpScenario(port, kind, rand, { host, probeName: goodName(rand), onLyingPrefix }));
    }
  }
  for (const f of await Promise.all(scenarios)) if (f) stats.fail(`round ${round} ${f}`);

  if (slotHogs) {
    // After the scenarios, which a reclaimed slot would cut short; a liveness name is asked.
    const p = probes(round)[0];
    const n = slotHogs.connections;
    const h = await slotHog(port, n, { host, probeName: `hog.${p.name}`, check: p.check, timeoutMs: probeTimeoutMs + 1000 });
    stats.count('tcp-slot-hog (idle connections from many /24s)', n);
    // More connections than slots: the newcomer is served only if idle ones gave way (hogs, or
    // older idle connections of other scenarios, which is why closed hogs are only noted).
    if (h.failure) stats.fail(`round ${round} tcp-slot-hog: with ${n} idle connections held (${slotHogs.maxConnections} slots), a new TCP client was not served (${h.failure})`);
    stats.note('tcp-slot-hog connections closed by the server to make room', h.closedByServer);
  }
  if (inflight) {
    // A client asks many names the upstream never answers; another is answered meanwhile.
    const names = Array.from({ length: inflight.perClient * 3 }, (_, i) => `r${round}-${i}.${inflight.slowZone}`);
    const flooding = inflightFlood(port, names, { host, source: inflight.source, timeoutMs: inflight.timeoutMs });
    await sleep(100);
    const p = probes(round)[1];
    const other = await probe(port, `during-flood.${p.name}`, 'udp', p.check, { host, timeoutMs: probeTimeoutMs });
    const f = await flooding;
    stats.count('udp inflight-flood (slow names from one client)', names.length);
    if (other.failure) stats.fail(`round ${round} inflight-flood: another client was not answered meanwhile (${other.failure})`);
    if (f.replies !== names.length || f.servfail !== names.length) stats.fail(`round ${round} inflight-flood: ${f.replies} replies, ${f.servfail} SERVFAIL to ${names.length} slow names`);
    if (f.limited < names.length - inflight.perClient) stats.fail(`round ${round} inflight-flood: only ${f.limited} of ${names.length} slow names got the in-flight EDE (cap ${inflight.perClient})`);
  }

  let slowest = 0;
  for (const p of probes(round)) {
    for (const transport of ['udp', 'tcp']) {
      const r = await probe(port, p.name, transport, p.check, { host, timeoutMs: probeTimeoutMs });
      stats.count('liveness probes');
      slowest = Math.max(slowest, r.ms);
      if (r.failure) stats.fail(`liveness after round ${round}: ${r.failure}`);
    }
  }
  return { slowestProbeMs: slowest };
}
