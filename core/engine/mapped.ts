/**
 * What a mapping produces from one raw provider record: zero or more contract payloads. A Stripe
 * charge gives a `payment`; a disbursed Braintree transaction gives a `payment`, a `payout` and a
 * `payout_item`. Payloads are validated against their contract by whoever publishes them.
 */
export interface Mapped {
  contract: string;
  version: number;
  payload: Record<string, unknown>;
}
