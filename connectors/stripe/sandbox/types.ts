import type { Infer } from '../../../core/contracts/index.js';
import type { SandboxDonation } from '../../sandbox-kit/donations.js';
import type { contractsV1 } from '../../../core/contracts/index.js';
import type { Scenario, ScenarioOptions } from '../../../core/scenario/appeal-night.js';
import type { LiveSeedOption } from '../../sandbox-kit/seeded-ids.js';
import type { ControlRouteOption } from '../../sandbox-kit/fault-route.js';
import type { SandboxFaults } from '../../sandbox-kit/faults.js';
import type { RequestLog } from '../../sandbox-kit/request-log.js';
import type { DeliveryProgress } from '../../sandbox-kit/webhook-delivery.js';

export type { RequestLog, RequestRecord } from '../../sandbox-kit/request-log.js';

/** Every object the sandbox stores: Stripe's shape, with the fields the sandbox itself reads typed. */
export interface StripeObject {
  id: string;
  object: string;
  created: number;
  [field: string]: unknown;
}

export interface SandboxCustomer extends StripeObject {
  object: 'customer';
  email: string;
  metadata: { supporter_id: string };
}

export interface SandboxCheckoutSession extends StripeObject {
  object: 'checkout.session';
  client_reference_id: string | null;
  payment_intent: string;
  customer: string;
  status: 'complete' | 'open';
  metadata: { donation_id: string };
}

export interface SandboxPaymentIntent extends StripeObject {
  object: 'payment_intent';
  amount: number;
  currency: string;
  status: string;
  latest_charge: string;
}

export interface SandboxCharge extends StripeObject {
  object: 'charge';
  amount: number;
  amount_refunded: number;
  currency: string;
  paid: boolean;
  refunded: boolean;
  disputed: boolean;
  /** `pending`: a bank debit not yet cleared (donation-flow.ts addBankDebit). */
  status: 'succeeded' | 'failed' | 'pending';
  failure_code: string | null;
  balance_transaction: string | null;
  customer: string | null;
  payment_intent: string | null;
  metadata: Record<string, string>;
}

/**
 * A subscription's invoice as API 2025-03-31 on shows it: the subscription under `parent`, and no charge or payment
 * intent of its own. Its payments (`payments`, includable) are kept apart (Ledger.invoicePayments) and shown only when
 * a request expands them, as Stripe's are.
 */
export interface SandboxInvoice extends StripeObject {
  object: 'invoice';
  amount_due: number;
  amount_paid: number;
  currency: string;
  customer: string;
  status: 'open' | 'paid';
  parent: { type: 'subscription_details'; quote_details: null; subscription_details: { metadata: Record<string, string>; subscription: string } };
}

/** One payment of an invoice: the payment intent that pays it. */
export interface SandboxInvoicePayment extends StripeObject {
  object: 'invoice_payment';
  invoice: string;
  payment: { type: 'payment_intent'; payment_intent: string };
  status: 'open' | 'paid';
}

/**
 * A Stripe Billing subscription (`GET /v1/subscriptions`). Stripe's statuses: active, past_due, unpaid, canceled,
 * incomplete, incomplete_expired, trialing, paused; the sandbox's are active until canceled.
 */
export interface SandboxSubscriptionObject extends StripeObject {
  object: 'subscription';
  customer: string;
  currency: string;
  status: string;
  canceled_at: number | null;
  ended_at: number | null;
  cancellation_details: { comment: string | null; feedback: string | null; reason: string | null };
}

/** What `addSubscription` made: the subscription's id (Stripe's `sub_...`), the object, and, in time order, its instalments. */
export interface SandboxSubscription {
  id: string;
  subscription: SandboxSubscriptionObject;
  customer: SandboxCustomer;
  invoices: SandboxInvoice[];
  charges: SandboxCharge[];
}

export interface SandboxBalanceTransaction extends StripeObject {
  object: 'balance_transaction';
  amount: number;
  fee: number;
  net: number;
  currency: string;
  available_on: number;
  status: 'pending' | 'available';
  type: 'charge' | 'refund' | 'adjustment' | 'payout';
  reporting_category: string;
  source: string;
}

export interface SandboxRefund extends StripeObject {
  object: 'refund';
  amount: number;
  charge: string;
  currency: string;
  balance_transaction: string;
}

export interface SandboxDispute extends StripeObject {
  object: 'dispute';
  amount: number;
  charge: string;
  currency: string;
  balance_transactions: SandboxBalanceTransaction[];
}

export interface SandboxPayout extends StripeObject {
  object: 'payout';
  amount: number;
  currency: string;
  arrival_date: number;
  status: 'in_transit' | 'paid';
  automatic: true;
  statement_descriptor: string;
  balance_transaction: string;
}

export interface SandboxEvent extends StripeObject {
  object: 'event';
  type: string;
  data: { object: StripeObject; previous_attributes?: Record<string, unknown> };
  pending_webhooks: number;
}

/** A line of the charity's bank statement (the `bank_line` contract), one per paid payout. */
export type BankLine = Infer<(typeof contractsV1)['bank_line']['fields']>;

/** Injected 5xx answers are 500 api_error, injected 429s rate_limit errors, 401s invalid_request_error. */
export type FaultInjection = SandboxFaults;

export interface StripeSandboxOptions extends LiveSeedOption, ControlRouteOption {
  /** The only secret key accepted (default 'sk_test_sandbox'). */
  apiKey?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Options for appealNight, or a ready scenario; its 'stripe' donations become charges. Without it (and without `charges`) appealNight's defaults are used. */
  scenario?: ScenarioOptions | Scenario;
  /** Extra synthetic charges (charge + balance transaction + event only) spread over the 14 days before now. */
  charges?: number;
  /** The sandbox clock (default real time); statuses, payouts and event retention follow it. */
  now?: () => Date;
  /** Requests per second before 429 (default 25, Stripe's sandbox limit); 0 = unlimited. */
  rateLimit?: number;
  faults?: { status5xxNext?: number; latencyMs?: number };
  /** Deliver signed events created after start to this URL. */
  webhook?: { url: string; secret: string };
  /** Hide events younger than this many seconds from /v1/events, like Stripe's eventually consistent events API (default 0). */
  eventLagSeconds?: number;
}

export interface StripeSandboxData {
  readonly charges: readonly SandboxCharge[];
  readonly paymentIntents: readonly SandboxPaymentIntent[];
  readonly refunds: readonly SandboxRefund[];
  readonly disputes: readonly SandboxDispute[];
  readonly payouts: readonly SandboxPayout[];
  readonly balanceTransactions: readonly SandboxBalanceTransaction[];
  readonly customers: readonly SandboxCustomer[];
  readonly checkoutSessions: readonly SandboxCheckoutSession[];
  readonly invoices: readonly SandboxInvoice[];
  readonly subscriptions: readonly SandboxSubscriptionObject[];
  readonly events: readonly SandboxEvent[];
  readonly bankLines: readonly BankLine[];
  /** The donation behind each charge, as the charity's website or call centre recorded it, in the order taken. */
  readonly donations: readonly SandboxDonation[];
  /** The payout a balance transaction was paid out in, if any. */
  payoutOf(balanceTransactionId: string): string | undefined;
  /** The balance transactions of a payout (its own 'payout' row included). */
  payoutMembers(payoutId: string): readonly SandboxBalanceTransaction[];
}

export interface WebhookDelivery extends DeliveryProgress {
  eventId: string;
  type: string;
}

export interface StripeSandbox {
  readonly url: string;
  readonly port: number;
  readonly apiKey: string;
  /** Objects in ascending (created, id) order; read-only views for assertions. */
  readonly data: StripeSandboxData;
  readonly requests: RequestLog;
  readonly webhookDeliveries: readonly WebhookDelivery[];
  injectFaults(faults: FaultInjection): void;
  clearFaults(): void;
  refundCharge(chargeId: string, amount?: number): SandboxRefund;
  openDispute(chargeId: string): SandboxDispute;
  /** Delete a customer: later lists, retrieves and cursors naming it answer as for an unknown id. */
  deleteCustomer(customerId: string): SandboxCustomer;
  runPayouts(upTo: Date): SandboxPayout[];
  addCharges(n: number): SandboxCharge[];
  /**
   * A monthly card gift by Stripe Billing: a customer, and `instalments` (default 2) paid invoices of one subscription,
   * `everyDays` (default 30) apart, the last at now; each paid by a payment intent whose charge is an ordinary card
   * charge (no metadata: Billing's charges carry the form's donation id nowhere). Each instalment's events, in
   * Stripe's order: `invoice.finalized`, `payment_intent.succeeded`, `charge.succeeded`, `invoice.paid`,
   * `invoice.payment_succeeded` (dated now, and sent to the webhook). Only this draws on the seeded sequence for
   * invoices: a sandbox that never calls it holds none.
   */
  addSubscription(opts?: { instalments?: number; amountMinor?: number; everyDays?: number }): SandboxSubscription;
  /**
   * Cancel a subscription at once, as `DELETE /v1/subscriptions/:id` does (the supporter in the customer portal:
   * reason `cancellation_requested`) or as Stripe does after the last failed retry (`payment_failed`): status
   * `canceled`, `canceled_at` and `ended_at` now, and `customer.subscription.deleted` (sent to the webhook).
   */
  cancelSubscription(id: string, reason?: 'cancellation_requested' | 'payment_failed'): SandboxSubscriptionObject;
  /**
   * The next instalment of a subscription, paid now (its invoice, intent and charge, as addSubscription's). On a
   * canceled subscription: an invoice left open at the cancel whose collection staff resumed, so money is taken
   * after the plan ended (Stripe stops collecting them by default).
   */
  renewSubscription(id: string): SandboxCharge;
  /** Gifts by Bacs Direct Debit: `pending` for three days (BACS_CLEARING_SECONDS), then succeeded. */
  addBankDebits(n: number): SandboxCharge[];
  /**
   * New gifts as time passes, `chargesPerSecond` of them; `bankDebitShare` of them (0..1, default none) by Bacs
   * Direct Debit (addBankDebits), so that a hub's runs read pending charges again by id as they would on a live account.
   */
  startLive(opts: { chargesPerSecond: number; bankDebitShare?: number }): void;
  stopLive(): void;
  /** Resolves once every queued webhook has been delivered or given up on. */
  webhooksIdle(): Promise<void>;
  close(): Promise<void>;
}
