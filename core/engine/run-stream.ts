import { randomUUID } from 'node:crypto';
import type { Envelope } from '../envelope.js';
import type { Clock } from '../ports.js';
import { receivedAt } from '../received-clock.js';
import { AuthError, CursorGoneError, FatalError, QuotaReachedError, RetriableError, WindowTooLargeError } from '../errors.js';
import { log } from '../log.js';
import { redactPersonalData } from '../pii.js';
import { backfillPositionIn, backfillRangeOf, loadBookmark, saveBookmark, type BackfillPosition, type Bookmark, type ReadPosition } from './bookmark.js';
import { unlessGivenUp, type RequestBudget } from './budget.js';
import { backfillStartWithin, horizonOver, horizonStart, keepWithinHorizon, takeReread } from './horizon.js';
import type { ConnectorDef, EngineRuntime, Page, StreamContext, StreamDef, SyncRange, Window } from './define.js';
import { mappedToEnvelopes, quarantineEnvelope, type Origin } from './envelopes.js';
import type { Mapped } from './mapped.js';
import { DEFAULT_RETRY, withRetries, type RetryPolicy } from './retry.js';
import type { RecentlyPublished } from './recent.js';
import { fetchUnsettled, relistDue, revisitByIds, Unsettled } from './revisit.js';
import { recordRun, type RunMetrics, type RunResult } from './sync-run.js';
import { WindowPlan, type PlannedWindow } from './window-plan.js';

/**
 * `from`: read this range instead of resuming from the bookmark: a backfill, checkpointed apart from the
 * bookmark's own position (see `Bookmark.backfill`); `to` alone caps an incremental run. `full`: ignore the
 * bookmark and read from startDate.
 */
export interface RunSettings extends SyncRange {
  /** Where a first sync starts (backfill). */
  startDate: Date;
  /** Time box: stop at a page boundary after this, checkpointed; a later run continues. */
  deadline?: Date;
  retry?: RetryPolicy;
  /**
   * How long the stream's lease lives without renewal (renewed at every page). Short, so that a run
   * killed mid-way blocks the next one only briefly; long enough for a page and its retries.
   */
  leaseMs?: number;
}

export interface RunOptions<C> {
  connector: ConnectorDef<C>;
  stream: StreamDef<C, never>;
  client: C;
  runtime: EngineRuntime;
  budget: RequestBudget;
  settings: RunSettings;
  /**
   * What the stream published lately (recent.ts): a record read again unchanged is left out. Incremental runs
   * only; `--full` and backfills publish all they read.
   */
  recent?: RecentlyPublished;
  /** After each page: the counters and, for windowed streams, how far through the range (0..1). */
  onProgress?: (m: RunMetrics, done: number | null) => void;
}

class DeadlineReached extends Error {}

/** The source's own key and time for a record its mapping could not read (either may fail on garbage too). */
export function recordIdentity(stream: StreamDef<unknown, unknown>, record: unknown): Pick<Origin, 'record_key' | 'occurred_at'> {
  let record_key: string | null = null;
  let occurred_at: string | null = null;
  try {
    const k = stream.primaryKey(record);
    if (typeof k === 'string' && k) record_key = k;
  } catch {
    // garbage without a key: the quarantine id falls back to a hash of the record
  }
  try {
    const t = stream.cursor?.(record);
    if (t instanceof Date && !Number.isNaN(t.getTime())) occurred_at = t.toISOString();
  } catch {
    // garbage without a time: received_at
  }
  return { record_key, occurred_at };
}

/** Pages published and not yet confirmed by the queue, per stream run: enough to keep a writer thread busy. */
const PAGES_IN_FLIGHT = 4;

/**
 * Who continues a run that stopped part-way. A backfill's checkpoint is kept apart from the bookmark: only the
 * same range run again reads on from it; the scheduled runs never do (until 2026-12-02 it said "the next run").
 * A stream without windows keeps a range in its own position (Stripe's payout_items), which the next run takes.
 */
function partialResumes(settings: SyncRange, windowed: boolean): string {
  const range = windowed ? backfillRangeOf(settings) : null;
  if (!range) return `the next run${settings.full && windowed ? ', --full or not,' : ''} continues from the checkpoint`;
  return `the same range (--from ${range.from}${range.to ? ` --to ${range.to}` : ''}) run again continues from its checkpoint; the scheduled runs do not`;
}

/** Run one stream once: lease, resume from the bookmark, page through windows, publish, checkpoint. */
export async function runStream<C>(opts: RunOptions<C>): Promise<RunResult> {
  const { connector, runtime, settings } = opts;
  const stream = opts.stream as unknown as StreamDef<C, unknown>;
  const startedAt = runtime.clock.now();
  const runId = `${connector.name}:${stream.name}:${startedAt.toISOString()}:${randomUUID().slice(0, 8)}`;
  const metrics: RunMetrics = { records: 0, pages: 0, requests: 0, retries: 0, rateLimited: 0, quarantined: 0 };
  const lease = `sync:${connector.name}:${stream.name}`;
  const leaseMs = settings.leaseMs ?? 2 * 60_000;
  let note: string | null = null;
  const finish = async (outcome: RunResult['outcome'], error?: string, authFailed = false) => {
    const result: RunResult = {
      runId, connector: connector.name, stream: stream.name, startedAt: startedAt.toISOString(),
      endedAt: runtime.clock.now().toISOString(), outcome, error: error ?? null, authFailed, ...metrics,
      ...(note ? { note } : {}),
    };
    await recordRun(runtime, result);
    return result;
  };

  if (!(await runtime.state.acquireLease(lease, runId, leaseMs))) {
    // Nothing of this run is kept, its --full or --from included (a stream's own position is only touched
    // under the lease): said plainly, since a range asked for could look as if a later run would read it.
    const asked = settings.full || settings.from ? ` (nor its ${settings.from ? '--from' : '--full'})` : '';
    return finish('refused', `another run of ${connector.name}/${stream.name} holds the lease: nothing was read or kept${asked}; run it again once that run has ended`);
  }
  try {
    const ctx = streamContext(opts, metrics);
    const run = new StreamRun(opts, ctx, metrics, runId, async () => {
      if (!(await runtime.state.acquireLease(lease, runId, leaseMs))) {
        throw new FatalError(`lost the lease of ${connector.name}/${stream.name} to another run`);
      }
    }, (n) => (note = n));
    await run.execute();
    return await finish('succeeded');
  } catch (err) {
    if (err instanceof DeadlineReached) return await finish('partial', `${stopped(settings) ? 'stopped' : 'time box reached'}; ${partialResumes(settings, Boolean(stream.windows))}`);
    // The pages before were published and checkpointed (readWindow waits for them before it rethrows).
    if (err instanceof QuotaReachedError) return await finish('quota', err.message);
    const message = err instanceof Error ? err.message : String(err);
    // The one log line of a failed run, in both shapes (the embedded event log does not repeat it).
    log.error('sync run failed', { connector: connector.name, stream: stream.name, run_id: runId, error: message, auth_failed: err instanceof AuthError });
    return await finish('failed', message, err instanceof AuthError);
  } finally {
    await runtime.state.releaseLease(lease, runId);
  }
}

/**
 * Stop the runs of this deadline (Ctrl-C): they end at their next page, checkpointed, as at the end of a
 * time box. Epoch 0, which no time box is, so that a run's record says it was stopped.
 */
export function stopRuns(deadline: Date): void {
  deadline.setTime(0);
}

const stopped = (settings: RunSettings): boolean => settings.deadline?.getTime() === 0;

/**
 * The run's time box is over, `graceMs` ago (the scheduler's stop moves the deadline to 0, so this is read
 * each time).
 */
function pastDeadline(settings: RunSettings, clock: Clock, graceMs = 0): boolean {
  return settings.deadline !== undefined && clock.now().getTime() >= settings.deadline.getTime() + graceMs;
}

/**
 * How long a provider call still in flight when its run's time box ends may take to answer before the run
 * stops waiting for it. A hung call (jsforce waits up to 30 minutes by default) held its run, and so the
 * hub's Ctrl-C, for as long as the SDK's own timeout. At a stop the deadline is 0, so the run stops waiting
 * within the 200 ms check; at the end of a time box a slow page gets this much longer. The page whose answer
 * is dropped is read again by the next run, from the last checkpoint.
 */
export const CALL_GRACE_MS = 5_000;

/**
 * The context a stream's code gets: its client, and every provider call through the connector's budget
 * and the engine's retries (a sync's pages and a webhook's re-reads alike).
 */
export function streamContext<C>(
  opts: Pick<RunOptions<C>, 'connector' | 'stream' | 'client' | 'runtime' | 'budget' | 'settings'>,
  metrics: RunMetrics,
): StreamContext<C> {
  const { connector, budget } = opts;
  const policy = opts.settings.retry ?? DEFAULT_RETRY;
  // Past the deadline the run stops at its next page and leaves its prefetch behind: retrying that call
  // (for up to minutes, against a provider that is down, or a sandbox the hub just closed) only kept a
  // stopped hub's process alive, logging retries after "stopped cleanly". A call already waiting (a retry's
  // backoff, its turn in the budget after a 429's Retry-After) stops waiting too: the scheduler's stop
  // waits for its runs, and a Freshdesk Retry-After of 60 s held Ctrl-C for as long.
  const giveUp = () => pastDeadline(opts.settings, opts.runtime.clock);
  const abandon = () => pastDeadline(opts.settings, opts.runtime.clock, CALL_GRACE_MS);
  // Count 429s and pause the whole budget on Retry-After, whichever stream saw it.
  const classify = (err: unknown) => {
    const e = err instanceof RetriableError || err instanceof FatalError ? err : connector.classifyError(err);
    if (e instanceof RetriableError && e.status === 429) {
      metrics.rateLimited++;
      if (e.retryAfterMs) budget.pauseFor(e.retryAfterMs);
    }
    return e;
  };
  // What the provider says is left of its allowance, from answers and errors alike.
  const observe = (outcome: unknown) => {
    const o = connector.rateObservation?.(outcome);
    if (o) budget.observe(o);
  };
  return {
    client: opts.client,
    state: opts.runtime.state,
    clock: opts.runtime.clock,
    startDate: opts.settings.startDate,
    range: { from: opts.settings.from, to: opts.settings.to, full: opts.settings.full },
    log: (msg, fields) => log.info(msg, { connector: connector.name, stream: opts.stream.name, ...fields }),
    stopping: giveUp,
    call: (what, fn, cost) =>
      withRetries(
        () =>
          budget.run(
            async () => {
              metrics.requests++;
              try {
                const out = await unlessGivenUp(fn(), opts.settings.deadline ? abandon : undefined);
                observe(out);
                return out;
              } catch (err) {
                observe(err);
                throw err;
              }
            },
            cost,
            giveUp,
          ),
        classify,
        policy,
        {
          onRetry: (err, waitMs, attempt) => {
            metrics.retries++;
            log.warn('retrying provider call', { connector: connector.name, call: what, attempt, waitMs: Math.round(waitMs), error: err.message });
          },
          giveUp,
        },
      ),
  };
}

/**
 * A stream's records as envelopes, exactly as a sync maps them: the stream's prepare, then toContract per
 * record, validated against the contracts; a record that fails goes to quarantine with the reasons; each
 * record is redacted in place once its mapping has read it (so the caller must own `records`).
 */
export async function mapRecords<C>(
  stream: StreamDef<C, unknown>,
  ctx: StreamContext<C>,
  records: unknown[],
  delivery: Pick<Origin, 'source' | 'delivery_id' | 'received_at'>,
  maxAheadMs?: number,
): Promise<{ envelopes: Envelope[]; quarantined: number }> {
  const prepared = stream.prepare ? await stream.prepare(ctx, records) : undefined;
  const envelopes: Envelope[] = [];
  let quarantined = 0;
  for (const record of records) {
    let mapped: Mapped[] | null = null;
    let failure: unknown = null;
    try {
      mapped = stream.toContract(record, prepared);
    } catch (err) {
      failure = err;
    }
    // Read before redaction, which may rewrite fields a key or a cursor reads (a Date becomes a string).
    const { record_key, occurred_at } = recordIdentity(stream, record);
    // The page is the engine's and the mapping has read it: redact in place, no copy. (So a mapping must
    // not hand back objects of the record itself: validation copies a payload only after this.)
    const raw = redactPersonalData(record);
    const origin: Origin = { source: delivery.source, stream: stream.name, delivery_id: delivery.delivery_id, received_at: delivery.received_at, raw, record_key, occurred_at };
    if (mapped) {
      const r = mappedToEnvelopes(mapped, origin, maxAheadMs);
      for (const e of r.envelopes) envelopes.push(e);
      quarantined += r.quarantined;
    } else {
      // A mapping that throws on provider garbage quarantines that record; the run goes on.
      quarantined++;
      envelopes.push(quarantineEnvelope({ contract: stream.contract }, [{ path: 'mapping', message: (failure as Error)?.message ?? String(failure) }], origin, maxAheadMs));
    }
  }
  return { envelopes, quarantined };
}

class StreamRun<C> {
  private readonly stream: StreamDef<C, unknown>;
  private readonly published = new Set<string>();
  /** What earlier runs published (null for --full and backfills, which publish everything they read). */
  private readonly recent: RecentlyPublished | null;
  /** The records this run found unsettled (StreamDef.revisit). */
  private readonly unsettled: Unsettled;
  /** Unsettled records of earlier runs this run reads by id, instead of listing again from the oldest (revisit.ts). */
  private revisitIds: string[] | null = null;
  /** This run lists again from the revisit point (too many unsettled records to read by id: relistDue). */
  private relisting = false;
  private range: { from: number; to: number } | null = null;
  private position: number | null = null;
  /** Where a backfill's checkpoints go (null: the bookmark's own position). */
  private backfill: BackfillPosition | null = null;
  /** A --full that continues one stopped part-way (Bookmark.fullFrom): it reads on from the bookmark. */
  private fullResumed = false;
  /** Where this run's --full starts (fullStart()). */
  private fullStartAt: Date | null = null;
  /**
   * This run reads from the bookmark's revisit point (or before it), so what it finds unsettled replaces that
   * point. False when it continues a window a stopped run left: the records before it are not read again.
   */
  private rereadsRevisit = false;

  constructor(
    private readonly opts: RunOptions<C>,
    private readonly ctx: StreamContext<C>,
    private readonly metrics: RunMetrics,
    private readonly runId: string,
    private readonly renewLease: () => Promise<void>,
    private readonly say: (note: string) => void,
  ) {
    this.stream = opts.stream as unknown as StreamDef<C, unknown>;
    this.unsettled = new Unsettled(Boolean(this.stream.fetchById));
    this.recent = opts.settings.full || opts.settings.from ? null : (opts.recent ?? null);
  }

  async execute(): Promise<void> {
    const { connector, runtime } = this.opts;
    if (this.stream.read) {
      try {
        await this.stream.read(this.ctx, (records) => this.emit(records));
      } catch (err) {
        // A call the time box cut short (a wait, or an answer it stopped waiting for): as for pages, not a failure.
        if (err instanceof RetriableError && pastDeadline(this.opts.settings, runtime.clock)) throw new DeadlineReached();
        throw err;
      }
      // It returned at a safe point because the time box ended (ctx.stopping()), or finished just then.
      if (pastDeadline(this.opts.settings, runtime.clock)) throw new DeadlineReached();
      return;
    }
    const bm = await loadBookmark(runtime.state, connector.name, this.stream.name);
    // Where a provider keeps records only for a while (horizon.ts): this run holds the stream's lease, so here
    // its position may move back for a gap, or on to the horizon, with no run of it under way to write it back.
    const at = { state: runtime.state, clock: runtime.clock, connector: connector.name };
    const source = horizonOver(connector as ConnectorDef<unknown>, this.stream.name);
    if (source) await takeReread(at, source, this.stream.name, bm);
    const horizon = this.stream.horizon;
    if (horizon) await keepWithinHorizon({ ...at, stream: this.stream.name, horizon, startDate: this.opts.settings.startDate, runId: this.runId }, bm);
    this.backfill = this.backfillPosition(bm);
    // --full reads everything again and the cursor follows it from the start: also the way out for a cursor
    // a backfill left in the future before 2026-12-01 (the cursor only moves forward otherwise).
    // A stream with a horizon reads (and so moves its cursor) from inside it: before it there is nothing to list.
    // A --full stopped part-way is continued by the next --full from its checkpoint (Bookmark.fullFrom), as by
    // any other run: until 2026-12-02 each --full started over, so one that never fitted its time box never ended.
    const fullFrom = this.opts.settings.startDate.toISOString();
    if (this.opts.settings.full && !this.backfill && this.stream.windows) {
      this.fullResumed = bm.fullFrom === fullFrom && (bm.cursor !== null || bm.window !== null);
      if (!this.fullResumed) Object.assign(bm, { cursor: this.stream.horizon ? this.fullStart().toISOString() : null, fullFrom });
    }
    const windows = this.plan(bm);
    if (this.stream.windows) this.range = windows.span;
    if (this.revisitIds) await this.revisitById(this.revisitIds);
    for (let w = windows.next(); w; w = windows.next()) {
      this.position = w.to.getTime();
      const pagesBefore = this.metrics.pages;
      try {
        await this.readWindow(bm, w);
        windows.read(w, this.metrics.pages - pagesBefore);
      } catch (err) {
        // Too many results for the provider: read the two halves instead, oldest first.
        const span = w.to.getTime() - w.from.getTime();
        if (!(err instanceof WindowTooLargeError) || w.token !== null || !this.stream.windows) throw err;
        if (span <= 2000) throw new FatalError(`${this.opts.connector.name}/${this.stream.name}: a ${span} ms window is still too large to read`);
        const mid = new Date(w.from.getTime() + Math.floor(span / 2000) * 1000);
        this.ctx.log('window too large: splitting it', { from: w.from.toISOString(), to: w.to.toISOString() });
        windows.split(w, mid);
      }
    }
    if (!this.backfill) {
      // A run that continued a stopped one read only its later part: the unsettled records the stopped run
      // found before it (kept at its checkpoints) still wait for their re-read. Until 2026-12-02 this run's
      // own point replaced theirs, and they were never read again with their settled values.
      if (this.rereadsRevisit) this.unsettled.replace(bm);
      else this.unsettled.keepWith(bm);
      if (this.relisting) bm.revisitListedAt = this.opts.runtime.clock.now().toISOString();
      bm.fullFrom = null;
    }
    else {
      // A backfill re-read only its range: the stream's own revisit point still stands.
      this.unsettled.keepWith(bm);
      if (bm.backfill === this.backfill) bm.backfill = null;
    }
    await saveBookmark(runtime.state, connector.name, this.stream.name, bm);
  }

  /**
   * A backfill's (`from`) own position, where its checkpoints go instead of the bookmark's: the one saved by
   * the same range stopped part-way (so running it again resumes it), or a new one. Null: not a backfill.
   */
  private backfillPosition(bm: Bookmark): BackfillPosition | null {
    const range = this.stream.windows ? backfillRangeOf(this.opts.settings) : null;
    return range && backfillPositionIn(bm, range);
  }

  /**
   * Where `--full` reads from: the start date or, where the provider keeps records only for a while (Stripe's
   * events, 30 days), inside what it keeps (horizon.ts). Until 2026-12-02 a `--full` of Stripe's events asked
   * for every window back to the start date, months Stripe holds nothing for.
   */
  private fullStart(): Date {
    const { horizon } = this.stream;
    const { startDate } = this.opts.settings;
    // Read once: the cursor is set to it and the first window starts at it, and the cursor moves only over a
    // window starting at or before it; read twice from a moving clock, the first window started after the cursor
    // and the --full left it at the horizon (29 days of events read again by the next run).
    this.fullStartAt ??= horizon ? horizonStart(horizon, startDate, this.opts.runtime.clock.now().getTime()) : startDate;
    return this.fullStartAt;
  }

  /**
   * A backfill's start, moved on to the oldest record the provider keeps where it is older (horizon.ts): before
   * it there is nothing to list. Said once, in the log and the run's result (`puddle sync` prints it).
   */
  private withinHorizon(from: Date, to: Date): Date {
    const { horizon } = this.stream;
    const start = horizon && backfillStartWithin(horizon, from, this.opts.runtime.clock.now().getTime());
    if (!start) return from;
    const { connector } = this.opts;
    const days = Math.round(horizon.keptMs / 86_400_000);
    const note = start < to
      ? `--from ${this.opts.settings.from!.toISOString()} is older than the ${days} days ${connector.name} keeps ${this.stream.name}: read from ${start.toISOString()}, where they begin`
      : `the range is older than the ${days} days ${connector.name} keeps ${this.stream.name}: nothing of it is left to read`;
    log.info(`${connector.name} ${this.stream.name}: ${note}`, { connector: connector.name, stream: this.stream.name, run_id: this.runId });
    this.say(note);
    return start;
  }

  /** The windows this run reads: an interrupted window first, then on from the bookmark. */
  private plan(bm: Bookmark): WindowPlan {
    const { settings, runtime } = this.opts;
    const spec = this.stream.windows;
    if (!spec) {
      this.rereadsRevisit = true; // a stream without windows has no revisit point to read from: nothing to keep
      return new WindowPlan([{ from: new Date(0), to: new Date(0), token: settings.full ? null : (bm.window?.token ?? null) }], new Date(0), new Date(0), { sizeMs: 1 });
    }
    // Never past what an incremental run reads up to: a later `--to` read a future with nothing in it yet,
    // and the bookmark it left there skipped every record made until then.
    const to = new Date(Math.min(settings.to?.getTime() ?? Infinity, runtime.clock.now().getTime() - (spec.lagMs ?? 0)));
    const out: PlannedWindow[] = [];
    let from: Date;
    const bf = this.backfill;
    if (bf) {
      if (bf.window) out.push({ from: new Date(bf.window.from), to: new Date(bf.window.to), token: bf.window.token });
      from = bf.window ? new Date(bf.window.to) : bf.cursor ? new Date(bf.cursor) : settings.from!;
      from = this.withinHorizon(from, to);
    } else if (settings.full && !this.fullResumed) {
      from = this.fullStart();
      this.rereadsRevisit = true;
    } else if (bm.window) {
      // A run stopped mid-window (time box or crash): finish that window from its page, then go on.
      out.push({ from: new Date(bm.window.from), to: new Date(bm.window.to), token: bm.window.token });
      from = new Date(bm.window.to);
    } else {
      this.rereadsRevisit = true;
      from = bm.cursor ? new Date(new Date(bm.cursor).getTime() - (spec.lookbackMs ?? 0)) : settings.startDate;
      if (bm.revisitFrom && new Date(bm.revisitFrom) < from) {
        // The unsettled records of earlier runs (revisit.ts): few enough, they are read by id before the windows,
        // which start at the bookmark. Too many: listed again from the oldest at most hourly; a run between keeps
        // the saved point, and what it finds unsettled joins it.
        this.revisitIds = revisitByIds(this.stream, bm);
        this.relisting = !this.revisitIds && relistDue(bm, runtime.clock.now().getTime());
        if (this.relisting) from = new Date(bm.revisitFrom);
        else if (!this.revisitIds) this.rereadsRevisit = false;
      }
    }
    return new WindowPlan(out, from, to, spec);
  }

  /**
   * Read the unsettled records of earlier runs again by id, and publish them as a page: those still unsettled
   * are found again by mapPage. Stopped by the time box, the run ends before its windows, the ids still saved.
   */
  private async revisitById(ids: string[]): Promise<void> {
    let records: unknown[];
    let gone: string[];
    try {
      ({ records, gone } = await fetchUnsettled(this.stream, this.ctx, ids));
    } catch (err) {
      if (err instanceof RetriableError && pastDeadline(this.opts.settings, this.opts.runtime.clock)) throw new DeadlineReached();
      throw err;
    }
    // A record read again until it settled that the provider no longer has stays in the lake as last landed (a
    // payment `pending` for good): said, once, as it leaves the revisit list. Until 2026-12-05 it left in silence.
    // The ids are the provider's object ids (`ch_...`, a Salesforce record id), no one's personal data.
    if (gone.length) {
      log.warn('records read again until they settle are gone from the provider: they stay in the lake as last landed, and are no longer read', {
        connector: this.opts.connector.name, stream: this.stream.name, records: gone.length, ids: gone.slice(0, 10),
      });
    }
    if (pastDeadline(this.opts.settings, this.opts.runtime.clock)) throw new DeadlineReached();
    await this.emit(records);
  }

  /**
   * Window `w` is read and published. The stream's cursor moves only forward, and only over a window that
   * starts at or before it (or the start date): a backfill of the past pulled it back (the next run read
   * everything since again), and one starting past it would have jumped records nobody read.
   */
  private windowRead(bm: Bookmark, w: Window): void {
    if (this.backfill) this.backfill.cursor = w.to.toISOString();
    const readTo = bm.cursor ? Date.parse(bm.cursor) : this.opts.settings.startDate.getTime();
    if (w.from.getTime() <= readTo && (!bm.cursor || w.to.getTime() > readTo)) bm.cursor = w.to.toISOString();
  }

  /** How a log line or an error names window `w` (never a token). */
  private windowName(w: Window): string {
    return this.stream.windows ? `[${w.from.toISOString()}, ${w.to.toISOString()})` : '(the whole stream)';
  }

  private async readWindow(bm: Bookmark, w: PlannedWindow): Promise<void> {
    const { connector, runtime, settings } = this.opts;
    const at: ReadPosition = this.backfill ?? bm;
    const windowed = Boolean(this.stream.windows);
    const position = (token: string | null) => (windowed ? { from: w.from.toISOString(), to: w.to.toISOString(), token } : { from: '', to: '', token });
    const fetch = (token: string | null) => this.stream.fetchPage!(this.ctx, { window: windowed ? w : null, token });
    const seen = new Set<string>();
    let token = w.token;
    // The window was read again from its start once in this run, its token gone (CursorGoneError).
    let reread = false;
    // The next page is fetched while this one is mapped and published: the provider's round trip and
    // our own work overlap. Only a published page moves the bookmark, so a prefetch is never a gap.
    // Every promise made ahead of its await is marked handled at once (its rejection still reaches the
    // await): one that fails while the loop waits elsewhere would otherwise kill the process.
    const ahead = <T>(p: Promise<T>): Promise<T> => {
      p.catch(() => undefined);
      return p;
    };
    let next: Promise<Page<unknown>> | null = ahead(fetch(token));
    // Pages are mapped while the queue commits the ones before (on its writer thread, where it has one):
    // up to PAGES_IN_FLIGHT published and not yet confirmed. The bookmark still moves in page order, past
    // a page only once the queue has confirmed it and every page before it.
    let checkpointed: Promise<void> = Promise.resolve();
    const inFlight: Promise<void>[] = [];
    // The first failure of a publish or a checkpoint: the loop stops at its next turn, not four pages on.
    const failed: { err?: unknown; yes: boolean } = { yes: false };
    // A bookmark change, made after every checkpoint queued before it, in order.
    const checkpoint = (change: () => Promise<void>) => {
      checkpointed = ahead(checkpointed.then(change));
      checkpointed.catch((err: unknown) => {
        if (!failed.yes) Object.assign(failed, { yes: true, err });
      });
      inFlight.push(checkpointed);
    };
    // Every checkpoint keeps the unsettled records read so far too: a run that stops or fails part-way is
    // continued from its checkpoint, not from these records, which only the revisit point brings back.
    const savePosition = (window: ReadPosition['window']) => {
      at.window = window;
      this.unsettled.keepWith(bm);
      if (this.backfill) bm.backfill = this.backfill;
      return saveBookmark(runtime.state, connector.name, this.stream.name, bm);
    };
    const stop = async (err: unknown): Promise<never> => {
      next?.catch(() => undefined);
      await checkpointed.catch(() => undefined);
      throw err;
    };
    // Past the deadline: checkpoint at the page being read (`token`), then end the run as partial.
    const stopAtDeadline = async (): Promise<never> => {
      await checkpointed;
      await savePosition(position(token));
      throw new DeadlineReached();
    };
    for (;;) {
      const fetching: Promise<Page<unknown>> | null = next;
      if (!fetching) return checkpointed; // not reached: the last page returns below
      if (failed.yes) return stop(failed.err);
      if (pastDeadline(settings, runtime.clock)) {
        fetching.catch(() => undefined); // its page is read again by the next run
        return stopAtDeadline();
      }
      let page: Page<unknown>;
      try {
        page = await fetching;
      } catch (err) {
        next = null;
        // The time box ended while the page waited (a retry's backoff, a Retry-After pause of the budget):
        // the wait gave up (retry.ts, budget.ts), and the page is read again by the next run.
        if (err instanceof RetriableError && pastDeadline(settings, runtime.clock)) return stopAtDeadline();
        if (!(err instanceof CursorGoneError) || token === null) return stop(err);
        // Gone again after reading from the start: the provider invalidates tokens faster than we page, and
        // reading again would loop. A normal failure; the bookmark holds the last confirmed page.
        if (reread) {
          return stop(new FatalError(`${connector.name}/${this.stream.name}: the page token was no longer valid again after reading the window ${this.windowName(w)} from its start: stopping (${err.message})`, { cause: err }));
        }
        // The token the request carried (a page cursor whose object was deleted, an expired query locator)
        // is refused; the window read from its start without it works, and what was published already lands
        // again idempotently. No token or record id in the line: a cursor may name an erased person.
        reread = true;
        log.warn('page token no longer valid at the provider: reading the window again from its start', {
          connector: connector.name, stream: this.stream.name, window: this.windowName(w), run_id: this.runId,
        });
        token = null;
        seen.clear();
        // The bookmark stops naming the refused token: after the pages confirmed before (whose checkpoints
        // saved it), the window's position goes back to its start, and a run that ends before its next page
        // is confirmed resumes there, not at the token.
        checkpoint(() => savePosition(position(null)));
        next = ahead(fetch(null));
        continue;
      }
      // A provider that hands back a token it already gave would page forever: fail loudly instead.
      if (page.next !== null && (page.next === token || seen.has(page.next))) {
        return stop(new FatalError(`pagination loop in ${connector.name}/${this.stream.name}: a page token came back twice in window ${this.windowName(w)}`));
      }
      next = page.next === null ? null : ahead(fetch(page.next));
      // Let the prefetch reach the wire before mapping this page: the request is written in a nextTick
      // at the end of a chain of promise steps, which would otherwise wait behind the whole synchronous
      // map and serialise below, and the provider would start on the next page only once we were done.
      if (next) await new Promise<void>((resolve) => setImmediate(resolve));
      let envelopes: Envelope[];
      try {
        envelopes = await this.mapPage(page.records);
        while (inFlight.length >= PAGES_IN_FLIGHT) await inFlight.shift();
      } catch (err) {
        return stop(err);
      }
      const last = page.next === null || next === null;
      const resumeAt = page.next;
      const published = ahead(this.publishPage(envelopes, page.records.length));
      // The page is on the queue: only now may the bookmark move past it (DESIGN.md rule 5).
      checkpoint(async () => {
        await published;
        if (last && windowed) this.windowRead(bm, w);
        return savePosition(last ? null : position(resumeAt));
      });
      if (last) return checkpointed;
      seen.add(resumeAt!);
      token = resumeAt;
    }
  }

  /** Map, validate and publish one page; resolves once the queue holds it. */
  async emit(records: unknown[]): Promise<void> {
    await this.publishPage(await this.mapPage(records), records.length);
  }

  /** Map and validate one page; what this run already published is left out. */
  private async mapPage(records: unknown[]): Promise<Envelope[]> {
    const stream = this.stream;
    if (stream.revisit && stream.cursor) {
      for (const record of records) {
        if (stream.revisit(record)) this.unsettled.add(stream.primaryKey(record), stream.cursor(record).getTime());
      }
    }
    const origin = { source: this.opts.connector.name, delivery_id: this.runId, received_at: receivedAt(this.opts.runtime.clock) };
    const mapped = await mapRecords(stream, this.ctx, records, origin, this.opts.runtime.maxAheadMs);
    this.metrics.quarantined += mapped.quarantined;
    const envelopes: Envelope[] = [];
    for (const e of mapped.envelopes) {
      // Lookback windows and window edges re-read records: publish each version once per run, and not again
      // when an earlier run (or a webhook's re-read) published it lately.
      if (this.published.has(e.id) || this.recent?.has(e.id)) continue;
      this.published.add(e.id);
      envelopes.push(e);
    }
    return envelopes;
  }

  /** Publish one mapped page; resolves once the queue holds it. */
  private async publishPage(envelopes: Envelope[], records: number): Promise<void> {
    if (envelopes.length) {
      await this.opts.runtime.queue.publish(envelopes);
      // Only what the queue confirmed: a page that failed is published again by the next run.
      this.recent?.add(envelopes.map((e) => e.id));
    }
    // Every published page renews the lease, whether the engine pages or an escape-hatch stream does.
    await this.renewLease();
    this.metrics.records += records;
    this.metrics.pages++;
    const r = this.range;
    this.opts.onProgress?.(this.metrics, r && this.position !== null && r.to > r.from ? (this.position - r.from) / (r.to - r.from) : null);
  }
}
