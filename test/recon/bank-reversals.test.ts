// The bank's reversals (camt RvslInd) in the reconciliation, from real camt.053 files through the importer,
// queue, Parquet and DuckDB: a reversal is paired with the entry it undoes and the pair is taken out of
// matching, so a payout whose credit was reversed is not banked; a reversal that undoes nothing is a break.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeCamt, type CamtEntryInput } from '../../connectors/bank/camt-writer.js';
import { importBankFile } from '../../connectors/bank/import-file.js';
import { makeEnvelope } from '../../core/envelope.js';
import { setReconParams } from '../../puddles/reports.js';
import { createLake, type Lake } from '../puddles/lake-fixture.js';

let lake: Lake;
const ACCOUNT = 'GB29NWBK60161331926819';
const env = (contract: string, payload: Record<string, unknown>, received = '2026-11-22T00:00:00.000Z') =>
  makeEnvelope({ contract, version: 1, source: 'test', stream: contract, payload, received_at: received, delivery_id: 'reversals' });
const donation = (id: string, amount: number) =>
  env('donation', { donation_id: id, occurred_at: '2026-11-18T12:00:00Z', channel: 'online', amount_minor: amount, currency: 'GBP' });
const charge = (id: string, donationId: string, amount: number, payoutId: string) =>
  env('payment', { payment_id: id, occurred_at: '2026-11-18T12:00:05Z', provider: 'stripe', status: 'succeeded', amount_minor: amount, currency: 'GBP', fee_minor: 0, net_minor: amount, donation_id: donationId, payout_id: payoutId });
const payout = (id: string, amount: number, ref: string, status = 'paid', updated = '2026-11-19T12:00:00Z') =>
  env('payout', { payout_id: id, occurred_at: '2026-11-19T12:00:00Z', updated_at: updated, provider: 'stripe', status, amount_minor: amount, currency: 'GBP', arrival_date: '2026-11-20', bank_reference: ref }, updated);
const statement = (id: string, day: string, opening: number, entries: CamtEntryInput[]) =>
  writeCamt({ message_id: id, created_at: `${day}T23:59:59Z`, version: 8, statements: [{ id, account: ACCOUNT, currency: 'GBP', created_at: `${day}T23:59:59Z`, opening_balance_minor: opening, entries }] });
const line = (amount: number, day: string, ref: string, remittance: string, o: Partial<CamtEntryInput> = {}): CamtEntryInput =>
  ({ amount_minor: amount, booking_date: day, entry_reference: ref, remittance, description: 'STRIPE PAYMENTS UK LTD', ...o });

async function land(): Promise<void> {
  for (const p of ['transactions', 'quarantine']) await lake.consumer(p).drain();
}

beforeAll(async () => {
  lake = await createLake();
  await lake.subscribeAll();
  await lake.queue.publish([
    donation('d_a1', 5000), donation('d_a2', 5007), donation('d_b', 3000), donation('d_c', 4000),
    charge('ch_a1', 'd_a1', 5000, 'po_A'), charge('ch_a2', 'd_a2', 5007, 'po_A'), charge('ch_b', 'd_b', 3000, 'po_B'), charge('ch_c', 'd_c', 4000, 'po_C'),
    payout('po_A', 10007, 'PUDDLE POA'), payout('po_B', 3000, 'PUDDLE POB'), payout('po_C', 4000, 'PUDDLE POC'),
  ]);
  // 20 November: the three payouts arrive, and a cheque is paid in. 21 November: the bank returns po_A's credit
  // quoting its remittance, po_C's by its end-to-end id, the cheque quoting its entry reference, and reverses
  // something of 12.34 no statement shows.
  const files = [
    statement('ST-1120', '2026-11-20', 1_000_000, [
      line(10007, '2026-11-20', 'R1', 'PUDDLE POA'),
      line(3000, '2026-11-20', 'R2', 'PUDDLE POB'),
      line(4000, '2026-11-20', 'R3', 'PUDDLE POC', { end_to_end_id: 'E2E-POC' }),
      line(2500, '2026-11-20', 'NWB20261120004', 'CHQ 100777', { description: 'CHEQUE PAID IN' }),
    ]),
    statement('ST-1121', '2026-11-21', 1_019_507, [
      line(-10007, '2026-11-21', 'R5', 'PUDDLE POA RETURNED', { reversal: true }),
      line(-4000, '2026-11-21', 'R6', 'RETURN', { reversal: true, end_to_end_id: 'E2E-POC' }),
      line(-2500, '2026-11-21', 'R7', 'RETURNED UNPAID', { reversal: true, description: 'REVERSAL OF NWB20261120004' }),
      line(-1234, '2026-11-21', 'R8', 'RETURN', { reversal: true }),
    ]),
  ];
  for (const [i, bytes] of files.entries()) expect(await importBankFile(lake.queue, { name: `stmt-${i}.xml`, bytes })).toMatchObject({ status: 'imported' });
  await land();
  await setReconParams(lake.engine, { as_of: '2026-12-01' });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

const id = (ref: string) => `${ACCOUNT}/${ref}`;

describe("the bank's reversals", () => {
  it('pairs each reversal with the entry it undoes, by end-to-end id, entry reference or remittance', async () => {
    const rows = await lake.engine.query(`SELECT bank_line_id, reversal_outcome, reversal_rule, reverses FROM recon_bank_booked WHERE reversal ORDER BY bank_line_id`);
    expect(rows).toEqual([
      { bank_line_id: id('R5'), reversal_outcome: 'paired', reversal_rule: 'reference', reverses: id('R1') },
      { bank_line_id: id('R6'), reversal_outcome: 'paired', reversal_rule: 'end_to_end_id', reverses: id('R3') },
      { bank_line_id: id('R7'), reversal_outcome: 'paired', reversal_rule: 'entry_reference', reverses: id('NWB20261120004') },
      { bank_line_id: id('R8'), reversal_outcome: 'unpaired', reversal_rule: null, reverses: null },
    ]);
    // Only the line nobody reversed counts for matching.
    expect((await lake.engine.query('SELECT bank_line_id FROM recon_bank_text')).map((r) => r.bank_line_id)).toEqual([id('R2')]);
  });

  it('leaves a payout whose credit was reversed out of the bank: a BANK_LINE_REVERSED break, its donations paid out, not banked', async () => {
    const breaks = await lake.engine.query('SELECT break_type, object_id, amount_minor, bank_line_id, related_ids FROM recon_breaks ORDER BY break_type, object_id');
    const [reason] = await lake.engine.query(`SELECT reason FROM recon_breaks WHERE object_id = 'po_A'`);
    expect(reason).toEqual({ reason: 'payout paid; the bank booked its line on 2026-11-20 and reversed it on 2026-11-21: not in the bank' });
    expect(breaks).toEqual([
      { break_type: 'BANK_LINE_REVERSED', object_id: 'po_A', amount_minor: 10007, bank_line_id: id('R1'), related_ids: id('R5') },
      { break_type: 'BANK_LINE_REVERSED', object_id: 'po_C', amount_minor: 4000, bank_line_id: id('R3'), related_ids: id('R6') },
      { break_type: 'BANK_REVERSAL_UNPAIRED', object_id: id('R8'), amount_minor: -1234, bank_line_id: id('R8'), related_ids: `${ACCOUNT}/camt.053/ST-1121` },
    ]);
    const journey = await lake.engine.query('SELECT donation_id, stage, bank_line_id, open_breaks FROM recon_journey ORDER BY donation_id');
    expect(journey).toEqual([
      { donation_id: 'd_a1', stage: 'paid_out', bank_line_id: null, open_breaks: 'BANK_LINE_REVERSED' },
      { donation_id: 'd_a2', stage: 'paid_out', bank_line_id: null, open_breaks: 'BANK_LINE_REVERSED' },
      { donation_id: 'd_b', stage: 'banked', bank_line_id: id('R2'), open_breaks: '' },
      { donation_id: 'd_c', stage: 'paid_out', bank_line_id: null, open_breaks: 'BANK_LINE_REVERSED' },
    ]);
    const payouts = await lake.engine.query(`SELECT payout_id, bank_line_id, match_rule, match_outcome FROM recon_payout WHERE row_kind = 'payout' ORDER BY payout_id`);
    expect(payouts).toEqual([
      { payout_id: 'po_A', bank_line_id: null, match_rule: 'bank_reference', match_outcome: 'reversed' },
      { payout_id: 'po_B', bank_line_id: id('R2'), match_rule: 'bank_reference', match_outcome: 'matched' },
      { payout_id: 'po_C', bank_line_id: null, match_rule: 'bank_reference', match_outcome: 'reversed' },
    ]);
    expect(await lake.engine.query(`SELECT left_id FROM recon_matches WHERE left_kind = 'payout'`)).toEqual([{ left_id: 'po_B' }]);
  });

  it('once the provider marks the payout failed, shows PAYOUT_FAILED and no bank line without a payout', async () => {
    await lake.queue.publish([payout('po_A', 10007, 'PUDDLE POA', 'failed', '2026-11-23T12:00:00Z')]);
    await land();
    const breaks = await lake.engine.query(`SELECT break_type, object_id FROM recon_breaks WHERE object_id IN ('po_A', '${id('R1')}', '${id('R5')}') ORDER BY 1`);
    expect(breaks).toEqual([{ break_type: 'PAYOUT_FAILED', object_id: 'po_A' }]);
    // Its money is back with Stripe: the donations are paid, not paid out, and the journey names the failure.
    const journey = await lake.engine.query(`SELECT donation_id, stage, payout_id, paid_out_on, open_breaks FROM recon_journey WHERE payout_id = 'po_A' ORDER BY donation_id`);
    expect(journey).toEqual([
      { donation_id: 'd_a1', stage: 'paid', payout_id: 'po_A', paid_out_on: null, open_breaks: 'PAYOUT_FAILED' },
      { donation_id: 'd_a2', stage: 'paid', payout_id: 'po_A', paid_out_on: null, open_breaks: 'PAYOUT_FAILED' },
    ]);
  });
});
