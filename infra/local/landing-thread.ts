import { Worker } from 'node:worker_threads';
import { log } from '../../core/log.js';
import type { FailureState } from '../../core/repeated-failure.js';
import { PUDDLES } from '../../puddles/definitions.js';
import type { LandedListener } from '../../puddles/landed.js';
import { processTempFolder } from '../../puddles/temp-files.js';
import type { FromLandingWorker, LandingWorkerData, ToLandingWorker } from './landing-messages.js';
import { loopBusySampler } from './loop-busy.js';

/**
 * The hub's landing, off its event loop: worker threads (landing-worker.ts) that claim, parse, validate,
 * build rows, write Parquet, register and ack, each on its own SQLite connections and DuckDB instance, and
 * one of them also compacts and collects garbage. (WAL checkpoints already run on a thread of their own,
 * sqlite-checkpointer.ts.)
 *
 * Why: landing on the producer's event loop took most of it under load (parsing claimed JSON, building
 * rows and CSV text, synchronous SQLite), so requests waited behind batches: p99 177 ms at 1 event a
 * request, 20,000 events/s at 100 (`npm run bench -- hub`; docs/benchmarks.md, "The whole hub"). The
 * producer now only validates, serialises and hands bodies to the queue's writer thread.
 *
 * What stays the same: the queue is the hand-off, so a thread that dies loses nothing (what it claimed
 * comes back after the visibility timeout, landing is idempotent) and is started again; the listeners
 * (live totals, feeds, webhook freshness) run here on the hub's thread with the rows each batch landed,
 * told before the ack as before; stop() lands what is queued within the time given.
 */
export interface LandingThreadsOptions {
  home: string;
  /** Told what each batch landed (on this thread). */
  onLanded: LandedListener;
  /** Puddles per thread; default raw alone (it lands every envelope) and the rest together. Each thread also helps land the others' puddles while they are far behind (landing-worker.ts). */
  groups?: string[][];
  /** Compaction and garbage collection period, in the last thread (default 30 s). */
  maintenanceMs?: number;
  /**
   * How much lower than the producer the landing threads run (nice steps, Linux; default 0). On a machine
   * of its own this gives requests the CPU first; on a shared one it also hands landing's time to the
   * neighbours (measured: drain 40 s instead of 15 s with 5), so it is off unless asked for.
   */
  nice?: number;
  /**
   * Above this share of the producer's event loop in use (0 to 1, as loop-busy.ts counts it; default 0.5) for two 200 ms windows
   * running, each consumer pauses 2 s after each batch (landing-worker.ts),
   * and resumes as soon as the share falls below it: while a burst is on, the producer gets the cores and
   * the queue holds the rest (durably); at the night's steady rate the producer is far below it and landing
   * runs flat out. 1 never pauses.
   */
  yieldAbove?: number;
  /**
   * How busy the producer's event loop was since the last call (0 to 1), asked every 200 ms: by default this thread's
   * own loop (loop-busy.ts), which is the producer's. A test gives its own to make a burst without burning a core.
   */
  busy?: () => number;
  /**
   * How long raw's consumer leaves fewer than a batch waiting, from the first one's receipt (default 60 s;
   * 0: at once; PUDDLE_RAW_LINGER_SECONDS): raw's files are never merged, so at a trickle it lands about once
   * a linger instead of once a batch window (landing-worker.ts).
   */
  rawLingerMs?: number;
  /** Each thread's DuckDB memory_limit, MB (PUDDLE_DUCKDB_MEMORY_MB); default: a writer's (puddles/duckdb.ts). */
  duckDbMemoryMb?: number;
  /** How often each thread reports its backlog (default 500 ms). */
  backlogMs?: number;
  consumer?: LandingWorkerData['consumer'];
}

export interface LandingBacklog {
  /** Deliveries waiting over all puddles (claimed ones included, until acked), but for those lingering. */
  waiting: number;
  /** Deliveries raw's consumer holds back on purpose, for a fuller file (see rawLingerMs): waiting, not behind. */
  lingering: number;
  depths: Record<string, number>;
  /** How long the oldest waiting delivery has waited since it was due (received; raw's: its linger over); 0 when none. */
  oldestMs: number;
  /** When the threads last reported (0: not yet). */
  at: number;
}

interface Slot {
  data: LandingWorkerData;
  worker: Worker;
  stopped: Promise<void>;
  depths: Record<string, number>;
  oldestMs: number;
  lingering: number;
  at: number;
  failures: Record<string, FailureState>;
}

const RESTART_MS = 1_000;
/** PUDDLE_RAW_LINGER_SECONDS's default, in ms. */
export const DEFAULT_RAW_LINGER_MS = 60_000;

export class LandingThreads {
  readonly #opts: LandingThreadsOptions;
  readonly #slots: Slot[] = [];
  #stopping = false;
  readonly #producerBusy = new SharedArrayBuffer(4);
  #busyTimer: NodeJS.Timeout | undefined;

  constructor(opts: LandingThreadsOptions) {
    this.#opts = opts;
  }

  /** Start every thread; resolves once each has its consumers running. */
  async start(): Promise<void> {
    // The producer's event-loop use, for the threads to see without a message: a busy event loop is a burst.
    // The lower of the last two 200 ms windows: one busy window alone is a major GC or a slow listener, not a
    // burst, and pausing landing for it stopped a drain for 2 s (measured, before pauses could end early).
    // (loop-busy.ts: the loop's use, as far as its CPU time backs it.)
    const busy = new Int32Array(this.#producerBusy);
    const sample = this.#opts.busy ?? loopBusySampler();
    let lastShare = 0;
    this.#busyTimer = setInterval(() => {
      const share = Math.round(sample() * 1000);
      Atomics.store(busy, 0, Math.min(share, lastShare));
      lastShare = share;
    }, 200);
    this.#busyTimer.unref();
    const all = PUDDLES.map((p) => p.name);
    const groups = (this.#opts.groups ?? [['raw'], all.filter((n) => n !== 'raw')]).filter((g) => g.length);
    const starting = groups.map((puddles, i) =>
      this.#spawn({
        home: this.#opts.home,
        puddles,
        // Compaction never touches raw: it runs beside the other puddles' landing.
        maintenanceMs: i === groups.length - 1 ? (this.#opts.maintenanceMs ?? 30_000) : 0,
        backlogMs: this.#opts.backlogMs ?? 500,
        nice: this.#opts.nice ?? 0,
        producerBusy: this.#producerBusy,
        yieldAbove: Math.round((this.#opts.yieldAbove ?? 0.5) * 1000),
        rawLingerMs: this.#opts.rawLingerMs ?? DEFAULT_RAW_LINGER_MS,
        duckDbMemoryMb: this.#opts.duckDbMemoryMb,
        consumer: this.#opts.consumer ?? {},
      }),
    );
    await Promise.all(starting);
  }

  backlog(): LandingBacklog {
    const depths: Record<string, number> = {};
    let waiting = 0;
    let lingering = 0;
    let oldestMs = 0;
    let at = Infinity;
    for (const s of this.#slots) {
      Object.assign(depths, s.depths);
      for (const d of Object.values(s.depths)) waiting += d;
      lingering += s.lingering;
      oldestMs = Math.max(oldestMs, s.oldestMs);
      at = Math.min(at, s.at);
    }
    return { waiting: Math.max(0, waiting - lingering), lingering, depths, oldestMs, at: at === Infinity ? 0 : at };
  }

  /** The puddles whose landing fails now (batches, claims or acks, none landed since), each with its latest failure. */
  failures(): Record<string, FailureState> {
    const out: Record<string, FailureState> = {};
    for (const s of this.#slots) {
      for (const [puddle, f] of Object.entries(s.failures)) if (!out[puddle] || f.last_at > out[puddle].last_at) out[puddle] = f;
    }
    return out;
  }

  /** Stop claiming, land what is queued within `drainMs` (the rest stays durable in the queue), end the threads. */
  async stop(drainMs: number): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#busyTimer);
    // Draining is all there is left to do: no pauses.
    Atomics.store(new Int32Array(this.#producerBusy), 0, 0);
    await Promise.all(
      this.#slots.map(async (s) => {
        s.worker.postMessage({ type: 'stop', drainMs } satisfies ToLandingWorker);
        await s.stopped;
        await s.worker.terminate();
      }),
    );
  }

  #spawn(data: LandingWorkerData, slot?: Slot): Promise<void> {
    const worker = startWorker(data);
    let stoppedResolve!: () => void;
    const stopped = new Promise<void>((r) => (stoppedResolve = r));
    const s: Slot = slot ?? { data, worker, stopped, depths: {}, oldestMs: 0, lingering: 0, at: 0, failures: {} };
    // A new thread reports its own failures: the dead one's would stay for ever (it reports only changes).
    Object.assign(s, { worker, stopped, failures: {} });
    if (!slot) this.#slots.push(s);
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (m: FromLandingWorker) => {
        if (m.type === 'landed') {
          try {
            this.#opts.onLanded(m.landed);
          } catch (err) {
            // A listener's fault must not stop landing; what it missed it rebuilds from the lake.
            log.error('landed listener failed', { contract: m.landed.contract, error: err });
          }
        } else if (m.type === 'backlog') {
          s.depths = m.depths;
          s.oldestMs = m.oldestMs;
          s.lingering = m.lingering;
          s.at = Date.now();
        } else if (m.type === 'failures') {
          s.failures = m.failures;
        } else if (m.type === 'ready') {
          ready = true;
          resolve();
        } else if (m.type === 'stopped') stoppedResolve();
      });
      worker.on('error', (err) => log.error('landing thread failed', { puddles: data.puddles.join(','), error: err }));
      worker.once('exit', (code) => {
        stoppedResolve();
        if (!ready) return reject(new Error(`landing thread for ${data.puddles.join(', ')} exited (${code}) before it started`));
        if (this.#stopping) return;
        // What it had claimed comes back after the visibility timeout; a new thread lands it.
        log.error('landing thread stopped; starting another', { puddles: data.puddles.join(','), code });
        setTimeout(() => {
          if (!this.#stopping) this.#spawn(data, s).catch((err: unknown) => log.error('landing thread could not restart', { error: err }));
        }, RESTART_MS).unref();
      });
    });
  }
}

/**
 * The compiled hub (dist/js) starts the thread on its .js file, with the process's node flags (so
 * `--cpu-prof` profiles it too); the TypeScript (tests, benchmarks) goes through tsx (worker-boot.mjs).
 */
function startWorker(data: LandingWorkerData): Worker {
  // The process's temporary folder exists before the thread starts, so the thread writes under it (its environment
  // names it) and the main thread removes it at exit (puddles/temp-files.ts).
  processTempFolder();
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./landing-worker.js', here), { workerData: data });
  return new Worker(new URL('./worker-boot.mjs', here), {
    workerData: { ...data, entry: new URL('./landing-worker.ts', here).href },
    execArgv: process.execArgv.filter((a) => a.startsWith('--cpu-prof')),
  });
}
