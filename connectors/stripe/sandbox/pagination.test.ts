import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeSandbox } from './start-stripe-sandbox.js';
import { sandboxClient } from './test-client.js';
import type { StripeSandbox } from './types.js';

const NOW = new Date('2026-12-04T12:00:00Z');

describe('stripe sandbox: lists', () => {
  let sandbox: StripeSandbox;
  let stripe: Stripe;

  beforeAll(async () => {
    sandbox = await startStripeSandbox({ scenario: { seed: 11, donations: 600 }, charges: 450, now: () => NOW, rateLimit: 0 });
    stripe = sandboxClient(sandbox);
  });
  afterAll(() => sandbox.close());

  it('auto-pages every charge exactly once, newest first', async () => {
    const ids: string[] = [];
    for await (const charge of stripe.charges.list({ limit: 100 })) ids.push(charge.id);
    const expected = [...sandbox.data.charges].reverse().map((c) => c.id);
    expect(expected.length).toBeGreaterThan(500);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expected);
    expect(sandbox.requests.entries.filter((r) => r.path === '/v1/charges').length).toBe(Math.ceil(expected.length / 100));
  });

  it('pages backwards with ending_before', async () => {
    const first = await stripe.charges.list({ limit: 5 });
    const second = await stripe.charges.list({ limit: 5, starting_after: first.data[4]!.id });
    const back = await stripe.charges.list({ limit: 5, ending_before: second.data[0]!.id });
    expect(back.data.map((c) => c.id)).toEqual(first.data.map((c) => c.id));
    expect(back.has_more).toBe(false);
    expect(second.has_more).toBe(true);
  });

  it('filters by a created window, bounds inclusive as asked', async () => {
    const charges = sandbox.data.charges;
    const gte = charges[100]!.created;
    const lt = charges[300]!.created;
    const got = await stripe.charges.list({ limit: 100, created: { gte, lt } }).autoPagingToArray({ limit: 10_000 });
    const expected = charges.filter((c) => c.created >= gte && c.created < lt);
    expect(got.map((c) => c.id).sort()).toEqual(expected.map((c) => c.id).sort());
    const exact = await stripe.charges.list({ created: gte });
    expect(exact.data.every((c) => c.created === gte)).toBe(true);
  });

  it('expands balance_transaction in place of its id', async () => {
    const page = await stripe.charges.list({ limit: 50, expand: ['data.balance_transaction'] });
    const succeeded = page.data.filter((c) => c.status === 'succeeded');
    expect(succeeded.length).toBeGreaterThan(0);
    for (const c of succeeded) {
      const bt = c.balance_transaction as Stripe.BalanceTransaction;
      expect(bt.object).toBe('balance_transaction');
      expect(bt.source).toBe(c.id);
      expect(bt.fee).toBe(Math.round(c.amount * 0.014) + 20);
      expect(bt.net).toBe(c.amount - bt.fee);
      expect(bt.available_on).toBe(c.created + 2 * 86_400);
    }
    const one = await stripe.charges.retrieve(succeeded[0]!.id, { expand: ['balance_transaction', 'customer'] });
    expect((one.balance_transaction as Stripe.BalanceTransaction).id).toBe((succeeded[0]!.balance_transaction as Stripe.BalanceTransaction).id);
    // The stored object keeps the id; only the answer is expanded.
    expect(typeof sandbox.data.charges.find((c) => c.id === one.id)!.balance_transaction).toBe('string');
  });

  it('links a scenario donation through checkout session, payment intent, charge and customer', async () => {
    const session = (await stripe.checkout.sessions.list({ limit: 1, status: 'complete' })).data[0]!;
    expect(session.client_reference_id).toMatch(/^clk_/);
    const pi = await stripe.paymentIntents.retrieve(session.payment_intent as string);
    const charge = await stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge.metadata.donation_id).toBe(session.metadata!.donation_id);
    expect(charge.customer).toBe(session.customer);
    const customer = (await stripe.customers.retrieve(session.customer as string)) as Stripe.Customer;
    expect(customer.metadata.supporter_id).toMatch(/^sup_/);
    expect(charge.currency).toBe('gbp');
  });

  it('marks about 3% of charges failed, with no balance transaction', () => {
    const failed = sandbox.data.charges.filter((c) => c.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length / sandbox.data.charges.length).toBeLessThan(0.08);
    for (const c of failed) {
      expect(c).toMatchObject({ paid: false, failure_code: 'card_declined', balance_transaction: null });
    }
  });

  it('filters events by type and by types[]', async () => {
    const refunded = await stripe.events.list({ type: 'charge.refunded', limit: 100 }).autoPagingToArray({ limit: 1000 });
    expect(refunded.length).toBe(sandbox.data.events.filter((e) => e.type === 'charge.refunded').length);
    expect(refunded.length).toBeGreaterThan(0);
    const two = await stripe.events.list({ types: ['charge.failed', 'customer.created'], limit: 100 }).autoPagingToArray({ limit: 10_000 });
    expect(new Set(two.map((e) => e.type))).toEqual(new Set(['charge.failed', 'customer.created']));
    const anyCursor = sandbox.data.events[sandbox.data.events.length - 1]!.id;
    const afterAny = await stripe.events.list({ type: 'customer.created', starting_after: anyCursor, limit: 5 });
    expect(afterAny.data.map((e) => e.type)).toEqual(Array(5).fill('customer.created'));
    const wildcard = await stripe.events.list({ type: 'charge.dispute.*', limit: 100 });
    expect(wildcard.data.every((e) => e.type.startsWith('charge.dispute.'))).toBe(true);
    const e = refunded[0]!;
    expect(e).toMatchObject({ object: 'event', livemode: false, api_version: expect.any(String) });
    expect((e.data.object as Stripe.Charge).object).toBe('charge');
  });

  it('answers bad parameters and unknown paths with Stripe errors', async () => {
    for (const limit of [0, 500]) {
      const err = await stripe.charges.list({ limit }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect((err as Stripe.errors.StripeInvalidRequestError).param).toBe('limit');
    }
    const cursor = await stripe.charges.list({ starting_after: 'ch_nope' }).catch((e: unknown) => e);
    expect(cursor).toMatchObject({ type: 'StripeInvalidRequestError', statusCode: 400, param: 'starting_after', code: 'resource_missing' });
    const missing = await stripe.charges.retrieve('ch_nope').catch((e: unknown) => e);
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing' });

    const unknown = await stripe.charges.list({ colour: 'blue' } as Stripe.ChargeListParams).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'colour' });
    const badExpand = await stripe.charges.list({ expand: ['data.amount'] }).catch((e: unknown) => e);
    expect(badExpand).toMatchObject({ statusCode: 400, param: 'expand' });

    const res = await fetch(`${sandbox.url}/v1/nothing_here`, { headers: { authorization: `Bearer ${sandbox.apiKey}` } });
    expect(res.status).toBe(404);
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    expect(((await res.json()) as { error: { code: string; type: string } }).error).toMatchObject({ code: 'resource_missing', type: 'invalid_request_error' });
  });
});

describe('stripe sandbox: event retention', () => {
  it('drops events older than 30 days, as Stripe does', async () => {
    const sandbox = await startStripeSandbox({ scenario: { seed: 5, donations: 50 }, now: () => new Date('2027-01-15T00:00:00Z') });
    try {
      expect(sandbox.data.events.length).toBeGreaterThan(0);
      const page = await sandboxClient(sandbox).events.list({ limit: 100 });
      expect(page.data).toEqual([]);
      const old = await sandboxClient(sandbox).events.retrieve(sandbox.data.events[0]!.id).catch((e: unknown) => e);
      expect(old).toMatchObject({ statusCode: 404 });
    } finally {
      await sandbox.close();
    }
  });
});

describe('stripe sandbox: synthetic volume and event lag', () => {
  it('generates bare charges over the last 14 days and hides the freshest events when asked', async () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const sandbox = await startStripeSandbox({ charges: 2000, now: () => now, eventLagSeconds: 60, rateLimit: 0 });
    try {
      const charges = sandbox.data.charges;
      expect(charges.length).toBe(2000);
      expect(sandbox.data.customers.length).toBe(0);
      const nowSec = now.getTime() / 1000;
      expect(charges[0]!.created).toBeGreaterThanOrEqual(nowSec - 14 * 86_400);
      expect(charges[charges.length - 1]!.created).toBeLessThanOrEqual(nowSec);
      const withBt = charges.filter((c) => c.balance_transaction !== null).length;
      expect(sandbox.data.balanceTransactions.filter((bt) => bt.type === 'charge').length).toBe(withBt);

      const stripe = sandboxClient(sandbox);
      const added = sandbox.addCharges(1)[0]!;
      const recent = await stripe.events.list({ limit: 100, created: { gte: nowSec - 600 } });
      expect(recent.data.some((e) => (e.data.object as { id: string }).id === added.id)).toBe(false);
      expect((await stripe.charges.retrieve(added.id)).id).toBe(added.id);
    } finally {
      await sandbox.close();
    }
  });
});
