// A payout the bank paid as two or three credits (rule payout_split_lines of recon_bank_candidates), from real
// camt.053 files through the importer, queue, Parquet and DuckDB: every credit of the set carries the payout's
// reference, they are of one account, in the payout's window, and sum exactly to it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeCamt, type CamtEntryInput } from '../../connectors/bank/camt-writer.js';
import { makeEnvelope } from '../../core/envelope.js';
import { donation, type Lake } from '../puddles/lake-fixture.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
const A = 'GB29NWBK60161331926819';
const B = 'GB94BARC10201530093459';
const payout = (id: string, amount: number) =>
  makeEnvelope({
    contract: 'payout', version: 1, source: 'test', stream: 'payout', received_at: '2026-11-22T00:00:00.000Z', delivery_id: 'split-lines',
    payload: { payout_id: id, occurred_at: '2026-11-09T00:00:00Z', provider: 'stripe', status: 'paid', amount_minor: amount, currency: 'GBP', arrival_date: '2026-11-10', bank_reference: `STRIPE ${id.toUpperCase()}` },
  });
const statement = (account: string, day: string, opening: number, entries: CamtEntryInput[]) => {
  const id = `${account.slice(-4)}-${day}`;
  return writeCamt({ message_id: id, created_at: `${day}T23:59:59Z`, version: 8, statements: [{ id, account, currency: 'GBP', created_at: `${day}T23:59:59Z`, opening_balance_minor: opening, entries }] });
};
// A credit quoting payout `of`; its entry reference is `ref`.
const part = (ref: string, amount: number, day: string, of: string): CamtEntryInput =>
  ({ amount_minor: amount, booking_date: day, entry_reference: ref, remittance: `STRIPE ${of.toUpperCase()} PART`, description: 'STRIPE PAYMENTS UK LTD' });
const id = (ref: string, account = A) => `${account}/${ref}`;

beforeAll(async () => {
  const envelopes = [
    payout('po_two', 10_000), payout('po_three', 9000), payout('po_late', 7000), payout('po_accounts', 6000),
    payout('po_either', 5000), payout('po_four', 4000), payout('po_csv', 12_000), payout('po_one', 2500),
    donation('d_two', 10_000, { occurred_at: '2026-11-08T10:00:00Z' }),
    makeEnvelope({
      contract: 'payment', version: 1, source: 'test', stream: 'payment', received_at: '2026-11-22T00:00:00.000Z', delivery_id: 'split-lines-pay',
      payload: { payment_id: 'pay_two', occurred_at: '2026-11-08T10:00:05Z', provider: 'stripe', status: 'succeeded', amount_minor: 10_000, currency: 'GBP', donation_id: 'd_two', payout_id: 'po_two' },
    }),
  ];
  const files = [
    statement(A, '2026-11-10', 100_000, [
      part('T1', 6000, '2026-11-10', 'po_two'),
      part('H1', 3000, '2026-11-10', 'po_three'), part('H2', 3000, '2026-11-10', 'po_three'), part('H3', 3000, '2026-11-10', 'po_three'),
      part('L1', 4000, '2026-11-10', 'po_late'),
      part('C1', 4000, '2026-11-10', 'po_accounts'),
      part('E1', 3000, '2026-11-10', 'po_either'), part('E2', 2000, '2026-11-10', 'po_either'), part('E3', 2000, '2026-11-10', 'po_either'),
      part('F1', 1000, '2026-11-10', 'po_four'), part('F2', 1000, '2026-11-10', 'po_four'),
      part('F3', 1000, '2026-11-10', 'po_four'), part('F4', 1000, '2026-11-10', 'po_four'),
    ]),
    // po_two's second part a day later, with a small credit quoting it that is no part of the sum.
    // (and po_one, paid as one credit, for the report's columns of an unsplit payout)
    statement(A, '2026-11-11', 134_000, [part('T2', 4000, '2026-11-11', 'po_two'), part('T3', 500, '2026-11-11', 'po_two'), part('O1', 2500, '2026-11-11', 'po_one')]),
    // po_late's second part outside its window (arrival_date -1..+3 days, and the +10 of a late reference).
    statement(A, '2026-11-21', 141_000, [part('L2', 3000, '2026-11-21', 'po_late')]),
    // po_accounts's second part in another account.
    statement(B, '2026-11-10', 50_000, [part('C2', 2000, '2026-11-10', 'po_accounts')]),
  ];
  // po_csv's two parts in a NatWest online export (the layout of test/fixtures/bank/natwest_made_export.csv).
  const natwest = [
    '',
    'Date, Type, Description, Value, Balance, Account Name, Account Number',
    "10/11/2026,BAC,'STRIPE PAYMENTS UK LTD STRIPE PO_CSV 1/2,70.00,10070.00,'APPEAL CHARITY,'560036-12345678",
    "11/11/2026,BAC,'STRIPE PAYMENTS UK LTD STRIPE PO_CSV 2/2,50.00,10120.00,'APPEAL CHARITY,'560036-12345678",
  ].join('\n');
  lake = await landReconLake({ envelopes, bankFiles: [...files, { name: 'natwest.csv', bytes: natwest, opts: { layout: 'natwest' } }], asOf: '2026-12-01' });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

describe('a payout paid as several bank credits', () => {
  it('is matched to the one set of 2 or 3 credits of one account in its window that quote it and sum to it', async () => {
    const rows = await lake.engine.query(`
      SELECT payout_id, bank_line_id, outcome, payout_amount_minor, line_amount_minor, amount_diff_minor, n_lines
      FROM recon_bank_candidates WHERE rule = 'payout_split_lines' AND payout_id <> 'po_csv' ORDER BY payout_id, bank_line_id`);
    const row = (payout_id: string, ref: string, outcome: string, amount: number, n_lines: number) =>
      ({ payout_id, bank_line_id: id(ref), outcome, payout_amount_minor: amount, line_amount_minor: amount, amount_diff_minor: 0, n_lines });
    expect(rows).toEqual([
      // 3000 + 2000 from E2 or from E3: two sets, never guessed between.
      row('po_either', 'E1', 'ambiguous', 5000, 3), row('po_either', 'E2', 'ambiguous', 5000, 3), row('po_either', 'E3', 'ambiguous', 5000, 3),
      row('po_three', 'H1', 'matched', 9000, 3), row('po_three', 'H2', 'matched', 9000, 3), row('po_three', 'H3', 'matched', 9000, 3),
      row('po_two', 'T1', 'matched', 10_000, 2), row('po_two', 'T2', 'matched', 10_000, 2),
    ]);
  });

  it('matches the parts in a CSV export as in camt', async () => {
    expect(await lake.engine.query(`
      SELECT c.rule, c.outcome, l.amount_minor, l.account FROM recon_bank_candidates c JOIN bank_line l ON l.bank_line_id = c.bank_line_id
      WHERE c.payout_id = 'po_csv' ORDER BY l.amount_minor`)).toEqual([
      { rule: 'payout_split_lines', outcome: 'matched', amount_minor: 5000, account: '560036-12345678' },
      { rule: 'payout_split_lines', outcome: 'matched', amount_minor: 7000, account: '560036-12345678' },
    ]);
  });

  it('raises no break for a matched credit, and the usual ones for the rest', async () => {
    const breaks = await lake.engine.query(`
      SELECT break_type, object_id FROM recon_breaks
      WHERE break_type IN ('PAYOUT_NO_BANK_LINE', 'BANK_LINE_NO_PAYOUT', 'AMBIGUOUS_MATCH') ORDER BY break_type, object_id`);
    expect(breaks).toEqual([
      { break_type: 'AMBIGUOUS_MATCH', object_id: id('E1') },
      { break_type: 'AMBIGUOUS_MATCH', object_id: id('E2') },
      { break_type: 'AMBIGUOUS_MATCH', object_id: id('E3') },
      { break_type: 'BANK_LINE_NO_PAYOUT', object_id: id('C1') },
      { break_type: 'BANK_LINE_NO_PAYOUT', object_id: id('F1') },
      { break_type: 'BANK_LINE_NO_PAYOUT', object_id: id('F2') },
      { break_type: 'BANK_LINE_NO_PAYOUT', object_id: id('F3') },
      { break_type: 'BANK_LINE_NO_PAYOUT', object_id: id('F4') },
      { break_type: 'BANK_LINE_NO_PAYOUT', object_id: id('L1') },
      { break_type: 'BANK_LINE_NO_PAYOUT', object_id: id('L2') },
      { break_type: 'BANK_LINE_NO_PAYOUT', object_id: id('T3') },
      { break_type: 'BANK_LINE_NO_PAYOUT', object_id: id('C2', B) },
      { break_type: 'PAYOUT_NO_BANK_LINE', object_id: 'po_accounts' },
      { break_type: 'PAYOUT_NO_BANK_LINE', object_id: 'po_four' },
      { break_type: 'PAYOUT_NO_BANK_LINE', object_id: 'po_late' },
    ]);
  });

  it('shows each matched credit as a match of the payout, with no amount difference', async () => {
    expect(await lake.engine.query(`
      SELECT left_id, right_id, amount_diff_minor FROM recon_matches WHERE rule = 'payout_split_lines' AND left_id <> 'po_csv' ORDER BY left_id, right_id`)).toEqual([
      { left_id: 'po_three', right_id: id('H1'), amount_diff_minor: 0 },
      { left_id: 'po_three', right_id: id('H2'), amount_diff_minor: 0 },
      { left_id: 'po_three', right_id: id('H3'), amount_diff_minor: 0 },
      { left_id: 'po_two', right_id: id('T1'), amount_diff_minor: 0 },
      { left_id: 'po_two', right_id: id('T2'), amount_diff_minor: 0 },
    ]);
  });

  it('names every part in the payouts report, by booking day, with how many and their sum', async () => {
    // The report once named only the first part (T1, 60.00) of po_two's 100.00, as if it covered it all.
    const cols = 'row_kind, payout_id, payout_amount_minor, bank_line_id, bank_lines, bank_lines_minor, match_rule';
    expect(await lake.engine.query(`SELECT ${cols} FROM recon_payout WHERE payout_id IN ('po_two', 'po_three', 'po_one', 'po_either', 'po_late') ORDER BY payout_id`)).toEqual([
      { row_kind: 'payout', payout_id: 'po_either', payout_amount_minor: 5000, bank_line_id: null, bank_lines: 0, bank_lines_minor: null, match_rule: 'payout_split_lines' },
      { row_kind: 'payout', payout_id: 'po_late', payout_amount_minor: 7000, bank_line_id: null, bank_lines: 0, bank_lines_minor: null, match_rule: null },
      // One credit: bank_line_id is that line's id, as it always was.
      { row_kind: 'payout', payout_id: 'po_one', payout_amount_minor: 2500, bank_line_id: id('O1'), bank_lines: 1, bank_lines_minor: 2500, match_rule: 'bank_reference' },
      { row_kind: 'payout', payout_id: 'po_three', payout_amount_minor: 9000, bank_line_id: `${id('H1')}, ${id('H2')}, ${id('H3')}`, bank_lines: 3, bank_lines_minor: 9000, match_rule: 'payout_split_lines' },
      { row_kind: 'payout', payout_id: 'po_two', payout_amount_minor: 10_000, bank_line_id: `${id('T1')}, ${id('T2')}`, bank_lines: 2, bank_lines_minor: 10_000, match_rule: 'payout_split_lines' },
    ]);
    // The CSV parts by booking day (70.00 on 10/11, then 50.00 on 11/11), whatever their ids' order.
    const [csv] = await lake.engine.query(`SELECT bank_line_id, bank_lines, bank_lines_minor FROM recon_payout WHERE payout_id = 'po_csv'`);
    const byDay = await lake.engine.query(`SELECT c.bank_line_id FROM recon_bank_candidates c JOIN bank_line l ON l.bank_line_id = c.bank_line_id WHERE c.payout_id = 'po_csv' ORDER BY l.booking_date`);
    expect(csv).toEqual({ bank_line_id: byDay.map((r) => r.bank_line_id).join(', '), bank_lines: 2, bank_lines_minor: 12_000 });
  });

  it('counts the payout banked on the day its last part was booked', async () => {
    const day = 'CAST(banked_on AS VARCHAR) AS banked_on';
    expect(await lake.engine.query(`SELECT payout_id, match_rule, match_outcome, ${day} FROM recon_payout WHERE row_kind = 'payout' AND payout_id IN ('po_two', 'po_three') ORDER BY 1`))
      .toEqual([
        { payout_id: 'po_three', match_rule: 'payout_split_lines', match_outcome: 'matched', banked_on: '2026-11-10' },
        { payout_id: 'po_two', match_rule: 'payout_split_lines', match_outcome: 'matched', banked_on: '2026-11-11' },
      ]);
    // One row per donation, naming every part as recon_payout does (it once named only the first, T1: 60.00 of 100.00).
    expect(await lake.engine.query(`SELECT donation_id, stage, payout_id, bank_line_id, ${day} FROM recon_journey`))
      .toEqual([{ donation_id: 'd_two', stage: 'banked', payout_id: 'po_two', bank_line_id: `${id('T1')}, ${id('T2')}`, banked_on: '2026-11-11' }]);
    const [payoutRow] = await lake.engine.query(`SELECT bank_line_id FROM recon_payout WHERE row_kind = 'payout' AND payout_id = 'po_two'`);
    expect(payoutRow).toEqual({ bank_line_id: `${id('T1')}, ${id('T2')}` });
  });
});
