import { AuthError, FatalError, NotFoundError, RetriableError } from '../../core/errors.js';
import type { RateObservation } from '../../core/engine/budget.js';
import { parseRetryAfter } from '../../core/engine/retry.js';
import { fetchThroughProxy } from '../../core/http/proxy.js';
import type { FreshdeskErrorBody } from './raw.js';

/** One answer: the parsed body, the next page's path (from `Link: <...>; rel="next"`), what the account has left. */
export interface FreshdeskAnswer<T> {
  body: T;
  next: string | null;
  rate: RateObservation | null;
}

/** A non-2xx answer: status, Retry-After, the rate headers, and Freshdesk's error codes (never values). */
export class FreshdeskHttpError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
    readonly detail: string,
    readonly retryAfterMs: number | undefined,
    readonly rate: RateObservation | null,
  ) {
    super(`freshdesk: ${status} on ${path}${detail ? ` (${detail})` : ''}`);
  }
}

function rateOf(headers: Headers): RateObservation | null {
  const remaining = Number(headers.get('x-ratelimit-remaining'));
  const total = Number(headers.get('x-ratelimit-total'));
  return headers.has('x-ratelimit-remaining') && headers.has('x-ratelimit-total') && Number.isFinite(remaining) && Number.isFinite(total) ? { remaining, total } : null;
}

/** The path and query of `Link`'s rel="next" target: only those are followed, against the configured host. */
export function nextFromLink(link: string | null): string | null {
  if (!link) return null;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) {
      const u = new URL(m[1]!, 'http://base.invalid');
      return `${u.pathname}${u.search}`;
    }
  }
  return null;
}

/** Error codes and fields only: Freshdesk's messages can quote what was sent. */
function detailOf(body: unknown): string {
  const b = body as FreshdeskErrorBody | null;
  if (!b || typeof b !== 'object') return '';
  const errors = Array.isArray(b.errors) ? b.errors.map((e) => `${e.field ?? '?'}: ${e.code ?? 'invalid'}`).join(', ') : '';
  return [b.code, errors].filter(Boolean).join('; ');
}

/** Plain HTTP with Basic `apikey:X` (no SDK): the engine owns retries and the budget. */
export class FreshdeskClient {
  private readonly auth: string;

  constructor(
    readonly apiBase: string,
    apiKey: string,
    private readonly timeoutMs = 30_000,
  ) {
    this.auth = `Basic ${Buffer.from(`${apiKey}:X`).toString('base64')}`;
  }

  async get<T>(pathAndQuery: string): Promise<FreshdeskAnswer<T>> {
    // Through the outbound proxy from the environment, if one applies (core/http/proxy.ts).
    const res = await fetchThroughProxy(`${this.apiBase}${pathAndQuery}`, {
      headers: { authorization: this.auth, accept: 'application/json' },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    const rate = rateOf(res.headers);
    const path = pathAndQuery.split('?')[0]!;
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      if (res.ok) throw new FreshdeskHttpError(502, path, 'answer is not JSON', undefined, rate);
    }
    if (!res.ok) throw new FreshdeskHttpError(res.status, path, detailOf(body), parseRetryAfter(res.headers.get('retry-after')), rate);
    return { body: body as T, next: nextFromLink(res.headers.get('link')), rate };
  }
}

/** Freshdesk's errors as the engine's kinds. Messages name status, path and error codes: never the key. */
export function classifyFreshdeskError(err: unknown): Error {
  if (err instanceof FreshdeskHttpError) {
    if (err.status === 429 || err.status >= 500) return new RetriableError(err.message, err.retryAfterMs, { status: err.status });
    if (err.status === 401 || err.status === 403) return new AuthError(`${err.message}: check FRESHDESK_API_KEY and the agent's permissions`);
    if (err.status === 404) return new NotFoundError(err.message);
    return new FatalError(err.message);
  }
  if (err instanceof Error && (err.name === 'TimeoutError' || /fetch failed|ECONNRESET|ECONNREFUSED|ETIMEDOUT|socket hang up/.test(err.message))) {
    return new RetriableError(`freshdesk: network error (${err.name === 'TimeoutError' ? 'timeout' : err.message})`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** What the account has left, from an answer or an error (X-Ratelimit-Remaining / X-Ratelimit-Total). */
export function freshdeskRate(outcome: unknown): RateObservation | null {
  if (outcome instanceof FreshdeskHttpError) return outcome.rate;
  if (outcome && typeof outcome === 'object' && 'rate' in outcome) return (outcome as FreshdeskAnswer<unknown>).rate;
  return null;
}
