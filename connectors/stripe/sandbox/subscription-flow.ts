import { chargeBalanceTransaction, customerFor } from './donation-flow.js';
import type { Ledger } from './ledger.js';
import { DAY, buildCharge, buildInvoice, buildInvoicePayment, buildPaymentIntent } from './stripe-objects.js';
import { SandboxStateError } from './late-changes.js';
import { buildSubscription, intervalOf } from './subscription-object.js';
import type { SandboxCharge, SandboxCustomer, SandboxInvoice, SandboxSubscription, SandboxSubscriptionObject } from './types.js';

export interface SubscriptionSpec {
  /** Unix seconds of the last instalment; the earlier ones are `everyDays` apart before it. */
  lastAt: number;
  instalments?: number;
  amountMinor?: number;
  everyDays?: number;
  currency: string;
}

/**
 * A monthly gift by Stripe Billing: one customer, one subscription, and its paid instalments (types.ts,
 * `addSubscription`). Ids come from the seeded sequence, so nothing is drawn unless this is called.
 */
export function addSubscription(ledger: Ledger, spec: SubscriptionSpec): SandboxSubscription {
  const instalments = spec.instalments ?? 2;
  const everyDays = spec.everyDays ?? 30;
  const every = everyDays * DAY;
  if (!Number.isInteger(instalments) || instalments < 1) throw new RangeError('instalments must be a positive integer');
  const firstAt = spec.lastAt - (instalments - 1) * every;
  const customer = customerFor(ledger, ledger.rand.id('sup_', 14), firstAt - ledger.rand.int(60, 600));
  const subscription = ledger.rand.id('sub_1');
  const amount = spec.amountMinor ?? 1000;
  const currency = spec.currency.toLowerCase();
  const object = ledger.store(
    ledger.subscriptions,
    buildSubscription(subscription, firstAt, { customer: customer.id, amount, currency, every: intervalOf(everyDays), periodStart: spec.lastAt, periodEnd: spec.lastAt + every }),
  );
  const out: SandboxSubscription = { id: subscription, subscription: object, customer, invoices: [], charges: [] };
  for (let i = 0; i < instalments; i++) {
    const { invoice, charge } = addInstalment(ledger, { at: firstAt + i * every, amount, currency, customer, subscription, seq: i + 1 });
    out.invoices.push(invoice);
    out.charges.push(charge);
  }
  object.latest_invoice = out.invoices.at(-1)!.id;
  // After its instalments' events, as it stands after them (its latest invoice): Stripe does not promise events in
  // the order they happened (its webhooks guide), so a receiver must not rely on `created` coming first anyway.
  ledger.emit('customer.subscription.created', object, ledger.eventTime(firstAt));
  return out;
}

/**
 * The next instalment of a subscription, paid at `at`: a renewal, or, on a canceled one, an invoice left open at the
 * cancel whose automatic collection staff resumed (Stripe stops collecting a canceled subscription's open invoices
 * unless told to go on: API reference, "Cancel a subscription").
 */
export function renewSubscription(ledger: Ledger, sub: SandboxSubscriptionObject, at: number): SandboxCharge {
  const invoices = ledger.invoices.items.filter((inv) => inv.parent.subscription_details.subscription === sub.id);
  const last = invoices.at(-1)!;
  const customer = ledger.customers.get(last.customer)!;
  const { invoice, charge } = addInstalment(ledger, { at, amount: last.amount_due, currency: last.currency, customer, subscription: sub.id, seq: invoices.length + 1 });
  // A renewal moves the subscription on (`customer.subscription.updated`); a canceled one can no longer change.
  if (sub.status !== 'canceled') {
    const previous = { latest_invoice: sub.latest_invoice };
    sub.latest_invoice = invoice.id;
    ledger.emit('customer.subscription.updated', sub, ledger.eventTime(at), previous);
  }
  return charge;
}

/**
 * A cancellation at once (`DELETE /v1/subscriptions/:id`, or Stripe's own after the last failed retry): Stripe
 * sets `canceled_at` and `ended_at` to the moment, says why in `cancellation_details.reason`, and sends
 * `customer.subscription.deleted` (API reference, "Cancel a subscription", "Types of events").
 */
export function cancelSubscription(
  ledger: Ledger,
  sub: SandboxSubscriptionObject,
  at: number,
  details: { reason: 'cancellation_requested' | 'payment_failed'; comment?: string | null; feedback?: string | null },
): SandboxSubscriptionObject {
  // The sandbox's words: Stripe refuses to change a canceled subscription, but this text is not a copy of its.
  if (sub.status === 'canceled') throw new SandboxStateError(`subscription ${sub.id} is already canceled`);
  Object.assign(sub, {
    status: 'canceled',
    canceled_at: at,
    ended_at: at,
    cancellation_details: { comment: details.comment ?? null, feedback: details.feedback ?? null, reason: details.reason },
  });
  ledger.emit('customer.subscription.deleted', sub, ledger.eventTime(at));
  return sub;
}

/**
 * One instalment, as Stripe Billing leaves it: the invoice (since API 2025-03-31 the only object that names the
 * subscription, under `parent`), the payment intent that pays it, the intent's charge (an ordinary charge, naming
 * no invoice) with its balance transaction, and the invoice payment between invoice and intent.
 */
function addInstalment(
  ledger: Ledger,
  o: { at: number; amount: number; currency: string; customer: SandboxCustomer; subscription: string; seq: number },
): { invoice: SandboxInvoice; charge: SandboxCharge } {
  const { rand } = ledger;
  const number = `${o.customer.invoice_prefix as string}-${String(o.seq).padStart(4, '0')}`;
  // A renewal's invoice is made an hour before it is finalized and paid; the first is paid as it is made.
  const invoiceAt = o.seq === 1 ? o.at : o.at - 3_600;
  const invoice = ledger.store(
    ledger.invoices,
    buildInvoice(rand.id('in_1'), invoiceAt, { amount: o.amount, currency: o.currency, customer: o.customer, subscription: o.subscription, number, first: o.seq === 1 }),
  );
  const chargeId = rand.id('ch_3');
  const btId = `txn_3${chargeId.slice(4)}`;
  const charge = ledger.store(
    ledger.charges,
    buildCharge({
      id: chargeId,
      created: o.at,
      amount: o.amount,
      currency: o.currency,
      customer: o.customer,
      paymentIntent: `pi_3${chargeId.slice(4)}`,
      balanceTransaction: btId,
      failed: false,
      metadata: {},
      cardIndex: chargeId.charCodeAt(6),
      description: o.seq === 1 ? 'Subscription creation' : 'Subscription update',
    }),
  );
  chargeBalanceTransaction(ledger, charge, btId, o.at);
  const pi = ledger.store(ledger.paymentIntents, buildPaymentIntent(charge.payment_intent!, o.at, charge));
  ledger.invoicePayments.set(invoice.id, [buildInvoicePayment(rand.id('inpay_1'), o.at, invoice, pi)]);

  const t = ledger.eventTime(o.at);
  ledger.emit('invoice.finalized', invoice, t);
  ledger.emit('payment_intent.succeeded', pi, t);
  ledger.emit('charge.succeeded', charge, t);
  const previous = { amount_paid: invoice.amount_paid, amount_remaining: invoice.amount_remaining, attempt_count: 0, attempted: false, status: invoice.status, status_transitions: invoice.status_transitions };
  Object.assign(invoice, {
    amount_paid: o.amount,
    amount_remaining: 0,
    attempt_count: 1,
    attempted: true,
    status: 'paid',
    status_transitions: { ...(invoice.status_transitions as object), paid_at: o.at },
  });
  ledger.emit('invoice.paid', invoice, t, previous);
  ledger.emit('invoice.payment_succeeded', invoice, t);
  return { invoice, charge };
}
