// DUPLICATE_PAYMENT closes the way finance closes it, by refunding the double charge: on a small hand-made lake
// (the real queue, consumers, Parquet and DuckDB), a duplicate refunded in full is no break, whichever charge was
// refunded, and one refunded in part stays open for what the refund left. The journey follows the charge that
// stands, the one no refund touched, so a donor charged twice and given the first charge back is banked or paid
// out, not refunded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../../core/envelope.js';
import { setReconParams } from '../../puddles/reports.js';
import { createLake, type Lake } from '../puddles/lake-fixture.js';

let lake: Lake;
const env = (contract: string, payload: Record<string, unknown>) =>
  makeEnvelope({ contract, version: 1, source: 'test', stream: contract, payload, received_at: '2026-11-20T00:00:00.000Z', delivery_id: 'duplicates' });
const donation = (id: string) => env('donation', { donation_id: id, occurred_at: '2026-11-18T12:00:00Z', channel: 'online', amount_minor: 2000, currency: 'GBP' });
// The first charges are paid out in po_first, which the bank booked; the second in po_second, not booked yet.
const pay = (id: string, donationId: string, second: number) =>
  env('payment', {
    payment_id: id, occurred_at: `2026-11-18T12:00:${String(second).padStart(2, '0')}Z`, provider: 'stripe', status: 'succeeded', amount_minor: 2000, currency: 'GBP',
    donation_id: donationId, payout_id: second < 9 ? 'po_first' : 'po_second',
  });
const payout = (id: string, ref: string) =>
  env('payout', { payout_id: id, occurred_at: '2026-11-19T08:00:00Z', provider: 'stripe', status: 'paid', amount_minor: 14000, currency: 'GBP', arrival_date: '2026-11-19', bank_reference: ref });
const refund = (id: string, paymentId: string, amount: number, status = 'succeeded') =>
  env('refund', { refund_id: id, occurred_at: '2026-11-19T10:00:00Z', provider: 'stripe', payment_id: paymentId, status, amount_minor: amount, currency: 'GBP' });

beforeAll(async () => {
  lake = await createLake();
  await lake.subscribeAll();
  await lake.queue.publish([
    donation('d_open'), pay('ch_open1', 'd_open', 5), pay('ch_open2', 'd_open', 9),
    // The tester's: the second charge refunded in full.
    donation('d_back'), pay('ch_back1', 'd_back', 5), pay('ch_back2', 'd_back', 9), refund('re_back', 'ch_back2', 2000),
    // The first charge refunded instead: just as right.
    donation('d_first'), pay('ch_first1', 'd_first', 5), pay('ch_first2', 'd_first', 9), refund('re_first', 'ch_first1', 2000),
    // Refunded in two parts, one still pending; and in part only.
    donation('d_parts'), pay('ch_parts1', 'd_parts', 5), pay('ch_parts2', 'd_parts', 9), refund('re_parts1', 'ch_parts2', 1200), refund('re_parts2', 'ch_parts2', 800, 'pending'),
    // The first charge refunded in part: it is the one being given back, and what it still holds is the duplicate.
    donation('d_firstpart'), pay('ch_firstpart1', 'd_firstpart', 5), pay('ch_firstpart2', 'd_firstpart', 9), refund('re_firstpart', 'ch_firstpart1', 1200),
    // Charged once and given part of it back; charged twice and given both back.
    donation('d_single'), pay('ch_single1', 'd_single', 5), refund('re_single', 'ch_single1', 500),
    donation('d_both'), pay('ch_both1', 'd_both', 5), pay('ch_both2', 'd_both', 9), refund('re_both1', 'ch_both1', 2000), refund('re_both2', 'ch_both2', 2000),
    payout('po_first', 'STRIPE PO FIRST'), payout('po_second', 'STRIPE PO SECOND'),
    env('bank_line', { bank_line_id: 'bl_first', occurred_at: '2026-11-19T09:00:00Z', account: 'current', amount_minor: 14000, currency: 'GBP', reference: 'STRIPE PO FIRST', booking_date: '2026-11-19' }),
  ]);
  await lake.consumer('transactions').drain();
  await setReconParams(lake.engine, { as_of: '2026-11-20' });
}, 60_000);

afterAll(async () => {
  await lake?.close();
});

describe('a duplicate payment refunded', () => {
  it('is closed when refunded in full, and open for what is left when refunded in part', async () => {
    const rows = await lake.engine.query(`SELECT object_id, amount_minor, related_ids, reason FROM recon_breaks WHERE break_type = 'DUPLICATE_PAYMENT' ORDER BY object_id`);
    expect(rows).toEqual([
      {
        object_id: 'ch_firstpart1', amount_minor: 800, related_ids: 'ch_firstpart2',
        reason: 'payment number 1 that succeeded for one donation; 12.00 GBP of its 20.00 GBP refunded; number 2, which no refund touched, stands',
      },
      { object_id: 'ch_open2', amount_minor: 2000, related_ids: 'ch_open1', reason: 'payment number 2 that succeeded for one donation' },
      { object_id: 'ch_parts2', amount_minor: 800, related_ids: 'ch_parts1', reason: 'payment number 2 that succeeded for one donation; 12.00 GBP of its 20.00 GBP refunded' },
    ]);
  });

  it('is followed by the journey through the charge that stands: the one no refund touched, else one that holds money', async () => {
    const rows = await lake.engine.query(
      `SELECT donation_id, payment_id, stage, payout_id, CAST(paid_out_on AS VARCHAR) AS paid_out_on, bank_line_id, open_breaks FROM recon_journey ORDER BY donation_id`,
    );
    expect(rows).toEqual([
      // The second charge given back: the first stands, as before.
      { donation_id: 'd_back', payment_id: 'ch_back1', stage: 'banked', payout_id: 'po_first', paid_out_on: '2026-11-19', bank_line_id: 'bl_first', open_breaks: '' },
      // Both given back: nothing stands, so the first, refunded.
      { donation_id: 'd_both', payment_id: 'ch_both1', stage: 'refunded', payout_id: 'po_first', paid_out_on: '2026-11-19', bank_line_id: 'bl_first', open_breaks: '' },
      // The first charge given back: the donor paid once, through the second, which is paid out (until 2026-12-02: refunded).
      { donation_id: 'd_first', payment_id: 'ch_first2', stage: 'paid_out', payout_id: 'po_second', paid_out_on: '2026-11-19', bank_line_id: null, open_breaks: '' },
      // The first charge given back in part: the second stands; the first still holds 800 too much.
      { donation_id: 'd_firstpart', payment_id: 'ch_firstpart2', stage: 'paid_out', payout_id: 'po_second', paid_out_on: '2026-11-19', bank_line_id: null, open_breaks: 'DUPLICATE_PAYMENT' },
      { donation_id: 'd_open', payment_id: 'ch_open1', stage: 'banked', payout_id: 'po_first', paid_out_on: '2026-11-19', bank_line_id: 'bl_first', open_breaks: 'DUPLICATE_PAYMENT' },
      { donation_id: 'd_parts', payment_id: 'ch_parts1', stage: 'banked', payout_id: 'po_first', paid_out_on: '2026-11-19', bank_line_id: 'bl_first', open_breaks: 'DUPLICATE_PAYMENT' },
      // Charged once and given part of it back: that charge is the donation's, refunded.
      { donation_id: 'd_single', payment_id: 'ch_single1', stage: 'refunded', payout_id: 'po_first', paid_out_on: '2026-11-19', bank_line_id: 'bl_first', open_breaks: '' },
    ]);
  });

  it('closes the partly refunded one once the rest of the refund succeeds', async () => {
    await lake.queue.publish([makeEnvelope({ contract: 'refund', version: 1, source: 'test', stream: 'refund', payload: { refund_id: 're_parts2', occurred_at: '2026-11-19T10:00:00Z', updated_at: '2026-11-19T11:00:00Z', provider: 'stripe', payment_id: 'ch_parts2', status: 'succeeded', amount_minor: 800, currency: 'GBP' }, received_at: '2026-11-20T00:00:00.000Z', delivery_id: 'duplicates-2' })]);
    await lake.consumer('transactions').drain();
    const rows = await lake.engine.query(`SELECT object_id FROM recon_breaks WHERE break_type = 'DUPLICATE_PAYMENT' ORDER BY object_id`);
    expect(rows).toEqual([{ object_id: 'ch_firstpart1' }, { object_id: 'ch_open2' }]);
  });
});
