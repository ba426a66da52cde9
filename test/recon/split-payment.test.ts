// A donation paid by two charges that together make its amount (6000 + 4000 for 10000: a card retried after a
// partial capture, or instalments) is paid, in parts: no AMOUNT_MISMATCH, no DUPLICATE_PAYMENT, and the journey
// lists each charge (recon_donation_charges). The same donation charged twice (10000 + 10000) is still a
// DUPLICATE_PAYMENT, and charges that fall short (6000 + 3000) still an AMOUNT_MISMATCH. On a small lake landed
// through the real queue, consumers, Parquet and DuckDB. Its journey follows its least advanced part: a split is
// `banked` only once every part is (until 2026-12-02 it showed the first part's stage, payout and bank line).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeCamt } from '../../connectors/bank/camt-writer.js';
import { makeEnvelope } from '../../core/envelope.js';
import { reportSql } from '../../puddles/reports.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
const env = (contract: string, payload: Record<string, unknown>) =>
  makeEnvelope({ contract, version: 1, source: 'test', stream: contract, payload, received_at: '2026-11-20T00:00:00.000Z', delivery_id: 'split' });
const donation = (id: string, amount = 10000) =>
  env('donation', { donation_id: id, occurred_at: '2026-11-18T12:00:00Z', channel: 'online', amount_minor: amount, currency: 'GBP' });
const pay = (id: string, donationId: string, second: number, amount: number, currency = 'GBP', payoutId?: string) =>
  env('payment', {
    payment_id: id, occurred_at: `2026-11-18T12:00:${String(second).padStart(2, '0')}Z`, provider: 'stripe', status: 'succeeded',
    amount_minor: amount, currency, donation_id: donationId, ...(payoutId ? { payout_id: payoutId } : {}),
  });
const payout = (id: string, amount: number) =>
  env('payout', { payout_id: id, occurred_at: '2026-11-18T18:00:00Z', provider: 'stripe', status: 'paid', amount_minor: amount, currency: 'GBP', arrival_date: '2026-11-19', bank_reference: `STRIPE ${id.toUpperCase()}` });
// The bank credits po_first and po_both in full on the 19th; po_unbanked has no line yet.
const ACCOUNT = 'GB29NWBK60161331926819';
const statement = writeCamt({
  message_id: 'split-19', created_at: '2026-11-19T23:59:59Z', version: 8,
  statements: [{
    id: 'split-19', account: ACCOUNT, currency: 'GBP', created_at: '2026-11-19T23:59:59Z', opening_balance_minor: 100_000,
    entries: [
      { amount_minor: 6000, booking_date: '2026-11-19', entry_reference: 'F1', remittance: 'STRIPE PO_FIRST', description: 'STRIPE PAYMENTS UK LTD' },
      { amount_minor: 10000, booking_date: '2026-11-19', entry_reference: 'B1', remittance: 'STRIPE PO_BOTH', description: 'STRIPE PAYMENTS UK LTD' },
    ],
  }],
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
    // A split whose first part is banked and whose second is in a payout the bank has not credited yet.
    donation('d_part_banked'), pay('ch_pb1', 'd_part_banked', 5, 6000, 'GBP', 'po_first'), pay('ch_pb2', 'd_part_banked', 9, 4000, 'GBP', 'po_unbanked'),
    // A split whose parts are both in one payout the bank credited.
    donation('d_all_banked'), pay('ch_ab1', 'd_all_banked', 5, 6000, 'GBP', 'po_both'), pay('ch_ab2', 'd_all_banked', 9, 4000, 'GBP', 'po_both'),
    payout('po_first', 6000), payout('po_unbanked', 4000), payout('po_both', 10000),
  ];
  lake = await landReconLake({ envelopes, bankFiles: [statement], asOf: '2026-11-20' });
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
    expect(rows.filter((r) => !String(r.donation_id).endsWith('banked'))).toEqual([
      { donation_id: 'd_double', payment_id: 'ch_d1', payment_ids: 'ch_d1', stage: 'paid', open_breaks: 'DUPLICATE_PAYMENT' },
      { donation_id: 'd_given_back', payment_id: 'ch_g1', payment_ids: 'ch_g1', stage: 'paid', open_breaks: 'AMOUNT_MISMATCH' },
      { donation_id: 'd_mixed', payment_id: 'ch_m1', payment_ids: 'ch_m1', stage: 'paid', open_breaks: 'AMOUNT_MISMATCH,DUPLICATE_PAYMENT' },
      { donation_id: 'd_short', payment_id: 'ch_sh1', payment_ids: 'ch_sh1', stage: 'paid', open_breaks: 'AMOUNT_MISMATCH,DUPLICATE_PAYMENT' },
      { donation_id: 'd_split', payment_id: 'ch_s1', payment_ids: 'ch_s1, ch_s2', stage: 'paid', open_breaks: '' },
      // The part refunded in part is the one followed: refunded comes before paid, as for one charge.
      { donation_id: 'd_thirds', payment_id: 'ch_t2', payment_ids: 'ch_t1, ch_t2, ch_t3', stage: 'refunded', open_breaks: '' },
    ]);
    const report = await lake.engine.query(reportSql('journey'));
    expect(report.find((r) => r.donation_id === 'd_split')?.payment_ids).toBe('ch_s1, ch_s2');
  });

  it('follows its least advanced part: banked only once every part is, with that part\'s payout and bank line', async () => {
    const rows = await lake.engine.query(
      `SELECT donation_id, payment_id, payment_ids, CAST(paid_at AS VARCHAR) AS paid_at, payout_id, CAST(paid_out_on AS VARCHAR) AS paid_out_on,
         bank_line_id, stage
       FROM recon_journey WHERE donation_id IN ('d_part_banked', 'd_all_banked') ORDER BY donation_id`,
    );
    expect(rows).toEqual([
      // Both parts banked: the first by date, on the line that carried their payout.
      {
        donation_id: 'd_all_banked', payment_id: 'ch_ab1', payment_ids: 'ch_ab1, ch_ab2', paid_at: expect.stringMatching(/^2026-11-18 12:00:09/),
        payout_id: 'po_both', paid_out_on: '2026-11-19', bank_line_id: `${ACCOUNT}/B1`, stage: 'banked',
      },
      // Paid in full when its second part was; that part is only paid out, so the donation is not banked.
      {
        donation_id: 'd_part_banked', payment_id: 'ch_pb2', payment_ids: 'ch_pb1, ch_pb2', paid_at: expect.stringMatching(/^2026-11-18 12:00:09/),
        payout_id: 'po_unbanked', paid_out_on: '2026-11-19', bank_line_id: null, stage: 'paid_out',
      },
    ]);
  });
});
