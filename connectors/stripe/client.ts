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
    httpAgent: proxyAgent(config.apiBase),
  });
}

/** Stripe's errors as the engine's kinds. Messages name status and code only: never the key. */
export function classifyStripeError(err: unknown): Error {
  if (err instanceof Stripe.errors.StripeError) {
    const status = err.statusCode;
    const headers = (err.headers ?? {}) as Record<string, string | undefined>;
    const what = `stripe: ${status ?? 'no response'} ${err.code ?? err.type}`;
    if (err instanceof Stripe.errors.StripeConnectionError || status === undefined) {
      return new RetriableError(`${what} (connection failed)`);
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
