// A landing thread (see landing-thread.ts): puddle consumers and, in one of the threads, the lake's
// maintenance, on this thread's own SQLite connections and DuckDB instance. It tells the hub what it landed
// (for the live totals and the feeds) and how much waits in its puddles' queues (for the lag report).
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { RAW_ONLY_CONTRACT } from '../../core/envelope.js';
import { log } from '../../core/log.js';
import type { FailureState } from '../../core/repeated-failure.js';
import { compactAll, collectGarbage, GARBAGE_GRACE_MS, maintenanceFigures } from '../../puddles/compact.js';
import { DEFAULT_BATCH_SIZE, lingerLeftMs, PuddleConsumer } from '../../puddles/consumer.js';
import { PUDDLES, type PuddleDef } from '../../puddles/definitions.js';
import { hubLandedColumns } from '../../puddles/hub-listening.js';
import { RAW_TABLE } from '../../puddles/layout.js';
import { duckDbMemory, logDuckDbMemory, setDuckDbMemoryMb, withConnection } from '../../puddles/duckdb.js';
import { setParquetRoute } from '../../puddles/parquet-writer.js';
import { FsObjectStore } from './fs-object-store.js';
import type { FromLandingWorker, LandingWorkerData, ToLandingWorker } from './landing-messages.js';
import { SqliteCatalog } from './sqlite-catalog.js';
import { SqliteQueue } from './sqlite-queue.js';

const data = workerData as LandingWorkerData;
// Before this thread's DuckDB opens (its first landing or compaction).
setDuckDbMemoryMb(data.duckDbMemoryMb);
const memoryLog = logDuckDbMemory(`landing ${data.puddles.join(',')}`, () => withConnection(duckDbMemory));
// This thread's event loop is landing's own: Parquet through the appender (see parquet-writer.ts).
setParquetRoute('appender');
const port = parentPort!;
const send = (m: FromLandingWorker) => port.postMessage(m);

// Landing yields the CPU to the producer when both want it: a request waits for its commit while landing
// only has to keep within seconds. Linux gives each thread its own nice value, and threads made later by
// this one (DuckDB's) inherit it. Elsewhere, or without /proc, landing runs at the process's priority.
if (data.nice) {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid) && tid !== process.pid) setPriority(tid, Math.min(19, getPriority(tid) + data.nice));
  } catch {
    // not Linux, or not allowed: same priority as the producer
  }
}

// The hub's queue connection runs the WAL checkpointer and commits publishes; this one only claims and acks.
const queue = new SqliteQueue(join(data.home, 'queue.db'), { backgroundCheckpoints: false, backgroundWrites: false });
const catalog = new SqliteCatalog(join(data.home, 'catalog.db'));
const store = new FsObjectStore(data.home);
const puddles = PUDDLES.filter((p) => data.puddles.includes(p.name));
// Every other puddle is another thread's: this one helps land it while it is far behind (below).
const helped = PUDDLES.filter((p) => !data.puddles.includes(p.name));
// While the producer is busy (a burst), each consumer lands a batch and then leaves the cores to the producer for
// 2 s, or until the burst ends (pauseOver): the queue keeps what waits, durably, the total on screen still moves
// every 2 s, and the drain after the burst goes flat out (docs/configuration.md, "Landing and backpressure"). Until 2026-12-04 the
// pause was nine times the batch's time (at most 2 s): landing kept a tenth of its pace, which cannot keep up with
// a burst either (the oldest unlanded event 8.0-8.7 s old at the end of a 10 s burst of 100 events a request, against
// 8.5-9.0 s now), and took CPU from the producer (six alternating pairs: 68,000-99,000 events/s at a tenth,
// 74,000-105,000 now). At three times (at most 1 s), before 2026-12-01, it was 64,000-73,000 against 81,000-84,000.
const BURST_PAUSE_MS = 2_000;
const producerBusy = new Int32Array(data.producerBusy);
const producerIsBusy = () => Atomics.load(producerBusy, 0) > data.yieldAbove;
const pauseAfter = () => (producerIsBusy() ? BURST_PAUSE_MS : 0);
// The pause ends as soon as the burst does: a pause that ran on for up to 2 s after the last request was
// up to 2 s added to the drain (measured: 1.0-1.8 s after each 100-events-a-request load in the hub bench).
const pauseOver = () => !producerIsBusy();
// A helper lands another thread's puddle only while that puddle is more than two batches behind (its own
// consumer holds at most two) and no burst is on: after a burst each thread drains its own puddles, and the
// one that finishes first used to sit idle while the other drained alone (measured: raw done 7 s before
// transactions, the last 7 s of a 23 s drain on one core). At the steady rate helpers never claim, so files
// stay as large as before.
const batchSize = data.consumer.batchSize ?? DEFAULT_BATCH_SIZE;
const helpAbove = 2 * batchSize;
// Raw's files are never merged (it is the immutable trail): landing a batch per 500 ms window at a trickle made
// a file a second with the sandboxes running (86,000 a day), which replay, catalog rebuild and the raw view all
// read. Its own consumer lets fewer than a batch wait up to rawLingerMs from the first one's receipt; a backlog
// lands in full batches, and a stop lands what lingers. Helpers claim only full batches anyway.
// During a burst raw lingers whole batches too: nothing reads the trail within seconds (the live totals and feeds
// read the other puddles, which keep landing a batch every 2 s), and raw's rows, each envelope's whole text,
// are the dearest to land. So a burst shorter than the linger lands none of it until it ends; a longer one
// lands raw's oldest, a batch every 2 s, once they have waited a linger.
const lingerMsOf = (p: PuddleDef) => (p.name === RAW_TABLE.puddle ? data.rawLingerMs : 0);
/** What counts as a whole batch for raw's linger now: none during a burst (lingerLeftMs). */
const lingerBatch = () => (producerIsBusy() ? Infinity : batchSize);
const consumers = [...puddles.map((p) => ({ puddle: p, helper: false })), ...helped.map((p) => ({ puddle: p, helper: true }))].map(
  ({ puddle, helper }) =>
    new PuddleConsumer({
      puddle,
      queue,
      store,
      catalog,
      pauseAfter,
      pauseOver,
      ...(helper ? { standBy: () => producerIsBusy() || !queue.visibleMoreThan(puddle.name, helpAbove) } : {}),
      ...(!helper && lingerMsOf(puddle) > 0
        ? { lingerMs: lingerMsOf(puddle), claimable: (n: number) => queue.claimable(puddle.name, n), lingerWhole: producerIsBusy }
        : {}),
      // Only what the hub's listeners read (puddles/hub-listening.ts): rows nobody reads stay here.
      landedColumns: hubLandedColumns,
      ...data.consumer,
      // Rows cross to the hub by structured clone (bigints and all); the hub's listeners run there.
      onLanded: (landed) => {
        if (landed.contract === RAW_TABLE.contract) {
          // Of raw's rows only the webhooks' own (raw-only) ones have a listener (webhook freshness): cloning
          // every envelope's raw row to the hub cost both threads for nothing.
          const rows = landed.rows.filter((r) => r.contract === RAW_ONLY_CONTRACT);
          if (rows.length) send({ type: 'landed', landed: { ...landed, rows } });
        } else send({ type: 'landed', landed });
      },
    }),
);
for (const c of consumers) await c.start();

// How far landing is behind: deliveries waiting and the oldest one's age, read here so the hub's event loop
// never counts rows. Counting walks each subscription's key, ~26 ms per 1,000,000 waiting: on a deep
// backlog the next count waits forty times as long as this one took (about a second at 1,000,000), so
// counting stays under a fortieth of the thread while the drain needs it most.
let backlogTimer: NodeJS.Timeout | undefined;
let reporting = true;
let lastFailures = '{}';
const reportBacklog = async () => {
  const started = performance.now();
  // Failures first, and whatever the counts do: on a full disk the hub must hear that landing fails.
  const failures = landingFailures();
  const said = JSON.stringify(failures);
  if (said !== lastFailures) send({ type: 'failures', failures });
  lastFailures = said;
  try {
    const depths: Record<string, number> = {};
    let lingering = 0;
    let oldestMs = 0;
    for (const p of puddles) {
      const depth = (depths[p.name] = await queue.depth(p.name));
      const linger = lingerMsOf(p);
      if (linger > 0 && lingerLeftMs(queue.claimable(p.name, batchSize), lingerBatch(), linger) > 0) lingering += depth;
      // Late past when it was due: a raw delivery is due at the end of its linger, and is not behind before.
      oldestMs = Math.max(oldestMs, (await queue.oldestWaitingMs([p.name])) - linger);
    }
    send({ type: 'backlog', depths, oldestMs, lingering });
  } catch (err) {
    log.warn('could not read the queue backlog', { error: err });
  }
  if (reporting) backlogTimer = setTimeout(() => void reportBacklog(), Math.max(data.backlogMs, (performance.now() - started) * 40));
};
/** Per puddle, the latest failure of any consumer of it here (its own or a helper). */
function landingFailures(): Record<string, FailureState> {
  const out: Record<string, FailureState> = {};
  for (const c of consumers) {
    const f = c.failure;
    const had = out[c.puddle.name];
    if (f && (!had || f.last_at > had.last_at)) out[c.puddle.name] = f;
  }
  return out;
}
await reportBacklog();

// Small files from busy minutes are merged, and files compaction replaced are deleted once no reader can
// still hold them (GARBAGE_GRACE_MS).
// A run still going when the next is due takes that turn: chained, runs longer than the interval queued one per
// tick without bound (a big lake's fold on a slow disk), each then run back to back.
let maintaining = Promise.resolve();
let maintenanceRunning = false;
const maintenance = data.maintenanceMs
  ? setInterval(() => {
      if (maintenanceRunning) return;
      maintenanceRunning = true;
      maintaining = maintaining.then(async () => {
        try {
          const started = performance.now();
          const result = await compactAll({ store, catalog, minFiles: 20 });
          const { unreadable } = result;
          // What a run cost, as the lake grows: an operator watching a long night sees whether maintenance keeps up
          // (a run longer than the interval takes the next turn) and what it reads; a run with nothing to do says nothing.
          const figures = maintenanceFigures(result);
          if (figures.merges || figures.folds) log.info('maintenance run', { ms: Math.round(performance.now() - started), ...figures });
          // Named by its lake key with what to do; the rest of the lake was maintained.
          for (const e of unreadable) log.warn('maintenance left a partition or contract as it was: a lake file cannot be read', { file: e.key, error: e.message });
          await collectGarbage({ store, catalog, olderThanMs: GARBAGE_GRACE_MS });
        } catch (err) {
          log.warn('maintenance failed; will try again', { error: err });
        } finally {
          maintenanceRunning = false;
        }
      });
    }, data.maintenanceMs)
  : undefined;

port.on('message', (m: ToLandingWorker) => {
  if (m.type !== 'stop') return;
  void (async () => {
    reporting = false;
    clearTimeout(backlogTimer);
    clearInterval(memoryLog);
    if (maintenance) clearInterval(maintenance);
    const deadline = Date.now() + m.drainMs;
    await Promise.all(consumers.map((c) => c.stop()));
    // Land what is still queued, within the time we were given: what is left stays durable in the queue.
    for (const c of consumers) {
      while (Date.now() < deadline && (await c.landOnce()) > 0);
    }
    await maintaining;
    await reportBacklog();
    await queue.close();
    catalog.close();
    send({ type: 'stopped' });
    port.close();
  })();
});
send({ type: 'ready' });
