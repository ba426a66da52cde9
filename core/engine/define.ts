import type { Clock, OpsEvents, Queue, StateStore } from '../ports.js';
import type { CallCost, RateObservation } from './budget.js';
import type { Mapped } from './mapped.js';

/** What one page fetch returns: the records and the token for the next page (null: last page). */
export interface Page<R> {
  records: R[];
  next: string | null;
}

export interface Window {
  from: Date;
  to: Date;
}

/**
 * What a sync was asked to read beyond its bookmarks (`puddle sync --from/--to/--full`); all unset for a
 * scheduled run.
 */
export interface SyncRange {
  from?: Date;
  to?: Date;
  full?: boolean;
}

/**
 * How long the provider keeps a stream's records (Stripe keeps events for 30 days). A first run starts
 * `marginMs` inside that. A bookmark older than it means records went before they were read: the streams in
 * `reread` (the objects those records told of changes to) read every window since the bookmark again, each in
 * its own run (under its own lease), and this stream restarts inside the horizon (core/engine/horizon.ts).
 */
export interface Horizon {
  keptMs: number;
  marginMs: number;
  /** Windowed streams of the same connector. */
  reread: readonly string[];
}

/** What a stream's code may use: the engine's HTTP and call wrappers, the provider client, state. */
export interface StreamContext<C> {
  client: C;
  /**
   * One provider call through the connector's request budget and the engine's retries; `cost` says
   * what it takes from per-window budgets (credits, and which endpoint's bucket).
   */
  call<T>(what: string, fn: () => Promise<T>, cost?: CallCost): Promise<T>;
  state: StateStore;
  clock: Clock;
  /** Where a first sync starts (escape-hatch streams that keep their own position need it). */
  startDate: Date;
  /**
   * This run's range. A stream that keeps its own position applies it in its run, which holds the stream's
   * lease: applied before that (in a connector's beforeSync, until 2026-12-02), a run of the stream already
   * under way wrote its own position back over it.
   */
  range: SyncRange;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  /**
   * True once the run's time box is over (the scheduler's stop moves it to now: Ctrl-C). The engine's own
   * paging stops at its next page by itself; a stream with its own `read` asks this at each safe point
   * (its position saved) and returns, and the run ends as partial: the next run continues from there.
   */
  stopping(): boolean;
}

/**
 * A stream is data (DESIGN.md rule 1): how to fetch one page, how records are keyed and ordered, how
 * they map to contracts. The engine owns paging, windows, retries, rate limits, checkpoints, leases.
 */
export interface StreamDef<C = unknown, R = unknown> {
  name: string;
  /** The main contract this stream feeds (its mapping may emit others too). */
  contract: string;
  primaryKey: (record: R) => string;
  /** The record's position on the stream's time axis (e.g. Stripe `created`), for windows and bookmarks. */
  cursor?: (record: R) => Date;
  /**
   * Date-window slicing: the engine reads [bookmark - lookback, now - lag) in windows of `sizeMs`. `maxSizeMs`:
   * after a window read in one page the next is twice as long, up to this (core/engine/window-plan.ts); unset,
   * every window is `sizeMs` (a provider that caps a window's results, or a stream whose page is a whole day).
   * `alignMs`: windows end on multiples of it since the epoch (`DAY`: UTC midnight), for a stream that reads
   * whole dates, so that two windows never share a date (each date is read once a run, and counted once).
   */
  windows?: { sizeMs: number; maxSizeMs?: number; lookbackMs?: number; lagMs?: number; alignMs?: number };
  /** The provider keeps this stream's records only so long (windowed streams only). */
  horizon?: Horizon;
  /**
   * How long after a record's own time a `--from`/`--to` of this stream may first read it, where its range
   * selects by something later (Stripe's payout_items: by the payout's creation, days after its charge's).
   * `puddle quarantine retry` names a sync that far past the record's day (a windowed stream's lookback counts too).
   */
  surfacesWithinMs?: number;
  /** Fetch one page of one window (window is null for streams without windows). */
  fetchPage?(ctx: StreamContext<C>, req: { window: Window | null; token: string | null }): Promise<Page<R>>;
  /**
   * Escape hatch for odd APIs (DESIGN.md rule 1): read everything and hand pages to `emit`, which
   * publishes and checkpoints. Still uses the engine's calls, budget and state.
   */
  read?(ctx: StreamContext<C>, emit: (records: R[]) => Promise<void>): Promise<void>;
  /**
   * Read one record by its id (a webhook's prompt: core/engine/refetch.ts), in the same shape a page
   * holds, so the same prepare and toContract map it. null (or a NotFoundError) when the provider has no
   * such object. Only through `ctx.call`, like a page: the engine owns budget and retries.
   */
  fetchById?(ctx: StreamContext<C>, id: string): Promise<R | null>;
  /** Optional per-page preparation before mapping (e.g. look up links in state). */
  prepare?(ctx: StreamContext<C>, records: R[]): Promise<unknown>;
  toContract(record: R, prepared: unknown): Mapped[];
  /** Records for which this is true are read again by the next run (e.g. a balance still pending). */
  revisit?: (record: R) => boolean;
  /**
   * Whether a quarantined record of this stream maps again from its kept raw record alone (`puddle quarantine
   * retry`). Default: when the stream has no `prepare`, which reads state or the provider. False where what a
   * record maps to depends on its page too (Braintree's disbursements sum a day's payout from all its
   * transactions): the retry then names the range to sync again instead.
   */
  remapsAlone?: boolean;
}

/** Turns a provider's error into the engine's error kinds (RetriableError / FatalError). */
export type ErrorClassifier = (err: unknown) => Error;

export interface ConnectorDef<C = unknown> {
  name: string;
  /** Streams in the order a sync runs them. */
  streams: StreamDef<C, never>[];
  classifyError: ErrorClassifier;
  /**
   * What the provider says is left of its allowance, read from a call's result or error (an
   * `X-Ratelimit-Remaining`-style header); the budget slows down as it runs low. null: nothing said.
   */
  rateObservation?: (outcome: unknown) => RateObservation | null;
}

/**
 * What defineStream gives: the stream with its own record type, and also as its connector lists it
 * (`ConnectorDef.streams` is `StreamDef<C, never>[]`: each stream's records are a type of its own, and the engine
 * hands a stream only the records its own fetch returned). Until 2026-12-02 a stream that returns records was not
 * a `StreamDef<C, never>`, and every connector cast its list (`as unknown as StreamDef<C, never>[]`); now
 * `defineConnector({ streams: [charges, refunds] })` type-checks as written.
 */
export type ListedStream<C, R> = StreamDef<C, R> & StreamDef<C, never>;

export function defineStream<C, R>(def: StreamDef<C, R>): ListedStream<C, R> {
  if (!def.fetchPage && !def.read) throw new Error(`stream ${def.name}: needs fetchPage or read`);
  if (def.windows && !def.cursor) throw new Error(`stream ${def.name}: windows need a cursor`);
  if (def.horizon && !def.windows) throw new Error(`stream ${def.name}: a horizon needs windows`);
  return def as ListedStream<C, R>;
}

export function defineConnector<C>(def: ConnectorDef<C>): ConnectorDef<C> {
  // A re-read is taken up by a windowed run (it moves the window cursor back): a name that is not one would be
  // asked forever and never read. One horizon a stream: its bookmark keeps the one gap it last went back for.
  const named = new Set<string>();
  for (const s of def.streams) {
    for (const name of s.horizon?.reread ?? []) {
      if (!def.streams.some((t) => t.name === name && t.windows)) throw new Error(`connector ${def.name}: ${s.name}'s horizon re-reads ${name}, which is not a windowed stream of it`);
      if (named.has(name)) throw new Error(`connector ${def.name}: ${name} is named by two horizons`);
      named.add(name);
    }
  }
  return def;
}

/** What a run needs from the runtime. */
export interface EngineRuntime {
  queue: Queue;
  state: StateStore;
  clock: Clock;
  /** Where a finished run is announced; log lines when absent. */
  events?: OpsEvents;
  /**
   * How far after its arrival a record's occurred_at or updated_at may be before it is quarantined: a day
   * (MAX_AHEAD_MS) unless `puddle demo` or a test, whose worlds are fixed calendars, widens it (core/contracts/time-bounds.ts).
   */
  maxAheadMs?: number;
}
