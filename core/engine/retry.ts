import { RetriableError } from '../errors.js';
import { waitUnless } from './budget.js';

export interface RetryPolicy {
  /** Tries a call gets while it fails (5xx, network, 409): rate limits (429) do not count here. */
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
  /** Rate-limited answers (429) one call may meet before it gives up; DEFAULT_MAX_RATE_LIMITED when not set. */
  maxRateLimited?: number;
}

/**
 * A 429 says the provider is up and asks us to come back (after its Retry-After, when it sends one): it is
 * not a failure, so it does not use up `maxAttempts`, which is for a provider that is failing. Its retries
 * are bounded by the run's time box (`giveUp`) and by this cap, so a provider that never stops answering 429
 * still ends the call: with waits of up to `maxMs` (or its Retry-After) each, minutes, not forever.
 * Until 2026-12-02 a 429 counted as one of the 5 attempts: 2 server errors and 3 rate limits failed a stream.
 */
export const DEFAULT_MAX_RATE_LIMITED = 20;

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseMs: 500, maxMs: 30_000, maxRateLimited: DEFAULT_MAX_RATE_LIMITED };

export interface RetryEvents {
  onRetry(err: RetriableError, waitMs: number, attempt: number): void;
  /** True once no one needs the answer any more (the run's deadline passed): the error is thrown, not retried. */
  giveUp?(): boolean;
}

/**
 * Exponential backoff with full jitter; a server's Retry-After is a floor, never shortened.
 * Only RetriableError is retried; anything else is thrown at once. Failures and rate limits (429) have
 * their own budgets (`maxAttempts`, `maxRateLimited`); the backoff grows with every try, whichever it was.
 * `classify` sees every error, and passes the engine's own kinds through as they are.
 */
export async function withRetries<T>(
  fn: () => Promise<T>,
  classify: (err: unknown) => Error,
  policy: RetryPolicy,
  events: RetryEvents,
): Promise<T> {
  const maxRateLimited = policy.maxRateLimited ?? DEFAULT_MAX_RATE_LIMITED;
  let failures = 0;
  let rateLimited = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (raw) {
      // Every error goes through classify, the engine's own kinds too: it counts the 429s and pauses the budget.
      const err = classify(raw);
      if (!(err instanceof RetriableError)) throw err;
      const spent = err.status === 429 ? ++rateLimited > maxRateLimited : ++failures >= policy.maxAttempts;
      if (spent || events.giveUp?.()) throw err;
      const backoff = Math.random() * Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
      const waitMs = Math.max(err.retryAfterMs ?? 0, backoff);
      events.onRetry(err, waitMs, attempt);
      // A wait cut short by giveUp() ends the call with the error it was retrying.
      if (await waitUnless(waitMs, events.giveUp)) throw err;
    }
  }
}

/** Retry-After in seconds or an HTTP date, as milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
