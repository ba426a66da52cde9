// A Braintree recurring-billing subscription -> recurring_donation v2, the regular gift as Braintree holds it (Stripe's
// subscriptions and the CRM's NPSP recurring donations are the same contract). Pure: no I/O, no clock.
import { CLOSED_PLAN_STATUSES } from '../../core/contracts/regular-giving.js';
import type { Mapped } from '../../core/engine/mapped.js';
import { RecordError } from '../../core/errors.js';
import { latest, minor, text, toDate, toIsoTime, trimmed, upper } from './mappings.js';
import type { BraintreeSubscription } from './raw.js';

/**
 * Braintree's five statuses (the SDK's Subscription.Status) in the contract's words: lower case with `_`, as Stripe's
 * are (`past_due`), so that recon_breaks.sql reads `canceled` as closed for both providers.
 */
export const SUBSCRIPTION_STATUSES: Readonly<Record<string, string>> = Object.freeze({
  Active: 'active',
  'Past Due': 'past_due',
  Pending: 'pending',
  Canceled: 'canceled',
  Expired: 'expired',
});

/**
 * The statuses a subscription never leaves (Braintree cannot reactivate one), in Braintree's words (`Canceled`,
 * `Expired`): those whose contract word takes no more money.
 */
export const ENDED_STATUSES: readonly string[] = Object.keys(SUBSCRIPTION_STATUSES).filter((s) => CLOSED_PLAN_STATUSES.includes(SUBSCRIPTION_STATUSES[s]!));

/** Average days in a month: a billing period of N months is N x this, give or take three days. */
const DAYS_A_MONTH = 365.2425 / 12;

/**
 * Every how many months it bills. Braintree bills by the month only (a plan's `billingFrequency`, in months); a
 * subscription's answer leaves the frequency to its plan in most API versions, so it is read from the current
 * billing period when absent: a period of N months runs from its start to the day before the start plus N months.
 */
function monthsBetweenCharges(sub: BraintreeSubscription): number | null {
  const given = Number(sub.billingFrequency);
  if (sub.billingFrequency !== null && sub.billingFrequency !== undefined && Number.isSafeInteger(given) && given > 0) return given;
  const start = Date.parse(toIsoTime(sub.billingPeriodStartDate) ?? '');
  const end = Date.parse(toIsoTime(sub.billingPeriodEndDate) ?? '');
  if (Number.isNaN(start) || Number.isNaN(end) || end < start) return null;
  const months = Math.round((end - start + 86_400_000) / 86_400_000 / DAYS_A_MONTH);
  return months >= 1 ? months : null;
}

/** Add-ons or discounts change what a cycle takes from its price; an empty array parses as "" or []. */
const hasAny = (v: unknown) => Array.isArray(v) && v.length > 0;

export function mapSubscription(sub: BraintreeSubscription): Mapped[] {
  const id = trimmed(sub.id);
  if (id === null) throw new RecordError('subscription has no id', [{ path: 'id', message: 'required' }]);
  const raw = text(sub.status);
  // Not echoed: a value that is not one of the five is not Braintree's, and could be anything.
  const status = raw === null ? null : SUBSCRIPTION_STATUSES[raw];
  if (status === undefined) throw new RecordError(`subscription ${id} has a status that is not one of Braintree's five`, [{ path: 'status', message: 'not a Braintree subscription status' }]);
  const history = Array.isArray(sub.statusHistory) ? sub.statusHistory : [];
  const txs = Array.isArray(sub.transactions) ? sub.transactions : [];
  const ended = raw !== null && ENDED_STATUSES.includes(raw);
  // The event that ended it (the newest with its status): its day is the end date RECURRING_PAID_AFTER_CLOSED counts from.
  const endEvent = ended ? history.filter((e) => e?.status === raw).map((e) => toIsoTime(e.timestamp)) : [];
  // Its currency is its merchant account's; the status events (and the charges) carry it, the subscription does not.
  const currency = upper(history.map((e) => text(e?.currencyIsoCode)).find((c) => c !== null) ?? txs.map((t) => text(t?.currencyIsoCode)).find((c) => c !== null));
  const months = monthsBetweenCharges(sub);
  const payload = {
    recurring_donation_id: id,
    occurred_at: toIsoTime(sub.createdAt),
    updated_at: latest([toIsoTime(sub.updatedAt), ...history.map((e) => toIsoTime(e?.timestamp))]),
    // The customer whose payment method it charges, as its charges name it (the subscription names only the
    // payment method's token): no call to the vault, which would bring the supporter's details along.
    supporter_id: txs.map((t) => trimmed(t?.customer?.id)).find((c) => c !== null) ?? null,
    account_id: null,
    // One cycle's price; with add-ons or discounts a cycle takes something else, not known from the price alone.
    amount_minor: hasAny(sub.addOns) || hasAny(sub.discounts) ? null : minor(sub.price, currency),
    currency,
    installment_period: 'Monthly',
    installment_frequency: months,
    status,
    recurring_type: null,
    commitment_id: null,
    deleted: null,
    end_date: ended ? toDate(latest(endEvent)) : null,
    // Braintree records who ended it (`subscription_source`), never why: no reason to give.
    closed_reason: null,
  };
  return [{ contract: 'recurring_donation', version: 2, payload }];
}
