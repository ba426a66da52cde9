import { readFileSync } from 'node:fs';
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { getContract } from '../../core/contracts/index.js';
import type { Mapped } from '../../core/engine/mapped.js';
import { mapEvent } from './mappings.js';
import type { StripeEvent, StripeSubscription } from './raw.js';
import { mapSubscription } from './subscription-mapping.js';

// The real public sample (test/fixtures/stripe/fixtures3.json: every time in it is 1234567890, its canceled_at too,
// although it is active).
const fixture = (): StripeSubscription =>
  structuredClone(JSON.parse(readFileSync(new URL('../../test/fixtures/stripe/fixtures3.json', import.meta.url), 'utf8')).resources.subscription) as StripeSubscription;
const CREATED_ISO = '2009-02-13T23:31:30.000Z';

function valid(mapped: Mapped[]): Record<string, unknown> {
  expect(mapped).toHaveLength(1);
  expect(mapped[0]!.contract).toBe('recurring_donation');
  const r = getContract('recurring_donation', mapped[0]!.version)!.validate(mapped[0]!.payload);
  expect(r.errors).toBeNull();
  expect(r.value).toEqual(mapped[0]!.payload);
  return mapped[0]!.payload;
}

type Item = NonNullable<NonNullable<StripeSubscription['items']>['data']>[number];
const item = (unit_amount: number | null, quantity?: number, over: { currency?: string; interval?: string; interval_count?: number; usage_type?: string } = {}): Item => ({
  price: { currency: over.currency ?? 'gbp', unit_amount, recurring: { interval: over.interval ?? 'month', interval_count: over.interval_count ?? 1, usage_type: over.usage_type ?? 'licensed' } },
  ...(quantity === undefined ? {} : { quantity }),
});
const sub = (items: Item[], over: Partial<StripeSubscription> = {}): StripeSubscription => ({
  id: 'sub_1', created: 1_764_000_000, status: 'active', currency: 'gbp', customer: 'cus_1', canceled_at: null, ended_at: null, items: { data: items, has_more: false }, ...over,
});

// Compile-time: the SDK's subscription fits the raw shape, so the stream can pass what the SDK lists.
export const sdkFits = (s: Stripe.Subscription): StripeSubscription => s;

describe('mapSubscription', () => {
  it('maps the real sample: a monthly plan of one item, Stripe status as sent, the customer as supporter', () => {
    expect(valid(mapSubscription(fixture()))).toEqual({
      recurring_donation_id: 'sub_1Pgc6rB7WZ01zgkWNy0Cn5nw',
      occurred_at: CREATED_ISO,
      // Active: its canceled_at (a cancellation asked for at the period's end) is not when it last changed.
      updated_at: null,
      supporter_id: 'cus_QXg1o8vcGmoR32',
      account_id: null,
      amount_minor: 2000,
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

  it('takes the instalment as the sum of unit_amount x quantity over the items, a missing quantity as one', () => {
    expect(valid(mapSubscription(sub([item(500, 3), item(250)])))).toMatchObject({ amount_minor: 1750, currency: 'GBP' });
    // Stripe's ISK is two-decimal, ISO's zero: the contract's minor units.
    expect(valid(mapSubscription(sub([item(50000, 1, { currency: 'isk' })], { currency: 'isk' })))).toMatchObject({ amount_minor: 500, currency: 'ISK' });
  });

  it('leaves the amount out when an instalment is not known ahead', () => {
    const none = { amount_minor: null, currency: null };
    expect(valid(mapSubscription(sub([item(500), item(500, 1, { currency: 'eur' })])))).toMatchObject(none);
    expect(valid(mapSubscription(sub([item(500), item(null)])))).toMatchObject(none);
    expect(valid(mapSubscription(sub([item(5, 1, { usage_type: 'metered' })])))).toMatchObject(none);
    expect(valid(mapSubscription(sub([item(500)], { items: { data: [item(500)], has_more: true } })))).toMatchObject(none);
    expect(valid(mapSubscription(sub([])))).toMatchObject({ ...none, installment_period: null, installment_frequency: null });
  });

  it('takes the period from the items\' recurring interval, in NPSP\'s words, and the frequency from interval_count', () => {
    expect(valid(mapSubscription(sub([item(500, 1, { interval: 'week', interval_count: 2 })])))).toMatchObject({ installment_period: 'Weekly', installment_frequency: 2 });
    expect(valid(mapSubscription(sub([item(500, 1, { interval: 'month', interval_count: 3 })])))).toMatchObject({ installment_period: 'Monthly', installment_frequency: 3 });
    expect(valid(mapSubscription(sub([item(500, 1, { interval: 'year' })])))).toMatchObject({ installment_period: 'Yearly', installment_frequency: 1 });
    // Items on different intervals (billing_mode flexible): no one period.
    expect(valid(mapSubscription(sub([item(500), item(500, 1, { interval: 'year' })])))).toMatchObject({ installment_period: null, installment_frequency: null });
  });

  it('dates a canceled subscription\'s version by when it ended, and an expanded customer gives its id', () => {
    const canceled = sub([item(1000)], { status: 'canceled', canceled_at: 1_766_000_000, ended_at: 1_766_500_000, customer: { id: 'cus_9' } });
    expect(valid(mapSubscription(canceled))).toMatchObject({ status: 'canceled', updated_at: '2025-12-23T14:26:40.000Z', supporter_id: 'cus_9', end_date: '2025-12-23', closed_reason: null });
    // recurring_donation v2: the day it ended and Stripe's reason code (never the supporter's comment).
    const why = mapSubscription({ ...canceled, cancellation_details: { reason: 'payment_failed', feedback: null } });
    expect(why[0]!.version).toBe(2);
    expect(valid(why)).toMatchObject({ end_date: '2025-12-23', closed_reason: 'payment_failed' });
    expect(valid(mapSubscription({ ...canceled, status: 'active', ended_at: null, cancellation_details: { reason: 'cancellation_requested' } }))).toMatchObject({ end_date: null, closed_reason: null });
    expect(valid(mapSubscription({ ...canceled, ended_at: null }))).toMatchObject({ updated_at: '2025-12-17T19:33:20.000Z' });
    expect(valid(mapSubscription(sub([item(1000)], { status: 'past_due', canceled_at: 1_766_000_000 })))).toMatchObject({ status: 'past_due', updated_at: null });
  });

  it('maps customer.subscription.* events as of the event, so a cancellation supersedes the version listed before', () => {
    const deleted: StripeEvent = { id: 'evt_1', type: 'customer.subscription.deleted', created: 1_767_000_000, data: { object: { ...sub([item(1000)]), object: 'subscription', status: 'canceled', canceled_at: 1_766_999_990, ended_at: 1_766_999_990 } } };
    const m = mapEvent(deleted);
    expect(m.known).toBe(true);
    expect(valid(m.mapped)).toMatchObject({ recurring_donation_id: 'sub_1', status: 'canceled', updated_at: '2025-12-29T09:20:00.000Z' });
    const updated: StripeEvent = { id: 'evt_2', type: 'customer.subscription.updated', created: 1_767_000_000, data: { object: { ...sub([item(1000)]), object: 'subscription', status: 'past_due' } } };
    expect(valid(mapEvent(updated).mapped)).toMatchObject({ status: 'past_due', updated_at: '2025-12-29T09:20:00.000Z' });
  });
});
