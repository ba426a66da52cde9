// A Stripe Billing subscription -> recurring_donation v2, the regular gift as Stripe holds it (the CRM's NPSP
// recurring donation is the same contract from Salesforce). Pure: no I/O, no clock.
import { CLOSED_PLAN_STATUSES } from '../../core/contracts/regular-giving.js';
import type { Mapped } from '../../core/engine/mapped.js';
import { refId, stripeMinor, unixToIso } from './mappings.js';
import type { StripePrice, StripeSubscription } from './raw.js';

/** Stripe's `recurring.interval` in NPSP's words (npe03__Installment_Period__c), so one query reads both sources. */
const PERIODS: Readonly<Record<string, string>> = Object.freeze({ day: 'Daily', week: 'Weekly', month: 'Monthly', year: 'Yearly' });

/**
 * Statuses after which a subscription takes no more money, `canceled` and `incomplete_expired`: `ended_at` is set
 * (API reference, "The Subscription object"). Stripe's statuses are the contract's words, so the contract's list says it.
 */
const ENDED = new Set(CLOSED_PLAN_STATUSES);

/**
 * What one instalment takes: the sum of unit_amount x quantity over its items, or null when that is not known ahead:
 * a price without unit_amount (tiered, or a customer-chosen amount), a metered one (billed on usage), items in
 * several currencies, or a list cut short (`has_more`: the subscription carries its first items only).
 */
function instalment(sub: StripeSubscription): { amount: number; currency: string } | null {
  const items = sub.items?.data ?? [];
  if (!items.length || sub.items?.has_more) return null;
  const currencies = new Set(items.map((i) => (i.price?.currency ?? sub.currency ?? '').toLowerCase()));
  if (currencies.size !== 1) return null;
  let amount = 0;
  for (const { price, quantity } of items) {
    if (typeof price?.unit_amount !== 'number' || price.recurring?.usage_type === 'metered') return null;
    // A licensed item without a quantity is one unit (Stripe's default).
    amount += price.unit_amount * (quantity ?? 1);
  }
  return { amount, currency: [...currencies][0]! };
}

/** The one interval every item shares (a subscription's prices share it, unless billing_mode is flexible), or null. */
function recurringOf(sub: StripeSubscription): StripePrice['recurring'] {
  const all = (sub.items?.data ?? []).map((i) => i.price?.recurring ?? null);
  const keys = new Set(all.map((r) => `${r?.interval}/${r?.interval_count}`));
  return keys.size === 1 ? all[0] : null;
}

export function mapSubscription(sub: StripeSubscription): Mapped[] {
  const each = instalment(sub);
  const recurring = recurringOf(sub);
  // A subscription has no "last changed" time; an ended one says when it ended, which is when it last changed (a
  // cancellation at the period's end sets canceled_at when asked for, and ended_at at the end). A live one's
  // versions are ordered by the events that carry them (mapEvent: as of the event).
  const ends = ENDED.has(sub.status) ? [sub.canceled_at, sub.ended_at].filter((t): t is number => typeof t === 'number') : [];
  const payload = {
    recurring_donation_id: sub.id,
    occurred_at: unixToIso(sub.created),
    updated_at: ends.length ? unixToIso(Math.max(...ends)) : null,
    supporter_id: refId(sub.customer),
    account_id: null,
    amount_minor: each ? stripeMinor(each.amount, each.currency) : null,
    currency: each ? each.currency.toUpperCase() : null,
    installment_period: recurring?.interval ? (PERIODS[recurring.interval] ?? recurring.interval) : null,
    installment_frequency: recurring?.interval_count ?? null,
    // Stripe's own: active, past_due, unpaid, canceled, incomplete, incomplete_expired, trialing, paused.
    // recon_breaks.sql takes `canceled` as closed (rd_closed), as NPSP's Closed.
    status: sub.status,
    recurring_type: null,
    commitment_id: null,
    deleted: null,
    // The day it ended, as NPSP's End Date is (v2): RECURRING_PAID_AFTER_CLOSED counts from it. Its reason is Stripe's
    // code (cancellation_requested, payment_failed, payment_disputed), never the supporter's comment (core/pii.ts).
    end_date: ENDED.has(sub.status) ? (unixToIso(sub.ended_at)?.slice(0, 10) ?? null) : null,
    closed_reason: ENDED.has(sub.status) ? (sub.cancellation_details?.reason ?? null) : null,
  };
  return [{ contract: 'recurring_donation', version: 2, payload }];
}
