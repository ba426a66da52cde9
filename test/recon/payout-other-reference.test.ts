// A bank line that quotes one payout's reference is not another payout's credit, even when it has the other
// payout's amount and names the same provider: real camt.053 files through the importer, queue, Parquet and DuckDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeCamt, type CamtEntryInput } from '../../connectors/bank/camt-writer.js';
import { makeEnvelope } from '../../core/envelope.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
const ACCOUNT = 'GB29NWBK60161331926819';
const payout = (id: string, amount: number, ref: string, arrival: string) =>
  makeEnvelope({
    contract: 'payout', version: 1, source: 'test', stream: 'payout', received_at: '2026-11-22T00:00:00.000Z', delivery_id: 'other-reference',
    payload: { payout_id: id, occurred_at: `${arrival}T00:00:00Z`, provider: 'stripe', status: 'paid', amount_minor: amount, currency: 'GBP', arrival_date: arrival, bank_reference: ref },
  });
const statement = (id: string, day: string, opening: number, entries: CamtEntryInput[]) =>
  writeCamt({ message_id: id, created_at: `${day}T23:59:59Z`, version: 8, statements: [{ id, account: ACCOUNT, currency: 'GBP', created_at: `${day}T23:59:59Z`, opening_balance_minor: opening, entries }] });
const line = (amount: number, day: string, ref: string, remittance: string, o: Partial<CamtEntryInput> = {}): CamtEntryInput =>
  ({ amount_minor: amount, booking_date: day, entry_reference: ref, remittance, description: 'STRIPE PAYMENTS UK LTD', ...o });
const id = (ref: string) => `${ACCOUNT}/${ref}`;

beforeAll(async () => {
  const envelopes = [
    payout('po_B', 5000, 'STRIPE PAYOUTB', '2026-11-05'), payout('po_E', 3000, 'STRIPE PAYOUTE', '2026-11-06'),
    payout('po_X', 3000, 'STRIPE PAYOUTX', '2026-11-20'), payout('po_Y', 5000, 'STRIPE PAYOUTY', '2026-11-20'),
    payout('po_A', 3000, 'STRIPE PAYOUTA', '2026-11-25'), payout('po_C', 2000, 'STRIPE PAYOUTC', '2026-11-25'),
    payout('po_Z', 8000, 'STRIPE PAYOUTZ', '2026-11-24'),
  ];
  // po_B comes in two parts; po_E's credit is reversed four days later. po_X never arrives, and po_Y comes in two
  // parts, the first of po_X's amount. po_A and po_C (2026-11-25) never arrive, and po_Z (2026-11-24) comes in two
  // parts, the first of their sum, the second of po_A's amount. Every payout in parts is matched by rule
  // payout_split_lines.
  const bankFiles = [
    statement('ST-1106', '2026-11-06', 100_000, [
      line(3000, '2026-11-05', 'B1', 'STRIPE PAYOUTB'),
      line(2000, '2026-11-05', 'B2', 'STRIPE PAYOUTB'),
      line(3000, '2026-11-06', 'E1', 'STRIPE PAYOUTE'),
    ]),
    statement('ST-1110', '2026-11-10', 108_000, [line(-3000, '2026-11-10', 'E2', 'RETURN STRIPE PAYOUTE', { reversal: true })]),
    statement('ST-1120', '2026-11-20', 105_000, [
      line(3000, '2026-11-20', 'Y1', 'STRIPE PAYOUTY PART 1'),
      line(2000, '2026-11-20', 'Y2', 'STRIPE PAYOUTY PART 2'),
    ]),
    statement('ST-1125', '2026-11-25', 110_000, [
      line(5000, '2026-11-25', 'Z1', 'STRIPE PAYOUTZ PART 1'),
      line(3000, '2026-11-25', 'Z2', 'STRIPE PAYOUTZ PART 2'),
    ]),
  ];
  lake = await landReconLake({ envelopes, bankFiles, asOf: '2026-12-01' });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

describe('a bank line quoting another payout', () => {
  it('is not offered to a payout of its amount by rule amount_provider: it is its own payout\'s, in parts', async () => {
    const split = (payout_id: string, ref: string) => ({ payout_id, bank_line_id: id(ref), rule: 'payout_split_lines', outcome: 'matched' });
    expect(await lake.engine.query('SELECT payout_id, bank_line_id, rule, outcome FROM recon_bank_candidates ORDER BY payout_id, bank_line_id')).toEqual([
      split('po_B', 'B1'), split('po_B', 'B2'),
      { payout_id: 'po_E', bank_line_id: id('E1'), rule: 'bank_reference', outcome: 'reversed' },
      split('po_Y', 'Y1'), split('po_Y', 'Y2'),
      split('po_Z', 'Z1'), split('po_Z', 'Z2'),
    ]);
  });

  it('is not offered to the payouts of a day whose sum it has by rule payout_day_sum', async () => {
    expect(await lake.engine.query(`SELECT payout_id, bank_line_id FROM recon_bank_candidates WHERE rule = 'payout_day_sum'`)).toEqual([]);
    expect(await lake.engine.query(
      `SELECT object_id FROM recon_breaks WHERE break_type = 'PAYOUT_NO_BANK_LINE' AND object_id IN ('po_A', 'po_C') ORDER BY object_id`,
    )).toEqual([{ object_id: 'po_A' }, { object_id: 'po_C' }]);
  });

  it('leaves the payouts of its amount unbanked, and a reversed credit a BANK_LINE_REVERSED break', async () => {
    const breaks = await lake.engine.query(
      `SELECT break_type, object_id FROM recon_breaks WHERE break_type IN ('PAYOUT_NO_BANK_LINE', 'BANK_LINE_NO_PAYOUT', 'BANK_LINE_REVERSED') ORDER BY break_type, object_id`,
    );
    expect(breaks).toEqual([
      { break_type: 'BANK_LINE_REVERSED', object_id: 'po_E' },
      { break_type: 'PAYOUT_NO_BANK_LINE', object_id: 'po_A' },
      { break_type: 'PAYOUT_NO_BANK_LINE', object_id: 'po_C' },
      { break_type: 'PAYOUT_NO_BANK_LINE', object_id: 'po_X' },
    ]);
  });
});
