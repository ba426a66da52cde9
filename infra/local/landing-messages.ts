// What the hub and its landing threads (landing-thread.ts, landing-worker.ts) say to each other.
import type { FailureState } from '../../core/repeated-failure.js';
import type { LandedRows } from '../../puddles/landed.js';

export interface LandingWorkerData {
  /** PUDDLE_HOME: the thread opens queue.db and catalog.db there, and the lake. */
  home: string;
  /** The puddles this thread lands and reports the backlog of; it helps with the others (landing-worker.ts). */
  puddles: string[];
  /** Compaction and garbage collection every this many ms; 0: not in this thread. */
  maintenanceMs: number;
  /** Added to the thread's nice value (Linux), so the producer gets the CPU first; 0 leaves it. */
  nice: number;
  /** How often the backlog is reported. */
  backlogMs: number;
  /**
   * The producer's event-loop use in per mille (Int32 at index 0), written by the hub every 200 ms; above
   * `yieldAbove` a landing thread pauses after each batch (see landing-thread.ts).
   */
  producerBusy: SharedArrayBuffer;
  /** Per mille; 1000 or more: never pause. */
  yieldAbove: number;
  /**
   * How long raw's own consumer leaves fewer than a batch of deliveries in the queue, from the first one's
   * receipt, so that its files (never merged) are fewer and larger; 0: it lands at once (PUDDLE_RAW_LINGER_SECONDS).
   */
  rawLingerMs: number;
  /** The thread's DuckDB memory_limit, MB (PUDDLE_DUCKDB_MEMORY_MB); undefined: a writer's default (puddles/duckdb.ts). */
  duckDbMemoryMb?: number;
  /** PuddleConsumer options (batch size, window, visibility, poll, the delay before a failed batch is retried). */
  consumer: { batchSize?: number; windowMs?: number; visibilityMs?: number; pollMs?: number; retryDelayMs?: number; maxRetryDelayMs?: number };
}

export type ToLandingWorker = { type: 'stop'; drainMs: number };

export type FromLandingWorker =
  | { type: 'ready' }
  | { type: 'landed'; landed: LandedRows }
  /**
   * Deliveries waiting per puddle, and how long the oldest has waited past when it was due (0 when none): a
   * lingering puddle's (raw's) are due at the end of the linger. `lingering`: of those waiting, the deliveries
   * a consumer holds back on purpose for a fuller file (not behind).
   */
  | { type: 'backlog'; depths: Record<string, number>; oldestMs: number; lingering: number }
  /** The puddles whose landing fails here now (the thread's consumers and helpers), with each one's failure. */
  | { type: 'failures'; failures: Record<string, FailureState> }
  | { type: 'stopped' };
