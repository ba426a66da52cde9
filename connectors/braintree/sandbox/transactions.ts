import { fromMinorUnits } from '../../../core/money.js';
import type { SandboxDonation } from '../../sandbox-kit/donations.js';
import type { Ledger } from './ledger.js';
import { transactionXml } from './objects-xml.js';
import { DAY, HOUR, isoSeconds, startOfDay } from './time.js';
import type { SandboxTransaction, StatusEvent } from './types.js';

export class SandboxStateError extends Error {}

export interface NewSale {
  at: number;
  amountMinor: number;
  currency: string;
  orderId: string | null;
  customFields: Record<string, string>;
  customerId: string | null;
  /** 'control_panel' for the call centre's virtual terminal, 'api' for online gifts. */
  source: 'api' | 'control_panel';
  declined: boolean;
  /** The subscription charging this sale as an instalment; absent for a one-off gift. */
  subscriptionId?: string | null;
  /** The donation the charity's form or call centre recorded for this sale (kept in `ledger.donations`). */
  donation?: SandboxDonation;
}

const CARD_TYPES = ['Visa', 'Visa', 'Visa', 'MasterCard', 'MasterCard', 'American Express'] as const;
const FIRST_NAMES = ['Alex', 'Sam', 'Jo', 'Chris', 'Pat', 'Robin', 'Kim', 'Lee'];

export function merchantAccountFor(currency: string): string {
  return `puddle_${currency.toLowerCase()}`;
}

/** The nightly settlement batch that picks a transaction up: 02:00 UTC the day after it was created. */
export function settlementDueAt(createdMs: number): number {
  return startOfDay(createdMs) + DAY + 2 * HOUR;
}

export function createSale(ledger: Ledger, sale: NewSale): SandboxTransaction {
  const rand = ledger.rand;
  const created = isoSeconds(sale.at);
  const amount = fromMinorUnits(sale.amountMinor, sale.currency);
  const user = sale.source === 'api' ? 'puddle_api' : 'call_centre';
  const event = (status: StatusEvent['status']): StatusEvent => ({ status, timestamp: created, amount, user, transaction_source: sale.source });
  const tx: SandboxTransaction = {
    id: ledger.newId(),
    type: 'sale',
    status: sale.declined ? 'processor_declined' : 'submitted_for_settlement',
    amount,
    amount_minor: sale.amountMinor,
    currency_iso_code: sale.currency.toUpperCase(),
    merchant_account_id: merchantAccountFor(sale.currency),
    order_id: sale.orderId,
    created_at: created,
    updated_at: created,
    settlement_batch_id: null,
    refunded_transaction_id: null,
    refund_ids: [],
    disbursement_details: null,
    status_history: sale.declined ? [event('processor_declined')] : [event('authorized'), event('submitted_for_settlement')],
    custom_fields: sale.customFields,
    subscription_id: sale.subscriptionId ?? null,
    customer: { id: sale.customerId, first_name: rand.pick(FIRST_NAMES) },
    card_type: rand.pick(CARD_TYPES),
    card_last_4: String(rand.int(0, 9999)).padStart(4, '0'),
    processor_response_code: sale.declined ? '2000' : '1000',
    processor_response_text: sale.declined ? 'Do Not Honor' : 'Approved',
    processor_authorization_code: sale.declined ? null : rand.code(6),
    dispute_ids: [],
  };
  ledger.insert(tx);
  if (sale.donation) ledger.donations.push(sale.donation);
  if (!sale.declined) ledger.toSettle.push(settlementDueAt(sale.at), tx);
  return tx;
}

/**
 * A refund: a new credit transaction pointing back at the sale, submitted for settlement like any other.
 * Braintree only refunds settled sales (a sale still in the batch is voided instead).
 */
export function refundSale(ledger: Ledger, sale: SandboxTransaction, at: number, amountMinor?: number): SandboxTransaction {
  if (sale.type !== 'sale' || sale.status !== 'settled') {
    throw new SandboxStateError(`transaction ${sale.id} is ${sale.status}; only settled sales can be refunded`);
  }
  const refunded = sale.refund_ids.reduce((sum, id) => sum + ledger.byId.get(id)!.amount_minor, 0);
  const value = amountMinor ?? sale.amount_minor - refunded;
  if (!Number.isInteger(value) || value <= 0 || value > sale.amount_minor - refunded) {
    throw new SandboxStateError(`refund of ${value} on ${sale.id} exceeds the ${sale.amount_minor - refunded} left to refund`);
  }
  const created = isoSeconds(at);
  const amount = fromMinorUnits(value, sale.currency_iso_code);
  const credit: SandboxTransaction = {
    ...sale,
    id: ledger.newId(),
    type: 'credit',
    status: 'submitted_for_settlement',
    amount,
    amount_minor: value,
    created_at: created,
    updated_at: created,
    settlement_batch_id: null,
    refunded_transaction_id: sale.id,
    refund_ids: [],
    disbursement_details: null,
    status_history: [{ status: 'submitted_for_settlement', timestamp: created, amount, user: 'puddle_api', transaction_source: 'api' }],
    // Braintree leaves custom fields empty on a refund: link it through refunded_transaction_id.
    custom_fields: {},
    processor_authorization_code: null,
    dispute_ids: [],
  };
  ledger.insert(credit);
  sale.refund_ids.push(credit.id);
  sale.updated_at = created;
  ledger.toSettle.push(settlementDueAt(at), credit);
  return credit;
}

/** Settlement notifications carry the whole transaction, as the gateway's do. */
export function notifyTransaction(ledger: Ledger, kind: string, tx: SandboxTransaction, at: number): void {
  ledger.notify({ kind, timestamp: isoSeconds(at), subjectId: tx.id, subject: () => ({ name: 'transaction', value: transactionXml(tx, ledger) }) });
}
