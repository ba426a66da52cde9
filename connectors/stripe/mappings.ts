// Stripe objects -> contracts (v1; supporter v2, payment v4). Pure: no I/O, no clock. Amounts are already integers in the
// currency's minor unit, and zero-decimal currencies (JPY, KRW, ...) are integers in their only unit,
// so amounts are copied as is, except for the two currencies whose Stripe unit is not ISO 4217's (see
// stripeMinor); the currency code is upper-cased (Stripe sends `usd`).
import { cardBrand, cardLast4 } from '../../core/contracts/payment-card.js';
import { RecordError } from '../../core/errors.js';
import { exponentOf } from '../../core/money.js';
import { isoFromMs } from '../../core/time.js';
import type { Mapped } from '../../core/engine/mapped.js';
import { emailSha256 } from '../../core/pii.js';
import type {
  StripeBalanceTransaction,
  StripeCharge,
  StripeCheckoutSession,
  StripeCustomer,
  StripeDispute,
  StripeEvent,
  StripeInvoice,
  StripeMetadata,
  StripePayout,
  StripeRef,
  StripeRefund,
  StripeSubscription,
} from './raw.js';
import { mapSubscription } from './subscription-mapping.js';

export const PROVIDER = 'stripe';

export interface StripeMapOptions {
  /** The metadata key the donation form writes the donation id to. */
  donationIdKey: string;
}

export const DEFAULT_STRIPE_MAP_OPTIONS: Readonly<StripeMapOptions> = Object.freeze({ donationIdKey: 'donation_id' });

/** Links a charge cannot carry itself; the connector learns them elsewhere and passes them in. */
export interface ChargeLinks {
  /** From the checkout session that created the charge's payment intent. */
  clickId?: string | null;
  /** From `GET /v1/balance_transactions?payout=po_...` when the charge's balance transaction was listed there. */
  payoutId?: string | null;
  /** The subscription whose invoice the charge's payment intent pays (linksFromInvoice). */
  recurringDonationId?: string | null;
}

/** What a checkout session tells about a payment intent's origin. */
export interface CheckoutLink {
  payment_intent: string;
  click_id: string | null;
  donation_id: string | null;
}

/** What a subscription's invoice tells about a payment intent: the subscription it is an instalment of. */
export interface SubscriptionLink {
  payment_intent: string;
  recurring_donation_id: string;
}

export function unixToIso(seconds: unknown): string | null {
  return typeof seconds === 'number' && Number.isFinite(seconds) ? isoFromMs(seconds * 1000) : null;
}

export function unixToDate(seconds: unknown): string | null {
  return unixToIso(seconds)?.slice(0, 10) ?? null;
}

export function refId(ref: StripeRef): string | null {
  if (typeof ref === 'string') return ref;
  return ref && typeof ref.id === 'string' ? ref.id : null;
}

function upper(currency: unknown): unknown {
  return typeof currency === 'string' ? currency.toUpperCase() : currency;
}

/**
 * Stripe's decimals where they differ from ISO 4217's (contracts carry ISO minor units, as Braintree's
 * amounts do): Stripe keeps ISK two-decimal for backwards compatibility (100 is 1 krona; ISO: 0) and
 * treats MGA as zero-decimal (ISO: 2). Stripe's docs, "Supported currencies" (zero-decimal, special cases).
 */
const STRIPE_DECIMALS: Readonly<Record<string, number>> = Object.freeze({ ISK: 2, MGA: 0 });

/** A Stripe amount in ISO 4217 minor units of `currency`; anything that is not an integer is left for the contract to refuse. */
export function stripeMinor(amount: unknown, currency: unknown): unknown {
  const code = typeof currency === 'string' ? currency.toUpperCase() : null;
  const stripe = code === null ? undefined : STRIPE_DECIMALS[code];
  if (stripe === undefined || typeof amount !== 'number' || !Number.isSafeInteger(amount)) return amount;
  const shift = exponentOf(code!) - stripe;
  if (shift >= 0) return amount * 10 ** shift;
  const unit = 10 ** -shift;
  if (amount % unit !== 0) throw new RecordError(`${code} amount ${amount} is not a whole number of ISO minor units (Stripe sends ${code} with ${stripe} decimals)`);
  return amount / unit;
}

function metadataValue(metadata: StripeMetadata, key: string): string | null {
  const v = metadata?.[key];
  // The Dashboard lets staff blank a metadata value, which Stripe keeps as "".
  return typeof v === 'string' && v !== '' ? v : null;
}

function expanded<T extends { id: string }>(ref: StripeRef<T>): T | null {
  return ref !== null && typeof ref === 'object' ? ref : null;
}

export function mapCharge(charge: StripeCharge, opts: StripeMapOptions = DEFAULT_STRIPE_MAP_OPTIONS, links: ChargeLinks = {}): Mapped[] {
  // Only a list or retrieve with `expand[]=balance_transaction` carries fee and net; webhooks never do.
  const bt = expanded(charge.balance_transaction);
  const settled = bt !== null && upper(bt.currency) === upper(charge.currency) ? bt : null;
  const card = charge.payment_method_details?.card ?? charge.payment_method_details?.card_present;
  const payload = {
    payment_id: charge.id,
    occurred_at: unixToIso(charge.created),
    // A charge object has no "last changed" time; webhook and pull versions are ordered by arrival.
    updated_at: null,
    provider: PROVIDER,
    // Stripe's own status (succeeded/pending/failed): refunds and disputes are their own records.
    status: charge.status,
    amount_minor: stripeMinor(charge.amount, charge.currency),
    currency: upper(charge.currency),
    // Fee and net are in the balance transaction's (settlement) currency. A charge in another currency
    // (EUR taken, GBP settled) would put them under the wrong code here: they stay on its payout_item.
    fee_minor: settled ? stripeMinor(settled.fee, settled.currency) : null,
    net_minor: settled ? stripeMinor(settled.net, settled.currency) : null,
    donation_id: metadataValue(charge.metadata, opts.donationIdKey),
    click_id: links.clickId ?? null,
    supporter_id: refId(charge.customer),
    payout_id: links.payoutId ?? (bt ? refId(bt.payout) : null),
    settlement_batch_id: null,
    settled_at: null,
    available_on: bt ? unixToIso(bt.available_on) : null,
    failure_code: charge.failure_code ?? null,
    // A CRM may record the intent's id rather than the charge's (payment v2).
    payment_intent_id: refId(charge.payment_intent ?? null),
    // The subscription (Stripe Billing) this charge is an instalment of (payment v3); null: a one-off charge.
    recurring_donation_id: links.recurringDonationId ?? null,
    // The card as the receipt shows it (payment v4); null for a Direct Debit, a wallet of another kind, a bank transfer.
    card_brand: cardBrand(card?.brand),
    card_last4: cardLast4(card?.last4),
  };
  return [{ contract: 'payment', version: 4, payload }];
}

export function mapRefund(refund: StripeRefund): Mapped[] {
  const payload = {
    refund_id: refund.id,
    occurred_at: unixToIso(refund.created),
    updated_at: null,
    provider: PROVIDER,
    // Refunds of non-charge payments have no charge; they fail validation and are quarantined.
    payment_id: refId(refund.charge),
    status: refund.status ?? null,
    amount_minor: stripeMinor(refund.amount, refund.currency),
    currency: upper(refund.currency),
    reason: refund.reason ?? null,
  };
  return [{ contract: 'refund', version: 1, payload }];
}

export function mapDispute(dispute: StripeDispute): Mapped[] {
  const payload = {
    dispute_id: dispute.id,
    occurred_at: unixToIso(dispute.created),
    updated_at: null,
    provider: PROVIDER,
    payment_id: refId(dispute.charge),
    status: dispute.status,
    amount_minor: stripeMinor(dispute.amount, dispute.currency),
    currency: upper(dispute.currency),
    reason: dispute.reason ?? null,
    // Stripe does not say when a dispute was decided (Braintree does).
    effective_date: null,
  };
  return [{ contract: 'dispute', version: 1, payload }];
}

export function mapPayout(payout: StripePayout): Mapped[] {
  const payload = {
    payout_id: payout.id,
    occurred_at: unixToIso(payout.created),
    updated_at: null,
    provider: PROVIDER,
    status: payout.status,
    amount_minor: stripeMinor(payout.amount, payout.currency),
    currency: upper(payout.currency),
    // arrival_date is midnight UTC of the expected day, so its UTC date is the bank day.
    arrival_date: unixToDate(payout.arrival_date),
    bank_reference: payout.statement_descriptor ?? null,
    merchant_account: null,
  };
  return [{ contract: 'payout', version: 1, payload }];
}

/** The charge a balance transaction belongs to: its source when that is a charge, or a refund's/dispute's charge. */
function sourceCharge(source: StripeBalanceTransaction['source']): string | null {
  // Card charges are `ch_`; charges of other payment methods (SEPA, ACH, ...) are `py_`.
  if (typeof source === 'string') return /^(ch|py)_/.test(source) ? source : null;
  if (!source || typeof source !== 'object') return null;
  if (source.object === 'charge') return source.id;
  return refId(source.charge);
}

/**
 * The payout a reversal gives back: a `payout_failure` or `payout_cancel` balance transaction's source is the
 * failed payout itself (`po_...`; a real one reads `"source": "po_1GH...", "type": "payout_failure"`). The
 * item carries it as its payment_id, so PAYOUT_FAILED closes on the reversal of that payout, not on any item
 * of the same amount (recon_breaks.sql, b_payout_failed).
 */
function sourcePayout(source: StripeBalanceTransaction['source']): string | null {
  const id = typeof source === 'string' ? source : source && typeof source === 'object' ? source.id : null;
  return typeof id === 'string' && id.startsWith('po_') ? id : null;
}

/**
 * One member of a payout, from `GET /v1/balance_transactions?payout=po_...`. The id is
 * `<payout>:<balance transaction>`: membership is the pair, and a payout that fails returns its
 * funds so the same money can be listed under a later payout too; the pair keeps both rows.
 */
export function mapPayoutMember(bt: StripeBalanceTransaction, payoutId: string): Mapped[] {
  // The list includes the payout's own balance transaction (type `payout`, amount = -payout): it is
  // the transfer itself, not a member, and counting it would cancel the payout's sum to zero.
  if (bt.type === 'payout') return [];
  const payload = {
    payout_item_id: `${payoutId}:${bt.id}`,
    occurred_at: unixToIso(bt.created),
    updated_at: null,
    provider: PROVIDER,
    payout_id: payoutId,
    payment_id: bt.type === 'payout_failure' || bt.type === 'payout_cancel' ? sourcePayout(bt.source) : sourceCharge(bt.source),
    type: bt.type,
    amount_minor: stripeMinor(bt.amount, bt.currency),
    fee_minor: stripeMinor(bt.fee, bt.currency),
    net_minor: stripeMinor(bt.net, bt.currency),
    currency: upper(bt.currency),
  };
  return [{ contract: 'payout_item', version: 1, payload }];
}

/**
 * A customer as `supporter` v2 (the version with `deleted`, as Salesforce and Freshdesk send). Only the
 * email hash leaves Stripe: never the name, phone or address.
 */
export function mapCustomer(customer: StripeCustomer): Mapped[] {
  // A deleted customer's retrieve is a stub without `created` or email: the `customer.deleted` event says it.
  if (customer.deleted === true) return [];
  return [supporterVersion(customer, false)];
}

/**
 * The customer a `customer.deleted` event carries (the customer as it was) as a deleted supporter. The
 * deletion is often an erasure request, so the deleted version keeps no personal field, not even the hash:
 * it supersedes the live versions, and queries keep the latest version of a key.
 */
export function mapDeletedCustomer(customer: StripeCustomer): Mapped[] {
  return [supporterVersion(customer, true)];
}

function supporterVersion(customer: StripeCustomer, deleted: boolean): Mapped {
  const payload = {
    supporter_id: customer.id,
    occurred_at: unixToIso(customer.created),
    updated_at: null,
    source: PROVIDER,
    email_sha256: deleted ? null : emailSha256(customer.email),
    postcode_district: null,
    crm_id: null,
    gift_aid_declared: null,
    deleted,
    merged_into: null,
  };
  return { contract: 'supporter', version: 2, payload };
}

/**
 * A checkout session's own `metadata` and `client_reference_id` stay on the session (only what the
 * form passes as `payment_intent_data.metadata` reaches the payment intent), so the click travels here and the connector joins
 * it to charges by `charge.payment_intent`. `client_reference_id` is Stripe's field for "your own
 * reference": the donation form puts the click id there, or in metadata `click_id`.
 */
export function linkFromCheckoutSession(
  session: StripeCheckoutSession,
  opts: StripeMapOptions = DEFAULT_STRIPE_MAP_OPTIONS,
): CheckoutLink | null {
  const paymentIntent = refId(session.payment_intent);
  if (paymentIntent === null) return null;
  const clientRef = session.client_reference_id;
  return {
    payment_intent: paymentIntent,
    click_id: typeof clientRef === 'string' && clientRef !== '' ? clientRef : metadataValue(session.metadata, 'click_id'),
    donation_id: metadataValue(session.metadata, opts.donationIdKey),
  };
}

/**
 * The subscription an invoice bills, or null: a one-off invoice or a quote's. Since API 2025-03-31 it is under
 * `parent` (`invoice.subscription` is gone), filled when the parent is a subscription.
 */
export function subscriptionOf(invoice: StripeInvoice): string | null {
  const parent = invoice.parent;
  return parent?.type === 'subscription_details' ? refId(parent.subscription_details?.subscription ?? null) : null;
}

/**
 * The payment intents a subscription's invoice is paid by, each linked to the subscription. A charge names no
 * invoice (API 2025-03-31 on: `charge.invoice` and `payment_intent.invoice` are gone), so the invoice's side is the
 * only one that says it, in `payments` (includable: only in an answer that expanded it). Every payment counts, open
 * or canceled too: a declined attempt at an instalment is still one. A payment by a charge without an intent
 * (`type: 'charge'`, from before payment intents) is not linked: charges are linked by their intent.
 */
export function linksFromInvoice(invoice: StripeInvoice): SubscriptionLink[] {
  const subscription = subscriptionOf(invoice);
  if (!subscription) return [];
  return (invoice.payments?.data ?? []).flatMap((p) => {
    const intent = p.payment?.type === 'payment_intent' ? refId(p.payment.payment_intent) : null;
    return intent ? [{ payment_intent: intent, recurring_donation_id: subscription }] : [];
  });
}

export interface StripeEventMapping {
  mapped: Mapped[];
  /** false: no contract takes this object type, so the event goes to raw only. */
  known: boolean;
  /** Set for checkout sessions with a payment intent. */
  checkoutLink: CheckoutLink | null;
}

/** The contract each object type maps to; also names the contract when a mapping fails. */
export const STRIPE_OBJECT_CONTRACTS: Readonly<Record<string, string | null>> = Object.freeze({
  charge: 'payment',
  refund: 'refund',
  dispute: 'dispute',
  payout: 'payout',
  customer: 'supporter',
  'checkout.session': null,
  invoice: null,
  subscription: 'recurring_donation',
});

/** The type of the object an event carries (`charge`, `checkout.session`, ...), or null. */
export function eventObjectType(event: StripeEvent): string | null {
  const obj = event.data?.object;
  if (obj === null || typeof obj !== 'object') return null;
  const type = (obj as { object?: unknown }).object;
  return typeof type === 'string' ? type : null;
}

/**
 * Routes by the object's type, not the event type: `charge.dispute.created` carries a dispute,
 * `charge.refund.updated` a refund, and every `payout.*` event a payout (without its members, which
 * only `balance_transactions?payout=` lists).
 */
export function mapEvent(event: StripeEvent, opts: StripeMapOptions = DEFAULT_STRIPE_MAP_OPTIONS): StripeEventMapping {
  const obj = event.data?.object;
  const none = { mapped: [], known: false, checkoutLink: null };
  switch (eventObjectType(event)) {
    case 'charge':
      // A charge snapshot never has its balance transaction expanded (no fee, net or payout) and knows
      // nothing of the click: as a payment it would replace the charges stream's full version. The event
      // goes to raw; the charges stream reads the charge (and re-reads it while it is pending).
      return { mapped: [], known: true, checkoutLink: null };
    case 'refund':
      return { mapped: asOf(event, mapRefund(obj as StripeRefund)), known: true, checkoutLink: null };
    case 'dispute':
      return { mapped: asOf(event, mapDispute(obj as StripeDispute)), known: true, checkoutLink: null };
    case 'payout':
      return { mapped: asOf(event, mapPayout(obj as StripePayout)), known: true, checkoutLink: null };
    case 'customer': {
      // Stripe's `customer.deleted` carries the customer as it was, not the `deleted: true` stub.
      const map = event.type === 'customer.deleted' ? mapDeletedCustomer : mapCustomer;
      return { mapped: asOf(event, map(obj as StripeCustomer)), known: true, checkoutLink: null };
    }
    case 'subscription':
      // customer.subscription.created/updated/deleted (and paused, resumed, ...): the subscription as of the event,
      // so a cancellation (`deleted` carries it canceled) supersedes the active version the list read before.
      return { mapped: asOf(event, mapSubscription(obj as StripeSubscription)), known: true, checkoutLink: null };
    case 'checkout.session':
      return { mapped: [], known: true, checkoutLink: linkFromCheckoutSession(obj as StripeCheckoutSession, opts) };
    case 'invoice':
      // An invoice snapshot never holds `payments` (includable, and events include nothing): the invoices
      // stream reads the invoice with them (by id for a webhook) and links its payment intents to the subscription.
      return { mapped: [], known: true, checkoutLink: null };
    default:
      return none;
  }
}

/**
 * A snapshot carried by an event is the object as of the event: that is its version's time. Stripe
 * objects carry no "last changed" time, so without it versions would be ordered by arrival, and an older
 * event that arrives late (a retried webhook; the events stream reads newest first and a minute behind the
 * object streams) would replace a newer state for good.
 */
function asOf(event: StripeEvent, mapped: Mapped[]): Mapped[] {
  const at = unixToIso(event.created);
  if (at === null) return mapped;
  return mapped.map((m) => (m.payload.updated_at == null || String(m.payload.updated_at) < at ? { ...m, payload: { ...m.payload, updated_at: at } } : m));
}
