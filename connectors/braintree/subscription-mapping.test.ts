import { describe, expect, it } from 'vitest';
import { getContract } from '../../core/contracts/index.js';
import type { Mapped } from '../../core/engine/mapped.js';
import { RecordError } from '../../core/errors.js';
import type { BraintreeSubscription } from './raw.js';
import { mapSubscription } from './subscription-mapping.js';

function valid(mapped: Mapped[]): Record<string, unknown> {
  expect(mapped).toHaveLength(1);
  expect(mapped[0]).toMatchObject({ contract: 'recurring_donation', version: 2 });
  const r = getContract('recurring_donation', 2)!.validate(mapped[0]!.payload);
  expect(r.errors).toBeNull();
  return mapped[0]!.payload;
}

// As the SDK parses a gateway <subscription> (braintree-go's recorded TestSubscriptionUpdate answer, with the status
// history and a charge's customer the search answer carries): camelCased, dates as text, integers converted.
const sub = (over: Partial<BraintreeSubscription> = {}): BraintreeSubscription => ({
  id: '4j2ntb',
  status: 'Active',
  planId: 'test_plan_2',
  price: '10.00',
  merchantAccountId: 'foo',
  createdAt: '2013-11-20T23:05:32Z',
  updatedAt: '2013-11-20T23:05:33Z',
  firstBillingDate: '2013-11-20',
  billingPeriodStartDate: '2013-11-20',
  billingPeriodEndDate: '2013-12-19',
  addOns: [],
  discounts: [],
  statusHistory: [{ status: 'Active', timestamp: '2013-11-20T23:05:33Z', currencyIsoCode: 'USD', subscriptionSource: 'api' }],
  transactions: [{ id: '3fg66b', currencyIsoCode: 'USD', customer: { id: '17235299' } }],
  ...over,
});

describe('mapSubscription (Braintree)', () => {
  it('maps an active monthly subscription: price in the status events\' currency, the charges\' customer, no end', () => {
    expect(valid(mapSubscription(sub()))).toEqual({
      recurring_donation_id: '4j2ntb',
      occurred_at: '2013-11-20T23:05:32.000Z',
      updated_at: '2013-11-20T23:05:33.000Z',
      supporter_id: '17235299',
      account_id: null,
      amount_minor: 1000,
      currency: 'USD',
      installment_period: 'Monthly',
      installment_frequency: 1,
      status: 'active',
      recurring_type: null,
      commitment_id: null,
      deleted: null,
      end_date: null,
      closed_reason: null,
    });
  });

  it('names the statuses as Stripe\'s are, and dates the end of a cancelled or expired one from its status history', () => {
    const history = [
      { status: 'Canceled', timestamp: '2014-02-03T09:00:00Z', currencyIsoCode: 'USD', subscriptionSource: 'control_panel' },
      { status: 'Past Due', timestamp: '2014-01-21T02:00:00Z', currencyIsoCode: 'USD', subscriptionSource: 'recurring' },
      { status: 'Active', timestamp: '2013-11-20T23:05:33Z', currencyIsoCode: 'USD', subscriptionSource: 'api' },
    ];
    expect(valid(mapSubscription(sub({ status: 'Canceled', statusHistory: history })))).toMatchObject({
      status: 'canceled', end_date: '2014-02-03', updated_at: '2014-02-03T09:00:00.000Z', closed_reason: null,
    });
    const expired = [{ status: 'Expired', timestamp: '2014-01-20T02:00:00Z', currencyIsoCode: 'USD' }, ...history.slice(2)];
    expect(valid(mapSubscription(sub({ status: 'Expired', statusHistory: expired })))).toMatchObject({ status: 'expired', end_date: '2014-01-20' });
    expect(valid(mapSubscription(sub({ status: 'Past Due', statusHistory: history.slice(1) })))).toMatchObject({ status: 'past_due', end_date: null });
    expect(valid(mapSubscription(sub({ status: 'Pending' })))).toMatchObject({ status: 'pending' });
    // Cancelled with no event for it (an older answer): no end day is guessed; the version's own time dates it.
    expect(valid(mapSubscription(sub({ status: 'Canceled', statusHistory: [] })))).toMatchObject({ end_date: null, currency: 'USD' });
  });

  it('takes every how many months from billingFrequency, else from the billing period; no amount with add-ons or discounts', () => {
    expect(valid(mapSubscription(sub({ billingPeriodStartDate: '2013-11-20', billingPeriodEndDate: '2014-02-19' })))).toMatchObject({ installment_frequency: 3 });
    expect(valid(mapSubscription(sub({ billingPeriodStartDate: '2024-01-31', billingPeriodEndDate: '2025-01-30' })))).toMatchObject({ installment_frequency: 12 });
    expect(valid(mapSubscription(sub({ billingFrequency: 6 })))).toMatchObject({ installment_frequency: 6 });
    expect(valid(mapSubscription(sub({ billingPeriodStartDate: null, billingPeriodEndDate: null })))).toMatchObject({ installment_period: 'Monthly', installment_frequency: null });
    expect(valid(mapSubscription(sub({ discounts: [{ id: 'first_month_free' }] })))).toMatchObject({ amount_minor: null, currency: 'USD' });
    // JPY has no minor unit: "2500" is 2500.
    const yen = sub({ price: '2500', statusHistory: [{ status: 'Active', currencyIsoCode: 'JPY' }] });
    expect(valid(mapSubscription(yen))).toMatchObject({ amount_minor: 2500, currency: 'JPY' });
    // No status event and no charge: the currency is not known, and neither is the amount.
    expect(valid(mapSubscription(sub({ statusHistory: [], transactions: [] })))).toMatchObject({ amount_minor: null, currency: null, supporter_id: null });
  });

  it('refuses provider garbage with a RecordError that does not repeat it', () => {
    const refused = (s: BraintreeSubscription) => {
      try {
        mapSubscription(s);
      } catch (err) {
        return err;
      }
      return null;
    };
    const status = refused(sub({ status: 'Cancelled by jo@example.org' }));
    expect(status).toBeInstanceOf(RecordError);
    expect(String((status as Error).message)).not.toContain('example.org');
    expect(refused(sub({ price: '10.005' }))).toBeInstanceOf(RecordError);
    expect(refused(sub({ id: ' ' }))).toBeInstanceOf(RecordError);
  });
});
