// Payment providers and SMS aggregators as a bank statement names them: what reconciliation looks for in a bank
// line's text (puddles/recon-params.ts renders them as the `recon_providers` view), and so the only counterparty
// names a bank line keeps (contracts/bank.ts). Here in core, because the bank_line contract applies that rule.

/**
 * A credit naming a `payout` provider must match a payout (else BANK_LINE_NO_PAYOUT); a credit naming an `sms`
 * aggregator is that aggregator's monthly remittance. Anything else (Gift Aid from HMRC, a cheque) is not
 * Puddle's to match.
 */
export const RECON_PROVIDERS: readonly { provider: string; bank_text: string; kind: 'payout' | 'sms' }[] = [
  { provider: 'stripe', bank_text: 'STRIPE', kind: 'payout' },
  { provider: 'braintree', bank_text: 'BRAINTREE', kind: 'payout' },
  { provider: 'paypal', bank_text: 'PAYPAL', kind: 'payout' },
  { provider: 'gocardless', bank_text: 'GOCARDLESS', kind: 'payout' },
  { provider: 'sms:donr', bank_text: 'DONR', kind: 'sms' },
  { provider: 'sms:justgiving', bank_text: 'JUSTGIVING', kind: 'sms' },
  { provider: 'sms:instagiv', bank_text: 'INSTAGIV', kind: 'sms' },
  { provider: 'sms:fonix', bank_text: 'FONIX', kind: 'sms' },
];
