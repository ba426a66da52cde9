// A producer donation envelope for the AWS shape's and the erasure's tests: the id, amount and any payload fields given, the
// rest fixed (an sms gift to `appeal` at 20:15 on 2026-11-27); every call a new delivery id.
import { makeEnvelope, type Envelope } from '../../core/envelope.js';

let deliveries = 0;

export function donationEnvelope(id: string, amount: number, extra: Record<string, unknown> = {}): Envelope {
  deliveries++;
  return makeEnvelope({
    contract: 'donation',
    version: 1,
    source: 'producer',
    delivery_id: `req-${deliveries}`,
    payload: { donation_id: id, occurred_at: '2026-11-27T20:15:03Z', channel: 'sms', amount_minor: amount, currency: 'GBP', campaign: 'appeal', cta: 'tv', ...extra },
  });
}
