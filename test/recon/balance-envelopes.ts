// The records the money-at-the-providers tests land (recon_provider_balance): payments, payout items and payouts in
// pounds, each at a fixed hour of its day.
import { makeEnvelope, type Envelope } from '../../core/envelope.js';

export interface BalanceEnvelopes {
  env(contract: string, payload: Record<string, unknown>): Envelope;
  /** A payment at 10:00; a null fee names none (Braintree). */
  charge(id: string, day: string, amount: number, fee: number | null, status?: string, provider?: string): Envelope;
  /** A payout item at 11:00, keyed `<payout>:<id>`, its net the amount less the fee. */
  item(payoutId: string, id: string, paymentId: string, day: string, type: string, amount: number, fee: number, provider?: string): Envelope;
  /** A payout at 12:00; a Stripe one quotes `STRIPE <ID>` as its bank reference. */
  payout(id: string, day: string, amount: number, arrival: string, status?: string, provider?: string): Envelope;
}

/** Envelope builders whose delivery ids start with `prefix` (unique across a test file's landings). */
export function balanceEnvelopes(prefix: string): BalanceEnvelopes {
  let seq = 0;
  const env = (contract: string, payload: Record<string, unknown>) =>
    makeEnvelope({ contract, version: 1, source: 'test', stream: contract, payload, received_at: '2026-12-20T00:00:00.000Z', delivery_id: `${prefix}-${seq++}` });
  return {
    env,
    charge: (id, day, amount, fee, status = 'succeeded', provider = 'stripe') =>
      env('payment', { payment_id: id, occurred_at: `${day}T10:00:00Z`, provider, status, amount_minor: amount, currency: 'GBP', ...(fee === null ? {} : { fee_minor: fee, net_minor: amount - fee }) }),
    item: (payoutId, id, paymentId, day, type, amount, fee, provider = 'stripe') =>
      env('payout_item', { payout_item_id: `${payoutId}:${id}`, occurred_at: `${day}T11:00:00Z`, provider, payout_id: payoutId, payment_id: paymentId, type, amount_minor: amount, fee_minor: fee, net_minor: amount - fee, currency: 'GBP' }),
    payout: (id, day, amount, arrival, status = 'paid', provider = 'stripe') =>
      env('payout', { payout_id: id, occurred_at: `${day}T12:00:00Z`, provider, status, amount_minor: amount, currency: 'GBP', arrival_date: arrival, ...(provider === 'stripe' ? { bank_reference: `STRIPE ${id.toUpperCase()}` } : {}) }),
  };
}
