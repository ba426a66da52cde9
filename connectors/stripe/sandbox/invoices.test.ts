import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStripeSandbox } from './start-stripe-sandbox.js';
import { movableClock, sandboxClient } from './test-client.js';
import type { SandboxSubscription, StripeSandbox } from './types.js';

const NOW = new Date('2026-12-04T12:00:00Z');
const DAY = 86_400;

describe('stripe sandbox: subscription invoices', () => {
  const clock = movableClock(NOW);
  let sandbox: StripeSandbox;
  let stripe: Stripe;
  let monthly: SandboxSubscription;
  let weekly: SandboxSubscription;

  beforeAll(async () => {
    sandbox = await startStripeSandbox({ scenario: { seed: 11, donations: 60 }, now: clock.now, rateLimit: 0 });
    stripe = sandboxClient(sandbox);
  });
  afterAll(() => sandbox.close());

  it('holds no invoices, and draws nothing for them, until a subscription is asked for', async () => {
    const same = await startStripeSandbox({ scenario: { seed: 11, donations: 60 }, now: clock.now, rateLimit: 0 });
    try {
      expect(sandbox.data.invoices).toEqual([]);
      expect((await stripe.invoices.list()).data).toEqual([]);
      // The seeded history is the seed's alone: the same charges, and the same ids after it.
      expect(same.data.charges.map((c) => c.id)).toEqual(sandbox.data.charges.map((c) => c.id));
      expect(same.addCharges(1)[0]!.id).toBe(sandbox.addCharges(1)[0]!.id);
    } finally {
      await same.close();
    }
  });

  it('makes instalments: an invoice naming the subscription, paid by an intent whose charge is an ordinary charge', () => {
    monthly = sandbox.addSubscription({ instalments: 3, amountMinor: 1500 });
    weekly = sandbox.addSubscription({ instalments: 2, everyDays: 7 });
    expect(monthly.id).toMatch(/^sub_1/);
    expect(monthly.charges.map((c) => c.created)).toEqual([-60, -30, 0].map((d) => NOW.getTime() / 1000 + d * DAY));
    for (const [i, inv] of monthly.invoices.entries()) {
      const charge = monthly.charges[i]!;
      expect(inv).toMatchObject({ object: 'invoice', status: 'paid', amount_paid: 1500, customer: monthly.customer.id });
      expect(inv.parent).toMatchObject({ type: 'subscription_details', subscription_details: { subscription: monthly.id } });
      expect(charge).toMatchObject({ amount: 1500, status: 'succeeded', customer: monthly.customer.id, metadata: {} });
      expect(charge).not.toHaveProperty('invoice');
      expect(sandbox.data.paymentIntents.find((pi) => pi.id === charge.payment_intent)).toMatchObject({ latest_charge: charge.id, status: 'succeeded' });
      expect(sandbox.data.balanceTransactions.some((bt) => bt.id === charge.balance_transaction)).toBe(true);
    }
    // Events of one second list by id, as Stripe's do: the set, not the order.
    const types = sandbox.data.events.filter((e) => e.data.object.id === monthly.invoices[2]!.id).map((e) => e.type);
    expect(types.sort()).toEqual(['invoice.finalized', 'invoice.paid', 'invoice.payment_succeeded']);
    expect(sandbox.data.events.filter((e) => e.type === 'invoice.paid' && e.data.object.id === monthly.invoices[2]!.id)[0]!.data.object).not.toHaveProperty('payments');
  });

  it('lists invoices newest first by created window, pages with starting_after, and includes payments only when expanded', async () => {
    const all = [...monthly.invoices, ...weekly.invoices].sort((a, b) => b.created - a.created || (b.id < a.id ? -1 : 1));
    const first = await stripe.invoices.list({ limit: 2 });
    expect(first.data.map((i) => i.id)).toEqual(all.slice(0, 2).map((i) => i.id));
    expect(first.has_more).toBe(true);
    const rest = await stripe.invoices.list({ limit: 100, starting_after: first.data[1]!.id });
    expect(rest.data.map((i) => i.id)).toEqual(all.slice(2).map((i) => i.id));
    expect(first.data[0]).not.toHaveProperty('payments');

    const gte = monthly.invoices[1]!.created;
    const windowed = await stripe.invoices.list({ limit: 100, created: { gte, lt: gte + 1 }, expand: ['data.payments'] });
    expect(windowed.data.map((i) => i.id)).toEqual([monthly.invoices[1]!.id]);
    expect(windowed.data[0]!.payments!.data).toEqual([
      expect.objectContaining({ object: 'invoice_payment', status: 'paid', payment: { type: 'payment_intent', payment_intent: monthly.charges[1]!.payment_intent } }),
    ]);
    const bySubscription = await stripe.invoices.list({ subscription: weekly.id });
    expect(bySubscription.data.map((i) => i.id)).toEqual([...weekly.invoices].reverse().map((i) => i.id));
  });

  it('retrieves an invoice by id, with its payments when expanded, and refuses an expand inside them', async () => {
    const inv = monthly.invoices[0]!;
    expect(await stripe.invoices.retrieve(inv.id)).not.toHaveProperty('payments');
    const withPayments = await stripe.invoices.retrieve(inv.id, { expand: ['payments'] });
    expect(withPayments.payments!.data.map((p) => p.payment.payment_intent)).toEqual([monthly.charges[0]!.payment_intent]);
    await expect(stripe.invoices.retrieve(inv.id, { expand: ['payments.data.payment.payment_intent'] })).rejects.toMatchObject({ statusCode: 400, param: 'expand' });
    await expect(stripe.invoices.retrieve('in_missing')).rejects.toMatchObject({ statusCode: 404 });
  });
});
