// A payout the bank books late over a bank holiday weekend (arrived Thursday 24 Dec, booked Monday 28 Dec, 4 days
// on) with its exact reference and amount is matched by rule bank_reference, within match_days_after_reference
// (10) rather than match_days_after (3); an amount alone keeps the 3 days, and a line in the 3 days still wins.
// From a real camt.053 file through the importer, queue, Parquet and DuckDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeCamt, type CamtEntryInput } from '../../connectors/bank/camt-writer.js';
import { makeEnvelope } from '../../core/envelope.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
const A = 'GB29NWBK60161331926819';
const payout = (id: string, amount: number, arrival: string, ref = `STRIPE ${id.toUpperCase()}`) =>
  makeEnvelope({
    contract: 'payout', version: 1, source: 'test', stream: 'payout', received_at: '2026-12-30T00:00:00.000Z', delivery_id: 'late-booking',
    payload: { payout_id: id, occurred_at: '2026-12-01T00:00:00Z', provider: 'stripe', status: 'paid', amount_minor: amount, currency: 'GBP', arrival_date: arrival, bank_reference: ref },
  });
const credit = (ref: string, amount: number, day: string, remittance: string): CamtEntryInput =>
  ({ amount_minor: amount, booking_date: day, entry_reference: ref, remittance, description: 'STRIPE PAYMENTS UK LTD' });
const id = (ref: string) => `${A}/${ref}`;

beforeAll(async () => {
  const envelopes = [
    payout('po_xmas', 176_020, '2026-12-24'),
    // An amount alone, 4 days on: the window stays 3 days.
    payout('po_amount', 50_000, '2026-12-24'),
    // The reference and amount 11 days on: past the 10.
    payout('po_far', 30_000, '2026-12-01'),
    // A line with the reference in the 3 days and a second one 5 days on: the first wins, as before.
    payout('po_twice', 20_000, '2026-12-14'),
    // A reference every payout of the account shares names none of them that far out.
    payout('po_shared', 40_000, '2026-12-14', 'APPEAL CHARITY'), payout('po_shared_b', 45_000, '2026-12-07', 'APPEAL CHARITY'),
    // A line naming only the provider in the 3 days, and one with the reference 6 days on: the reference wins.
    payout('po_prefer', 60_000, '2026-12-14'),
    // Split by the bank into two credits, booked over Christmas (4 and 5 days on): as late as one line may be.
    payout('po_boxing', 100_000, '2026-12-24'),
    // Split with a set in the 3 days (B1 + B2) and another with a part 6 days on (B1 + B3): the window wins.
    payout('po_parts', 30_000, '2026-12-14'),
  ];
  const entries = [
    credit('X1', 176_020, '2026-12-28', 'STRIPE PO_XMAS'),
    credit('M1', 50_000, '2026-12-28', 'STRIPE PAYOUT'),
    credit('F1', 30_000, '2026-12-12', 'STRIPE PO_FAR'),
    credit('W1', 20_000, '2026-12-15', 'STRIPE PO_TWICE'), credit('W2', 20_000, '2026-12-19', 'STRIPE PO_TWICE'),
    credit('S1', 40_000, '2026-12-19', 'APPEAL CHARITY'),
    credit('P1', 60_000, '2026-12-15', 'STRIPE PAYOUT'), credit('P2', 60_000, '2026-12-20', 'STRIPE PO_PREFER'),
    credit('K1', 60_000, '2026-12-28', 'STRIPE PO_BOXING 1/2'), credit('K2', 40_000, '2026-12-29', 'STRIPE PO_BOXING 2/2'),
    credit('B1', 20_000, '2026-12-15', 'STRIPE PO_PARTS'), credit('B2', 10_000, '2026-12-15', 'STRIPE PO_PARTS'),
    credit('B3', 10_000, '2026-12-20', 'STRIPE PO_PARTS'),
  ];
  const file = writeCamt({
    message_id: 'late-booking', created_at: '2026-12-31T23:59:59Z', version: 8,
    statements: [{ id: 'late-booking', account: A, currency: 'GBP', created_at: '2026-12-31T23:59:59Z', opening_balance_minor: 100_000, entries }],
  });
  lake = await landReconLake({ envelopes, bankFiles: [file], asOf: '2027-01-20' });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

describe('a payout the bank booked late', () => {
  it('matches the line carrying its exact reference and amount 4 days after arrival, over Christmas', async () => {
    expect(await lake.engine.query(`
      SELECT left_id, right_id, rule, day_diff, amount_diff_minor FROM recon_matches WHERE right_kind = 'bank_line' AND rule <> 'payout_split_lines' ORDER BY left_id`)).toEqual([
      { left_id: 'po_prefer', right_id: id('P2'), rule: 'bank_reference', day_diff: 6, amount_diff_minor: 0 },
      { left_id: 'po_twice', right_id: id('W1'), rule: 'bank_reference', day_diff: 1, amount_diff_minor: 0 },
      { left_id: 'po_xmas', right_id: id('X1'), rule: 'bank_reference', day_diff: 4, amount_diff_minor: 0 },
    ]);
    const day = 'CAST(banked_on AS VARCHAR) AS banked_on';
    expect(await lake.engine.query(`SELECT bank_line_id, ${day}, match_rule, match_outcome FROM recon_payout WHERE payout_id = 'po_xmas'`))
      .toEqual([{ bank_line_id: id('X1'), banked_on: '2026-12-28', match_rule: 'bank_reference', match_outcome: 'matched' }]);
  });

  it('matches a split payout whose parts quote it and were booked late over Christmas, preferring a set in the 3 days', async () => {
    const day = 'CAST(banked_on AS VARCHAR) AS banked_on';
    expect(await lake.engine.query(`
      SELECT payout_id, bank_line_id, bank_lines, ${day}, match_rule, match_outcome FROM recon_payout
      WHERE row_kind = 'payout' AND payout_id IN ('po_boxing', 'po_parts') ORDER BY payout_id`)).toEqual([
      { payout_id: 'po_boxing', bank_line_id: `${id('K1')}, ${id('K2')}`, bank_lines: 2, banked_on: '2026-12-29', match_rule: 'payout_split_lines', match_outcome: 'matched' },
      { payout_id: 'po_parts', bank_line_id: `${id('B1')}, ${id('B2')}`, bank_lines: 2, banked_on: '2026-12-15', match_rule: 'payout_split_lines', match_outcome: 'matched' },
    ]);
  });

  it('keeps the 3 days for an amount alone, and breaks past the 10 with a reason that says both windows', async () => {
    const breaks = await lake.engine.query(`
      SELECT break_type, object_id, reason FROM recon_breaks
      WHERE break_type IN ('PAYOUT_NO_BANK_LINE', 'BANK_LINE_NO_PAYOUT', 'AMBIGUOUS_MATCH') ORDER BY break_type, object_id`);
    expect(breaks.map((b) => [b.break_type, b.object_id])).toEqual([
      ['BANK_LINE_NO_PAYOUT', id('B3')],
      ['BANK_LINE_NO_PAYOUT', id('F1')],
      ['BANK_LINE_NO_PAYOUT', id('M1')],
      ['BANK_LINE_NO_PAYOUT', id('P1')],
      ['BANK_LINE_NO_PAYOUT', id('S1')],
      ['BANK_LINE_NO_PAYOUT', id('W2')],
      ['PAYOUT_NO_BANK_LINE', 'po_amount'],
      ['PAYOUT_NO_BANK_LINE', 'po_far'],
      ['PAYOUT_NO_BANK_LINE', 'po_shared'],
      ['PAYOUT_NO_BANK_LINE', 'po_shared_b'],
    ]);
    expect(breaks.find((b) => b.object_id === 'po_far')!.reason)
      .toBe('payout paid, no bank line of that amount in arrival_date -1..+3 days, nor one carrying its reference or id in -1..+10 days');
  });

  it('names the payout a credit quotes, and how late it was booked, so finance can chase it', async () => {
    // The reason once said only "credit names STRIPE but matches no payout", leaving finance to find po_far by hand.
    expect(await lake.engine.query(`
      SELECT object_id, payout_id, reason FROM recon_breaks
      WHERE break_type = 'BANK_LINE_NO_PAYOUT' ORDER BY object_id`)).toEqual([
      { object_id: id('B3'), payout_id: 'po_parts', reason: `credit names stripe but matches no payout; it quotes payout po_parts (arrival_date 2026-12-14), booked 6 days after; that payout is matched to ${id('B1')}` },
      { object_id: id('F1'), payout_id: 'po_far', reason: 'credit names stripe but matches no payout; it quotes payout po_far (arrival_date 2026-12-01), booked 11 days after, past the +10 days a line quoting its payout is matched in' },
      { object_id: id('M1'), payout_id: null, reason: 'credit names stripe but matches no payout' },
      { object_id: id('P1'), payout_id: null, reason: 'credit names stripe but matches no payout' },
      { object_id: id('S1'), payout_id: 'po_shared', reason: 'credit names stripe but matches no payout; it quotes payout po_shared and 1 more (arrival_date 2026-12-14), booked 5 days after' },
      { object_id: id('W2'), payout_id: 'po_twice', reason: `credit names stripe but matches no payout; it quotes payout po_twice (arrival_date 2026-12-14), booked 5 days after; that payout is matched to ${id('W1')}` },
    ]);
  });
});
