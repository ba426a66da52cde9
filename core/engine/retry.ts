import { FatalError, RetriableError } from '../errors.js';
import { waitUnless } from './budget.js';

export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseMs: 500, maxMs: 30_000 };

export interface RetryEvents {
  onRetry(err: RetriableError, waitMs: number, attempt: number): void;
  /** True once no one needs the answer any more (the run's deadline passed): the error is thrown, not retried. */
  giveUp?(): boolean;
}

/**
 * Exponential backoff with full jitter; a server's Retry-After is a floor, never shortened.
 * Only RetriableError is retried; anything else is thrown at once.
 */
export async function withRetries<T>(
  fn: () => Promise<T>,
  classify: (err: unknown) => Error,
  policy: RetryPolicy,
  events: RetryEvents,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (raw) {
      const err = raw instanceof RetriableError || raw instanceof FatalError ? raw : classify(raw);
      if (!(err instanceof RetriableError) || attempt >= policy.maxAttempts || events.giveUp?.()) throw err;
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
