import Stripe from 'stripe';
import { AuthError, CursorGoneError, FatalError, NotFoundError, RetriableError } from '../../core/errors.js';
import { parseRetryAfter } from '../../core/engine/retry.js';
import { proxyAgent } from '../../core/http/proxy.js';
import type { StripeConfig } from './config.js';

/**
 * The official SDK with its own retries off: it never reads Retry-After and retries 429 only on
 * `Stripe-Should-Retry: true`, so the engine owns retries and the request budget instead.
 */
export function createStripeClient(config: Pick<StripeConfig, 'apiKey' | 'apiBase'>): Stripe {
  const base = new URL(config.apiBase);
  return new Stripe(config.apiKey, {
    host: base.hostname,
    port: base.port || (base.protocol === 'https:' ? 443 : 80),
    protocol: base.protocol === 'https:' ? 'https' : 'http',
    maxNetworkRetries: 0,
    timeout: 30_000,
    telemetry: false,
    // The outbound proxy from the environment, if one applies (core/http/proxy.ts).
    httpClient: objectsOnly(Stripe.createNodeHttpClient(proxyAgent(config.apiBase))),
  });
}

/**
 * An answer that is not a JSON object: never Stripe's (every answer of its API, errors included, is one), but a
 * proxy's or a load balancer's page, or one cut short. Its status, the path without its query and the headers
 * (a Retry-After) are kept; the body never is.
 */
export class StripeAnswerNotJson extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
    readonly headers: Record<string, unknown>,
    detail: string,
  ) {
    super(`stripe: ${status} on ${path} (${detail})`);
  }
}

/**
 * Stripe's API answers JSON, errors included: a page that is not (a proxy's, a captive portal's, a URL that is
 * not the API) names what to check. The status is the one that came, 200 for such a page (the example in docs/connectors.md
 * is a proxy's 502); until 2026-12-05 the line named nothing to check (user test).
 */
const ELSEWHERE = "something other than Stripe's API may be answering; check STRIPE_API_BASE and any proxy between";

/**
 * The SDK's HTTP client, with each answer's body checked to be a JSON object. The SDK reports a body that is not
 * JSON as "Invalid JSON received" with no status, which read as `no response (connection failed)`: a proxy's
 * 502 page named a network failure. A JSON `null` threw a bare TypeError inside the SDK, not retried. The SDK
 * keeps what `toJSON` threw as its error's `raw.exception`, where `classifyStripeError` finds this one.
 */
function objectsOnly(inner: Stripe.HttpClient): Stripe.HttpClient {
  return {
    getClientName: () => inner.getClientName(),
    makeRequest: async (host, port, path, method, headers, requestData, protocol, timeout) => {
      const res = await inner.makeRequest(host, port, path, method, headers, requestData, protocol, timeout);
      const toJSON = res.toJSON.bind(res);
      const notJson = (detail: string) => new StripeAnswerNotJson(res.getStatusCode(), path.split('?')[0]!, res.getHeaders(), detail);
      res.toJSON = async () => {
        const body: unknown = await toJSON().catch((err: unknown) => {
          // A body cut off or timed out is the SDK's connection error, as before; only a whole body is judged here.
          throw err instanceof SyntaxError ? notJson(`answer is not JSON: ${ELSEWHERE}`) : err;
        });
        if (body === null || typeof body !== 'object' || Array.isArray(body)) throw notJson(`answer is not a JSON object: ${ELSEWHERE}`);
        return body;
      };
      return res;
    },
  } as Stripe.HttpClient;
}

/**
 * A connection error in the words of what failed: the SDK's timeout (`no answer within 30 s`), or the socket's
 * error (`connect ECONNREFUSED 127.0.0.1:443`, `getaddrinfo ENOTFOUND api.stripe.example`), a URL's user and
 * password taken out should one carry them (a proxy's), and never longer than a line.
 */
function connectionFailure(err: InstanceType<typeof Stripe.errors.StripeError>): string {
  const timedOut = /^Request aborted due to timeout being reached \((\d+)ms\)/.exec(err.message);
  if (timedOut) return `stripe: no answer within ${Number(timedOut[1]) / 1000} s (the request timeout)`;
  const detail = err.detail as { message?: unknown; code?: unknown } | string | undefined;
  const cause = typeof detail === 'object' && detail !== null ? (typeof detail.message === 'string' && detail.message) || (typeof detail.code === 'string' && detail.code) || '' : '';
  const said = cause.replace(/\/\/[^/@\s]*@/g, '//').replace(/\s+/g, ' ').slice(0, 200);
  return `stripe: network error (${said || 'connection failed'})`;
}

/** Stripe's errors as the engine's kinds. Messages name status and code only: never the key. */
export function classifyStripeError(err: unknown): Error {
  if (err instanceof Stripe.errors.StripeError) {
    const answer = (err.raw as { exception?: unknown } | undefined)?.exception;
    if (answer instanceof StripeAnswerNotJson) {
      // Not Stripe's answer: a page in the way. Retried (a proxy's hiccup passes), a 429's Retry-After honoured.
      const retryAfter = answer.status === 429 ? parseRetryAfter(answer.headers['retry-after'] as string | undefined) : undefined;
      return new RetriableError(answer.message, retryAfter, answer.status >= 400 ? { status: answer.status } : {});
    }
    const status = err.statusCode;
    const headers = (err.headers ?? {}) as Record<string, string | undefined>;
    const what = `stripe: ${status ?? 'no response'} ${err.code ?? err.type}`;
    if (err instanceof Stripe.errors.StripeConnectionError || status === undefined) {
      // Say what failed: until 2026-12-03 every such error read `no response StripeConnectionError (connection
      // failed)`, whether the name did not resolve, the port refused, TLS failed or the answer was late.
      return new RetriableError(connectionFailure(err), undefined, { cause: err });
    }
    // Stripe tells us outright when a retry cannot help, whatever the status.
    if (headers['stripe-should-retry'] === 'false') return new FatalError(`${what} (Stripe-Should-Retry: false)`);
    if (status === 429 || status === 409 || status >= 500 || headers['stripe-should-retry'] === 'true') {
      return new RetriableError(what, parseRetryAfter(headers['retry-after']), { status });
    }
    if (status === 401 || status === 403) return new AuthError(`${what}: check STRIPE_API_KEY and its permissions`);
    // The object a list's `starting_after` names was deleted since its page was read (e.g. a customer
    // erased): the engine reads the window again from its start. Only the cursor parameter: any other
    // missing object (a bad filter id) stays fatal. No id in the message: it may name an erased person.
    if (status === 400 && err.code === 'resource_missing' && err.param === 'starting_after') {
      return new CursorGoneError(`${what}: the list cursor (starting_after) no longer exists`);
    }
    // The message names the object's id, never more (`No such charge: 'ch_...'`).
    if (status === 404 && err.code === 'resource_missing') return new NotFoundError(`${what}: ${err.message}`);
    return new FatalError(`${what}: ${err.message}`);
  }
  if (err instanceof Error && /ECONNRESET|ECONNREFUSED|ETIMEDOUT|socket hang up|fetch failed/.test(err.message)) {
    return new RetriableError(`stripe: network error (${err.message})`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * A list's answer must be a page: an object with a `data` array of objects and a `has_more` flag. Anything else
 * (an error body sent with 200, a proxy's own JSON) is retried like a 5xx and, if it stays, fails the run saying
 * what was missing, never the answer's values; until 2026-12-03 it failed with a bare TypeError ("records is not
 * iterable"). Checked inside the call, so the engine retries it.
 */
export function listAnswer<R>(res: unknown, call: string): { data: R[]; has_more: boolean } {
  const page = res as { data?: unknown; has_more?: unknown } | null;
  if (!Array.isArray(page?.data)) throw new RetriableError(`stripe: unexpected answer from Stripe ${call}: no data list`);
  if (typeof page.has_more !== 'boolean') throw new RetriableError(`stripe: unexpected answer from Stripe ${call}: no has_more flag`);
  if (!page.data.every((r) => r !== null && typeof r === 'object' && typeof (r as { id?: unknown }).id === 'string')) {
    throw new RetriableError(`stripe: unexpected answer from Stripe ${call}: an item without an id`);
  }
  return page as { data: R[]; has_more: boolean };
}

/** One object by id must be an object with its id, for the same reason. */
export function objectAnswer<R>(res: unknown, call: string): R {
  if (res === null || typeof res !== 'object' || typeof (res as { id?: unknown }).id !== 'string') {
    throw new RetriableError(`stripe: unexpected answer from Stripe ${call}: no object id`);
  }
  return res as R;
}
