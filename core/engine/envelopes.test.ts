import { describe, expect, it } from 'vitest';
import { getContract } from '../contracts/index.js';
import { DEMO_MAX_AHEAD_MS } from '../contracts/time-bounds.js';
import { scrubPersonalData } from '../pii.js';
import { mappedToEnvelopes } from './envelopes.js';

describe('quarantine envelopes', () => {
  const origin = (received_at: string) => ({ source: 'stripe', stream: 'charges', delivery_id: 'run-1', received_at, raw: scrubPersonalData({ id: 'ch_1' }) });
  const bad = (occurred_at: string) => [{ contract: 'donation', version: 1, payload: { donation_id: 'd1', occurred_at, channel: 'fax', amount_minor: 1, currency: 'GBP' } }];

  it('are dated by the record, so a second arrival is the same envelope, and pass their own contract', () => {
    const first = mappedToEnvelopes(bad('2026-11-29T09:00:00Z'), origin('2026-11-29T10:00:00.000Z')).envelopes[0]!;
    const again = mappedToEnvelopes(bad('2026-11-29T09:00:00Z'), origin('2026-11-29T11:00:00.000Z')).envelopes[0]!;
    expect(first.contract).toBe('quarantine');
    expect(first.payload).toMatchObject({ quarantine_id: 'stripe:donation:d1', occurred_at: '2026-11-29T09:00:00Z' });
    expect(again.id).toBe(first.id);
    expect(getContract('quarantine', 1)!.validate(first.payload).errors).toBeNull();
  });

  it("hold a connector's record dated more than a day after it was received, naming the field, filed under its arrival", () => {
    // Until 2026-12-03 a charge created "2099" landed, in a 2099 partition outside every total.
    const payment = (occurred_at: string, updated_at: string | null = null) => [{ contract: 'payment', version: 1, payload: { payment_id: 'ch_9', occurred_at, updated_at, provider: 'stripe', status: 'succeeded', amount_minor: 500, currency: 'GBP' } }];
    const received = '2026-11-29T10:00:00.000Z';
    const far = mappedToEnvelopes(payment('2099-11-29T10:00:00Z'), origin(received));
    expect(far.quarantined).toBe(1);
    expect(far.envelopes[0]!.payload).toMatchObject({ quarantine_id: 'stripe:payment:ch_9', occurred_at: received });
    expect(JSON.parse(far.envelopes[0]!.payload.reasons as string)).toEqual([{ path: 'payload.occurred_at', message: expect.stringMatching(/^is more than a day after the hub received it \(2026-11-29T10:00:00.000Z\)/) }]);
    const updated = mappedToEnvelopes(payment('2026-11-29T09:00:00Z', '2026-12-01T10:00:00Z'), origin(received));
    expect(JSON.parse(updated.envelopes[0]!.payload.reasons as string)).toEqual([{ path: 'payload.updated_at', message: expect.any(String) }]);
    // A clock a few hours fast, or local time sent as UTC from up to UTC+14, is within the day.
    expect(mappedToEnvelopes(payment('2026-11-30T09:59:59Z', '2026-11-30T04:00:00+01:00'), origin(received)).envelopes[0]!.contract).toBe('payment');
    // The demo's fixed calendar (its runtime's maxAheadMs) takes a record weeks ahead, for that call alone; 2099 still not.
    expect(mappedToEnvelopes(payment('2027-01-20T10:00:00Z'), origin(received), DEMO_MAX_AHEAD_MS).envelopes[0]!.contract).toBe('payment');
    expect(mappedToEnvelopes(payment('2027-01-20T10:00:00Z'), origin(received)).quarantined).toBe(1);
    expect(mappedToEnvelopes(payment('2099-11-29T10:00:00Z'), origin(received), DEMO_MAX_AHEAD_MS).quarantined).toBe(1);
  });

  it("hold a connector's record whose amount is below zero where its contract takes none, with the field named", () => {
    const refund = (amount_minor: number) => [{ contract: 'refund', version: 1, payload: { refund_id: 're_1', occurred_at: '2026-11-29T09:00:00Z', provider: 'stripe', payment_id: 'ch_1', status: 'succeeded', amount_minor, currency: 'GBP' } }];
    const r = mappedToEnvelopes(refund(-500), origin('2026-11-29T10:00:00.000Z'));
    expect(r.quarantined).toBe(1);
    expect(r.envelopes[0]!.contract).toBe('quarantine');
    expect(JSON.parse(r.envelopes[0]!.payload.reasons as string)).toEqual([{ path: 'payload.amount_minor', message: 'must not be negative' }]);
    expect(mappedToEnvelopes(refund(500), origin('2026-11-29T10:00:00.000Z')).envelopes[0]!.contract).toBe('refund');
  });

  it("hold a connector's donation whose status is none of the donation statuses, naming the field and the values; take other spellings as their status", () => {
    const donation = (status: string) => [{ contract: 'donation', version: 1, payload: { donation_id: 'd1', occurred_at: '2026-11-29T09:00:00Z', channel: 'online', amount_minor: 2500, currency: 'GBP', status } }];
    const r = mappedToEnvelopes(donation('done'), origin('2026-11-29T10:00:00.000Z'));
    expect(r.quarantined).toBe(1);
    expect(r.envelopes[0]!.contract).toBe('quarantine');
    expect(JSON.parse(r.envelopes[0]!.payload.reasons as string)).toEqual([
      { path: 'payload.status', message: 'must be one of pledged, pending, paid, started, abandoned, failed, cancelled (in any case; canceled means cancelled)' },
    ]);
    const ok = mappedToEnvelopes(donation(' Canceled'), origin('2026-11-29T10:00:00.000Z'));
    expect(ok.quarantined).toBe(0);
    expect(ok.envelopes[0]!.payload.status).toBe('cancelled');
  });

  it("hold a connector's record whose key is empty or only spaces, each as its own quarantine row", () => {
    const blank = (payment_id: string, raw: string) =>
      mappedToEnvelopes(
        [{ contract: 'payment', version: 1, payload: { payment_id, occurred_at: '2026-11-29T09:00:00Z', provider: 'stripe', status: 'succeeded', amount_minor: 2500, currency: 'GBP' } }],
        { ...origin('2026-11-29T10:00:00.000Z'), raw: scrubPersonalData({ id: raw }) },
      );
    const [a, b] = [blank('', 'ch_a'), blank('   ', 'ch_b')];
    for (const r of [a, b]) {
      expect(r.quarantined).toBe(1);
      expect(JSON.parse(r.envelopes[0]!.payload.reasons as string)).toEqual([{ path: 'payload.payment_id', message: 'must not be empty or only spaces: it names the record' }]);
    }
    // Named by the raw record, not by the blank key: two such records are two rows, not one.
    expect(a.envelopes[0]!.payload.quarantine_id).not.toBe(b.envelopes[0]!.payload.quarantine_id);
    expect(b.envelopes[0]!.payload.quarantine_id).toMatch(/^stripe:payment:sha256:/);
  });

  it("hold a connector's payment, refund or dispute whose status is not listed, naming the field; take another case as its status", () => {
    const payment = (status: string) => [{ contract: 'payment', version: 1, payload: { payment_id: 'p1', occurred_at: '2026-11-29T09:00:00Z', provider: 'braintree', status, amount_minor: 2500, currency: 'GBP' } }];
    const dispute = (status: string) => [{ contract: 'dispute', version: 1, payload: { dispute_id: 'x1', occurred_at: '2026-11-29T09:00:00Z', provider: 'braintree', payment_id: 'p1', status, amount_minor: 2500, currency: 'GBP' } }];
    for (const r of [mappedToEnvelopes(payment('settled_ok'), origin('2026-11-29T10:00:00.000Z')), mappedToEnvelopes(dispute('reopened'), origin('2026-11-29T10:00:00.000Z'))]) {
      expect(r.quarantined).toBe(1);
      expect(JSON.parse(r.envelopes[0]!.payload.reasons as string).map((e: { path: string }) => e.path)).toEqual(['payload.status']);
    }
    const ok = mappedToEnvelopes(payment('Settled'), origin('2026-11-29T10:00:00.000Z'));
    expect(ok.quarantined).toBe(0);
    expect(ok.envelopes[0]!.payload.status).toBe('settled');
  });

  it('fall back to the arrival time when the record has no real time of its own', () => {
    // '2026-02-30' is no day: the contract refuses it, so the quarantine row must not carry it either.
    const q = mappedToEnvelopes(bad('2026-02-30T10:00:00Z'), origin('2026-11-29T10:00:00.000Z')).envelopes[0]!;
    expect(q.payload.occurred_at).toBe('2026-11-29T10:00:00.000Z');
    expect(getContract('quarantine', 1)!.validate(q.payload).errors).toBeNull();
  });
});
