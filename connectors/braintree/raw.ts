// The Braintree fields the mappings read, and nothing more, as the SDK gives them after parsing the
// XML: element names camelCased (`currency-iso-code` -> currencyIsoCode), `type="integer"` and
// `"boolean"` converted, `nil="true"` -> null, every other value a string (amounts "25.00", dates
// "2014-02-10", datetimes "2013-11-20T23:05:38Z"). Other SDK paths (GraphQL, objects built in code)
// give Date objects for the same fields, so every time accepts both. Everything is optional: webhook
// samples and older API versions leave out fields the full API sends.

/** A datetime or date as the XML parse gives it (string) or as other paths give it (Date). */
export type BraintreeTime = string | Date | null | undefined;

export type BraintreeString = string | null | undefined;

export interface BraintreeDisbursementDetails {
  /** The day the funds go to the bank: a `date` ("2014-02-10"), or a `datetime` in webhook samples. */
  disbursementDate?: BraintreeTime;
  /** In the settlement currency, which differs from the transaction's when the merchant account converts. */
  settlementAmount?: BraintreeString;
  settlementCurrencyIsoCode?: BraintreeString;
  settlementCurrencyExchangeRate?: BraintreeString;
  fundsHeld?: boolean | null;
  /** Newer API versions only: false when the disbursement failed (bank rejected, ...). */
  success?: boolean | null;
}

export interface BraintreeStatusEvent {
  status?: BraintreeString;
  timestamp?: BraintreeTime;
  amount?: BraintreeString;
}

export interface BraintreeTransaction {
  id: string;
  status?: BraintreeString;
  /** `sale` or `credit` (a refund, or a standalone credit). */
  type?: BraintreeString;
  amount?: BraintreeString;
  currencyIsoCode?: BraintreeString;
  merchantAccountId?: BraintreeString;
  orderId?: BraintreeString;
  createdAt?: BraintreeTime;
  updatedAt?: BraintreeTime;
  settlementBatchId?: BraintreeString;
  /** Set on a refund: the sale it gives money back against. */
  refundedTransactionId?: BraintreeString;
  /** Set when a subscription made the charge (`<subscription-id>`): the recurring gift it is an instalment of. */
  subscriptionId?: BraintreeString;
  /** Marketplace sub-merchants only: what the master merchant keeps. */
  serviceFeeAmount?: BraintreeString;
  disbursementDetails?: BraintreeDisbursementDetails | null;
  statusHistory?: readonly BraintreeStatusEvent[] | null;
  /** Keys are camelCased by the SDK like every element name; an empty `<custom-fields>` parses as "". */
  customFields?: Record<string, unknown> | string | null;
  customer?: { id?: BraintreeString } | null;
  /** The card the sale was taken from (payment v4): its `card-type` and `last-4`, or a wallet's card. */
  creditCard?: { cardType?: BraintreeString; last4?: BraintreeString } | null;
  applePayCard?: { cardType?: BraintreeString; last4?: BraintreeString } | null;
  androidPayCard?: { sourceCardType?: BraintreeString; sourceCardLast4?: BraintreeString } | null;
  /** Why a failed transaction failed: one of these, by status (see failureCodeOf). */
  gatewayRejectionReason?: BraintreeString;
  processorResponseCode?: BraintreeString;
  processorSettlementResponseCode?: BraintreeString;
}

export interface BraintreeDisputeStatusEvent {
  status?: BraintreeString;
  timestamp?: BraintreeTime;
  effectiveDate?: BraintreeTime;
  /** The disbursement that moved the disputed amount for this event (the chargeback's withdrawal, a win's return). */
  disbursementDate?: BraintreeTime;
}

export interface BraintreeDispute {
  id: string;
  /** The transaction's amount; what is actually disputed is amountDisputed. */
  amount?: BraintreeString;
  amountDisputed?: BraintreeString;
  currencyIsoCode?: BraintreeString;
  reason?: BraintreeString;
  /** Lower case on the wire (`open`); the typings spell it `Open`. */
  status?: BraintreeString;
  /** chargeback, retrieval, pre_arbitration. */
  kind?: BraintreeString;
  receivedDate?: BraintreeTime;
  effectiveDate?: BraintreeTime;
  updatedAt?: BraintreeTime;
  merchantAccountId?: BraintreeString;
  statusHistory?: readonly BraintreeDisputeStatusEvent[] | null;
  transaction?: { id?: BraintreeString; amount?: BraintreeString } | null;
}

export interface BraintreeDisbursement {
  id: string;
  amount?: BraintreeString;
  disbursementDate?: BraintreeTime;
  /** `credit` pays the merchant; `debit` takes money back (more refunds and disputes than sales). */
  disbursementType?: BraintreeString;
  transactionIds?: readonly string[] | null;
  merchantAccount?: { id?: BraintreeString; currencyIsoCode?: BraintreeString } | null;
  success?: boolean | null;
}

/** One `<status-history>` event of a subscription. Its `user` (a Control Panel login) is never read. */
export interface BraintreeSubscriptionStatusEvent {
  /** `Active`, `Canceled`, `Expired`, `Past Due`, `Pending`. */
  status?: BraintreeString;
  timestamp?: BraintreeTime;
  currencyIsoCode?: BraintreeString;
  /** Who made the change: `api`, `control_panel`, or `recurring` (the gateway's billing itself). */
  subscriptionSource?: BraintreeString;
}

/**
 * A recurring-billing subscription. A webhook's snapshot holds its id and transactions only (the SDK's samples);
 * search and find give the whole object. It has no currency or customer of its own: its status events say the
 * currency, and the transactions it charged name the customer.
 */
export interface BraintreeSubscription {
  id: string;
  /** `Active`, `Canceled`, `Expired`, `Past Due`, `Pending` (as sent: capitalised, with a space). */
  status?: BraintreeString;
  planId?: BraintreeString;
  /** The amount of one billing cycle, a decimal string ("10.00"), before add-ons and discounts. */
  price?: BraintreeString;
  merchantAccountId?: BraintreeString;
  createdAt?: BraintreeTime;
  updatedAt?: BraintreeTime;
  firstBillingDate?: BraintreeTime;
  billingPeriodStartDate?: BraintreeTime;
  billingPeriodEndDate?: BraintreeTime;
  /** Not in every API version's answer (the plan holds it); months between charges when present. */
  billingFrequency?: number | string | null;
  addOns?: readonly unknown[] | string | null;
  discounts?: readonly unknown[] | string | null;
  statusHistory?: readonly BraintreeSubscriptionStatusEvent[] | null;
  /** Newest first. */
  transactions?: readonly BraintreeTransaction[] | null;
}

/** What `gateway.webhookNotification.parse` resolves to: the kind, its time and the subject object. */
export interface BraintreeNotification {
  kind: string;
  timestamp?: BraintreeTime;
  /** The subject as parsed from the XML, before the SDK wraps it in classes. */
  subject?: unknown;
  transaction?: BraintreeTransaction | null;
  disbursement?: BraintreeDisbursement | null;
  dispute?: BraintreeDispute | null;
  subscription?: BraintreeSubscription | null;
}
