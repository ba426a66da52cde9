// A donation paid by two charges that together make its amount (6000 + 4000 for 10000: a card retried after a
// partial capture, or instalments) is paid, in parts: no AMOUNT_MISMATCH, no DUPLICATE_PAYMENT, and the journey
// lists each charge (recon_donation_charges). The same donation charged twice (10000 + 10000) is still a
// DUPLICATE_PAYMENT, and charges that fall short (6000 + 3000) still an AMOUNT_MISMATCH. On a small lake landed
// through the real queue, consumers, Parquet and DuckDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import { reportSql } from '../../puddles/reports.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
const env = (contract: string, payload: Record<string, unknown>) =>
  makeEnvelope({ contract, version: 1, source: 'test', stream: contract, payload, received_at: '2026-11-20T00:00:00.000Z', delivery_id: 'split' });
const donation = (id: string, amount = 10000) =>
  env('donation', { donation_id: id, occurred_at: '2026-11-18T12:00:00Z', channel: 'online', amount_minor: amount, currency: 'GBP' });
const pay = (id: string, donationId: string, second: number, amount: number, currency = 'GBP') =>
  env('payment', {
    payment_id: id, occurred_at: `2026-11-18T12:00:${String(second).padStart(2, '0')}Z`, provider: 'stripe', status: 'succeeded',
    amount_minor: amount, currency, donation_id: donationId,
  });
const refund = (id: string, paymentId: string, amount: number) =>
  env('refund', { refund_id: id, occurred_at: '2026-11-19T10:00:00Z', provider: 'stripe', payment_id: paymentId, status: 'succeeded', amount_minor: amount, currency: 'GBP' });

beforeAll(async () => {
  const envelopes = [
    // Paid in two parts that make the pledge.
    donation('d_split'), pay('ch_s1', 'd_split', 5, 6000), pay('ch_s2', 'd_split', 9, 4000),
    // Three instalments, the second also refunded in part (the refund is its own matter).
    donation('d_thirds', 9000), pay('ch_t1', 'd_thirds', 1, 3000), pay('ch_t2', 'd_thirds', 2, 3000), pay('ch_t3', 'd_thirds', 3, 3000),
    refund('re_t2', 'ch_t2', 500),
    // Charged the whole amount twice.
    donation('d_double'), pay('ch_d1', 'd_double', 5, 10000), pay('ch_d2', 'd_double', 9, 10000),
    // Two charges that fall short.
    donation('d_short'), pay('ch_sh1', 'd_short', 5, 6000), pay('ch_sh2', 'd_short', 9, 3000),
    // The right sum, but one part in another currency: not a split.
    donation('d_mixed'), pay('ch_m1', 'd_mixed', 5, 6000), pay('ch_m2', 'd_mixed', 9, 4000, 'EUR'),
    // A part refunded in full no longer pays the donation: 6000 remains of 10000.
    donation('d_given_back'), pay('ch_g1', 'd_given_back', 5, 6000), pay('ch_g2', 'd_given_back', 9, 4000), refund('re_g2', 'ch_g2', 4000),
  ];
  lake = await landReconLake({ envelopes, puddles: ['transactions'], asOf: '2026-11-20' });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

describe('a donation paid in parts', () => {
  it('has no AMOUNT_MISMATCH or DUPLICATE_PAYMENT when its charges add up to it; a double charge and a short one keep theirs', async () => {
    const rows = await lake.engine.query(
      `SELECT break_type, object_id, amount_minor FROM recon_breaks
       WHERE break_type IN ('AMOUNT_MISMATCH', 'CURRENCY_MISMATCH', 'DUPLICATE_PAYMENT') ORDER BY object_id, break_type`,
    );
    expect(rows).toEqual([
      { break_type: 'DUPLICATE_PAYMENT', object_id: 'ch_d2', amount_minor: 10000 },
      { break_type: 'DUPLICATE_PAYMENT', object_id: 'ch_m2', amount_minor: 4000 },
      { break_type: 'AMOUNT_MISMATCH', object_id: 'd_given_back', amount_minor: -4000 },
      { break_type: 'AMOUNT_MISMATCH', object_id: 'd_mixed', amount_minor: -4000 },
      { break_type: 'AMOUNT_MISMATCH', object_id: 'd_short', amount_minor: -4000 },
      { break_type: 'DUPLICATE_PAYMENT', object_id: 'ch_sh2', amount_minor: 3000 },
    ].sort((a, b) => a.object_id.localeCompare(b.object_id) || a.break_type.localeCompare(b.break_type)));
  });

  it('lists each charge in the journey and the journey report, by date; one charge is listed alone', async () => {
    const rows = await lake.engine.query('SELECT donation_id, payment_id, payment_ids, stage, open_breaks FROM recon_journey ORDER BY donation_id');
    expect(rows).toEqual([
      { donation_id: 'd_double', payment_id: 'ch_d1', payment_ids: 'ch_d1', stage: 'paid', open_breaks: 'DUPLICATE_PAYMENT' },
      { donation_id: 'd_given_back', payment_id: 'ch_g1', payment_ids: 'ch_g1', stage: 'paid', open_breaks: 'AMOUNT_MISMATCH' },
      { donation_id: 'd_mixed', payment_id: 'ch_m1', payment_ids: 'ch_m1', stage: 'paid', open_breaks: 'AMOUNT_MISMATCH,DUPLICATE_PAYMENT' },
      { donation_id: 'd_short', payment_id: 'ch_sh1', payment_ids: 'ch_sh1', stage: 'paid', open_breaks: 'AMOUNT_MISMATCH,DUPLICATE_PAYMENT' },
      { donation_id: 'd_split', payment_id: 'ch_s1', payment_ids: 'ch_s1, ch_s2', stage: 'paid', open_breaks: '' },
      { donation_id: 'd_thirds', payment_id: 'ch_t1', payment_ids: 'ch_t1, ch_t2, ch_t3', stage: 'paid', open_breaks: '' },
    ]);
    const report = await lake.engine.query(reportSql('journey'));
    expect(report.find((r) => r.donation_id === 'd_split')?.payment_ids).toBe('ch_s1, ch_s2');
  });
});
