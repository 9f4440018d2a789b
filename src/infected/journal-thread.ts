// The embedded hit store's worker thread: owns the hit files while a server runs. It loads them
// (repairing damage, migrating an old hits.json), then for every batch appends one journal line,
// fsyncs it and folds it into its aggregate; when the journal passes `journalMaxBytes` it writes a
// snapshot and empties the journal. All of this is file I/O and JSON work of up to hundreds of
// milliseconds on a big history, which is why it runs here and never on the thread that answers
// DNS: that thread only folds a batch and posts it (journal-hit-store.ts).

import { parentPort, workerData } from 'node:worker_threads';
import { JournalFile, loadHits, readAcks, settleAfterLoad, writeAcks, writeSnapshot, type HitFiles } from './hit-files.js';
import { MemoryHitStore } from './memory-hit-store.js';
import type { ClientBounds } from './client-bounds.js';
import type { ClientDelta } from './hit-delta.js';
import type { ToJournal, FromJournal } from './journal-messages.js';
import { yieldCpuToDns } from './background-thread.js';

export interface JournalThreadSettings {
  readonly files: HitFiles;
  readonly retentionMs: number;
  readonly bounds: ClientBounds;
  readonly maxClients: number;
  readonly journalMaxBytes: number;
}

yieldCpuToDns();
const port = parentPort!;
const settings = workerData as JournalThreadSettings;
const { files } = settings;

function post(m: FromJournal): void {
  port.postMessage(m);
}

function log(level: 'info' | 'warn', event: string, fields: Record<string, unknown>, msg: string): void {
  post({ t: 'log', level, event, fields, msg });
}

const store = new MemoryHitStore(settings.retentionMs, { bounds: settings.bounds, maxClients: settings.maxClients });
const started = Date.now();
const loaded = loadHits(files, store, { writerMayBeActive: false });
const settled = settleAfterLoad(files, store, loaded, store.droppedTotal, settings.journalMaxBytes);
for (const n of settled.notes) {
  log(
    'warn',
    'hit-file-damaged',
    { file: n.file, movedTo: n.movedTo, problems: n.problems, first: n.first },
    `hit store file ${n.file} is damaged (${n.problems} problem${n.problems === 1 ? '' : 's'}; first: ${n.first}); moved aside to ${n.movedTo}; going on with what could be read`,
  );
}
if (settled.migrated) {
  log('info', 'hits-migrated', { from: files.legacy, to: files.snapshot, clients: store.size }, `hits of ${store.size} clients moved from ${files.legacy} to ${files.snapshot} (the old file is kept as ${files.legacy}.migrated)`);
}
log('info', 'hits-loaded', { clients: store.size, journalLines: loaded.journalLines, ms: Date.now() - started }, `hit store loaded: ${store.size} clients (${Date.now() - started} ms)`);

let seq = loaded.seq;
const journal = new JournalFile(files.journal);
let evictedLogged = store.evicted;

function compact(): void {
  const t0 = Date.now();
  const bytes = writeSnapshot(files, store, seq, store.droppedTotal, loaded.legacyIncluded);
  journal.truncate();
  if (store.evicted > evictedLogged) {
    log('warn', 'hits-clients-forgotten', { count: store.evicted - evictedLogged, maxClients: settings.maxClients }, `hit store full: forgot the ${store.evicted - evictedLogged} least recently seen clients (infected.maxClients ${settings.maxClients})`);
    evictedLogged = store.evicted;
  }
  log('info', 'hits-compacted', { clients: store.size, bytes, ms: Date.now() - t0 }, `hit journal compacted into ${files.snapshot}: ${store.size} clients, ${bytes} bytes (${Date.now() - t0} ms)`);
}

function write(clients: readonly ClientDelta[], dropped: number): void {
  seq++;
  journal.append(seq, clients, dropped);
  for (const c of clients) store.apply(c);
  if (dropped > 0) void store.addDropped(dropped);
  if (journal.bytes >= settings.journalMaxBytes) compact();
}

function handle(m: ToJournal): unknown {
  switch (m.t) {
    case 'add':
      write(m.clients, 0);
      return undefined;
    case 'dropped':
      write([], m.count);
      return undefined;
    case 'clients':
      // `sinkd report ack` may have written the file since.
      store.acks = readAcks(files.acks);
      return store.clients({ since: m.since, ...(m.client !== undefined ? { client: m.client } : {}) });
    case 'ack': {
      if (!store.has(m.client)) return false;
      store.acks = readAcks(files.acks);
      store.acks.set(m.client, m.note === undefined ? { at: m.at } : { at: m.at, note: m.note });
      writeAcks(files.acks, store.acks);
      return true;
    }
    case 'dropped?':
      return store.droppedTotal;
    case 'close':
      journal.close();
      return undefined;
  }
}

port.on('message', (m: ToJournal) => {
  let value: unknown;
  try {
    value = handle(m);
  } catch (err) {
    post({ t: 'reply', id: m.id, error: (err as Error).message });
    return;
  }
  void Promise.resolve(value).then((v) => {
    post({ t: 'reply', id: m.id, value: v });
    if (m.t === 'close') port.close();
  });
});
post({ t: 'ready' });
