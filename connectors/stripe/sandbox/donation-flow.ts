import { donationChannel } from '../../sandbox-kit/donations.js';
import type { Ledger } from './ledger.js';
import {
  DAY,
  buildBalanceTransaction,
  buildCharge,
  buildCheckoutSession,
  buildCustomer,
  buildPaymentIntent,
  customerName,
  stripeFee,
} from './stripe-objects.js';
import type { SandboxCharge, SandboxCustomer } from './types.js';

/** A donation routed to Stripe: what the scenario (or the live generator) hands the sandbox. */
export interface StripeDonation {
  donation_id: string;
  /** Unix seconds. */
  at: number;
  channel: string;
  amount_minor: number;
  currency: string;
  campaign: string | null;
  /** The call to action the gift answered, when the scenario knows it. */
  cta?: string | null;
  click_id: string | null;
  supporter_id: string;
}

const FAILURE_RATE = 0.03;

/**
 * The objects one donation leaves in a Stripe account: a customer, a Checkout session for online gifts
 * (the call centre keys cards straight into a payment intent), the payment intent, the charge and,
 * when it succeeded, a balance transaction (fee 1.4% + 20p, available two days later).
 */
export function addDonation(ledger: Ledger, d: StripeDonation): SandboxCharge {
  const { rand } = ledger;
  const failed = rand.chance(FAILURE_RATE);
  const online = d.channel === 'online';
  const sessionAt = d.at - rand.int(45, 300);
  const customerAt = online ? sessionAt : d.at - rand.int(60, 600);
  const customer = customerFor(ledger, d.supporter_id, customerAt);

  recordDonation(ledger, d);
  const chargeId = rand.id('ch_3');
  const piId = `pi_3${chargeId.slice(4)}`;
  const charge = chargeFor(ledger, d, chargeId, failed, customer, piId);
  const pi = ledger.store(ledger.paymentIntents, buildPaymentIntent(piId, online ? sessionAt + 5 : d.at - 5, charge));

  if (online) {
    const session = ledger.store(
      ledger.checkoutSessions,
      buildCheckoutSession(rand.id('cs_test_a1', 40), sessionAt, charge, customer, d.click_id, d.donation_id),
    );
    if (!failed) ledger.emit('checkout.session.completed', session, ledger.eventTime(d.at));
  }
  ledger.emit(failed ? 'payment_intent.payment_failed' : 'payment_intent.succeeded', pi, ledger.eventTime(d.at));
  ledger.emit(failed ? 'charge.failed' : 'charge.succeeded', charge, ledger.eventTime(d.at));
  return charge;
}

/** Just a charge and its balance transaction: the 50k benchmark needs volume, not the whole journey. */
export function addBareCharge(ledger: Ledger, d: StripeDonation): SandboxCharge {
  recordDonation(ledger, d);
  const charge = chargeFor(ledger, d, ledger.rand.id('ch_3'), ledger.rand.chance(FAILURE_RATE), null, null);
  ledger.emit(charge.status === 'failed' ? 'charge.failed' : 'charge.succeeded', charge, ledger.eventTime(d.at));
  return charge;
}

/** The donation the charity's form or call centre recorded for this gift, as its producer would send it. */
function recordDonation(ledger: Ledger, d: StripeDonation): void {
  ledger.donations.push({
    donation_id: d.donation_id,
    occurred_at: new Date(d.at * 1000).toISOString(),
    channel: donationChannel(d.channel),
    amount_minor: d.amount_minor,
    currency: d.currency.toUpperCase(),
    campaign: d.campaign,
    cta: d.cta ?? null,
    click_id: d.click_id,
    supporter_id: d.supporter_id,
    payment_provider: 'stripe',
  });
}

function chargeFor(
  ledger: Ledger,
  d: StripeDonation,
  chargeId: string,
  failed: boolean,
  customer: SandboxCustomer | null,
  paymentIntent: string | null,
  method: 'card' | 'bacs_debit' = 'card',
): SandboxCharge {
  const currency = d.currency.toLowerCase();
  const metadata: Record<string, string> = { donation_id: d.donation_id, supporter_id: d.supporter_id, channel: d.channel };
  if (d.campaign) metadata.campaign = d.campaign;
  const btId = failed || method !== 'card' ? null : `txn_3${chargeId.slice(4)}`;
  const charge = ledger.store(
    ledger.charges,
    buildCharge({
      id: chargeId,
      created: d.at,
      amount: d.amount_minor,
      currency,
      customer,
      paymentIntent,
      balanceTransaction: btId,
      failed,
      metadata,
      cardIndex: chargeId.charCodeAt(6),
      description: d.campaign ? `Donation: ${d.campaign}` : 'Donation',
      method,
    }),
  );
  if (btId) chargeBalanceTransaction(ledger, charge, btId, d.at);
  return charge;
}

/** A succeeded charge's balance transaction (fee 1.4% + 20p, available two days after `at`). */
export function chargeBalanceTransaction(ledger: Ledger, charge: SandboxCharge, btId: string, at: number): void {
  ledger.storeBalanceTransaction(
    buildBalanceTransaction(btId, at, {
      amount: charge.amount,
      fee: stripeFee(charge.amount),
      currency: charge.currency,
      availableOn: at + 2 * DAY,
      type: 'charge',
      reportingCategory: 'charge',
      source: charge.id,
      description: charge.description as string,
    }),
  );
}

/** How long a Bacs Direct Debit stays `pending` before it succeeds (Stripe: three working days). */
export const BACS_CLEARING_SECONDS = 3 * DAY;

/**
 * A gift by Bacs Direct Debit (a UK charity's regular giving): the charge is `pending`, with no balance
 * transaction, for three days, then succeeds (`charge.succeeded`) and gets its balance transaction. The
 * sandbox leaves the balance transaction out until then, as Stripe's docs describe for bank debits that
 * have not cleared (not checked against a live account).
 */
export function addBankDebit(ledger: Ledger, d: StripeDonation): SandboxCharge {
  const customer = customerFor(ledger, d.supporter_id, d.at - ledger.rand.int(60, 600));
  recordDonation(ledger, d);
  const chargeId = ledger.rand.id('py_3');
  const charge = chargeFor(ledger, d, chargeId, false, customer, null, 'bacs_debit');
  ledger.emit('charge.pending', charge, ledger.eventTime(d.at));
  ledger.scheduleChange(d.at + BACS_CLEARING_SECONDS, (at) => {
    const btId = `txn_3${chargeId.slice(4)}`;
    const previous = { status: charge.status, paid: charge.paid, balance_transaction: null };
    Object.assign(charge, { status: 'succeeded', paid: true, balance_transaction: btId });
    chargeBalanceTransaction(ledger, charge, btId, at);
    ledger.emit('charge.succeeded', charge, ledger.eventTime(at), previous);
  });
  return charge;
}

export function customerFor(ledger: Ledger, supporterId: string, at: number): SandboxCustomer {
  const known = ledger.customerBySupporter.get(supporterId);
  if (known) return known;
  const customer = ledger.store(ledger.customers, buildCustomer(ledger.rand.id('cus_', 14), at, supporterId, customerName(ledger.customers.size)));
  ledger.customerBySupporter.set(supporterId, customer);
  ledger.emit('customer.created', customer, ledger.eventTime(at));
  return customer;
}
