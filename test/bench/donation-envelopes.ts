import { makeEnvelope, type Envelope } from '../../core/envelope.js';

const CHANNELS = ['online', 'sms', 'ivr', 'call_centre'] as const;
const T0 = Date.UTC(2026, 10, 29, 20, 0, 0);

/** `n` valid donation envelopes, a millisecond apart, as a producer would have queued them. */
export function benchDonations(n: number): Envelope[] {
  return Array.from({ length: n }, (_, i) =>
    makeEnvelope({
      contract: 'donation',
      version: 1,
      source: 'producer',
      stream: 'web',
      delivery_id: `req-${Math.floor(i / 100)}`,
      received_at: new Date(T0 + i).toISOString(),
      payload: {
        donation_id: `don_${i.toString(36).padStart(10, '0')}`,
        occurred_at: new Date(T0 + i).toISOString(),
        channel: CHANNELS[i % CHANNELS.length],
        amount_minor: 2500 + (i % 1000),
        currency: 'GBP',
        campaign: 'winter-appeal',
        supporter_id: `sup_${i % 5000}`,
        gift_aid: i % 2 === 0,
      },
      raw: { amount: (2500 + (i % 1000)) / 100, currency: 'gbp' },
    }),
  );
}
