import { setTimeout as sleep } from 'node:timers/promises';
import PQueue from 'p-queue';
import { RetriableError } from '../errors.js';

/** A provider allowance counted over a window (Freshdesk: credits per minute, per account or per endpoint). */
export interface WindowLimit {
  /** Credits (or calls, for an endpoint) the provider allows per window. */
  limit: number;
  /** The window's length: 60,000 for a minute (a benchmark may shrink it, with the sandbox's, to run faster). */
  windowMs: number;
}

export interface BudgetOptions {
  /** Evenly spaced requests per second; 0 for no per-second spacing. */
  requestsPerSecond: number;
  concurrency?: number;
  /** The whole connector's credits per window; a call costs `CallCost.cost` of them. */
  perWindow?: WindowLimit;
  /** Calls per window for named endpoints (Freshdesk's ticket-list cap); a call names its endpoint. */
  endpoints?: Readonly<Record<string, WindowLimit>>;
  /**
   * Below this share of the allowance the provider reports left (an `X-Ratelimit-Remaining`-style header,
   * through `observe`), calls are spread over a whole window: someone else is using the account too.
   * Default 0.2.
   */
  lowWater?: number;
}

/** What one call takes from the budget: credits from the connector's window, one call from its endpoint's. */
export interface CallCost {
  /** Credits (default 1): Freshdesk charges a tickets page with `include=` more than one. */
  cost?: number;
  /** The endpoint bucket it counts against, if the budget has one by that name. */
  endpoint?: string;
}

/** What a provider said is left of its allowance, after a call. */
export interface RateObservation {
  remaining: number;
  total: number;
  /**
   * When the provider's window starts over, as epoch ms, where it says (GoCardless's `RateLimit-Reset`, an
   * `X-RateLimit-Reset`): a low allowance is spread up to then, not over a guessed window, and is over once it passes.
   */
  resetsAt?: number;
}

/** One evenly spaced allowance: the next call may start `gap x cost` after the last one started. */
class Spacing {
  nextAt = -Infinity;
  constructor(readonly gapMs: number) {}
}

/**
 * A connector's request budget: at most `requestsPerSecond`, evenly spaced (a provider's limiter
 * counts per second, and bursts at the top of each second are what earn 429s), at most `concurrency`
 * in flight (p-queue), and, when the provider counts per minute, its credits per window and each
 * endpoint's calls per window, also evenly spaced: a backfill paces itself under every limit it knows
 * and meets a 429 only when something else shares the account. Spacing rather than bursting the whole
 * allowance at the top of a window is safe against fixed windows, sliding windows and token buckets alike.
 * A 429's Retry-After pauses the whole budget, not one caller; a low remaining allowance reported by the
 * provider slows every call.
 *
 * Spacing is measured between actual starts, through one gate, rather than by p-queue's interval
 * counter: when the event loop is busy (parsing a large page), a late tick let p-queue start more
 * requests in a second than the rate allows. Calls start in the order they were asked for, so a call
 * waiting for its endpoint's bucket holds the ones behind it (a stream's pages are sequential anyway).
 */
export class RequestBudget {
  private readonly queue: PQueue;
  private readonly perSecond: Spacing;
  private readonly account: Spacing | null;
  private readonly endpoints = new Map<string, Spacing>();
  private readonly lowWater: number;
  private resumeAt = 0;
  private reported: RateObservation | null = null;
  private gate: Promise<void> = Promise.resolve();

  constructor(readonly opts: BudgetOptions) {
    this.queue = new PQueue({ concurrency: opts.concurrency ?? 4 });
    this.perSecond = new Spacing(opts.requestsPerSecond > 0 ? 1000 / opts.requestsPerSecond : 0);
    this.account = opts.perWindow ? new Spacing(spacingOf(opts.perWindow, 'perWindow')) : null;
    for (const [name, limit] of Object.entries(opts.endpoints ?? {})) this.endpoints.set(name, new Spacing(spacingOf(limit, `endpoints.${name}`)));
    this.lowWater = opts.lowWater ?? 0.2;
  }

  /**
   * Runs `fn` when the budget allows. `giveUp`, asked while the call waits its turn, ends the wait once
   * true: the call is not made and rejects with GaveUpWaiting (the run it was for has stopped). That holds
   * for both waits: for a slot among the `concurrency` in flight, and for the spacing. Until 2026-12-05 only the
   * second: behind a slow provider's calls of other callers (the webhooks' re-reads, which stop after the
   * syncs), a stopped sync's call waited for a slot, and the hub's Ctrl-C 2 to 30 s (user test).
   */
  run<T>(fn: () => Promise<T>, cost: CallCost = {}, giveUp?: () => boolean): Promise<T> {
    let slot: 'waiting' | 'taken' | 'given up' = 'waiting';
    const queued = this.queue.add(async () => {
      if (slot === 'given up') throw new GaveUpWaiting();
      slot = 'taken';
      if (!(await this.turn(cost, giveUp))) throw new GaveUpWaiting();
      return fn();
    }) as Promise<T>;
    if (!giveUp) return queued;
    // Once it has its slot, the turn above asks giveUp; given up before, its slot, when it comes, is handed on
    // at once (the queued task throws, no call made).
    const givenUp = () => {
      if (slot !== 'waiting' || !giveUp()) return false;
      slot = 'given up';
      return true;
    };
    return unlessGivenUp(queued, givenUp, () => new GaveUpWaiting());
  }

  /**
   * Resolves when this caller may start (true: after every bucket's spacing, and after any pause), or when
   * giveUp() turns true first (false: the call takes no spacing, and the callers behind it go on).
   */
  private async turn(cost: CallCost, giveUp?: () => boolean): Promise<boolean> {
    const credits = cost.cost ?? 1;
    if (!(credits >= 0) || !Number.isFinite(credits)) throw new RangeError(`call cost must be a non-negative number, got ${credits}`);
    const endpoint = cost.endpoint === undefined ? undefined : this.endpoints.get(cost.endpoint);
    let started = false;
    const mine = this.gate.then(async () => {
      for (;;) {
        const due = Math.max(
          this.perSecond.nextAt,
          this.account?.nextAt ?? -Infinity,
          endpoint?.nextAt ?? -Infinity,
          this.resumeAt,
        );
        const wait = due - Date.now();
        if (wait <= 0) break;
        if (await waitUnless(wait, giveUp)) return;
      }
      started = true;
      const now = Date.now();
      this.perSecond.nextAt = now + this.perSecond.gapMs;
      if (this.account) this.account.nextAt = now + this.account.gapMs * credits + this.slowdownMs(credits);
      else if (this.reported) this.perSecond.nextAt = Math.max(this.perSecond.nextAt, now + this.slowdownMs(credits));
      if (endpoint) endpoint.nextAt = now + endpoint.gapMs;
    });
    this.gate = mine;
    await mine;
    return started;
  }

  /**
   * Extra spacing when the provider says little is left: what remains is spread over a whole window, so
   * the calls of the next window can never take more than it (other integrations may be spending it).
   */
  private slowdownMs(credits: number): number {
    const r = this.reported;
    if (!r || r.total <= 0 || r.remaining >= r.total * this.lowWater) return 0;
    // The provider said when its window starts over: what remains is spread up to then, and once it has passed,
    // the allowance is whole again. Until 2026-12-02 a window of a minute was assumed whatever the provider said,
    // so `RateLimit-Remaining: 0` with a reset a second away held the next call a minute.
    if (r.resetsAt !== undefined) {
      const leftMs = r.resetsAt - Date.now();
      return leftMs <= 0 ? 0 : (leftMs * Math.max(credits, 1)) / Math.max(r.remaining, 1);
    }
    const windowMs = this.opts.perWindow?.windowMs ?? 60_000;
    return (windowMs * Math.max(credits, 1)) / Math.max(r.remaining, 1);
  }

  /** What the provider reported is left of its allowance (e.g. `X-Ratelimit-Remaining` / `-Total`). */
  observe(o: RateObservation): void {
    if (!(Number.isFinite(o.remaining) && Number.isFinite(o.total) && o.remaining >= 0 && o.total > 0)) return;
    this.reported = { remaining: o.remaining, total: o.total, ...(o.resetsAt !== undefined && Number.isFinite(o.resetsAt) ? { resetsAt: o.resetsAt } : {}) };
  }

  /** What the provider last said is left of its allowance (null: it said nothing), for status and tests. */
  get allowance(): RateObservation | null {
    return this.reported ? { ...this.reported } : null;
  }

  /** Hold every request until `ms` from now. */
  pauseFor(ms: number): void {
    this.resumeAt = Math.max(this.resumeAt, Date.now() + ms);
  }
}

function spacingOf(l: WindowLimit, where: string): number {
  if (!(l.limit > 0) || !(l.windowMs > 0)) throw new RangeError(`budget ${where}: limit and windowMs must be positive`);
  return l.windowMs / l.limit;
}

/** How often a wait asks whether to give up: a stopping hub ends its syncs' waits within this. */
const GIVE_UP_CHECK_MS = 200;

/** Waits `ms`, or less once `giveUp()` turns true (asked every 200 ms); true when it gave up. */
export async function waitUnless(ms: number, giveUp?: () => boolean): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (giveUp?.()) return true;
    const left = until - Date.now();
    if (left <= 0) return false;
    await sleep(giveUp ? Math.min(left, GIVE_UP_CHECK_MS) : left);
  }
}

/**
 * `work`'s outcome, or GaveUpWaiting once `giveUp()` turns true first (asked every 200 ms). The work itself
 * goes on (an SDK call cannot be cancelled from outside); its outcome, when it comes, is dropped.
 */
export function unlessGivenUp<T>(
  work: Promise<T>,
  giveUp?: () => boolean,
  gaveUp = (): Error => new GaveUpWaiting('stopped waiting for a provider call still in flight: its run is over (its time box ended, or the hub or sync is stopping)'),
): Promise<T> {
  if (!giveUp) return work;
  return new Promise<T>((resolve, reject) => {
    const check = setInterval(() => {
      if (!giveUp()) return;
      clearInterval(check);
      reject(gaveUp());
    }, GIVE_UP_CHECK_MS);
    work.then(
      (value) => {
        clearInterval(check);
        resolve(value);
      },
      (err: unknown) => {
        clearInterval(check);
        reject(err);
      },
    );
  });
}

/** A call that stopped waiting (for its turn in the budget, or for its answer): the run it was for is over (its deadline passed). */
export class GaveUpWaiting extends RetriableError {
  constructor(message = "stopped waiting for the provider's budget: its run is over (its time box ended, or the hub or sync is stopping)") {
    super(message);
  }
}
