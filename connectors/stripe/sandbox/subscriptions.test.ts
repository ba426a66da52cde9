import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestReceiver, type TestReceiver } from '../../sandbox-kit/test-receiver.js';
import { startStripeSandbox } from './start-stripe-sandbox.js';
import { movableClock, sandboxClient } from './test-client.js';
import type { SandboxSubscription, StripeSandbox } from './types.js';

const NOW = new Date('2026-12-04T12:00:00Z');
const SECRET = 'whsec_sandbox_subs';
const t = NOW.getTime() / 1000;

describe('stripe sandbox: subscriptions', () => {
  const clock = movableClock(NOW);
  let receiver: TestReceiver<{ body: string; signature: string }>;
  let sandbox: StripeSandbox;
  let stripe: Stripe;
  let monthly: SandboxSubscription;
  let weekly: SandboxSubscription;
  let yearly: SandboxSubscription;

  beforeAll(async () => {
    receiver = await startTestReceiver({ path: '/webhooks/stripe', read: (body, headers) => ({ body, signature: String(headers['stripe-signature']) }), okBody: '{}' });
    sandbox = await startStripeSandbox({ scenario: { seed: 11, donations: 40 }, now: clock.now, rateLimit: 0, webhook: { url: receiver.url, secret: SECRET } });
    stripe = sandboxClient(sandbox);
    monthly = sandbox.addSubscription({ instalments: 3, amountMinor: 1500 });
    weekly = sandbox.addSubscription({ instalments: 2, everyDays: 14 });
    yearly = sandbox.addSubscription({ instalments: 1, everyDays: 365, amountMinor: 12000 });
  });
  afterAll(async () => {
    await sandbox.close();
    await receiver.close();
  });

  it('holds each subscription as Stripe shows one: its price and interval on its item, its period on the item too', async () => {
    const sub = await stripe.subscriptions.retrieve(monthly.id);
    expect(sub).toMatchObject({ object: 'subscription', status: 'active', customer: monthly.customer.id, currency: 'gbp', created: t - 60 * 86_400, canceled_at: null, ended_at: null });
    expect(sub.latest_invoice).toBe(monthly.invoices[2]!.id);
    expect(sub.items.data).toHaveLength(1);
    expect(sub.items.data[0]).toMatchObject({ object: 'subscription_item', quantity: 1, subscription: monthly.id, current_period_start: t, price: { unit_amount: 1500, recurring: { interval: 'month', interval_count: 1 } } });
    expect((await stripe.subscriptions.retrieve(weekly.id)).items.data[0]!.price.recurring).toMatchObject({ interval: 'week', interval_count: 2 });
    expect((await stripe.subscriptions.retrieve(yearly.id)).items.data[0]!.price.recurring).toMatchObject({ interval: 'year', interval_count: 1 });
    await expect(stripe.subscriptions.retrieve('sub_missing')).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it('cancels by DELETE: canceled_at and ended_at now, the reason, and customer.subscription.deleted to the webhook and the events list', async () => {
    clock.advance(3_600_000);
    const canceled = await stripe.subscriptions.cancel(weekly.id, { cancellation_details: { comment: 'moving abroad' } });
    const at = t + 3_600;
    expect(canceled).toMatchObject({ id: weekly.id, status: 'canceled', canceled_at: at, ended_at: at, cancellation_details: { reason: 'cancellation_requested', comment: 'moving abroad' } });
    await expect(stripe.subscriptions.cancel(weekly.id)).rejects.toMatchObject({ statusCode: 400 });
    await expect(stripe.subscriptions.cancel('sub_missing')).rejects.toMatchObject({ statusCode: 404 });
    await sandbox.webhooksIdle();
    const delivered = receiver.received.map((r) => stripe.webhooks.constructEvent(r.body, r.signature, SECRET));
    const deleted = delivered.filter((e) => e.type === 'customer.subscription.deleted');
    expect(deleted.map((e) => [(e.data.object as Stripe.Subscription).id, (e.data.object as Stripe.Subscription).status, e.created])).toEqual([[weekly.id, 'canceled', at]]);
    const listed = await stripe.events.list({ type: 'customer.subscription.deleted' });
    expect(listed.data.map((e) => e.id)).toEqual(deleted.map((e) => e.id));
    // Stripe's own cancellation, after the last failed retry, says so.
    expect(sandbox.cancelSubscription(yearly.id, 'payment_failed').cancellation_details.reason).toBe('payment_failed');
  });

  it('lists without canceled ones by default, and with them for status=all, canceled or ended', async () => {
    const ids = async (status?: Stripe.SubscriptionListParams.Status) => (await stripe.subscriptions.list({ limit: 100, ...(status ? { status } : {}) })).data.map((s) => s.id).sort();
    expect(await ids()).toEqual([monthly.id]);
    expect(await ids('active')).toEqual([monthly.id]);
    expect(await ids('all')).toEqual([monthly.id, weekly.id, yearly.id].sort());
    expect(await ids('canceled')).toEqual([weekly.id, yearly.id].sort());
    expect(await ids('ended')).toEqual([weekly.id, yearly.id].sort());
    await expect(stripe.subscriptions.list({ status: 'gone' })).rejects.toMatchObject({ statusCode: 400, param: 'status' });
  });

  it('lists newest first by created window, and pages with starting_after', async () => {
    // Created: the monthly 60 days back, the weekly 14, the yearly now (one instalment).
    const first = await stripe.subscriptions.list({ status: 'all', limit: 2 });
    expect(first.data.map((s) => s.id)).toEqual([yearly.id, weekly.id]);
    expect(first.has_more).toBe(true);
    const rest = await stripe.subscriptions.list({ status: 'all', limit: 2, starting_after: first.data[1]!.id });
    expect(rest.data.map((s) => s.id)).toEqual([monthly.id]);
    expect(rest.has_more).toBe(false);
    const windowed = await stripe.subscriptions.list({ status: 'all', created: { gte: t - 20 * 86_400, lt: t } });
    expect(windowed.data.map((s) => s.id)).toEqual([weekly.id]);
  });

  it('renews a subscription: a paid instalment now, and customer.subscription.updated with its latest invoice', async () => {
    const charge = sandbox.renewSubscription(monthly.id);
    expect(charge).toMatchObject({ status: 'succeeded', amount: 1500, customer: monthly.customer.id });
    const sub = await stripe.subscriptions.retrieve(monthly.id);
    const invoice = sandbox.data.invoices.find((i) => i.id === sub.latest_invoice)!;
    expect(invoice.parent.subscription_details.subscription).toBe(monthly.id);
    expect(sandbox.data.events.filter((e) => e.type === 'customer.subscription.updated').map((e) => e.data.object.id)).toEqual([monthly.id]);
  });
});
