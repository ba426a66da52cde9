import type { SandboxSubscriptionObject } from './types.js';

// A Stripe Billing subscription as API 2025-03-31 on shows it: the billing period is on each item
// (`items.data[].current_period_start|end`), not on the subscription, and `plan`/`quantity` are gone from the
// subscription itself (they stay on the item). Shape from Stripe's API reference, "The Subscription object".

export type Interval = { interval: 'day' | 'week' | 'month' | 'year'; count: number };

/** The plan's interval for instalments `everyDays` apart: a week or a month where they fall so, else days. */
export function intervalOf(everyDays: number): Interval {
  if (everyDays % 7 === 0 && everyDays < 28) return { interval: 'week', count: everyDays / 7 };
  if (everyDays >= 28 && everyDays <= 31) return { interval: 'month', count: 1 };
  if (everyDays === 365 || everyDays === 366) return { interval: 'year', count: 1 };
  return { interval: 'day', count: everyDays };
}

/**
 * An active subscription of one item (quantity 1 of a recurring price). The item's, price's and product's ids
 * derive from the subscription's, so making one draws nothing more from the seeded sequence than the id.
 */
export function buildSubscription(
  id: string,
  created: number,
  o: { customer: string; amount: number; currency: string; every: Interval; periodStart: number; periodEnd: number },
): SandboxSubscriptionObject {
  const tail = id.slice(4);
  const recurring = Object.freeze({ interval: o.every.interval, interval_count: o.every.count, meter: null, trial_period_days: null, usage_type: 'licensed' });
  const product = `prod_${tail.slice(0, 14)}`;
  const price = Object.freeze({
    id: `price_${tail}`, object: 'price', active: true, billing_scheme: 'per_unit', created, currency: o.currency, custom_unit_amount: null,
    livemode: false, lookup_key: null, metadata: {}, nickname: null, product, recurring, tax_behavior: 'unspecified', tiers_mode: null,
    transform_quantity: null, type: 'recurring', unit_amount: o.amount, unit_amount_decimal: String(o.amount),
  });
  const plan = Object.freeze({
    id: price.id, object: 'plan', active: true, amount: o.amount, amount_decimal: String(o.amount), billing_scheme: 'per_unit', created,
    currency: o.currency, interval: o.every.interval, interval_count: o.every.count, livemode: false, metadata: {}, meter: null, nickname: null,
    product, tiers_mode: null, transform_usage: null, trial_period_days: null, usage_type: 'licensed',
  });
  const item = Object.freeze({
    id: `si_${tail.slice(0, 14)}`, object: 'subscription_item', billing_thresholds: null, created, current_period_end: o.periodEnd,
    current_period_start: o.periodStart, discounts: [], metadata: {}, plan, price, quantity: 1, subscription: id, tax_rates: [],
  });
  return {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: created,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'classic' },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, reason: null },
    collection_method: 'charge_automatically',
    created,
    currency: o.currency,
    customer: o.customer,
    customer_account: null,
    days_until_due: null,
    default_payment_method: `pm_${tail.slice(0, 24)}`,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    ended_at: null,
    invoice_settings: { account_tax_ids: null, issuer: { type: 'self' } },
    items: { object: 'list', data: [item], has_more: false, total_count: 1, url: `/v1/subscription_items?subscription=${id}` },
    latest_invoice: null,
    livemode: false,
    managed_payments: null,
    metadata: {},
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: created,
    status: 'active',
    test_clock: null,
    transfer_data: null,
    trial_end: null,
    trial_settings: { end_behavior: { missing_payment_method: 'create_invoice' } },
    trial_start: null,
  };
}
