import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxSubscription } from '../connectors/stripe/sandbox/index.js';
import { sandboxClient } from '../connectors/stripe/sandbox/test-client.js';
import { setReconParams } from '../puddles/reports.js';
import { stripeHarness, type StripeHarness } from './support/stripe-harness.js';

// A regular gift's own state at Stripe: the subscriptions stream lists every subscription (canceled ones too, which
// Stripe's list leaves out unless asked) as recurring_donation rows; a cancellation after that (the supporter in the
// customer portal) comes by the events stream, as customer.subscription.deleted, and makes the plan closed for the
// reconciliation: an instalment taken after it is RECURRING_PAID_AFTER_CLOSED.
describe('Stripe subscriptions as recurring_donation, through the real SDK and the lake', () => {
  let h: StripeHarness;
  let monthly: SandboxSubscription;
  let lapsed: SandboxSubscription;
  let lapsedAt: string;
  const current = (id: string) => h.q(`SELECT status, updated_at::VARCHAR AS updated_at, amount_minor, currency, installment_period, installment_frequency, supporter_id FROM recurring_donation WHERE recurring_donation_id = '${id}'`);

  beforeAll(async () => {
    h = await stripeHarness({ scenario: { seed: 5, donations: 60 } });
    monthly = h.sandbox.addSubscription({ instalments: 3, amountMinor: 1500 });
    lapsed = h.sandbox.addSubscription({ instalments: 2, everyDays: 7, amountMinor: 500 });
    h.clock.advance(3_600_000);
    // Stripe cancels a subscription itself once its last retry of a failed payment has failed.
    lapsedAt = new Date(h.sandbox.cancelSubscription(lapsed.id, 'payment_failed').canceled_at! * 1000).toISOString().replace('T', ' ').replace('.000Z', '');
    h.clock.advance(120_000);
  });
  afterAll(() => h.close());

  it('lands every subscription, the canceled one too, with its amount, interval and customer', async () => {
    const results = await h.sync();
    expect(results.every((r) => r.outcome === 'succeeded')).toBe(true);
    expect(results.map((r) => r.stream)).toContain('subscriptions');
    // The list asked for every status: without status=all the canceled one would not be listed.
    expect(h.sandbox.requests.entries.some((r) => r.path === '/v1/subscriptions')).toBe(true);
    await h.land();
    // Its current version is customer.subscription.created's (as of the event), newer than the listed one (no time of its own).
    expect(await current(monthly.id)).toEqual([
      { status: 'active', updated_at: '2026-11-29 12:00:00', amount_minor: 1500, currency: 'GBP', installment_period: 'Monthly', installment_frequency: 1, supporter_id: monthly.customer.id },
    ]);
    expect(await current(lapsed.id)).toEqual([
      { status: 'canceled', updated_at: lapsedAt, amount_minor: 500, currency: 'GBP', installment_period: 'Weekly', installment_frequency: 1, supporter_id: lapsed.customer.id },
    ]);
    // Listed canceled (status=all): without it this plan would have only its `active` version from its created event.
    expect(await h.q(`SELECT count(*)::INTEGER AS n FROM recurring_donation_history WHERE recurring_donation_id = '${lapsed.id}' AND status = 'canceled' AND _stream = 'subscriptions'`)).toEqual([{ n: 1 }]);
  });

  it('takes a cancellation after the first sync from the events stream, and an instalment taken after it is RECURRING_PAID_AFTER_CLOSED', async () => {
    h.clock.advance(86_400_000);
    const stripe = sandboxClient(h.sandbox);
    const canceled = await stripe.subscriptions.cancel(monthly.id, { cancellation_details: { comment: 'Jo Bloggs: moving to 1 High St' } });
    const canceledAt = new Date(canceled.canceled_at! * 1000).toISOString().replace('T', ' ').replace('.000Z', '');
    h.clock.advance(86_400_000);
    // Stripe stops collecting a canceled subscription's open invoices, unless staff resume it: money taken after the end.
    const late = h.sandbox.renewSubscription(monthly.id);
    h.clock.advance(120_000);
    h.sandbox.requests.reset();
    const results = await h.sync();
    expect(results.every((r) => r.outcome === 'succeeded')).toBe(true);
    await h.land();
    expect(await current(monthly.id)).toMatchObject([{ status: 'canceled', updated_at: canceledAt }]);
    // What the supporter typed when cancelling stays out of the raw trail (core/pii.ts).
    expect(await h.q(`SELECT count(*)::INTEGER AS n FROM raw WHERE envelope LIKE '%High St%'`)).toEqual([{ n: 0 }]);
    expect(await h.q(`SELECT count(*)::INTEGER AS n FROM raw WHERE envelope LIKE '%${monthly.id}%' AND envelope LIKE '%"comment":"[redacted]"%'`)).not.toEqual([{ n: 0 }]);
    // The subscription was created before the subscriptions stream's window: only the event says it ended.
    expect(await h.q(`SELECT _stream AS stream FROM recurring_donation_history WHERE recurring_donation_id = '${monthly.id}' AND status = 'canceled'`)).toEqual([{ stream: 'events' }]);

    await setReconParams(h.rt.query, { as_of: new Date(h.clock.now().getTime()).toISOString().slice(0, 10) });
    const breaks = await h.q(`SELECT object_id, payment_id, related_ids, reason FROM recon_breaks WHERE break_type = 'RECURRING_PAID_AFTER_CLOSED'`);
    expect(breaks).toHaveLength(1);
    expect(breaks[0]).toMatchObject({ payment_id: late.id });
    expect(String(breaks[0]!.reason)).toContain(`regular gift ${monthly.id} was closed on ${canceledAt.slice(0, 10)}`);
  });
});
