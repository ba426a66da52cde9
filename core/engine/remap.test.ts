import { describe, expect, it } from 'vitest';

import { stripeStreams } from '../../connectors/stripe/streams.js';
import { scrubPersonalData } from '../pii.js';
import type { StreamDef } from './define.js';
import { remapRecord } from './remap.js';

// Stripe's real streams and mappings, on records as the raw trail keeps them (redacted).
const streams = stripeStreams({ donationIdKey: 'donation_id' }) as unknown as StreamDef<never, never>[];
const stream = (name: string) => streams.find((s) => s.name === name)!;
const delivery = { source: 'stripe', delivery_id: 'quarantine-retry:test', received_at: '2026-12-01T10:00:00.000Z' };

describe('mapping a quarantined record again from its kept raw record', () => {
  it('maps and validates a record whose mapping reads no redacted field, as a sync would', () => {
    const refund = { id: 're_1', object: 'refund', created: 1764500000, charge: 'ch_1', status: 'succeeded', amount: 2500, currency: 'gbp', reason: null };
    const r = remapRecord(stream('refunds'), scrubPersonalData(refund), delivery);
    expect(r.outcome).toBe('landed');
    if (r.outcome !== 'landed') return;
    expect(r.envelopes).toHaveLength(1);
    expect(r.envelopes[0]).toMatchObject({ contract: 'refund', source: 'stripe', stream: 'refunds', delivery_id: 'quarantine-retry:test' });
    expect(r.envelopes[0]!.payload).toMatchObject({ refund_id: 're_1', payment_id: 'ch_1', amount_minor: 2500, currency: 'GBP' });
  });

  it('says a record fails still, with the reasons of today', () => {
    // A refund of a payment that is not a charge has no charge: its contract refuses it.
    const refund = { id: 're_2', object: 'refund', created: 1764500000, charge: null, status: 'succeeded', amount: 2500, currency: 'gbp' };
    const r = remapRecord(stream('refunds'), scrubPersonalData(refund), delivery);
    expect(r).toMatchObject({ outcome: 'failed', reasons: [{ path: 'payload.payment_id' }] });
  });

  it('never maps a redacted value as if it were the record\'s: an email hash of "[redacted]" would join strangers', () => {
    const customer = { id: 'cus_1', object: 'customer', created: 1764500000, email: 'donor@example.org', name: 'A Donor' };
    const kept = scrubPersonalData(customer);
    expect(JSON.stringify(kept)).not.toContain('donor@example.org');
    const r = remapRecord(stream('customers'), kept, delivery);
    expect(r).toEqual({ outcome: 'resync', why: 'its mapping reads fields the raw trail keeps redacted' });
  });

  it('leaves to a sync the streams whose mapping needs more than the record (a prepare step), and a record with no raw', () => {
    expect(remapRecord(stream('charges'), scrubPersonalData({ id: 'ch_1', created: 1764500000 }), delivery)).toMatchObject({ outcome: 'resync' });
    expect(remapRecord(stream('refunds'), null, delivery)).toEqual({ outcome: 'resync', why: 'no raw record was kept' });
  });
});
