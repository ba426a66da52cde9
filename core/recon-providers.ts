// Payment providers and SMS aggregators: how a bank statement names each (what reconciliation looks for in a bank
// line's text, and so the only counterparty names a bank line keeps, contracts/bank.ts), and when each takes a
// refund's money from its balance. puddles/recon-params.ts renders them as the `recon_providers` view. Here in core,
// because the bank_line contract applies the naming rule.

/**
 * When a provider takes a refund's money from its balance, for `recon_provider_balance`:
 * - `created`: as soon as the refund is made, while it is still pending. Stripe: a refund's balance transaction
 *   (its `balance_transaction`) exists from its creation and is netted into the next payout, though an ACH, SEPA or
 *   some card refunds stay `pending` for days; one that fails or is cancelled gets a second balance transaction, its
 *   `failure_balance_transaction` (the `refund_failure` payout item), that gives the money back.
 * - `succeeded`: once its status says it succeeded. Braintree: a refund is a credit transaction, disbursed (netted
 *   against sales) once it settles, as a sale is, so one still `settlement_pending` has taken nothing; from
 *   `submitted_for_settlement` on it is `succeeded`, as a sale is, and in the next disbursement. Also the rule for a
 *   provider no connector reads (PayPal, GoCardless: unchecked) and for the SMS aggregators (no refunds).
 */
export type RefundTakenWhen = 'created' | 'succeeded';

export interface ReconProvider {
  provider: string;
  bank_text: string;
  /**
   * A credit naming a `payout` provider must match a payout (else BANK_LINE_NO_PAYOUT); a credit naming an `sms`
   * aggregator is that aggregator's monthly remittance. Anything else (Gift Aid from HMRC, a cheque) is not
   * Puddle's to match.
   */
  kind: 'payout' | 'sms';
  refund_taken_when: RefundTakenWhen;
}

export const RECON_PROVIDERS: readonly ReconProvider[] = [
  { provider: 'stripe', bank_text: 'STRIPE', kind: 'payout', refund_taken_when: 'created' },
  { provider: 'braintree', bank_text: 'BRAINTREE', kind: 'payout', refund_taken_when: 'succeeded' },
  { provider: 'paypal', bank_text: 'PAYPAL', kind: 'payout', refund_taken_when: 'succeeded' },
  { provider: 'gocardless', bank_text: 'GOCARDLESS', kind: 'payout', refund_taken_when: 'succeeded' },
  { provider: 'sms:donr', bank_text: 'DONR', kind: 'sms', refund_taken_when: 'succeeded' },
  { provider: 'sms:justgiving', bank_text: 'JUSTGIVING', kind: 'sms', refund_taken_when: 'succeeded' },
  { provider: 'sms:instagiv', bank_text: 'INSTAGIV', kind: 'sms', refund_taken_when: 'succeeded' },
  { provider: 'sms:fonix', bank_text: 'FONIX', kind: 'sms', refund_taken_when: 'succeeded' },
];
