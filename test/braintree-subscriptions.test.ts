import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxSubscription } from '../connectors/braintree/sandbox/index.js';
import { sandboxGateway } from '../connectors/braintree/sandbox/test-gateway.js';
import { setReconParams } from '../puddles/reports.js';
import { braintreeHarness } from './support/braintree-harness.js';

// A regular gift's own state at Braintree, through the real SDK and the lake: the subscriptions stream reads every
// subscription by created_at (the cancelled and expired ones too) as recurring_donation rows; a cancellation after
// that has no time Braintree can search by, so the subscription_statuses sweep finds it (the open book's ids against
// the last run's) and reads it again: the plan is then closed for the reconciliation, and an instalment taken after it
// is RECURRING_PAID_AFTER_CLOSED.
type H = Awaited<ReturnType<typeof braintreeHarness>>;
const DAY = 86_400_000;
const FROM = { startDate: new Date('2026-01-01T00:00:00Z') };
const day = (iso: string) => iso.slice(0, 10);

describe('Braintree subscriptions as recurring_donation, through the real SDK and the lake', () => {
  let h: H;
  let subs: readonly SandboxSubscription[];
  const current = (id: string) =>
    h.q(`SELECT status, end_date::VARCHAR AS end_date, amount_minor, currency, installment_period, installment_frequency, supporter_id FROM recurring_donation WHERE recurring_donation_id = '${id}'`);

  beforeAll(async () => {
    h = await braintreeHarness({ scenario: { seed: 5, donations: 60 }, subscriptions: 6 });
    subs = h.sandbox.data.subscriptions;
  });
  afterAll(() => h.close());

  it('lands every subscription, cancelled and expired too, with its amount, period, supporter and end day', async () => {
    expect(subs.map((s) => s.status)).toEqual(['Active', 'Canceled', 'Expired', 'Active', 'Canceled', 'Expired']);
    const results = await h.sync({}, FROM);
    expect(results.map((r) => [r.stream, r.outcome])).toEqual(results.map((r) => [r.stream, 'succeeded']));
    expect(results.find((r) => r.stream === 'subscriptions')!.records).toBe(subs.length);
    await h.land();
    for (const s of subs) {
      const ended = s.status_history.find((e) => e.status === s.status && s.status !== 'Active');
      expect(await current(s.id)).toEqual([
        {
          status: s.status.toLowerCase(), end_date: ended ? day(ended.timestamp) : null, amount_minor: s.amount_minor, currency: 'GBP',
          installment_period: 'Monthly', installment_frequency: 1, supporter_id: s.customer_id,
        },
      ]);
    }
    // Their instalments are payments of the plan (payment v3's recurring_donation_id).
    const [n] = await h.q(`SELECT count(*)::INTEGER AS n FROM payment WHERE recurring_donation_id = '${subs[0]!.id}'`);
    expect(n!.n).toBe(subs[0]!.transaction_ids.length);
  });

  it('finds a cancellation after the first sync by the status sweep, and an instalment taken after it is RECURRING_PAID_AFTER_CLOSED', async () => {
    const monthly = subs[3]!;
    h.clock.advance(DAY);
    const canceled = await sandboxGateway(h.sandbox).subscription.cancel(monthly.id);
    expect(canceled.success).toBe(true);
    const canceledOn = day(h.clock.now().toISOString());
    h.clock.advance(DAY);
    // Braintree charges a cancelled plan no more, but a charge can still name it (staff keying the gift again).
    const [late] = h.sandbox.addTransactions(1, { subscriptionId: monthly.id });
    expect(late!.status).toBe('submitted_for_settlement');
    h.clock.advance(120_000);
    h.sandbox.requests.reset();
    const results = await h.sync({}, FROM);
    expect(results.every((r) => r.outcome === 'succeeded')).toBe(true);
    // The sweep read by id only the one that left the open book: one page, one id.
    expect(h.sandbox.requests.entries.filter((r) => r.path.endsWith('/subscriptions/advanced_search'))).toHaveLength(1);
    expect(results.find((r) => r.stream === 'subscription_statuses')!.records).toBe(1);
    await h.land();
    expect(await current(monthly.id)).toMatchObject([{ status: 'canceled', end_date: canceledOn }]);
    // Created months before this run's windows: only the sweep says it ended.
    expect(await h.q(`SELECT _stream AS stream FROM recurring_donation_history WHERE recurring_donation_id = '${monthly.id}' AND status = 'canceled'`)).toEqual([{ stream: 'subscription_statuses' }]);

    await setReconParams(h.rt.query, { as_of: day(h.clock.now().toISOString()) });
    const breaks = await h.q(`SELECT payment_id, reason FROM recon_breaks WHERE break_type = 'RECURRING_PAID_AFTER_CLOSED'`);
    expect(breaks).toHaveLength(1);
    expect(breaks[0]).toMatchObject({ payment_id: late!.id });
    expect(String(breaks[0]!.reason)).toContain(`regular gift ${monthly.id} was closed on ${canceledOn}`);
  });

  it('reads nothing again when no status changed', async () => {
    h.clock.advance(DAY);
    h.sandbox.requests.reset();
    const [run] = await h.sync({ streams: ['subscription_statuses'] }, FROM);
    expect(run).toMatchObject({ outcome: 'succeeded', records: 0 });
    expect(h.sandbox.requests.entries.map((r) => r.path.split('/').slice(3).join('/'))).toEqual([
      'subscriptions/advanced_search_ids', 'subscriptions/advanced_search_ids', 'subscriptions/advanced_search_ids', 'subscriptions/advanced_search_ids',
    ]);
  });
});
