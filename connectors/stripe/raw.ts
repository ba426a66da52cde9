// The Stripe fields the mappings read, and nothing more: the SDK's own types (Stripe.Charge, ...)
// are assignable to these, and so are webhook payloads of older API versions that lack newer fields.

/** An expandable field: the id, or the object itself when the request asked for `expand[]`. */
export type StripeRef<T extends { id: string } = { id: string }> = string | T | null | undefined;

export type StripeMetadata = Record<string, string> | null | undefined;

export interface StripeBalanceTransaction {
  id: string;
  object?: string;
  amount: number;
  fee: number;
  net: number;
  currency: string;
  /** Unix seconds. */
  created: number;
  /** Unix seconds: when the funds can be paid out. */
  available_on: number;
  /** `pending` until available_on, then `available`: whether the net is in the available balance yet (fee and net are set at creation). */
  status?: string;
  type: string;
  reporting_category?: string;
  /** What moved the money: a charge (`ch_`/`py_`), refund (`re_`), dispute (`dp_`), payout (`po_`), ... */
  source?: StripeRef<{ id: string; object?: string; charge?: StripeRef }>;
  /** Not in the documented object; some API versions and reports fill it, so read it when present. */
  payout?: StripeRef;
}

export interface StripeCharge {
  id: string;
  object?: string;
  amount: number;
  currency: string;
  created: number;
  status: string;
  metadata?: StripeMetadata;
  customer?: StripeRef;
  balance_transaction?: StripeRef<StripeBalanceTransaction>;
  payment_intent?: StripeRef;
  failure_code?: string | null;
  /** The card's brand and last four (payment v4): `card` online, `card_present` at a terminal. */
  payment_method_details?: { type?: string | null; card?: StripeCardDetails | null; card_present?: StripeCardDetails | null } | null;
}

export interface StripeCardDetails {
  brand?: string | null;
  last4?: string | null;
}

export interface StripeRefund {
  id: string;
  object?: string;
  amount: number;
  currency: string;
  created: number;
  status?: string | null;
  reason?: string | null;
  charge?: StripeRef;
}

export interface StripeDispute {
  id: string;
  object?: string;
  amount: number;
  currency: string;
  created: number;
  status: string;
  reason?: string | null;
  charge?: StripeRef;
}

export interface StripePayout {
  id: string;
  object?: string;
  amount: number;
  currency: string;
  created: number;
  /** Unix seconds at midnight UTC of the expected arrival day. */
  arrival_date: number;
  status: string;
  statement_descriptor?: string | null;
}

export interface StripeCustomer {
  id: string;
  object?: string;
  created?: number;
  email?: string | null;
  /** A deleted customer is only `{ id, object, deleted: true }`. */
  deleted?: unknown;
}

export interface StripeCheckoutSession {
  id: string;
  object?: string;
  payment_intent?: StripeRef;
  client_reference_id?: string | null;
  metadata?: StripeMetadata;
}

export interface StripeEvent {
  id: string;
  type: string;
  /** Unix seconds. */
  created: number;
  data?: { object?: unknown } | null;
}

/** One payment of an invoice (InvoicePayment): the payment intent (or, without one, the charge) that pays it. */
export interface StripeInvoicePayment {
  id?: string;
  status?: string;
  payment?: { type?: string; payment_intent?: StripeRef; charge?: StripeRef } | null;
}

export interface StripeInvoice {
  id: string;
  object?: string;
  created: number;
  status?: string | null;
  /** Since API 2025-03-31 the subscription is here, not on the invoice itself. */
  parent?: { type?: string; subscription_details?: { subscription?: StripeRef } | null } | null;
  /** Includable: in an answer only when asked for (`expand[]=payments`, `expand[]=data.payments` on a list). */
  payments?: { data?: StripeInvoicePayment[] | null; has_more?: boolean } | null;
}

/** A subscription item's price: the amount of one unit (null for tiered or custom amounts) and how often. */
export interface StripePrice {
  currency?: string;
  unit_amount?: number | null;
  recurring?: { interval?: string; interval_count?: number; usage_type?: string } | null;
}

/** A Stripe Billing subscription. Since API 2025-03-31 its billing period is on each item, not on it. */
export interface StripeSubscription {
  id: string;
  object?: string;
  created: number;
  status: string;
  currency?: string;
  customer?: StripeRef;
  /** Unix seconds: when it was canceled, or when a cancellation at the period's end was asked for. */
  canceled_at?: number | null;
  /** Unix seconds: when it ended (canceled, or expired incomplete). */
  ended_at?: number | null;
  /** Why it was canceled: `reason` a code (cancellation_requested, payment_failed, payment_disputed); `comment` is the supporter's own text, never read. */
  cancellation_details?: { reason?: string | null; feedback?: string | null } | null;
  items?: { data?: { price?: StripePrice | null; quantity?: number | null }[] | null; has_more?: boolean } | null;
}
