import { describe, expect, it } from 'vitest';
import { makeEnvelope, RAW_ONLY_CONTRACT } from '../../core/envelope.js';
import { landedMessages } from '../../puddles/landed.js';
import { rawRow } from '../../puddles/landing-rows.js';
import { WebhookFreshness } from '../../puddles/webhook-freshness.js';

const envelope = (source: string, stream: string, received_at: string, contract = RAW_ONLY_CONTRACT) =>
  makeEnvelope({ contract, version: 1, source, stream, payload: { [`${contract}_id`]: `${source}-${stream}-${received_at}`, occurred_at: received_at, type: stream }, received_at, delivery_id: 'd' });

describe('WebhookFreshness', () => {
  it('keeps each source newest webhook from landed raw rows, leaving re-read audit rows and other envelopes out', () => {
    const f = new WebhookFreshness();
    const envs = [
      envelope('stripe', 'charge.succeeded', '2026-11-27T20:00:00.000Z'),
      envelope('stripe', 'charge.refunded', '2026-11-27T20:05:00.000Z'),
      envelope('stripe', 'reread', '2026-11-27T20:09:00.000Z'),
      envelope('braintree', 'transaction_settled', '2026-11-27T19:00:00.000Z'),
      envelope('producer', 'sms', '2026-11-27T21:00:00.000Z', 'donation'),
    ];
    const messages = landedMessages(envs.map((e) => rawRow(e, JSON.stringify(e))));
    expect(messages).toHaveLength(1);
    expect(Object.keys(messages[0]!.rows[0]!)).not.toContain('envelope');
    for (const m of messages) f.onLanded(m);
    // An older one landing later does not move it back.
    for (const m of landedMessages([rawRow(envelope('stripe', 'charge.failed', '2026-11-27T18:00:00.000Z'), '{}')])) f.onLanded(m);
    expect(f.snapshot()).toEqual({ stripe: '2026-11-27T20:05:00.000Z', braintree: '2026-11-27T19:00:00.000Z' });
  });
});
