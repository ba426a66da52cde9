import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { startStripeSandbox } from './start-stripe-sandbox.js';
import { sandboxClient } from './test-client.js';
import type { StripeSandbox } from './types.js';

const scenario = { seed: 3, donations: 60 };

describe('stripe sandbox: auth, rate limits and faults', () => {
  let sandbox: StripeSandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  it('rejects a wrong key with 401 api_key_invalid, without echoing the key', async () => {
    sandbox = await startStripeSandbox({ scenario });
    const err = await sandboxClient(sandbox, 'sk_test_wrong_key_1234').charges.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(err).toMatchObject({ statusCode: 401, code: 'api_key_invalid', type: 'StripeAuthenticationError' });
    expect((err as Error).message).not.toContain('wrong_key');
    expect((await sandboxClient(sandbox).charges.list()).object).toBe('list');
  });

  it('answers 429 with Retry-After and Stripe-Should-Retry over the rate limit', async () => {
    sandbox = await startStripeSandbox({ scenario, rateLimit: 2 });
    const stripe = sandboxClient(sandbox);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => stripe.customers.list({ limit: 1 })));
    const limited = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Stripe.errors.StripeError);
    expect(limited.length).toBeGreaterThan(0);
    for (const err of limited) {
      expect(err).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
      expect(err.code).toBe('rate_limit');
      expect(Number(err.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(err.headers?.['stripe-should-retry']).toBe('true');
    }
    expect(sandbox.requests.countByStatus(429)).toBe(limited.length);
  });

  it('injects 429s with a chosen Retry-After, then recovers', async () => {
    sandbox = await startStripeSandbox({ scenario, rateLimit: 0 });
    const stripe = sandboxClient(sandbox);
    sandbox.injectFaults({ status429: 2, retryAfterSeconds: 7 });
    for (let i = 0; i < 2; i++) {
      const err = (await stripe.charges.list().catch((e: unknown) => e)) as Stripe.errors.StripeRateLimitError;
      expect(err).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
      expect(err.headers?.['retry-after']).toBe('7');
    }
    expect((await stripe.charges.list()).data.length).toBeGreaterThan(0);
  });

  it('injects 5xx for the next N requests (from the options and at run time)', async () => {
    sandbox = await startStripeSandbox({ scenario, faults: { status5xxNext: 1 } });
    const stripe = sandboxClient(sandbox);
    const first = await stripe.charges.list().catch((e: unknown) => e);
    expect(first).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(first).toMatchObject({ statusCode: 500 });
    expect((await stripe.charges.list()).object).toBe('list');
    sandbox.injectFaults({ status5xx: 2 });
    expect(await stripe.payouts.list().catch((e: unknown) => e)).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(await stripe.payouts.list().catch((e: unknown) => e)).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect((await stripe.payouts.list()).object).toBe('list');
    expect(sandbox.requests.countByStatus(500)).toBe(3);
  });

  it('can revoke the key at run time', async () => {
    sandbox = await startStripeSandbox({ scenario });
    const stripe = sandboxClient(sandbox);
    sandbox.injectFaults({ status401: true });
    expect(await stripe.charges.list().catch((e: unknown) => e)).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    sandbox.clearFaults();
    expect((await stripe.charges.list()).object).toBe('list');
  });

  it('logs every request with its status and request id', async () => {
    sandbox = await startStripeSandbox({ scenario });
    const stripe = sandboxClient(sandbox);
    const page = await stripe.charges.list({ limit: 3 });
    expect(page.lastResponse.requestId).toMatch(/^req_/);
    await stripe.charges.retrieve('ch_missing').catch(() => undefined);
    expect(sandbox.requests.entries.map((r) => [r.path, r.status])).toEqual([
      ['/v1/charges', 200],
      ['/v1/charges/ch_missing', 404],
    ]);
    expect(sandbox.requests.entries[0]!.requestId).toBe(page.lastResponse.requestId);
  });
});
