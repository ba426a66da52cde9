import { fromMinorUnits } from '../../../core/money.js';
import type { Ledger } from './ledger.js';
import { transactionXml } from './objects-xml.js';
import { dayOf, isoSeconds } from './time.js';
import { createSale, merchantAccountFor, SandboxStateError } from './transactions.js';
import type { SandboxSubscription, SandboxTransaction, SubscriptionStatus, SubscriptionStatusEvent } from './types.js';
import { array, date, datetime, type XmlObject } from './xml.js';

export interface NewSubscription {
  at: number;
  amountMinor: number;
  currency: string;
  customerId: string;
  /** Charges before it expires; absent: never expires. */
  cycles?: number | null;
}

/** The same day `months` months on (the billing day is at most the 28th here, so no month is short of it). */
function addMonths(day: string, months: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return dayOf(Date.UTC(y, m - 1 + months, d));
}

function changeStatus(ledger: Ledger, sub: SandboxSubscription, status: SubscriptionStatus, at: number, source: SubscriptionStatusEvent['subscription_source'], kind: string | null): void {
  const when = isoSeconds(at);
  sub.status = status;
  sub.updated_at = when;
  sub.status_history.push({ status, timestamp: when, subscription_source: source, price: sub.price, currency_iso_code: sub.currency_iso_code, plan_id: sub.plan_id });
  if (kind) notifySubscription(ledger, kind, sub, at);
}

/** Begun at `at`, billing on that day of the month (at most the 28th), the first instalment charged then. */
export function createSubscription(ledger: Ledger, s: NewSubscription): SandboxSubscription {
  const created = isoSeconds(s.at);
  const day = dayOf(s.at);
  const billingDay = Math.min(Number(day.slice(8, 10)), 28);
  const first = `${day.slice(0, 8)}${String(billingDay).padStart(2, '0')}`;
  const sub: SandboxSubscription = {
    id: ledger.newId(),
    plan_id: 'monthly_gift',
    price: fromMinorUnits(s.amountMinor, s.currency),
    amount_minor: s.amountMinor,
    currency_iso_code: s.currency.toUpperCase(),
    merchant_account_id: merchantAccountFor(s.currency),
    customer_id: s.customerId,
    payment_method_token: ledger.rand.id(6),
    status: 'Active',
    created_at: created,
    updated_at: created,
    first_billing_date: first,
    billing_day_of_month: billingDay,
    billing_frequency: 1,
    number_of_billing_cycles: s.cycles ?? null,
    current_billing_cycle: 0,
    next_billing_date: first,
    paid_through_date: null,
    failure_count: 0,
    status_history: [],
    transaction_ids: [],
  };
  ledger.subscriptions.push(sub);
  ledger.subscriptionsById.set(sub.id, sub);
  changeStatus(ledger, sub, 'Active', s.at, 'api', null);
  chargeSubscription(ledger, sub, s.at, false);
  return sub;
}

/**
 * The billing engine's charge of the next cycle at `at`. A declined one leaves the cycle unpaid and the subscription
 * Past Due; a successful one pays it, brings a Past Due one back to Active, and expires it after its last cycle.
 */
export function chargeSubscription(ledger: Ledger, sub: SandboxSubscription, at: number, declined: boolean): SandboxTransaction {
  if (sub.status === 'Canceled' || sub.status === 'Expired') throw new SandboxStateError(`subscription ${sub.id} is ${sub.status}; it takes no more charges`);
  const tx = createSale(ledger, {
    at, amountMinor: sub.amount_minor, currency: sub.currency_iso_code, orderId: null, customFields: {}, customerId: sub.customer_id,
    source: 'api', declined, subscriptionId: sub.id,
  });
  sub.transaction_ids.push(tx.id);
  sub.updated_at = isoSeconds(at);
  if (declined) {
    sub.failure_count++;
    notifySubscription(ledger, 'subscription_charged_unsuccessfully', sub, at);
    if (sub.status !== 'Past Due') changeStatus(ledger, sub, 'Past Due', at, 'recurring', 'subscription_went_past_due');
    return tx;
  }
  sub.failure_count = 0;
  sub.current_billing_cycle++;
  const paidTo = addMonths(sub.next_billing_date, sub.billing_frequency);
  sub.paid_through_date = dayOf(Date.parse(`${paidTo}T00:00:00Z`) - 86_400_000);
  sub.next_billing_date = paidTo;
  notifySubscription(ledger, 'subscription_charged_successfully', sub, at);
  if (sub.status === 'Past Due') changeStatus(ledger, sub, 'Active', at, 'recurring', 'subscription_went_active');
  if (sub.number_of_billing_cycles !== null && sub.current_billing_cycle >= sub.number_of_billing_cycles) {
    changeStatus(ledger, sub, 'Expired', at, 'recurring', 'subscription_expired');
  }
  return tx;
}

/** Cancelled at `at`: no more charges. Braintree refuses to cancel one already ended (81905). */
export function cancelSubscription(ledger: Ledger, sub: SandboxSubscription, at: number, source: 'api' | 'control_panel'): SandboxSubscription {
  if (sub.status === 'Canceled' || sub.status === 'Expired') throw new SandboxStateError(`subscription ${sub.id} is ${sub.status}; it cannot be cancelled`);
  changeStatus(ledger, sub, 'Canceled', at, source, 'subscription_canceled');
  return sub;
}

/** Notifications carry the whole subscription (the SDK's samples hold only its id and transactions). */
function notifySubscription(ledger: Ledger, kind: string, sub: SandboxSubscription, at: number): void {
  ledger.notify({ kind, timestamp: isoSeconds(at), subjectId: sub.id, subject: () => ({ name: 'subscription', value: subscriptionXml(sub, ledger) }) });
}

/** Shaped like a gateway `<subscription>` (braintree-go's recorded answers), its instalments newest first. */
export function subscriptionXml(sub: SandboxSubscription, ledger: Ledger): XmlObject {
  const periodStart = addMonths(sub.next_billing_date, -sub.billing_frequency);
  const ended = sub.status === 'Canceled' || sub.status === 'Expired';
  return {
    add_ons: array('add_on', []),
    balance: fromMinorUnits(0, sub.currency_iso_code),
    billing_day_of_month: sub.billing_day_of_month,
    billing_period_end_date: date(dayOf(Date.parse(`${sub.next_billing_date}T00:00:00Z`) - 86_400_000)),
    billing_period_start_date: date(periodStart),
    created_at: datetime(sub.created_at),
    updated_at: datetime(sub.updated_at),
    current_billing_cycle: sub.current_billing_cycle,
    days_past_due: sub.status === 'Past Due' ? 1 : null,
    discounts: array('discount', []),
    failure_count: sub.failure_count,
    first_billing_date: date(sub.first_billing_date),
    id: sub.id,
    merchant_account_id: sub.merchant_account_id,
    never_expires: sub.number_of_billing_cycles === null,
    next_bill_amount: sub.price,
    next_billing_period_amount: sub.price,
    next_billing_date: date(ended ? null : sub.next_billing_date),
    number_of_billing_cycles: sub.number_of_billing_cycles,
    paid_through_date: date(sub.paid_through_date),
    payment_method_token: sub.payment_method_token,
    plan_id: sub.plan_id,
    price: sub.price,
    status: sub.status,
    trial_duration: null,
    trial_duration_unit: null,
    trial_period: false,
    descriptor: { name: null, phone: null, url: null },
    description: null,
    status_history: array(
      'status_event',
      [...sub.status_history].reverse().map((e) => ({
        balance: fromMinorUnits(0, e.currency_iso_code),
        currency_iso_code: e.currency_iso_code,
        plan_id: e.plan_id,
        price: e.price,
        status: e.status,
        subscription_source: e.subscription_source,
        timestamp: datetime(e.timestamp),
        user: null,
      })),
    ),
    transactions: array('transaction', [...sub.transaction_ids].reverse().map((id) => transactionXml(ledger.byId.get(id)!, ledger))),
  };
}
