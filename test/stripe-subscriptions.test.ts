import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxCharge, SandboxSubscription } from '../connectors/stripe/sandbox/index.js';
import { stripeHarness, type StripeHarness } from './support/stripe-harness.js';

// A monthly card gift by Stripe Billing: its charges name no invoice or subscription (API 2025-03-31 on), so the
// invoices stream links each instalment's payment intent to its subscription and the charges carry it (payment v3).
describe('Stripe subscription instalments against the sandbox, through the real SDK', () => {
  let h: StripeHarness;
  let monthly: SandboxSubscription;
  let oneOff: SandboxCharge;
  const ids = (charges: readonly { id: string }[]) => charges.map((c) => `'${c.id}'`).join(',');

  beforeAll(async () => {
    h = await stripeHarness({ scenario: { seed: 5, donations: 60 } });
    monthly = h.sandbox.addSubscription({ instalments: 3, everyDays: 28, amountMinor: 1500 });
    do [oneOff] = h.sandbox.addCharges(1) as [SandboxCharge];
    while (oneOff.status !== 'succeeded');
    h.clock.advance(60_000); // the newest instalment is a minute old when the first sync reads
  });
  afterAll(() => h.close());

  it("reads invoices before charges, and lands payment v4 with the subscription on the instalments only and each charge's card", async () => {
    const results = await h.sync();
    expect(results.every((r) => r.outcome === 'succeeded')).toBe(true);
    const order = results.map((r) => r.stream);
    expect(order.indexOf('invoices')).toBeGreaterThan(-1);
    expect(order.indexOf('invoices')).toBeLessThan(order.indexOf('charges'));
    // The invoices came with their payments (an includable field: only there when expanded).
    expect(h.sandbox.requests.entries.some((r) => r.path === '/v1/invoices')).toBe(true);
    await h.land();

    expect(await h.q(`SELECT payment_id, recurring_donation_id, amount_minor FROM payment WHERE payment_id IN (${ids(monthly.charges)}) ORDER BY occurred_at`)).toEqual(
      monthly.charges.map((c) => ({ payment_id: c.id, recurring_donation_id: monthly.id, amount_minor: 1500 })),
    );
    // Every Stripe payment is payment v4 now (v3's subscription, v4's card), one-offs too.
    expect(await h.q(`SELECT DISTINCT json_extract(envelope, '$.version')::INTEGER AS version FROM raw WHERE contract = 'payment' AND source = 'stripe'`)).toEqual([{ version: 4 }]);
    // Each charge's card as the sandbox sent it through the SDK (brand and last four).
    type Details = { payment_method_details?: { card?: { brand: string; last4: string } } };
    const cards = h.sandbox.data.charges.map((c) => ({ payment_id: c.id, card_brand: (c as Details).payment_method_details?.card?.brand ?? null, card_last4: (c as Details).payment_method_details?.card?.last4 ?? null }));
    expect([...new Set(cards.map((c) => c.card_brand))].sort()).toEqual(['amex', 'mastercard', 'visa']);
    expect(await h.q(`SELECT payment_id, card_brand, card_last4 FROM payment WHERE _source = 'stripe' ORDER BY payment_id`)).toEqual(cards.sort((a, b) => (a.payment_id < b.payment_id ? -1 : 1)));
    expect(await h.q(`SELECT recurring_donation_id FROM payment WHERE payment_id = '${oneOff.id}'`)).toEqual([{ recurring_donation_id: null }]);
    // Every other Stripe payment is a one-off: only the three instalments name a subscription.
    expect(await h.q(`SELECT count(*) FILTER (WHERE recurring_donation_id IS NOT NULL) AS regular, count(*) AS n FROM payment WHERE _source = 'stripe'`)).toEqual([
      { regular: 3, n: h.sandbox.data.charges.length },
    ]);
  });

  it('links the next instalment on an incremental sync', async () => {
    h.clock.advance(28 * 86_400_000);
    const next = h.sandbox.addSubscription({ instalments: 1 });
    h.clock.advance(60_000);
    const results = await h.sync();
    expect(results.every((r) => r.outcome === 'succeeded')).toBe(true);
    await h.land();
    expect(await h.q(`SELECT recurring_donation_id FROM payment WHERE payment_id = '${next.charges[0]!.id}'`)).toEqual([{ recurring_donation_id: next.id }]);
  });
});
