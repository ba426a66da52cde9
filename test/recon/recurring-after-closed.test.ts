// A regular gift the CRM closed that went on taking money (user test of 2026-12-06: a donor who cancelled their monthly
// gift and was charged again, and nothing in Puddle said so): RECURRING_PAID_AFTER_CLOSED on each instalment won after
// the day it closed (or expired), with its charge; none for one reopened, paused or lapsed, nor for an instalment taken
// while it was open. Landed through the real queue, consumers, Parquet and DuckDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEnvelope, type Envelope } from '../../core/envelope.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
let n = 0;
const env = (contract: string, version: number, payload: Record<string, unknown>): Envelope =>
  makeEnvelope({ contract, version, source: 'salesforce', stream: contract, payload, received_at: '2026-12-19T00:00:00.000Z', delivery_id: `rd-${n++}` });
/** A version of a regular gift: its status as of `at`. */
const regular = (id: string, status: string, at: string) =>
  env('recurring_donation', 1, { recurring_donation_id: id, occurred_at: '2026-09-01T10:00:00Z', updated_at: at, supporter_id: `sup-${id}`, amount_minor: 1000, currency: 'GBP', installment_period: 'Monthly', status });
/** A won instalment of a regular gift, its CRM payment and the charge. */
const instalment = (rd: string, day: string) => [
  env('gift', 2, { gift_id: `g-${rd}-${day}`, occurred_at: `${day}T06:00:00Z`, supporter_id: `sup-${rd}`, amount_minor: 1000, currency: 'GBP', stage: 'Closed Won', is_won: true, close_date: day, recurring_donation_id: rd }),
  env('gift_payment', 1, { gift_payment_id: `gp-${rd}-${day}`, occurred_at: `${day}T06:00:00Z`, gift_id: `g-${rd}-${day}`, amount_minor: 1000, currency: 'GBP', paid: true, payment_date: day, payment_ref: `ch-${rd}-${day}` }),
  env('payment', 1, { payment_id: `ch-${rd}-${day}`, occurred_at: `${day}T06:00:05Z`, provider: 'stripe', status: 'succeeded', amount_minor: 1000, currency: 'GBP' }),
];

beforeAll(async () => {
  const envelopes = [
    // Closed on 20 November; November's instalment before, December's after.
    regular('rd-77', 'Active', '2026-09-01T10:00:00Z'),
    regular('rd-77', 'Closed', '2026-11-20T09:12:00Z'),
    ...instalment('rd-77', '2026-11-01'),
    ...instalment('rd-77', '2026-12-01'),
    // Closed, then opened again: its next instalment is due.
    regular('rd-88', 'Active', '2026-09-01T10:00:00Z'),
    regular('rd-88', 'Closed', '2026-11-10T09:00:00Z'),
    regular('rd-88', 'Active', '2026-11-15T09:00:00Z'),
    ...instalment('rd-88', '2026-12-01'),
    // Closed, opened again, closed again on 25 November: taken on the 22nd while open, on the 28th after.
    regular('rd-99', 'Active', '2026-09-01T10:00:00Z'),
    regular('rd-99', 'Closed', '2026-11-05T09:00:00Z'),
    regular('rd-99', 'Active', '2026-11-08T09:00:00Z'),
    regular('rd-99', 'Closed', '2026-11-25T09:00:00Z'),
    ...instalment('rd-99', '2026-11-22'),
    ...instalment('rd-99', '2026-11-28'),
    // Lapsed (NPSP's status for missed instalments) is not a cancellation.
    regular('rd-55', 'Active', '2026-09-01T10:00:00Z'),
    regular('rd-55', 'Lapsed', '2026-11-02T09:00:00Z'),
    ...instalment('rd-55', '2026-12-01'),
    // Braintree's expired (all its billing cycles taken) and Stripe's incomplete_expired take no more money either;
    // NPSP's Paused can take money again.
    regular('rd-66', 'Active', '2026-09-01T10:00:00Z'),
    regular('rd-66', 'expired', '2026-11-18T09:00:00Z'),
    ...instalment('rd-66', '2026-12-01'),
    regular('rd-44', 'incomplete_expired', '2026-11-03T09:00:00Z'),
    ...instalment('rd-44', '2026-11-15'),
    regular('rd-33', 'Active', '2026-09-01T10:00:00Z'),
    regular('rd-33', 'Paused', '2026-11-02T09:00:00Z'),
    ...instalment('rd-33', '2026-12-01'),
  ];
  lake = await landReconLake({ envelopes, puddles: ['transactions', 'supporters'], asOf: '2026-12-20' });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

describe('RECURRING_PAID_AFTER_CLOSED', () => {
  it('names each instalment taken after its regular gift closed, with its charge, and none taken while it was open', async () => {
    const rows = await lake.engine.query(
      "SELECT object_kind, object_id, amount_minor, object_date, payment_id, related_ids, reason FROM recon_breaks WHERE break_type = 'RECURRING_PAID_AFTER_CLOSED' ORDER BY object_id",
    );
    expect(rows.map((r) => ({ ...r, object_date: String(r.object_date).slice(0, 10) }))).toEqual([
      {
        object_kind: 'gift',
        object_id: 'g-rd-44-2026-11-15',
        amount_minor: 1000,
        object_date: '2026-11-15',
        payment_id: 'ch-rd-44-2026-11-15',
        related_ids: 'rd-44',
        reason: 'regular gift rd-44 was closed on 2026-11-03, but this instalment of 10.00 GBP was taken on 2026-11-15: refund it, and stop the payment at the provider',
      },
      {
        object_kind: 'gift',
        object_id: 'g-rd-66-2026-12-01',
        amount_minor: 1000,
        object_date: '2026-12-01',
        payment_id: 'ch-rd-66-2026-12-01',
        related_ids: 'rd-66',
        reason: 'regular gift rd-66 was closed on 2026-11-18, but this instalment of 10.00 GBP was taken on 2026-12-01: refund it, and stop the payment at the provider',
      },
      {
        object_kind: 'gift',
        object_id: 'g-rd-77-2026-12-01',
        amount_minor: 1000,
        object_date: '2026-12-01',
        payment_id: 'ch-rd-77-2026-12-01',
        related_ids: 'rd-77',
        reason: 'regular gift rd-77 was closed on 2026-11-20, but this instalment of 10.00 GBP was taken on 2026-12-01: refund it, and stop the payment at the provider',
      },
      {
        object_kind: 'gift',
        object_id: 'g-rd-99-2026-11-28',
        amount_minor: 1000,
        object_date: '2026-11-28',
        payment_id: 'ch-rd-99-2026-11-28',
        related_ids: 'rd-99',
        reason: 'regular gift rd-99 was closed on 2026-11-25, but this instalment of 10.00 GBP was taken on 2026-11-28: refund it, and stop the payment at the provider',
      },
    ]);
  });

  it('is not one before the instalment was taken (as of an earlier day)', async () => {
    const { setReconParams } = await import('../../puddles/reports.js');
    await setReconParams(lake.engine, { as_of: '2026-11-30' });
    const rows = await lake.engine.query("SELECT object_id FROM recon_breaks WHERE break_type = 'RECURRING_PAID_AFTER_CLOSED' ORDER BY object_id");
    expect(rows.map((r) => r.object_id)).toEqual(['g-rd-44-2026-11-15', 'g-rd-99-2026-11-28']);
    await setReconParams(lake.engine, { as_of: '2026-12-20' });
  });
});
