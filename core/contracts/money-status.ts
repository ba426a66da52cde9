// What a payment's, a refund's, a dispute's and a payout's status means, in one place. The contracts take only these
// statuses (trimmed and lower-cased first, so a producer's "Succeeded" or "settled " lands as the status it
// means, and anything else is a 400 for a producer or quarantine for a connector), and the reconciliation reads
// the same lists as the SQL views `recon_statuses`, `dispute_statuses` and `payout_statuses` (puddles/named-views.ts). Before the
// lists, a status spelt otherwise landed as sent and silently counted as pending: a paid payment was never
// matched, a refund never netted.

import { statusSpellings, statusValues } from './status-list.js';

export type MoneyOutcome = 'succeeded' | 'pending' | 'failed';

export interface MoneyStatus {
  status: string;
  /** succeeded: money taken (a payment) or given back (a refund); failed: none moved and none will. */
  outcome: MoneyOutcome;
  doc: string;
}

/**
 * A payment's or a refund's status: Stripe's charge and refund statuses, Braintree's transaction statuses (a
 * Braintree refund is a credit transaction, with the same statuses), and what producers that take the money
 * themselves send.
 */
export const PAYMENT_STATUSES = [
  { status: 'succeeded', outcome: 'succeeded', doc: 'Stripe charge or refund; a producer' },
  { status: 'paid', outcome: 'succeeded', doc: 'a producer (IVR, call centre) that took the card itself' },
  { status: 'submitted_for_settlement', outcome: 'succeeded', doc: 'Braintree: captured, settles within a day' },
  { status: 'settling', outcome: 'succeeded', doc: 'Braintree' },
  { status: 'settled', outcome: 'succeeded', doc: 'Braintree' },
  { status: 'settlement_confirmed', outcome: 'succeeded', doc: 'Braintree: the processor confirmed the settlement' },
  { status: 'pending', outcome: 'pending', doc: 'Stripe charge or refund; a producer whose payment is under way' },
  { status: 'requires_action', outcome: 'pending', doc: 'Stripe refund waiting for the customer (some payment methods)' },
  { status: 'authorizing', outcome: 'pending', doc: 'Braintree' },
  { status: 'authorized', outcome: 'pending', doc: 'Braintree: authorised, not yet submitted for settlement' },
  { status: 'settlement_pending', outcome: 'pending', doc: 'Braintree' },
  { status: 'failed', outcome: 'failed', doc: 'Stripe; Braintree; a producer' },
  { status: 'processor_declined', outcome: 'failed', doc: 'Braintree' },
  { status: 'gateway_rejected', outcome: 'failed', doc: 'Braintree' },
  { status: 'settlement_declined', outcome: 'failed', doc: 'Braintree' },
  { status: 'authorization_expired', outcome: 'failed', doc: 'Braintree: never captured, the authorisation lapsed' },
  { status: 'voided', outcome: 'failed', doc: 'Braintree: cancelled before settlement' },
  { status: 'cancelled', outcome: 'failed', doc: 'Stripe refund (spelt canceled); a producer' },
] as const satisfies readonly MoneyStatus[];

export type PaymentStatusValue = (typeof PAYMENT_STATUSES)[number]['status'];
export const PAYMENT_STATUS_VALUES = statusValues(PAYMENT_STATUSES);

/** Other spellings, keyed by their trimmed lower-case form: Stripe spells it canceled. */
export const PAYMENT_STATUS_ALIASES: Readonly<Record<string, PaymentStatusValue>> = { canceled: 'cancelled' };

/** Every spelling a landed payment or refund may hold (rows landed before the list keep Stripe's `canceled`). */
export const PAYMENT_STATUS_SPELLINGS = statusSpellings<MoneyStatus>(PAYMENT_STATUSES, PAYMENT_STATUS_ALIASES);

export interface DisputeStatus {
  status: string;
  /** The provider took the disputed money from the charity (until it is won back): it must be netted. */
  takes_money: boolean;
  doc: string;
}

/** A dispute's status: Stripe's and Braintree's. */
export const DISPUTE_STATUSES = [
  { status: 'warning_needs_response', takes_money: false, doc: 'Stripe: an inquiry, no money moved yet' },
  { status: 'warning_under_review', takes_money: false, doc: 'Stripe: an inquiry' },
  { status: 'warning_closed', takes_money: false, doc: 'Stripe: an inquiry that ended without a chargeback' },
  { status: 'prevented', takes_money: false, doc: 'Stripe: stopped before it became a chargeback' },
  { status: 'won', takes_money: false, doc: 'Stripe; Braintree: the money came back' },
  { status: 'needs_response', takes_money: true, doc: 'Stripe' },
  { status: 'under_review', takes_money: true, doc: 'Stripe; Braintree' },
  { status: 'lost', takes_money: true, doc: 'Stripe; Braintree' },
  { status: 'appeal_needs_response', takes_money: true, doc: 'Stripe: lost, and may be appealed' },
  { status: 'appeal_under_review', takes_money: true, doc: 'Stripe: lost, appeal under review' },
  { status: 'open', takes_money: true, doc: 'Braintree' },
  { status: 'disputed', takes_money: true, doc: 'Braintree: the charity replied' },
  { status: 'accepted', takes_money: true, doc: 'Braintree: the charity accepted the chargeback' },
  { status: 'auto_accepted', takes_money: true, doc: 'Braintree' },
  { status: 'expired', takes_money: true, doc: 'Braintree: no reply in time, lost' },
] as const satisfies readonly DisputeStatus[];

export type DisputeStatusValue = (typeof DISPUTE_STATUSES)[number]['status'];
export const DISPUTE_STATUS_VALUES = statusValues(DISPUTE_STATUSES);

export interface PayoutStatus {
  status: string;
  /** The money was sent to the bank account: a bank line is expected (PAYOUT_NO_BANK_LINE when none is). */
  to_bank: boolean;
  /** The payout carries its items' money: its amount must be what they sum to (PAYOUT_ITEMS_MISMATCH). */
  carries_items: boolean;
  /**
   * The money has left the provider's balance (recon_provider_balance counts it paid out): Stripe takes a payout's
   * amount from the balance when it creates it, pending or not; a failed payout's money comes back (and its reversal
   * item, in a later payout, is not counted again), a canceled one's never left.
   */
  left_provider: boolean;
  doc: string;
}

/**
 * A payout's status: Stripe's payout statuses; Braintree says only whether a disbursement succeeded (the mapping
 * gives `paid` or `failed`). Before the list a status spelt otherwise (`Paid`, `in-transit`) landed as sent and
 * was never expected in the bank, so a missing credit never became a break.
 */
export const PAYOUT_STATUSES = [
  { status: 'paid', to_bank: true, carries_items: true, left_provider: true, doc: 'Stripe: in the bank account; Braintree: a disbursement that succeeded' },
  { status: 'in_transit', to_bank: true, carries_items: true, left_provider: true, doc: 'Stripe: sent, on its way to the bank' },
  { status: 'pending', to_bank: false, carries_items: true, left_provider: true, doc: 'Stripe: not sent yet (its amount already taken from the balance)' },
  { status: 'failed', to_bank: false, carries_items: true, left_provider: false, doc: 'Stripe: the bank refused it, the money is back with Stripe (PAYOUT_FAILED until a later payout carries it); Braintree: a disbursement that did not succeed' },
  { status: 'canceled', to_bank: false, carries_items: false, left_provider: false, doc: 'Stripe: cancelled before it was sent' },
] as const satisfies readonly PayoutStatus[];

export type PayoutStatusValue = (typeof PAYOUT_STATUSES)[number]['status'];
export const PAYOUT_STATUS_VALUES = statusValues(PAYOUT_STATUSES);

/** Other spellings, keyed by their trimmed lower-case form: British English spells it cancelled. */
export const PAYOUT_STATUS_ALIASES: Readonly<Record<string, PayoutStatusValue>> = { cancelled: 'canceled' };

/** Every spelling a landed payout may hold. */
export const PAYOUT_STATUS_SPELLINGS = statusSpellings<PayoutStatus>(PAYOUT_STATUSES, PAYOUT_STATUS_ALIASES);
