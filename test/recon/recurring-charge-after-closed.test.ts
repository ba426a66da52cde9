// A regular gift the CRM closed while the provider, or the producer, kept taking its instalments: charges the CRM does
// not record, which name the regular gift themselves (payment v3: a Braintree subscription, matched by the regular
// gift's commitment_id) or through their donation (donation v3). RECURRING_PAID_AFTER_CLOSED on each such charge taken
// after the day it closed and not given back; none on one the CRM records (the gift's break says it, and closes once it
// is given back, at the provider or in the CRM); and on a Direct Debit bureau's collection (a donation `paid`, with no
// charge in the lake). Landed through the real queue, consumers, Parquet and DuckDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEnvelope, type Envelope } from '../../core/envelope.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
let n = 0;
const env = (contract: string, version: number, payload: Record<string, unknown>): Envelope =>
  makeEnvelope({ contract, version, source: 'test', stream: contract, payload, received_at: '2026-12-19T00:00:00.000Z', delivery_id: `rc-${n++}` });
const regular = (id: string, status: string, at: string, commitment?: string) =>
  env('recurring_donation', 1, {
    recurring_donation_id: id, occurred_at: '2026-09-01T10:00:00Z', updated_at: at, supporter_id: `sup-${id}`, amount_minor: 1000, currency: 'GBP',
    installment_period: 'Monthly', status, ...(commitment ? { commitment_id: commitment } : {}),
  });
const charge = (id: string, day: string, extra: Record<string, unknown> = {}, version = 3) =>
  env('payment', version, { payment_id: id, occurred_at: `${day}T06:00:05Z`, provider: 'braintree', status: 'settled', amount_minor: 1000, currency: 'GBP', ...extra });

beforeAll(async () => {
  const envelopes = [
    // A Braintree subscription the CRM keeps as the regular gift's commitment, closed on 20 November.
    regular('rd-66', 'Active', '2026-09-01T10:00:00Z', 'bt-sub-66'),
    regular('rd-66', 'Closed', '2026-11-20T09:00:00Z', 'bt-sub-66'),
    charge('bt-66-nov', '2026-11-01', { recurring_donation_id: 'bt-sub-66' }),
    charge('bt-66-dec', '2026-12-01', { recurring_donation_id: 'bt-sub-66' }),
    // Taken after the close and refunded in full: put right, no break; refunded in part: the rest is at stake.
    charge('bt-66-dec2', '2026-12-02', { recurring_donation_id: 'bt-sub-66' }),
    env('refund', 1, { refund_id: 're-66', occurred_at: '2026-12-05T10:00:00Z', provider: 'braintree', payment_id: 'bt-66-dec2', status: 'settled', amount_minor: 1000, currency: 'GBP' }),
    charge('bt-66-dec3', '2026-12-03', { recurring_donation_id: 'bt-sub-66' }),
    env('refund', 1, { refund_id: 're-66b', occurred_at: '2026-12-05T10:00:00Z', provider: 'braintree', payment_id: 'bt-66-dec3', status: 'settled', amount_minor: 400, currency: 'GBP' }),
    // A web form's Direct Debit instalment naming the CRM's regular gift, closed on 10 November; a charge for it after.
    regular('rd-44', 'Active', '2026-09-01T10:00:00Z'),
    regular('rd-44', 'Cancelled', '2026-11-10T09:00:00Z'),
    env('donation', 3, { donation_id: 'web-44-dec', occurred_at: '2026-12-04T06:00:00Z', channel: 'online', amount_minor: 1000, currency: 'GBP', recurring_donation_id: 'rd-44' }),
    charge('ch-44-dec', '2026-12-04', { provider: 'stripe', status: 'succeeded', donation_id: 'web-44-dec' }, 1),
    // The CRM records this one against a gift of the closed regular gift: the gift's break, not a second one.
    regular('rd-77', 'Active', '2026-09-01T10:00:00Z', 'bt-sub-77'),
    regular('rd-77', 'Closed', '2026-11-20T09:00:00Z', 'bt-sub-77'),
    env('gift', 2, { gift_id: 'g-77-dec', occurred_at: '2026-12-01T06:00:00Z', amount_minor: 1000, currency: 'GBP', stage: 'Closed Won', is_won: true, close_date: '2026-12-01', recurring_donation_id: 'rd-77' }),
    env('gift_payment', 1, { gift_payment_id: 'gp-77-dec', occurred_at: '2026-12-01T06:00:00Z', gift_id: 'g-77-dec', amount_minor: 1000, currency: 'GBP', paid: true, payment_date: '2026-12-01', payment_ref: 'bt-77-dec' }),
    charge('bt-77-dec', '2026-12-01', { recurring_donation_id: 'bt-sub-77' }),
    // Two more of rd-77's instalments after it closed: one refunded in full at the provider (closed), one the CRM records
    // 3.00 of as given back (a negative gift payment): 7.00 still held.
    env('gift', 2, { gift_id: 'g-77-dec2', occurred_at: '2026-12-02T06:00:00Z', amount_minor: 1000, currency: 'GBP', stage: 'Closed Won', is_won: true, close_date: '2026-12-02', recurring_donation_id: 'rd-77' }),
    env('gift_payment', 1, { gift_payment_id: 'gp-77-dec2', occurred_at: '2026-12-02T06:00:00Z', gift_id: 'g-77-dec2', amount_minor: 1000, currency: 'GBP', paid: true, payment_date: '2026-12-02', payment_ref: 'bt-77-dec2' }),
    charge('bt-77-dec2', '2026-12-02'),
    env('refund', 1, { refund_id: 're-77', occurred_at: '2026-12-06T10:00:00Z', provider: 'braintree', payment_id: 'bt-77-dec2', status: 'settled', amount_minor: 1000, currency: 'GBP' }),
    env('gift', 2, { gift_id: 'g-77-dec3', occurred_at: '2026-12-03T06:00:00Z', amount_minor: 1000, currency: 'GBP', stage: 'Closed Won', is_won: true, close_date: '2026-12-03', recurring_donation_id: 'rd-77' }),
    env('gift_payment', 1, { gift_payment_id: 'gp-77-dec3', occurred_at: '2026-12-03T06:00:00Z', gift_id: 'g-77-dec3', amount_minor: 1000, currency: 'GBP', paid: true, payment_date: '2026-12-03', payment_ref: 'bt-77-dec3' }),
    env('gift_payment', 1, { gift_payment_id: 'gp-77-dec3-r', occurred_at: '2026-12-07T06:00:00Z', gift_id: 'g-77-dec3', amount_minor: -300, currency: 'GBP', paid: true, payment_date: '2026-12-07', original_payment_id: 'gp-77-dec3' }),
    charge('bt-77-dec3', '2026-12-03'),
    // A Direct Debit bureau's collections of rd-44 (status paid, no charge in the lake): one before it closed, one after,
    // and one after that the bureau gave back (sent again as cancelled).
    env('donation', 3, { donation_id: 'dd-44-nov', occurred_at: '2026-11-01T06:00:00Z', channel: 'other', amount_minor: 1000, currency: 'GBP', status: 'paid', recurring_donation_id: 'rd-44' }),
    env('donation', 3, { donation_id: 'dd-44-dec', occurred_at: '2026-12-01T06:00:00Z', channel: 'other', amount_minor: 1000, currency: 'GBP', status: 'paid', recurring_donation_id: 'rd-44' }),
    env('donation', 3, { donation_id: 'dd-44-dec2', occurred_at: '2026-12-02T06:00:00Z', channel: 'other', amount_minor: 1000, currency: 'GBP', status: 'paid', recurring_donation_id: 'rd-44' }),
    env('donation', 3, {
      donation_id: 'dd-44-dec2', occurred_at: '2026-12-02T06:00:00Z', updated_at: '2026-12-09T06:00:00Z', channel: 'other', amount_minor: 1000, currency: 'GBP', status: 'cancelled',
      recurring_donation_id: 'rd-44',
    }),
    // One plan closed twice over: the provider's own record of the subscription (cancelled on 15 November) and the CRM's
    // plan that keeps its id as the commitment (closed on 25 November). A charge after both is one break, not two,
    // naming the plan closed first.
    regular('bt-sub-55', 'Canceled', '2026-11-15T09:00:00Z'),
    regular('rd-55', 'Active', '2026-09-01T10:00:00Z', 'bt-sub-55'),
    regular('rd-55', 'Closed', '2026-11-25T09:00:00Z', 'bt-sub-55'),
    charge('bt-55-dec', '2026-12-01', { recurring_donation_id: 'bt-sub-55' }),
    // A plan first synced already closed (recurring_donation v2): its change time is the sync's (10 December), its end
    // date the day it ended (20 November). A charge between the two was taken after it closed.
    env('recurring_donation', 2, {
      recurring_donation_id: 'rd-88', occurred_at: '2026-09-01T10:00:00Z', updated_at: '2026-12-10T09:00:00Z', amount_minor: 1000, currency: 'GBP',
      installment_period: 'Monthly', status: 'Closed', commitment_id: 'bt-sub-88', end_date: '2026-11-20', closed_reason: 'Financial Change',
    }),
    charge('bt-88-dec', '2026-12-01', { recurring_donation_id: 'bt-sub-88' }),
    // A subscription still active: its charges are due.
    regular('rd-33', 'Active', '2026-09-01T10:00:00Z', 'bt-sub-33'),
    charge('bt-33-dec', '2026-12-01', { recurring_donation_id: 'bt-sub-33' }),
  ];
  lake = await landReconLake({ envelopes, puddles: ['transactions', 'supporters'], asOf: '2026-12-20' });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

describe('RECURRING_PAID_AFTER_CLOSED on charges the CRM does not record', () => {
  it("names each charge of a closed regular gift taken after it closed, by its subscription or its donation, and what is still at stake", async () => {
    const rows = await lake.engine.query(
      "SELECT object_kind, object_id, amount_minor, payment_id, donation_id, related_ids, reason FROM recon_breaks WHERE break_type = 'RECURRING_PAID_AFTER_CLOSED' ORDER BY object_id",
    );
    expect(rows).toEqual([
      {
        object_kind: 'payment', object_id: 'bt-55-dec', amount_minor: 1000, payment_id: 'bt-55-dec', donation_id: null, related_ids: 'bt-sub-55',
        reason: 'regular gift bt-sub-55 was closed on 2026-11-15, but this instalment of 10.00 GBP was taken on 2026-12-01: refund it, and stop the payment at the provider',
      },
      {
        object_kind: 'payment', object_id: 'bt-66-dec', amount_minor: 1000, payment_id: 'bt-66-dec', donation_id: null, related_ids: 'rd-66',
        reason: 'regular gift rd-66 was closed on 2026-11-20, but this instalment of 10.00 GBP was taken on 2026-12-01: refund it, and stop the payment at the provider',
      },
      {
        object_kind: 'payment', object_id: 'bt-66-dec3', amount_minor: 600, payment_id: 'bt-66-dec3', donation_id: null, related_ids: 'rd-66',
        reason: 'regular gift rd-66 was closed on 2026-11-20, but this instalment of 10.00 GBP was taken on 2026-12-03 (4.00 given back, 6.00 held): refund it, and stop the payment at the provider',
      },
      {
        object_kind: 'payment', object_id: 'bt-88-dec', amount_minor: 1000, payment_id: 'bt-88-dec', donation_id: null, related_ids: 'rd-88',
        reason: 'regular gift rd-88 was closed on 2026-11-20, but this instalment of 10.00 GBP was taken on 2026-12-01: refund it, and stop the payment at the provider',
      },
      {
        object_kind: 'payment', object_id: 'ch-44-dec', amount_minor: 1000, payment_id: 'ch-44-dec', donation_id: 'web-44-dec', related_ids: 'rd-44',
        reason: 'regular gift rd-44 was closed on 2026-11-10, but this instalment of 10.00 GBP was taken on 2026-12-04: refund it, and stop the payment at the provider',
      },
      {
        object_kind: 'donation', object_id: 'dd-44-dec', amount_minor: 1000, payment_id: null, donation_id: 'dd-44-dec', related_ids: 'rd-44',
        reason: 'regular gift rd-44 was closed on 2026-11-10, but this instalment of 10.00 GBP was collected on 2026-12-01: refund it, and stop the collection',
      },
      {
        object_kind: 'gift', object_id: 'g-77-dec', amount_minor: 1000, payment_id: 'bt-77-dec', donation_id: null, related_ids: 'rd-77',
        reason: 'regular gift rd-77 was closed on 2026-11-20, but this instalment of 10.00 GBP was taken on 2026-12-01: refund it, and stop the payment at the provider',
      },
      {
        object_kind: 'gift', object_id: 'g-77-dec3', amount_minor: 700, payment_id: 'bt-77-dec3', donation_id: null, related_ids: 'rd-77',
        reason: 'regular gift rd-77 was closed on 2026-11-20, but this instalment of 10.00 GBP was taken on 2026-12-03 (3.00 given back, 7.00 held): refund it, and stop the payment at the provider',
      },
    ]);
  });
});
