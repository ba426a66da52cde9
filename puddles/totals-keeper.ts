// Keeps the live totals honest: rebuilt from the lake on start, fed by landed rows, and compared with the
// SQL view on a timer. A drift is logged and kept for the dashboard; it is never corrected silently.
import { ClosedError, LakeFileError } from '../core/errors.js';
import { logOpsEvents } from '../core/ops-events.js';
import { inBackground, type OpsEvents, type QueryEngine } from '../core/ports.js';
import { RepeatedFailure, type FailureState } from '../core/repeated-failure.js';
import type { LandedRows } from './landed.js';
import { countsUntil, LiveTotals } from './live-totals.js';
import { checkDrift, driftEvent, rebuildTotals, type DriftReport } from './totals-sql.js';

export class TotalsKeeper {
  readonly totals = new LiveTotals();
  /** The rebuild's turns: interactive, as the broadcaster's screen waits for it (503 not ready until it is done). */
  readonly #query: QueryEngine;
  /** The drift checks' turns: nobody waits on them, so the dashboard's queries go first (duckdb-query-engine.ts). */
  readonly #background: QueryEngine;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<DriftReport | undefined> = Promise.resolve(undefined);
  #last: DriftReport | undefined;
  #lastConclusive: DriftReport | undefined;
  #ready = false;
  #stopped = false;
  /** A rebuild that failed stays failed until one succeeds, however long the retries take. */
  readonly #rebuildFailing = new RepeatedFailure({ everyMs: 600_000, staleMs: Infinity });
  /**
   * Drift checks that fail (a damaged lake file the view reads): until 2026-12-06 only a log line said so, while the
   * dashboard showed the last good check's "agrees", and the damage showed at the next restart, as a TV with no
   * total (a user test). Failing until one succeeds.
   */
  readonly #driftFailing = new RepeatedFailure({ everyMs: 600_000, staleMs: Infinity });
  /** A failing check's LakeFileError message (it names the file and what to do, never a record), else null. */
  #driftFailingMessage: string | null = null;
  #retry: NodeJS.Timeout | undefined;
  /** The latest rebuild's error while the rebuild fails, for the 503 (a LakeFileError names the file). */
  #rebuildError: unknown;
  #attempt: Promise<void> = Promise.resolve();
  #midnight: NodeJS.Timeout | undefined;

  readonly #events: OpsEvents;
  readonly #pageRows: number | undefined;
  /** Aborted by stop: the rebuild's statement running is interrupted and none follows (rebuildTotals' signal). */
  #abort = new AbortController();

  constructor(query: QueryEngine, events: OpsEvents = logOpsEvents, opts: { pageRows?: number } = {}) {
    // Until the rebuild is done /v1/totals answers 503 and the TV shows no total: someone waits for it, so its pages
    // take interactive turns (first come, first served with the dashboard's first answers). Until 2026-12-03 (later
    // that day) it took background turns, and a loaded hub over a million donations still had no total after
    // 6 minutes while dashboard panels went first. A drift check is waited for by nobody.
    this.#query = query;
    this.#background = inBackground(query);
    this.#events = events;
    this.#pageRows = opts.pageRows;
  }

  /** The listener consumers call with what they landed. */
  readonly onLanded = (landed: LandedRows): void => this.totals.apply(landed);

  /** Load the lake's current donations; rows landed meanwhile are kept (applying is order-free). */
  async rebuild(): Promise<number> {
    const n = await rebuildTotals(this.totals, this.#query, { pageRows: this.#pageRows, signal: this.#abort.signal });
    this.#ready = true;
    return n;
  }

  /**
   * Rebuild, then check for drift every `driftCheckMs`; while the rebuild fails (a lake file missing or damaged,
   * a disk error), try again every `retryMs`: `puddle replay` can re-derive a damaged file beside the running hub,
   * and the totals then come back without a restart. Resolves after the first attempt, whatever its outcome.
   */
  start(driftCheckMs: number, retryMs = 30_000): Promise<void> {
    const attempt = async (): Promise<void> => {
      try {
        await this.rebuild();
        this.#rebuildError = undefined;
        // At warn, as its failure is: an operator at PUDDLE_LOG_LEVEL=warn saw it fail and must see it end.
        this.#rebuildFailing.succeeded('live totals rebuilt from the lake after failing', 'warn');
        if (!this.#stopped) this.startDriftChecks(driftCheckMs);
      } catch (err) {
        // Left unfinished by stop: not a failure, and nothing to retry.
        if (this.#stopped && err === this.#abort.signal.reason) return;
        this.#rebuildError = err;
        this.#rebuildFailing.fail(`live totals could not be rebuilt from the lake; /v1/totals answers 503; trying again every ${retryMs / 1000} s`, err);
        if (this.#stopped) return;
        this.#retry = setTimeout(() => (this.#attempt = attempt()), retryMs);
        this.#retry.unref();
      }
    };
    if (this.#abort.signal.aborted) this.#abort = new AbortController();
    this.#atMidnight();
    return (this.#attempt = attempt());
  }

  /**
   * At each UTC midnight, donations dated that day (held until then: LiveTotals.release) join the totals, and
   * as_of moves to the day's start: the listeners hear of it then, so open streams push the new total at once
   * rather than with the next donation to land.
   */
  #atMidnight(): void {
    if (this.#stopped) return;
    const now = Date.now();
    this.#midnight = setTimeout(() => {
      this.totals.release(Date.now());
      this.#atMidnight();
    }, countsUntil(now) - now + 1);
    this.#midnight.unref();
  }

  /** The rebuild's failure while it fails (the live totals are then not ready, and retried), else null. */
  rebuildFailing(): FailureState | null {
    return this.#rebuildFailing.current();
  }

  /** The error that stopped the latest rebuild, while the rebuild fails; undefined otherwise. */
  get rebuildError(): unknown {
    return this.#ready ? undefined : this.#rebuildError;
  }

  get ready(): boolean {
    return this.#ready;
  }

  /**
   * Check against SQL every `everyMs`, or less often when a check takes long: the view de-duplicates the whole
   * donation history, and a check holds the query engine, so the pause is at least four times the last
   * check's time (a 20 s check on a huge lake leaves the engine free 80 % of the time).
   */
  startDriftChecks(everyMs: number): void {
    this.#stopped = false;
    const next = (delay: number) => {
      if (this.#stopped) return;
      this.#timer = setTimeout(async () => {
        const started = Date.now();
        await this.checkDrift();
        next(Math.max(everyMs, 4 * (Date.now() - started)));
      }, delay);
      this.#timer.unref();
    };
    next(everyMs);
  }

  /** One check now (checks never overlap). */
  checkDrift(): Promise<DriftReport | undefined> {
    this.#checking = this.#checking.then(async () => {
      try {
        const r = await checkDrift(this.totals, this.#background, new Date(), this.#abort.signal);
        this.#driftFailing.succeeded('totals drift check works again', 'warn');
        this.#driftFailingMessage = null;
        this.#last = r;
        if (!r.inconclusive) this.#lastConclusive = r;
        if (!r.ok) {
          await this.#events.emit([driftEvent(r)]);
        }
        return r;
      } catch (err) {
        // Interrupted by stop: not a failure (until 2026-12-03 stop waited for it: 14.7 s at 10,000,000 donations).
        if (this.#stopped && this.#abort.signal.aborted) return undefined;
        this.#driftFailing.fail('totals drift check failed; will try again', err, {}, 'warn');
        this.#driftFailingMessage = err instanceof LakeFileError ? err.message : null;
        return undefined;
      }
    });
    return this.#checking;
  }

  /** While drift checks fail: since when, how often, and a damaged file's message (what to do); else null. */
  driftFailing(): (FailureState & { message: string | null }) | null {
    const failing = this.#driftFailing.current();
    return failing && { ...failing, message: this.#driftFailingMessage };
  }

  /** The last check that could compare (an inconclusive one is reported beside it). */
  drift(): { last: DriftReport | undefined; lastConclusive: DriftReport | undefined } {
    return { last: this.#last, lastConclusive: this.#lastConclusive };
  }

  /**
   * Stop: a rebuild running ends at once, its statement interrupted (DuckDB; where the engine cannot, after it),
   * not after the pages left. Until 2026-12-03 stop waited for the whole rebuild: Ctrl-C on a hub rebuilding
   * over 10,000,000 donations took 105 s.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort(new ClosedError('the hub is stopping: the live totals were not rebuilt'));
    clearTimeout(this.#retry);
    clearTimeout(this.#midnight);
    await this.#attempt;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#checking;
  }
}
