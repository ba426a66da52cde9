import type {
  SandboxBalanceTransaction,
  SandboxCharge,
  SandboxCheckoutSession,
  SandboxCustomer,
  SandboxDispute,
  SandboxInvoice,
  SandboxInvoicePayment,
  SandboxPaymentIntent,
  SandboxPayout,
  SandboxRefund,
} from './types.js';
import { sandboxSupporterEmail } from '../../sandbox-kit/donations.js';

// Builders for Stripe's object shapes (test/fixtures/stripe). Nested parts that never change are
// shared, frozen objects: 50k charges then cost little memory, and a mutation must replace a nested
// object rather than edit it, which is also what keeps event snapshots (shallow copies) honest.

export const DAY = 86_400;

const NULL_ADDRESS = Object.freeze({ city: null, country: null, line1: null, line2: null, postal_code: null, state: null });
const OUTCOME_OK = Object.freeze({
  advice_code: null,
  network_advice_code: null,
  network_decline_code: null,
  network_status: 'approved_by_network',
  reason: null,
  risk_level: 'normal',
  seller_message: 'Payment complete.',
  type: 'authorized',
});
const OUTCOME_DECLINED = Object.freeze({
  advice_code: 'try_again_later',
  network_advice_code: null,
  network_decline_code: null,
  network_status: 'declined_by_network',
  reason: 'generic_decline',
  risk_level: 'normal',
  seller_message: 'The bank did not return any further details with this decline.',
  type: 'issuer_declined',
});
const EMPTY_METADATA = Object.freeze({});

const CARDS = [
  ['visa', '4242', 'GB', 'debit'],
  ['visa', '1881', 'GB', 'credit'],
  ['mastercard', '4444', 'GB', 'debit'],
  ['mastercard', '8210', 'IE', 'credit'],
  ['amex', '8431', 'GB', 'credit'],
  ['visa', '0005', 'FR', 'debit'],
].map(([brand, last4, country, funding], i) =>
  Object.freeze({
    card: Object.freeze({
      amount_authorized: null,
      brand,
      checks: Object.freeze({ address_line1_check: null, address_postal_code_check: 'pass', cvc_check: 'pass' }),
      country,
      exp_month: 1 + ((i * 5) % 12),
      exp_year: 2028 + (i % 4),
      fingerprint: `Fp${brand}${last4}x9Q`,
      funding,
      last4,
      network: brand,
      three_d_secure: null,
      wallet: null,
    }),
    type: 'card',
  }),
);

const NAMES = ['Ada Lovelace', 'Mary Seacole', 'Alan Turing', 'Rosalind Franklin', 'Isambard Brunel', 'Grace Hopper', 'Tim Berners-Lee', 'Dorothy Hodgkin'];

export function customerName(seq: number): string {
  return NAMES[seq % NAMES.length]!;
}

export function buildCustomer(id: string, created: number, supporterId: string, name: string): SandboxCustomer {
  return {
    id,
    object: 'customer',
    address: null,
    balance: 0,
    created,
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    email: sandboxSupporterEmail(supporterId),
    invoice_prefix: id.slice(4, 12).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: { supporter_id: supporterId },
    name,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

export interface ChargeSpec {
  id: string;
  created: number;
  amount: number;
  currency: string;
  customer: SandboxCustomer | null;
  paymentIntent: string | null;
  balanceTransaction: string | null;
  failed: boolean;
  metadata: Record<string, string>;
  cardIndex: number;
  description: string;
  /** A Bacs Direct Debit is made `pending` (donation-flow.ts addBankDebit); a card charge succeeds or fails at once. */
  method?: 'card' | 'bacs_debit';
}

/** A debit from a UK bank account under a Direct Debit mandate (no account number: Stripe gives the last four). */
const BACS_DEBIT = Object.freeze({
  bacs_debit: Object.freeze({ fingerprint: 'FpBacs0001x9Q', last4: '2345', mandate: 'mandate_sandbox', sort_code: '108800' }),
  type: 'bacs_debit',
});

export function buildCharge(s: ChargeSpec): SandboxCharge {
  return {
    id: s.id,
    object: 'charge',
    amount: s.amount,
    amount_captured: s.failed ? 0 : s.amount,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: s.balanceTransaction,
    billing_details: { address: NULL_ADDRESS, email: s.customer?.email ?? null, name: (s.customer?.name as string | undefined) ?? null, phone: null, tax_id: null },
    calculated_statement_descriptor: 'PUDDLE CHARITY',
    captured: !s.failed,
    created: s.created,
    currency: s.currency,
    customer: s.customer?.id ?? null,
    description: s.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: s.failed ? 'card_declined' : null,
    failure_message: s.failed ? 'Your card was declined.' : null,
    fraud_details: EMPTY_METADATA,
    livemode: false,
    metadata: s.metadata,
    on_behalf_of: null,
    outcome: s.failed ? OUTCOME_DECLINED : OUTCOME_OK,
    paid: !s.failed && s.method !== 'bacs_debit',
    payment_intent: s.paymentIntent,
    payment_method: `pm_${s.id.slice(3)}`,
    payment_method_details: s.method === 'bacs_debit' ? BACS_DEBIT : CARDS[s.cardIndex % CARDS.length],
    receipt_email: null,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: s.failed ? 'failed' : s.method === 'bacs_debit' ? 'pending' : 'succeeded',
    transfer_data: null,
    transfer_group: null,
  };
}

export function buildPaymentIntent(id: string, created: number, charge: SandboxCharge): SandboxPaymentIntent {
  const failed = charge.status === 'failed';
  return {
    id,
    object: 'payment_intent',
    amount: charge.amount,
    amount_capturable: 0,
    amount_received: failed ? 0 : charge.amount,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic_async',
    client_secret: `${id}_secret_${charge.id.slice(3, 15)}`,
    confirmation_method: 'automatic',
    created,
    currency: charge.currency,
    customer: charge.customer,
    description: charge.description,
    last_payment_error: failed
      ? { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.', charge: charge.id }
      : null,
    latest_charge: charge.id,
    livemode: false,
    metadata: charge.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: failed ? null : charge.payment_method,
    payment_method_types: ['card'],
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: failed ? 'requires_payment_method' : 'succeeded',
    transfer_data: null,
    transfer_group: null,
  };
}

export function buildCheckoutSession(
  id: string,
  created: number,
  charge: SandboxCharge,
  customer: SandboxCustomer,
  clickId: string | null,
  donationId: string,
): SandboxCheckoutSession {
  const complete = charge.status === 'succeeded';
  return {
    id,
    object: 'checkout.session',
    amount_subtotal: charge.amount,
    amount_total: charge.amount,
    cancel_url: 'https://donate.example.org/cancelled',
    client_reference_id: clickId,
    created,
    currency: charge.currency,
    customer: customer.id,
    customer_creation: 'always',
    customer_details: { address: NULL_ADDRESS, email: customer.email, name: customer.name, phone: null, tax_exempt: 'none', tax_ids: [] },
    customer_email: null,
    expires_at: created + DAY,
    livemode: false,
    locale: null,
    metadata: { donation_id: donationId },
    mode: 'payment',
    payment_intent: charge.payment_intent as string,
    payment_link: null,
    payment_method_types: ['card'],
    payment_status: complete ? 'paid' : 'unpaid',
    status: complete ? 'complete' : 'open',
    submit_type: 'donate',
    success_url: 'https://donate.example.org/thanks',
    url: null,
  };
}

/** Stripe's UK card pricing, 1.4% + 20p, is what a charity sees on most donations. */
export function stripeFee(amount: number): number {
  return Math.round(amount * 0.014) + 20;
}

export function buildBalanceTransaction(
  id: string,
  created: number,
  opts: { amount: number; fee: number; currency: string; availableOn: number; type: SandboxBalanceTransaction['type']; reportingCategory: string; source: string; description: string | null },
): SandboxBalanceTransaction {
  return {
    id,
    object: 'balance_transaction',
    amount: opts.amount,
    available_on: opts.availableOn,
    balance_type: 'payments',
    created,
    currency: opts.currency,
    description: opts.description,
    exchange_rate: null,
    fee: opts.fee,
    fee_details: opts.fee ? [{ amount: opts.fee, application: null, currency: opts.currency, description: 'Stripe processing fees', type: 'stripe_fee' }] : [],
    net: opts.amount - opts.fee,
    reporting_category: opts.reportingCategory,
    source: opts.source,
    status: 'pending',
    type: opts.type,
  };
}

export function buildRefund(id: string, created: number, charge: SandboxCharge, amount: number, balanceTransaction: string): SandboxRefund {
  return {
    id,
    object: 'refund',
    amount,
    balance_transaction: balanceTransaction,
    charge: charge.id,
    created,
    currency: charge.currency,
    destination_details: { card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' }, type: 'card' },
    metadata: EMPTY_METADATA,
    payment_intent: charge.payment_intent,
    reason: 'requested_by_customer',
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  };
}

export function buildDispute(id: string, created: number, charge: SandboxCharge, bt: SandboxBalanceTransaction): SandboxDispute {
  return {
    id,
    object: 'dispute',
    amount: charge.amount,
    balance_transactions: [bt],
    charge: charge.id,
    created,
    currency: charge.currency,
    evidence_details: { due_by: created + 7 * DAY, has_evidence: false, past_due: false, submission_count: 0 },
    is_charge_refundable: false,
    livemode: false,
    metadata: EMPTY_METADATA,
    payment_intent: charge.payment_intent,
    reason: 'fraudulent',
    status: 'needs_response',
  };
}

export function buildPayout(id: string, created: number, amount: number, currency: string, arrivalDate: number, balanceTransaction: string): SandboxPayout {
  return {
    id,
    object: 'payout',
    amount,
    application_fee: null,
    application_fee_amount: null,
    arrival_date: arrivalDate,
    automatic: true,
    balance_transaction: balanceTransaction,
    created,
    currency,
    description: 'STRIPE PAYOUT',
    destination: 'ba_1PuddleCharityCurrent0001',
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata: EMPTY_METADATA,
    method: 'standard',
    original_payout: null,
    reconciliation_status: 'completed',
    reversed_by: null,
    source_type: 'card',
    // What the bank statement shows; reconciliation matches bank lines on it.
    statement_descriptor: `STRIPE PAYOUT ${id.slice(-8).toUpperCase()}`,
    status: 'in_transit',
    type: 'bank_account',
  };
}

/** A subscription's invoice for one period, finalized (open) with its amount due: `addInstalment` marks it paid. */
export function buildInvoice(id: string, created: number, opts: { amount: number; currency: string; customer: SandboxCustomer; subscription: string; number: string; first: boolean }): SandboxInvoice {
  return {
    id,
    object: 'invoice',
    account_country: 'GB',
    account_name: 'Puddle Charity',
    amount_due: opts.amount,
    amount_paid: 0,
    amount_remaining: opts.amount,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    billing_reason: opts.first ? 'subscription_create' : 'subscription_cycle',
    collection_method: 'charge_automatically',
    created,
    currency: opts.currency,
    customer: opts.customer.id,
    customer_email: opts.customer.email,
    description: null,
    livemode: false,
    metadata: EMPTY_METADATA,
    number: opts.number,
    parent: { type: 'subscription_details', quote_details: null, subscription_details: { metadata: EMPTY_METADATA, subscription: opts.subscription } },
    period_end: created,
    period_start: created,
    status: 'open',
    status_transitions: { finalized_at: created, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: opts.amount,
    total: opts.amount,
  };
}

export function buildInvoicePayment(id: string, created: number, invoice: SandboxInvoice, paymentIntent: SandboxPaymentIntent): SandboxInvoicePayment {
  const paid = paymentIntent.status === 'succeeded';
  return {
    id,
    object: 'invoice_payment',
    amount_paid: paid ? paymentIntent.amount : null,
    amount_requested: invoice.amount_due,
    created,
    currency: invoice.currency,
    invoice: invoice.id,
    is_default: true,
    livemode: false,
    payment: { type: 'payment_intent', payment_intent: paymentIntent.id },
    status: paid ? 'paid' : 'open',
    status_transitions: { canceled_at: null, paid_at: paid ? created : null },
  };
}
