// Braintree objects -> contracts (payment v4, the rest v1). Pure: no I/O, no clock. Braintree sends amounts as decimal
// strings in the currency's major unit ("25.00", "2500" for JPY), so every amount goes through
// toMinorUnits, never through a float.
import { cardBrand, cardLast4 } from '../../core/contracts/payment-card.js';
import type { Mapped } from '../../core/engine/mapped.js';
import { RecordError } from '../../core/errors.js';
import { toMinorUnits } from '../../core/money.js';
import type {
  BraintreeDisbursement,
  BraintreeDispute,
  BraintreeDisputeStatusEvent,
  BraintreeNotification,
  BraintreeString,
  BraintreeTime,
  BraintreeTransaction,
} from './raw.js';

export const PROVIDER = 'braintree';

export interface BraintreeMapOptions {
  /**
   * The custom field the donation form writes the donation id to (as named in the Control Panel,
   * e.g. `donation_id`). Unset: the transaction's order_id carries it.
   */
  donationIdField?: string;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
// Only instants with a zone: Date.parse reads a zone-less datetime as local time, which would shift
// money between days depending on where Puddle runs.
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * A Braintree time as UTC ISO: datetimes as they are, dates (`type="date"`) as midnight UTC.
 * Anything else is returned unchanged so contract validation names the bad field.
 */
export function toIsoTime(value: BraintreeTime): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (DATE_ONLY.test(value)) return `${value}T00:00:00.000Z`;
  if (INSTANT.test(value) && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  return value;
}

/** A Braintree date or datetime as its UTC calendar date `YYYY-MM-DD`. */
export function toDate(value: BraintreeTime): string | null {
  const iso = toIsoTime(value);
  return iso !== null && INSTANT.test(iso) ? iso.slice(0, 10) : iso;
}

/** The latest of some ISO times, or null. */
export function latest(times: readonly (string | null)[]): string | null {
  let best: string | null = null;
  let bestMs = -Infinity;
  for (const t of times) {
    const ms = t === null ? NaN : Date.parse(t);
    if (!Number.isNaN(ms) && ms > bestMs) {
      best = t;
      bestMs = ms;
    }
  }
  return best;
}

export function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** An id as text without the spaces around it; null when absent or blank. */
export function trimmed(value: unknown): string | null {
  return typeof value === 'string' ? text(value.trim()) : null;
}

/**
 * Minor units, or null when the amount or currency is absent (webhook samples and some API
 * versions leave them out) so validation quarantines the record as incomplete instead of guessing.
 */
export function minor(amount: BraintreeString, currency: BraintreeString): number | null {
  if (text(amount) === null || text(currency) === null) return null;
  return toMinorUnits(amount as string, currency as string);
}

export function upper(currency: BraintreeString): string | null {
  return text(currency)?.toUpperCase() ?? null;
}

/** Braintree pays out per merchant account per day and a transaction only knows that pair, never the disbursement's own id. */
export function payoutIdOf(merchantAccountId: BraintreeString, date: string | null): string | null {
  const account = text(merchantAccountId);
  return account !== null && date !== null ? `${account}:${date}` : null;
}

/**
 * The day the transaction's money went to the bank, or null while it has not. Older API versions
 * (and the 2013 search fixture) have no `success` element, so only an explicit false means failed;
 * held funds (`funds_held`) have not gone anywhere yet.
 */
export function disbursementDateOf(tx: BraintreeTransaction): string | null {
  const d = tx.disbursementDetails;
  if (!d || d.success === false || d.fundsHeld === true) return null;
  return toDate(d.disbursementDate);
}

function customField(fields: BraintreeTransaction['customFields'], name: string): string | null {
  if (!fields || typeof fields !== 'object') return null;
  // The SDK camelCases custom field names like every XML element: `donation_id` arrives as `donationId`.
  const camel = name.replace(/[-_][a-z0-9]/g, (m) => m.slice(1).toUpperCase());
  return text(fields[name]) ?? text(fields[camel]);
}

function donationIdOf(tx: BraintreeTransaction, opts: BraintreeMapOptions): string | null {
  const fromField = opts.donationIdField ? customField(tx.customFields, opts.donationIdField) : null;
  // Forms that predate the custom field still send order_id, so it stays the fallback.
  return fromField ?? text(tx.orderId);
}

function failureCodeOf(tx: BraintreeTransaction): string | null {
  switch (tx.status) {
    case 'gateway_rejected':
      return text(tx.gatewayRejectionReason);
    case 'processor_declined':
    case 'failed':
      return text(tx.processorResponseCode);
    case 'settlement_declined':
      return text(tx.processorSettlementResponseCode) ?? text(tx.processorResponseCode);
    default:
      return null;
  }
}

/**
 * The latest of updated_at, the status-history times and the disbursement day. Braintree does not
 * bump updated_at when a transaction is disbursed (wire README), so without the disbursement day
 * the disbursed version would tie with the settled one and "latest version wins" could keep the
 * version without the payout link. Midnight UTC is the earliest the disbursement can have happened,
 * and Braintree disburses a day or more after settlement, so it moves past the settled version.
 */
function changedAt(tx: BraintreeTransaction, disbursedOn: string | null): string | null {
  const history = (Array.isArray(tx.statusHistory) ? tx.statusHistory : []).map((e) => toIsoTime(e?.timestamp));
  return latest([toIsoTime(tx.updatedAt), ...history, toIsoTime(disbursedOn)]);
}

function settledAt(tx: BraintreeTransaction): string | null {
  const history = Array.isArray(tx.statusHistory) ? tx.statusHistory : [];
  return latest(history.filter((e) => e?.status === 'settled').map((e) => toIsoTime(e.timestamp)));
}

function payoutItem(tx: BraintreeTransaction, disbursedOn: string, type: 'sale' | 'refund'): Mapped {
  const d = tx.disbursementDetails!;
  const payoutId = payoutIdOf(tx.merchantAccountId, disbursedOn);
  const settled = minor(d.settlementAmount, d.settlementCurrencyIsoCode);
  // A refund takes money out of the payout whichever sign the settlement amount is reported with.
  const amount = settled === null || type === 'sale' || settled === 0 ? settled : -Math.abs(settled);
  const payload = {
    payout_item_id: payoutId === null ? null : `${payoutId}:${tx.id}`,
    // The item exists from the day it was disbursed; dating it so keeps it in its payout's partition.
    occurred_at: toIsoTime(disbursedOn),
    updated_at: null,
    provider: PROVIDER,
    payout_id: payoutId,
    payment_id: type === 'sale' ? tx.id : text(tx.refundedTransactionId),
    type,
    amount_minor: amount,
    // Braintree bills its fees separately from disbursements for most merchants: nothing to net here.
    fee_minor: null,
    net_minor: null,
    currency: upper(d.settlementCurrencyIsoCode),
  };
  return { contract: 'payout_item', version: 1, payload };
}

/** The card's brand and last four (payment v4): `credit-card`, else Apple Pay's or Google Pay's card (whose names differ). */
function cardOf(tx: BraintreeTransaction): { card_brand: string | null; card_last4: string | null } {
  const last4 = cardLast4(tx.creditCard?.last4) ?? cardLast4(tx.applePayCard?.last4) ?? cardLast4(tx.androidPayCard?.sourceCardLast4);
  const brand = cardBrand(tx.creditCard?.cardType) ?? cardBrand(tx.applePayCard?.cardType) ?? cardBrand(tx.androidPayCard?.sourceCardType);
  return { card_brand: brand, card_last4: last4 };
}

function mapSale(tx: BraintreeTransaction, opts: BraintreeMapOptions): Mapped[] {
  const disbursedOn = disbursementDateOf(tx);
  const payload = {
    payment_id: tx.id,
    occurred_at: toIsoTime(tx.createdAt),
    updated_at: changedAt(tx, disbursedOn),
    provider: PROVIDER,
    // Braintree's own status (authorized, submitted_for_settlement, settled, ...).
    status: text(tx.status),
    amount_minor: minor(tx.amount, tx.currencyIsoCode),
    currency: upper(tx.currencyIsoCode),
    fee_minor: minor(tx.serviceFeeAmount, tx.currencyIsoCode),
    net_minor: null,
    donation_id: donationIdOf(tx, opts),
    click_id: null,
    supporter_id: text(tx.customer?.id),
    payout_id: disbursedOn === null ? null : payoutIdOf(tx.merchantAccountId, disbursedOn),
    settlement_batch_id: text(tx.settlementBatchId),
    settled_at: settledAt(tx),
    available_on: null,
    failure_code: failureCodeOf(tx),
    // Stripe's only (payment v2).
    payment_intent_id: null,
    // The subscription that made this charge, if one did (payment v3): its instalments share the id.
    recurring_donation_id: trimmed(tx.subscriptionId),
    // The card as the receipt shows it (payment v4): a card's, else a wallet's card; null for PayPal, Venmo, ACH.
    ...cardOf(tx),
  };
  const out: Mapped[] = [{ contract: 'payment', version: 4, payload }];
  if (disbursedOn !== null) out.push(payoutItem(tx, disbursedOn, 'sale'));
  return out;
}

/** A credit transaction: a refund against `refundedTransactionId` (a standalone credit has none and is quarantined). */
export function mapCredit(tx: BraintreeTransaction): Mapped[] {
  const disbursedOn = disbursementDateOf(tx);
  const payload = {
    refund_id: tx.id,
    occurred_at: toIsoTime(tx.createdAt),
    updated_at: changedAt(tx, disbursedOn),
    provider: PROVIDER,
    payment_id: text(tx.refundedTransactionId),
    status: text(tx.status),
    amount_minor: minor(tx.amount, tx.currencyIsoCode),
    currency: upper(tx.currencyIsoCode),
    reason: null,
  };
  const out: Mapped[] = [{ contract: 'refund', version: 1, payload }];
  if (disbursedOn !== null) out.push(payoutItem(tx, disbursedOn, 'refund'));
  return out;
}

/**
 * A sale gives a `payment`, a credit a `refund`; once disbursed, each also gives its `payout_item`.
 * The `payout` itself comes from disbursement webhooks or payoutFromItems: one transaction does not
 * know the payout's total.
 */
export function mapTransaction(tx: BraintreeTransaction, opts: BraintreeMapOptions = {}): Mapped[] {
  const isCredit = tx.type === 'credit' || (text(tx.type) === null && text(tx.refundedTransactionId) !== null);
  return isCredit ? mapCredit(tx) : mapSale(tx, opts);
}

export function mapDispute(d: BraintreeDispute): Mapped[] {
  const history = Array.isArray(d.statusHistory) ? d.statusHistory : [];
  const lastEffective = history.map((e) => toDate(e?.effectiveDate)).filter((x): x is string => x !== null).sort().at(-1) ?? null;
  const payload = {
    dispute_id: d.id,
    occurred_at: toIsoTime(d.receivedDate),
    updated_at: latest([toIsoTime(d.updatedAt), ...history.map((e) => toIsoTime(e?.timestamp))]),
    provider: PROVIDER,
    payment_id: text(d.transaction?.id),
    // Lower case on the wire; the SDK typings (and some reports) spell it `Open`, `Won`.
    status: text(d.status)?.toLowerCase() ?? null,
    // `amount` is the disputed transaction's amount; the chargeback may be for part of it.
    amount_minor: minor(d.amountDisputed ?? d.amount, d.currencyIsoCode),
    currency: upper(d.currencyIsoCode),
    reason: text(d.reason),
    effective_date: toDate(d.effectiveDate) ?? lastEffective,
  };
  return [{ contract: 'dispute', version: 1, payload }, ...disputeMoves(d, history)];
}

/**
 * What a dispute took from, or gave back to, the merchant account's payouts: each status event with a
 * disbursement date moved the disputed amount in that day's disbursement (the wire's
 * `status-history/disbursement-date`). The chargeback's withdrawal is a `dispute` item `<payout>:<dispute id>`,
 * negative, which nets the dispute as a refund's item nets its refund (recon_breaks.sql, netted_by_id); a won
 * dispute's money coming back is a `dispute_reversal` item `<payout>:<dispute id>:won`, positive. Until
 * 2026-12-03 neither landed: a disbursement that withdrew a chargeback never added up to its items
 * (PAYOUT_ITEMS_MISMATCH, or no payout for its bank line) and every Braintree chargeback stayed REFUND_NOT_NETTED.
 * A dispute without a merchant account cannot name its payout (transactions name theirs by account and day),
 * so it gives no item.
 */
function disputeMoves(d: BraintreeDispute, history: readonly BraintreeDisputeStatusEvent[]): Mapped[] {
  const amount = minor(d.amountDisputed ?? d.amount, d.currencyIsoCode);
  const out = new Map<string, Mapped>();
  for (const e of history) {
    const payoutId = payoutIdOf(d.merchantAccountId, toDate(e?.disbursementDate));
    if (payoutId === null) continue;
    if (amount === null) throw new RecordError(`dispute ${d.id} moved money in payout ${payoutId} but has no disputed amount`);
    const back = text(e.status)?.toLowerCase() === 'won';
    const id = back ? `${payoutId}:${d.id}:won` : `${payoutId}:${d.id}`;
    const payload = {
      payout_item_id: id,
      occurred_at: toIsoTime(toDate(e.disbursementDate)),
      updated_at: null,
      provider: PROVIDER,
      payout_id: payoutId,
      payment_id: text(d.transaction?.id),
      type: back ? 'dispute_reversal' : 'dispute',
      amount_minor: back ? Math.abs(amount) : -Math.abs(amount),
      fee_minor: null,
      net_minor: null,
      currency: upper(d.currencyIsoCode),
    };
    out.set(id, { contract: 'payout_item', version: 1, payload });
  }
  return [...out.values()];
}

/**
 * Braintree's own disbursement. `notifiedAt` (the notification's time) dates this version: the gateway's
 * total then outranks a total the disbursements sweep summed from the items it found (no time of its own),
 * whichever arrives later.
 */
export function mapDisbursement(d: BraintreeDisbursement, notifiedAt: string | null = null): Mapped[] {
  const date = toDate(d.disbursementDate);
  const currency = d.merchantAccount?.currencyIsoCode;
  const amount = minor(d.amount, currency);
  const payload = {
    // Not `d.id`: transactions name their payout by merchant account and day, so both sides must.
    payout_id: payoutIdOf(d.merchantAccount?.id, date),
    occurred_at: toIsoTime(date),
    updated_at: notifiedAt,
    provider: PROVIDER,
    status: d.success === false ? 'failed' : 'paid',
    // A debit disbursement takes money from the bank account (refunds and disputes exceeded sales).
    amount_minor: amount !== null && amount !== 0 && d.disbursementType === 'debit' ? -Math.abs(amount) : amount,
    currency: upper(currency),
    arrival_date: date,
    // Braintree does not say what the bank statement shows; the reconciliation matches by date and amount.
    bank_reference: null,
    merchant_account: text(d.merchantAccount?.id),
  };
  return [{ contract: 'payout', version: 1, payload }];
}

/**
 * A payout summed from its items, for disbursements the connector learns of only through disbursed
 * transactions (a sweep by disbursement date). A disbursement webhook for the same day gives the same
 * payout key with Braintree's own total, which also counts items a sweep may have missed.
 */
export function payoutFromItems(merchantAccountId: string, date: string, items: readonly Mapped[]): Mapped[] {
  const payoutId = payoutIdOf(merchantAccountId, date);
  const mine = items.filter((m) => m.contract === 'payout_item' && m.payload.payout_id === payoutId);
  if (payoutId === null || mine.length === 0) return [];
  const currencies = new Set(mine.map((m) => m.payload.currency));
  if (currencies.size !== 1) throw new RecordError(`payout ${payoutId} has items in ${currencies.size} currencies`);
  let total = 0;
  for (const m of mine) {
    const a = m.payload.amount_minor;
    if (typeof a !== 'number' || !Number.isSafeInteger(a)) throw new RecordError(`payout ${payoutId} has an item without an amount`);
    total += a;
  }
  const payload = {
    payout_id: payoutId,
    occurred_at: toIsoTime(date),
    updated_at: null,
    provider: PROVIDER,
    // Items exist only for successful disbursements (disbursementDateOf).
    status: 'paid',
    amount_minor: total,
    currency: [...currencies][0],
    arrival_date: date,
    bank_reference: null,
    merchant_account: merchantAccountId,
  };
  return [{ contract: 'payout', version: 1, payload }];
}

const TRANSACTION_KINDS = new Set(['transaction_settled', 'transaction_settlement_declined', 'transaction_disbursed']);
const SUBSCRIPTION_CHARGE_KINDS = new Set(['subscription_charged_successfully', 'subscription_charged_unsuccessfully']);

/** The contract each mapped notification kind gives; also names the contract when a mapping fails. */
export function notificationContract(kind: string): string | null {
  if (kind === 'disbursement' || kind === 'disbursement_exception') return 'payout';
  if (kind.startsWith('dispute_')) return 'dispute';
  if (kind === 'refund_failed') return 'refund';
  if (TRANSACTION_KINDS.has(kind) || SUBSCRIPTION_CHARGE_KINDS.has(kind)) return 'payment';
  return null;
}

export interface BraintreeNotificationMapping {
  mapped: Mapped[];
  /** false: no contract takes this kind, so the notification goes to raw only. */
  known: boolean;
}

/** For a notification as `gateway.webhookNotification.parse` resolves it. */
export function mapNotification(n: BraintreeNotification, opts: BraintreeMapOptions = {}): BraintreeNotificationMapping {
  const kind = n.kind;
  if (TRANSACTION_KINDS.has(kind)) return { mapped: n.transaction ? mapTransaction(n.transaction, opts) : [], known: true };
  // The subject is the refund whose processing failed; samples leave out `type`, but it is a credit.
  if (kind === 'refund_failed') return { mapped: n.transaction ? mapCredit(n.transaction) : [], known: true };
  if (SUBSCRIPTION_CHARGE_KINDS.has(kind)) {
    // The subscription carries its transactions, newest first; each is a payment version, an instalment of
    // the subscription even when the notification's copy leaves out its subscription-id.
    const txs = Array.isArray(n.subscription?.transactions) ? n.subscription.transactions : [];
    const subscriptionId = trimmed(n.subscription?.id);
    const instalment = (tx: BraintreeTransaction) => (trimmed(tx.subscriptionId) === null && subscriptionId !== null ? { ...tx, subscriptionId } : tx);
    return { mapped: txs.flatMap((tx) => mapTransaction(instalment(tx), opts)), known: true };
  }
  if (kind === 'disbursement' || kind === 'disbursement_exception') {
    return { mapped: n.disbursement ? mapDisbursement(n.disbursement, toIsoTime(n.timestamp)) : [], known: true };
  }
  if (kind.startsWith('dispute_')) return { mapped: n.dispute ? mapDispute(n.dispute) : [], known: true };
  return { mapped: [], known: false };
}
