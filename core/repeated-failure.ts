// A failure that repeats on every attempt (a full disk fails every commit and every landing): one log line when
// it starts, then at most one every `everyMs` saying how many there were, and one when it stops; and its state,
// for the health reports. A line per attempt filled the log with the same words (159 in 40 s on a full disk)
// while /healthz said nothing.
import { RetriableError } from './errors.js';
import { log } from './log.js';

/** What the failure is, in words safe to show anywhere (an error's own message may name paths or data). */
export type FailureReason = 'disk_full' | 'not_writable' | 'home_gone' | 'failed';

/** The code of the error a hub's queue refuses with once its home was removed or replaced (infra/local/home-watch.ts). */
export const HOME_GONE = 'PUDDLE_HOME_GONE';

export interface FailureState {
  /** When this run of failures began (ISO time). */
  since: string;
  /** The latest failure. */
  last_at: string;
  failures: number;
  reason: FailureReason;
  /** What an operator does about it, when the reason says (RepeatedFailureOptions.fix): on its log lines, /healthz and the dashboard. */
  fix?: string;
}

/**
 * What to do when `what` (in PUDDLE_HOME) cannot be written, by reason; nothing for a reason that names no cause.
 * The one text for it: the log's `fix`, /healthz and the dashboard's queue card all carry this (until 2026-12-03
 * the dashboard had its own words for it).
 */
export function writeFix(what: string): (reason: FailureReason) => string | undefined {
  return (reason) =>
    reason === 'disk_full' ? `free space on the disk of PUDDLE_HOME (${what})`
      : reason === 'not_writable' ? `make ${what} in PUDDLE_HOME writable again (a read-only disk, or permissions)`
        : reason === 'home_gone' ? `restart the hub on its home: PUDDLE_HOME (${what}) was removed or replaced while it ran`
          : undefined;
}

/** The reason of an error or of any error in its `cause` chain (SQLite's, the file system's). */
export function failureReason(err: unknown): FailureReason {
  let e = err;
  for (let depth = 0; e !== null && e !== undefined && depth < 5; depth++) {
    const text = `${String((e as { code?: unknown }).code ?? '')} ${e instanceof Error ? e.message : String(e)}`;
    if ((e as { code?: unknown }).code === HOME_GONE) return 'home_gone';
    if (/ENOSPC|SQLITE_FULL|disk is full|no space left/i.test(text)) return 'disk_full';
    if (/EROFS|EACCES|EPERM|SQLITE_READONLY|SQLITE_CANTOPEN|read-only|readonly|permission denied/i.test(text)) return 'not_writable';
    e = (e as { cause?: unknown }).cause;
  }
  return 'failed';
}

/**
 * Whether a failure belongs to where things are written (the disk full or read-only, the object store or
 * catalog not answering) rather than to the work in hand: the same work will succeed once that is fixed, so
 * retrying it must not count against it. Named by code as failureReason does (disk_full, not_writable), or a
 * RetriableError anywhere in the `cause` chain (DESIGN.md rule 8: network, 5xx, throttling).
 */
export function isEnvironmentFailure(err: unknown): boolean {
  if (failureReason(err) !== 'failed') return true;
  let e = err;
  for (let depth = 0; e !== null && e !== undefined && depth < 5; depth++) {
    if (e instanceof RetriableError) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export interface RepeatedFailureOptions {
  /** Fields every line carries (which puddle...). */
  fields?: Record<string, unknown>;
  /** At most one line per this many ms while it goes on (default 10 s). */
  everyMs?: number;
  /**
   * A failure this long after the last one starts a new run, and a state this old is no longer reported
   * (default 60 s): nothing has failed for a minute, either because it works again or because nothing tried.
   */
  staleMs?: number;
  now?: () => number;
  /**
   * What a line says of the error (default: the error, which the log writes as its name and message). A
   * consumer's errors can quote the record it was landing, so it gives errorReason (core/error-reason.ts).
   */
  describe?: (err: unknown) => unknown;
  /** What an operator does about a failure of this reason (writeFix): the state's and the first line's `fix`. */
  fix?: (reason: FailureReason) => string | undefined;
}

export class RepeatedFailure {
  readonly #opts: Required<Omit<RepeatedFailureOptions, 'fields' | 'fix'>> & Pick<RepeatedFailureOptions, 'fix'> & { fields: Record<string, unknown> };
  #state: FailureState | null = null;
  #lastAt = 0;
  #loggedAt = 0;
  /** Failures since the last line. */
  #unlogged = 0;

  constructor(opts: RepeatedFailureOptions = {}) {
    this.#opts = {
      fields: opts.fields ?? {},
      everyMs: opts.everyMs ?? 10_000,
      staleMs: opts.staleMs ?? 60_000,
      now: opts.now ?? Date.now,
      describe: opts.describe ?? ((err) => err),
      fix: opts.fix,
    };
  }

  /** The failure going on, or null (none, or none for `staleMs`). */
  current(): FailureState | null {
    if (!this.#state || this.#opts.now() - this.#lastAt > this.#opts.staleMs) return null;
    return { ...this.#state };
  }

  /** One more failure: logged at `level` when it is the first of a run, else at most every `everyMs`. */
  fail(message: string, err: unknown, fields?: Record<string, unknown>, level: 'warn' | 'error' = 'error'): void {
    const now = this.#opts.now();
    const at = new Date(now).toISOString();
    const reason = failureReason(err);
    const fix = this.#opts.fix?.(reason);
    if (!this.current()) {
      this.#state = { since: at, last_at: at, failures: 1, reason, ...(fix ? { fix } : {}) };
      this.#lastAt = this.#loggedAt = now;
      this.#unlogged = 0;
      log[level](message, { ...this.#opts.fields, ...fields, error: this.#opts.describe(err), ...(fix ? { fix } : {}) });
      return;
    }
    const s = this.#state!;
    Object.assign(s, { last_at: at, failures: s.failures + 1, reason });
    if (fix) s.fix = fix;
    else delete s.fix;
    this.#lastAt = now;
    this.#unlogged++;
    if (now - this.#loggedAt < this.#opts.everyMs) return;
    log[level](`${message} (still failing)`, { ...this.#opts.fields, ...fields, error: this.#opts.describe(err), failures: s.failures, since: s.since, not_logged: this.#unlogged - 1 });
    this.#loggedAt = now;
    this.#unlogged = 0;
  }

  /**
   * It worked: if it was failing, one line says so, with how many failures there were; at `level`, which a
   * failure whose lines an operator watches at warn gives as 'warn', so that filter shows both its ends.
   */
  succeeded(message: string, level: 'info' | 'warn' = 'info'): void {
    if (!this.#state) return;
    const s = this.#state;
    this.#state = null;
    log[level](message, { ...this.#opts.fields, failures: s.failures, since: s.since });
  }
}
