import type { Infer } from '../../../core/contracts/index.js';
import type { contractsV1 } from '../../../core/contracts/index.js';
import type { SandboxDonation } from '../../sandbox-kit/donations.js';
import type { Scenario, ScenarioOptions } from '../../../core/scenario/appeal-night.js';
import type { LiveSeedOption } from '../../sandbox-kit/seeded-ids.js';
import type { ControlRouteOption } from '../../sandbox-kit/fault-route.js';
import type { SandboxFaults } from '../../sandbox-kit/faults.js';
import type { RequestLog } from '../../sandbox-kit/request-log.js';
import type { DeliveryProgress } from '../../sandbox-kit/webhook-delivery.js';

export type { RequestLog, RequestRecord } from '../../sandbox-kit/request-log.js';

export type TransactionStatus = 'authorized' | 'submitted_for_settlement' | 'settled' | 'processor_declined' | 'voided';

/** One `<status-event>` of a transaction's `status-history`. */
export interface StatusEvent {
  status: TransactionStatus;
  /** ISO-8601 UTC, whole seconds. */
  timestamp: string;
  amount: string;
  user: string | null;
  transaction_source: string;
}

export interface DisbursementDetails {
  disbursement_date: string;
  settlement_amount: string;
  settlement_currency_iso_code: string;
  settlement_currency_exchange_rate: string;
  funds_held: boolean;
  success: boolean;
}

/** A transaction as the gateway stores it (snake_case, what the XML says); read-only for tests. */
export interface SandboxTransaction {
  id: string;
  type: 'sale' | 'credit';
  status: TransactionStatus;
  /** Decimal string with the currency's exponent ("25.00", JPY "2500"). */
  amount: string;
  amount_minor: number;
  currency_iso_code: string;
  merchant_account_id: string;
  /** The donation id for scenario and synthetic sales; a refund keeps its sale's. */
  order_id: string | null;
  created_at: string;
  /** Bumped by creation, settlement, voiding and refunds; NOT by disbursement or disputes (as on Braintree). */
  updated_at: string;
  settlement_batch_id: string | null;
  refunded_transaction_id: string | null;
  refund_ids: string[];
  disbursement_details: DisbursementDetails | null;
  status_history: StatusEvent[];
  custom_fields: Record<string, string>;
  /** The subscription that made this sale (a monthly gift's instalment); null for a one-off. */
  subscription_id: string | null;
  customer: { id: string | null; first_name: string | null };
  card_type: string;
  card_last_4: string;
  processor_response_code: string;
  processor_response_text: string;
  processor_authorization_code: string | null;
  dispute_ids: string[];
}

/** Braintree's five subscription statuses, as sent (capitalised, `Past Due` with a space). */
export type SubscriptionStatus = 'Active' | 'Past Due' | 'Pending' | 'Canceled' | 'Expired';

/** One `<status-event>` of a subscription's `status-history` (its `user` is nil: no Control Panel login here). */
export interface SubscriptionStatusEvent {
  status: SubscriptionStatus;
  timestamp: string;
  /** `api`, `control_panel`, or `recurring` (the billing engine itself: an expiry, a failed charge). */
  subscription_source: 'api' | 'control_panel' | 'recurring';
  price: string;
  currency_iso_code: string;
  plan_id: string;
}

/** A recurring-billing subscription: a monthly gift, whose instalments are sales with `subscription_id` set. */
export interface SandboxSubscription {
  id: string;
  plan_id: string;
  /** One cycle's amount, a decimal string with the currency's exponent. */
  price: string;
  amount_minor: number;
  currency_iso_code: string;
  merchant_account_id: string;
  customer_id: string;
  payment_method_token: string;
  status: SubscriptionStatus;
  created_at: string;
  updated_at: string;
  first_billing_date: string;
  billing_day_of_month: number;
  /** Months between charges (the plan's billing frequency). */
  billing_frequency: number;
  /** null: never expires. */
  number_of_billing_cycles: number | null;
  current_billing_cycle: number;
  next_billing_date: string;
  paid_through_date: string | null;
  failure_count: number;
  status_history: SubscriptionStatusEvent[];
  /** Its instalments (sales), oldest first; the XML lists them newest first. */
  transaction_ids: string[];
}

export interface DisputeStatusEvent {
  status: string;
  timestamp: string;
  effective_date: string;
  /** The disbursement that withdrew the disputed amount, once it ran. */
  disbursement_date: string | null;
}

export interface SandboxDispute {
  id: string;
  amount: string;
  amount_disputed: string;
  amount_won: string;
  amount_minor: number;
  currency_iso_code: string;
  merchant_account_id: string;
  case_number: string;
  reference_number: string;
  kind: 'chargeback';
  reason: string;
  reason_code: string;
  status: 'open' | 'won';
  received_date: string;
  reply_by_date: string;
  date_opened: string;
  created_at: string;
  updated_at: string;
  transaction: { id: string; amount: string; created_at: string; order_id: string | null };
  status_history: DisputeStatusEvent[];
}

export interface SandboxDisbursement {
  id: string;
  merchant_account_id: string;
  currency_iso_code: string;
  /** Net: sales minus refunds minus chargebacks; negative for a 'debit' disbursement. */
  amount: string;
  amount_minor: number;
  disbursement_date: string;
  disbursement_type: 'credit' | 'debit';
  transaction_ids: string[];
  dispute_ids: string[];
  success: true;
}

export interface SandboxSettlementBatch {
  /** `YYYY-MM-DD_<merchant account>`, as `settlement_batch_id` on its transactions. */
  id: string;
  settlement_date: string;
  merchant_account_id: string;
  transaction_ids: string[];
}

/** A line of the charity's bank statement (the `bank_line` contract), one per disbursement. */
export type BankLine = Infer<(typeof contractsV1)['bank_line']['fields']>;

/**
 * What the SDK makes of each: 429 tooManyRequestsError, 5xx serverError, 401 authenticationError.
 * The SDK ignores Retry-After; the engine's own HTTP may not.
 */
export interface FaultInjection extends SandboxFaults {
  /** The status injected 5xx answers get (default 500). */
  status5xxCode?: 500 | 503 | 504;
  /** Answer the next N requests with a 422 api-error-response (SDK: an ErrorResponse with success false). */
  status422?: number;
  /** Answer the next N requests 200 with an HTML page, as a proxy or firewall in the way would. */
  htmlPage?: number;
}

export interface BraintreeSandboxOptions extends LiveSeedOption, ControlRouteOption {
  merchantId?: string;
  publicKey?: string;
  privateKey?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Options for appealNight, or a ready scenario: its 'braintree' donations become transactions. Without it (and without `transactions`) appealNight's defaults are used. */
  scenario?: ScenarioOptions | Scenario;
  /** Extra synthetic sales spread over the 14 days before now (benchmark volume). */
  transactions?: number;
  /** The sandbox clock (default real time). Settlement and disbursement follow it on every request. */
  now?: () => Date;
  /** Requests per second before 429; 0 (default) = unlimited. */
  rateLimit?: number;
  /** Ids per page announced by advanced_search_ids (default 50, as the gateway). */
  pageSize?: number;
  /** Disputes per page of disputes/advanced_search (default 10). */
  disputePageSize?: number;
  /** A transaction search matching more than this (default 50,000) answers "too many results". */
  maxSearchResults?: number;
  /** 'error' (default): 422 api-error-response; 'truncate': the first maxSearchResults ids, as the gateway's documented cap does. */
  onTooManyResults?: 'error' | 'truncate';
  /**
   * Monthly subscriptions in the seeded history (default 0: none, and the seeded worlds of before are unchanged):
   * each charged monthly since it began, one in three cancelled after two charges, one in three expired after three.
   */
  subscriptions?: number;
  /** Deliver signed notifications for changes made after start (form fields bt_signature, bt_payload). */
  webhook?: { url: string; attempts?: number };
}

export interface BraintreeSandboxData {
  /** Ascending (created_at, id). */
  readonly transactions: readonly SandboxTransaction[];
  readonly disputes: readonly SandboxDispute[];
  readonly disbursements: readonly SandboxDisbursement[];
  readonly settlementBatches: readonly SandboxSettlementBatch[];
  readonly bankLines: readonly BankLine[];
  /** In creation order. */
  readonly subscriptions: readonly SandboxSubscription[];
  /** The donation behind each sale, as the charity's website or call centre recorded it, in the order taken. */
  readonly donations: readonly SandboxDonation[];
  transaction(id: string): SandboxTransaction | undefined;
}

export interface WebhookDelivery extends DeliveryProgress {
  kind: string;
  subjectId: string;
}

export interface BraintreeSandbox {
  readonly url: string;
  readonly port: number;
  readonly merchantId: string;
  readonly publicKey: string;
  readonly privateKey: string;
  readonly data: BraintreeSandboxData;
  /** Same as data.bankLines. */
  readonly bankLines: readonly BankLine[];
  readonly requests: RequestLog;
  readonly webhookDeliveries: readonly WebhookDelivery[];
  injectFaults(faults: FaultInjection): void;
  clearFaults(): void;
  /** Settle every submitted_for_settlement transaction due by `upTo` (next day 02:00 UTC after creation). */
  settle(upTo: Date): SandboxTransaction[];
  /** Settle, then disburse everything due by `upTo` (2 days after settlement): one disbursement per merchant account per date. */
  disburse(upTo: Date): SandboxDisbursement[];
  /** A credit for `amountMinor` (default: what is left) of a settled sale, created at the clock's now. */
  refund(transactionId: string, amountMinor?: number): SandboxTransaction;
  /**
   * Void an authorized or submitted_for_settlement sale at the clock's now (SandboxStateError otherwise):
   * status `voided`, a `voided` status event, `updated_at` moved; it is never settled or disbursed.
   */
  voidTransaction(transactionId: string): SandboxTransaction;
  /** A chargeback on a settled sale, received at the clock's now. */
  openDispute(transactionId: string): SandboxDispute;
  /** The charity wins an open dispute at the clock's now; the disbursement two days on returns its amount. */
  winDispute(disputeId: string): SandboxDispute;
  /**
   * A monthly subscription begun at the clock's now, its first instalment charged then; `cycles` makes it expire after
   * that many charges. Sends no notification (Braintree has no webhook for a new subscription).
   */
  addSubscription(opts?: { amountMinor?: number; customerId?: string; cycles?: number }): SandboxSubscription;
  /**
   * The billing engine charges its next instalment at the clock's now: a sale with `subscription_id`, or with
   * `declined` a processor_declined one that makes it Past Due. Notifies subscription_charged_(un)successfully, and
   * subscription_went_past_due, subscription_went_active or subscription_expired when its status changes.
   */
  chargeSubscription(subscriptionId: string, opts?: { declined?: boolean }): SandboxTransaction;
  /** Cancelled at the clock's now (as the SDK's `subscription.cancel`, from the Control Panel); notifies subscription_canceled. */
  cancelSubscription(subscriptionId: string): SandboxSubscription;
  /** N synthetic sales created at the clock's now; with `subscriptionId`, instalments that subscription charged. */
  addTransactions(n: number, opts?: { subscriptionId?: string }): SandboxTransaction[];
  /** Resolves once every queued notification has been delivered or given up on. */
  webhooksIdle(): Promise<void>;
  close(): Promise<void>;
}
