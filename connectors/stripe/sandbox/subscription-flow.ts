import { chargeBalanceTransaction, customerFor } from './donation-flow.js';
import type { Ledger } from './ledger.js';
import { DAY, buildCharge, buildInvoice, buildInvoicePayment, buildPaymentIntent } from './stripe-objects.js';
import type { SandboxCharge, SandboxCustomer, SandboxInvoice, SandboxSubscription } from './types.js';

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
  const every = (spec.everyDays ?? 30) * DAY;
  if (!Number.isInteger(instalments) || instalments < 1) throw new RangeError('instalments must be a positive integer');
  const firstAt = spec.lastAt - (instalments - 1) * every;
  const customer = customerFor(ledger, ledger.rand.id('sup_', 14), firstAt - ledger.rand.int(60, 600));
  const subscription = ledger.rand.id('sub_1');
  const out: SandboxSubscription = { id: subscription, customer, invoices: [], charges: [] };
  for (let i = 0; i < instalments; i++) {
    const { invoice, charge } = addInstalment(ledger, { at: firstAt + i * every, amount: spec.amountMinor ?? 1000, currency: spec.currency.toLowerCase(), customer, subscription, seq: i + 1 });
    out.invoices.push(invoice);
    out.charges.push(charge);
  }
  return out;
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
