// Ports: interfaces only (DESIGN.md rule 6). Adapters live in infra/<runtime>/ and are chosen once,
// in createLocalRuntime() / createAwsRuntime(). One port test suite runs against every adapter.
import type { Envelope, EnvelopeTexts } from './envelope.js';

// ---------------------------------------------------------------- Queue
/** A puddle's subscription: which contracts it receives ('*' = all, for `raw`). */
export interface Subscription {
  name: string;
  contracts: readonly string[] | '*';
  /** Deliveries after which a message moves to the dead-letter store. */
  maxAttempts?: number;
}

export interface ClaimOptions {
  max: number;
  visibilityMs: number;
  /** Also hand back each message's queued JSON text (see ClaimedMessage.body). */
  withBody?: boolean;
  /** The caller never reads `envelope.raw`: an adapter may leave it null rather than parse it. */
  withoutRaw?: boolean;
}

/**
 * What a subscription could claim now, looked at without claiming (a consumer that lingers for a fuller batch,
 * puddles/consumer.ts). Not part of Queue: SQS's event source mapping does that itself (its batching window).
 */
export interface Claimable {
  /** Messages visible now, counted up to the number asked about. */
  visible: number;
  /** How long the first visible message has waited since it was received, in ms (0 when none is; null: not known). */
  oldestMs: number | null;
}

export interface ClaimedMessage {
  /** Opaque handle for ack/retry; valid until the visibility timeout ends. */
  receipt: string;
  envelope: Envelope;
  /** 1 on first delivery. */
  attempts: number;
  /**
   * With `claim(..., { withBody: true })`: the envelope's JSON text exactly as queued, when the adapter stores
   * it so. The raw puddle keeps it as it is instead of serialising the parsed envelope again (the same text).
   */
  body?: string;
}

export interface RetryOptions {
  /** Kept with a message that is dead-lettered: words safe to show anywhere, never a record's value (core/error-reason.ts). */
  reason: string;
  delayMs?: number;
  /** Default true. */
  counted?: boolean;
}

export interface DeadLetter {
  envelope: Envelope;
  attempts: number;
  reason: string;
  failed_at: string;
}

export interface Queue {
  /** Declare (or update) a subscription. Messages published before it existed are not delivered to it. */
  subscribe(sub: Subscription): Promise<void>;
  /**
   * Publish a batch; resolves only once every envelope is durable for every matching subscription.
   * `texts`, when given, holds the envelopes' JSON texts in order (EnvelopeTextWriter wrote them while
   * making the ids): an adapter that queues text uses them instead of serialising the envelopes again.
   */
  publish(envelopes: readonly Envelope[], texts?: EnvelopeTexts): Promise<void>;
  /**
   * Claim up to `max` visible messages, hiding them for `visibilityMs`. `withBody` asks for each message's
   * queued JSON text too (ClaimedMessage.body), where the adapter has it; only ask when it is used, since
   * holding every batch's text twice (text and parsed) costs the landing path about a tenth of its speed.
   */
  claim(subscription: string, opts: ClaimOptions): Promise<ClaimedMessage[]>;
  /** Done with these: remove them. */
  ack(subscription: string, receipts: readonly string[]): Promise<void>;
  /**
   * Still working on these: hide them for `visibilityMs` from now (a consumer's heartbeat while a slow batch
   * lands), without counting an attempt. Receipts are kept. A stale receipt (the message was settled, or
   * re-claimed after its visibility ran out) is skipped, never an error.
   */
  extend(subscription: string, receipts: readonly string[], visibilityMs: number): Promise<void>;
  /**
   * Failed: make visible again after `delayMs`, or dead-letter once attempts reach maxAttempts. `counted:
   * false` (the failure was the environment's, not the messages'): this delivery does not count as an
   * attempt, so it is never dead-lettered for it. An adapter whose broker counts deliveries itself (SQS
   * counts receives) cannot take one back and ignores it.
   */
  retry(subscription: string, receipts: readonly string[], opts: RetryOptions): Promise<void>;
  deadLetters(subscription: string, limit?: number): Promise<DeadLetter[]>;
  /** Messages waiting (visible or in flight) for one subscription. */
  depth(subscription: string): Promise<number>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- ObjectStore
export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

export interface ObjectStore {
  put(key: string, body: Uint8Array | string): Promise<void>;
  /** Write only if no object has this key; true if this call wrote it. */
  putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean>;
  /** null when absent. */
  get(key: string): Promise<Uint8Array | null>;
  /** Every object whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Deleting an absent key is not an error. */
  delete(key: string): Promise<void>;
  /** A folder on this machine holding the objects, if the store is one (lets DuckDB read in place). */
  readonly localRoot?: string;
}

// ---------------------------------------------------------------- StateStore
export interface StateStore {
  get<T = unknown>(key: string): Promise<T | null>;
  /** The values of those keys that exist, in one round trip (a page of records looks up its links at once). */
  getMany<T = unknown>(keys: readonly string[]): Promise<Map<string, T>>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /** Take (or renew, if `owner` already holds it) a lease; false if someone else holds a live one. */
  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, owner: string): Promise<void>;
}

// ---------------------------------------------------------------- Catalog
export interface TableRef {
  puddle: string;
  contract: string;
  version: number;
}

export interface CatalogFile extends TableRef {
  /** Object key in the lake, e.g. `lake/transactions/donation/v1/dt=2026-11-29/b-<hash>.parquet`. */
  key: string;
  /** Partition value `YYYY-MM-DD`. */
  dt: string;
  rows: number;
  bytes: number;
  added_at: string;
  /**
   * A current-state file (puddles/current-state.ts): the latest version per key of every folded file of its
   * contract, in the contract's latest columns. Absent on history files.
   */
  current?: boolean;
  /** A history file whose rows the contract's current-state files already hold (it was folded into them). */
  folded?: boolean;
}

export interface Catalog {
  /** Register files (idempotent by key). */
  addFiles(files: readonly CatalogFile[]): Promise<void>;
  /**
   * In one atomic step, drop `remove`, register `add` and mark the files `fold` names as folded
   * (compaction, replay, folding current state). With `ifAllPresent`, do nothing unless every key in `remove`
   * and `fold` is still registered (another process may have retired them meanwhile). Says whether it did it.
   * Raw's files (the immutable trail, puddles/layout.ts) are never removed or folded: an adapter may refuse it.
   */
  replaceFiles(remove: readonly string[], add: readonly CatalogFile[], opts?: { ifAllPresent?: boolean; fold?: readonly string[] }): Promise<boolean>;
  listFiles(filter?: Partial<TableRef> & { dt?: string }): Promise<CatalogFile[]>;
  tables(): Promise<TableRef[]>;
  /** Keys removed from the catalog but not yet deleted from the store (readers may still hold them). */
  takeGarbage(olderThanMs: number): Promise<string[]>;
  /**
   * A catalog that keeps a second copy of its file lists (the Glue catalog's symlink manifests, which Athena
   * reads) rewrites any copy left behind by a process that died between the two writes; says how many.
   * Scheduled compaction calls it first. A catalog with one copy has no such method.
   */
  repairManifests?(): Promise<number>;
}

// ---------------------------------------------------------------- QueryEngine
export type Row = Record<string, unknown>;

/** A query's column names, in the result's order (each one a key of every row), and its rows. */
export interface QueryResult {
  columns: string[];
  /**
   * Each column's type as the engine names it (DuckDB's `VARCHAR`, `BIGINT`, ...; Athena's `varchar`, `bigint`):
   * a CSV writer needs it to tell a text column, whose cells may be formulas to a spreadsheet, from a number.
   */
  types: string[];
  rows: Row[];
}

export interface QueryEngine {
  /** Run SQL over the catalog views; rows hold JSON-safe values (BIGINT as number when safe). */
  query(sql: string): Promise<Row[]>;
  /** query's rows with the result's column names, which rows alone cannot give when there are none (a CSV's header). */
  queryWithColumns(sql: string): Promise<QueryResult>;
  close(): Promise<void>;
  /**
   * query's result column by column, with no object per row: `columns[i][r]` is what row r's `names[i]` is in
   * query's rows. For reads of millions of rows (the live totals' rebuild); optional, so callers use
   * queryColumns(engine, sql), which falls back to query's rows where an engine has none (Athena). `signal`:
   * aborted before the statement's turn, it never runs; aborted while it runs, DuckDB interrupts it (either way
   * the promise rejects), and the engine's next statement runs as usual.
   */
  queryColumns?(sql: string, opts?: QueryOptions): Promise<ColumnarResult>;
  /**
   * The same engine with its queries' turns at `priority`, where queries take turns (DuckDB embedded): someone
   * waiting first (a command, the live totals' rebuild), then background work (the drift check), then idle work (the
   * dashboard's next answer while its last is served). Absent where queries run side by side (Athena).
   */
  withPriority?(priority: QueryPriority): QueryEngine;
}

/** A query's rows column by column (QueryEngine.queryColumns). */
export interface ColumnarResult {
  /** The column names, as query's rows are keyed (deduplicated: `a`, `a_1`). */
  names: string[];
  /** One array per name, each `rowCount` long, holding the values query's rows would. */
  columns: unknown[][];
  rowCount: number;
}

export interface QueryOptions {
  /** Stops the statement: it is not started, or is interrupted where the engine can (DuckDB). */
  signal?: AbortSignal;
}

/**
 * `sql`'s rows column by column: the engine's own way where it has one, else query's rows taken apart (the
 * signal then only keeps a statement from starting).
 */
export async function queryColumns(query: QueryEngine, sql: string, opts: QueryOptions = {}): Promise<ColumnarResult> {
  if (query.queryColumns) return query.queryColumns(sql, opts);
  opts.signal?.throwIfAborted();
  const rows = await query.query(sql);
  const names = rows[0] ? Object.keys(rows[0]) : [];
  return { names, columns: names.map((n) => rows.map((r) => r[n])), rowCount: rows.length };
}

/** Whose query it is: someone waits for it (the default), work nobody waits on, work that can wait for that too. */
export type QueryPriority = 'interactive' | 'background' | 'idle';

/** `query` with its turns at `priority` where it takes turns, else `query` itself. */
export function inBackground(query: QueryEngine, priority: QueryPriority = 'background'): QueryEngine {
  return query.withPriority?.(priority) ?? query;
}

// ---------------------------------------------------------------- OpsEvents
/**
 * What operations people want to hear about, as data. Embedded, each becomes a log line (core/ops-events.ts);
 * on AWS they go to an EventBridge bus, where users route them to mail or chat with their own rules.
 * Fields are ids, counts and reasons: never personal data, card data or secrets.
 */
export type OpsEvent =
  | {
      type: 'sync_run.finished';
      connector: string;
      stream: string;
      run_id: string;
      /** succeeded, partial (time box reached or stopped), quota or refused (another run holds the lease). */
      outcome: string;
      records: number;
      quarantined: number;
    }
  | { type: 'sync_run.failed'; connector: string; stream: string; run_id: string; error: string; auth_failed: boolean }
  /** `puddle report --fail-on-breaks` failed: `open` breaks, `unaccounted` records received that went nowhere. */
  | { type: 'breaks.opened'; open: number; unaccounted: number; /** Records received by the end of as_of still on the queue. */ queued: number; as_of: string | null }
  | { type: 'totals.drift'; against: string; boxes_differing: number; first: unknown }
  | { type: 'dead_letter'; puddle: string; messages: number; reason: string };

export interface OpsEvents {
  /** Hand events on. Never rejects: an ops event that cannot be delivered is logged, and the work goes on. */
  emit(events: readonly OpsEvent[]): Promise<void>;
}

// ---------------------------------------------------------------- Clock, secrets
export interface Clock {
  now(): Date;
  /**
   * The received_at to stamp on what arrives now, where the clock keeps received times apart from now() (a home's
   * ForwardClock, core/received-clock.ts: they never go back). Callers use receivedAt(clock), which falls back to now().
   */
  receivedAt?(): string;
}

export const systemClock: Clock = { now: () => new Date() };

export interface SecretStore {
  get(name: string): string | undefined;
}
