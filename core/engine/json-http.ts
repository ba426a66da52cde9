import { AuthError, FatalError, NotFoundError, RetriableError } from '../errors.js';
import { fetchThroughProxy } from '../http/proxy.js';
import type { ErrorClassifier } from './define.js';
import type { RateObservation } from './budget.js';
import { parseRetryAfter } from './retry.js';

/**
 * The engine's HTTP for a connector with no SDK (Freshdesk, test/adding-a-connector.test.ts): one GET of a JSON
 * answer, and the classifier turning what went wrong into the engine's error kinds; under it `getText`, for a
 * call of a connector's own that is not JSON (Salesforce's Bulk CSV pages). A connector gives what is
 * its provider's own (its auth header, how it says what is left of its allowance, which fields of its error
 * body are safe to name); retries, pacing and Retry-After pauses stay with `ctx.call`.
 */
export interface JsonGetOptions {
  /** Names the provider in every error: `freshdesk: 429 on /api/v2/tickets`. */
  provider: string;
  /** Auth and any other headers; `accept: application/json` is sent unless given. */
  headers: Record<string, string>;
  /** Covers the whole call, body included: a provider that stalls mid-body fails it as a network error. */
  timeoutMs: number;
  /** What the allowance has left, from an answer's headers (answers and errors alike). */
  rateOf?: (headers: Headers) => RateObservation | null;
  /**
   * What of an error body the message may name: codes and field names, never values (a provider's messages can
   * quote what was sent). Unset: nothing of the body is named.
   */
  detailOf?: (body: unknown) => string;
  /** When to come back, in seconds or as an HTTP date; default the `Retry-After` header. */
  retryAfter?: (headers: Headers) => string | null;
}

/** One answer: the parsed body (null for an empty one), its headers, what the allowance has left. */
export interface JsonAnswer<T> {
  body: T;
  headers: Headers;
  rate: RateObservation | null;
}

/** An answer that is not a 2xx (or a 2xx that is not JSON, as 502): status, path, safe detail, Retry-After, rate. */
export class HttpStatusError extends Error {
  constructor(
    readonly provider: string,
    readonly status: number,
    readonly path: string,
    readonly detail: string,
    readonly retryAfterMs: number | undefined,
    readonly rate: RateObservation | null,
  ) {
    // The path without its query: a query can carry an email or a token.
    super(`${provider}: ${status} on ${path}${detail ? ` (${detail})` : ''}`);
    this.name = 'HttpStatusError';
  }
}

/** A whole answer as text: for a provider answering something other than JSON (Salesforce's Bulk CSV pages). */
export interface TextAnswer {
  status: number;
  ok: boolean;
  headers: Headers;
  text: string;
}

/**
 * GET `url` through the outbound proxy (core/http/proxy.ts), its body read whole within `timeoutMs`: a provider
 * that stalls mid-body fails the call with a TimeoutError, as one that never answers does.
 */
export async function getText(url: string, opts: { headers: Record<string, string>; timeoutMs: number }): Promise<TextAnswer> {
  const res = await fetchThroughProxy(url, { headers: opts.headers, signal: AbortSignal.timeout(opts.timeoutMs) });
  return { status: res.status, ok: res.ok, headers: res.headers, text: await res.text() };
}

/** GET `apiBase` + `pathAndQuery` as JSON (getText's proxy and timeout), and any status but 2xx as HttpStatusError. */
export async function getJson<T>(apiBase: string, pathAndQuery: string, opts: JsonGetOptions): Promise<JsonAnswer<T>> {
  const accepts = Object.keys(opts.headers).some((name) => name.toLowerCase() === 'accept');
  const headers = accepts ? opts.headers : { accept: 'application/json', ...opts.headers };
  const res = await getText(`${apiBase}${pathAndQuery}`, { headers, timeoutMs: opts.timeoutMs });
  const text = res.text;
  const rate = opts.rateOf?.(res.headers) ?? null;
  const path = pathAndQuery.split('?')[0]!;
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // JSON.parse's message quotes the text, which can hold anything (a proxy's page, a person's details).
    // A 2xx that is not JSON is a gateway's doing, worth a retry; an error's HTML page leaves the body null.
    if (res.ok) throw new HttpStatusError(opts.provider, 502, path, 'answer is not JSON', undefined, rate);
  }
  if (!res.ok) {
    const retryAfter = opts.retryAfter ? opts.retryAfter(res.headers) : res.headers.get('retry-after');
    throw new HttpStatusError(opts.provider, res.status, path, opts.detailOf?.(body) ?? '', parseRetryAfter(retryAfter), rate);
  }
  return { body: body as T, headers: res.headers, rate };
}

/** A network failure or a timeout, by its name or message (fetch's, or node:http's through a proxy). */
const NETWORK = /fetch failed|ECONNRESET|ECONNREFUSED|ETIMEDOUT|socket hang up/;

/**
 * getJson's errors as the engine's kinds: 429 and 5xx retriable (with Retry-After and the status), 401/403
 * `AuthError` ending with `authHint` (the settings to check, by name: never a value), 404 `NotFoundError`,
 * any other status fatal; a timeout or a network failure retriable. Anything else passes on as it came.
 */
export function httpErrorClassifier(opts: { provider: string; authHint: string }): ErrorClassifier {
  return (err) => {
    if (err instanceof HttpStatusError) {
      if (err.status === 429 || err.status >= 500) return new RetriableError(err.message, err.retryAfterMs, { status: err.status });
      if (err.status === 401 || err.status === 403) return new AuthError(`${err.message}: ${opts.authHint}`);
      if (err.status === 404) return new NotFoundError(err.message);
      return new FatalError(err.message);
    }
    if (err instanceof Error && (err.name === 'TimeoutError' || NETWORK.test(err.message))) {
      return new RetriableError(`${opts.provider}: network error (${err.name === 'TimeoutError' ? 'timeout' : err.message})`);
    }
    return err instanceof Error ? err : new Error(String(err));
  };
}

/** What the allowance has left, from a getJson answer (or anything carrying `rate`) or its error. */
export function httpRate(outcome: unknown): RateObservation | null {
  if (outcome instanceof HttpStatusError) return outcome.rate;
  if (outcome && typeof outcome === 'object' && 'rate' in outcome) return (outcome as { rate: RateObservation | null }).rate;
  return null;
}
