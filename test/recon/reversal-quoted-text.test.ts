// How a reversal finds the entry it undoes by the text it quotes (recon_bank_booked), from real camt.053 files
// through the importer, queue, Parquet and DuckDB. Banks number NtryRef per statement ("1", "2", ...), and it is
// kept as the entry reference, so a quoted reference counts only as a whole word of 4 characters or more, and
// of 6 or more when it is all digits (a zero-padded counter such as 0001 is still the statement's numbering).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeCamt, type CamtEntryInput } from '../../connectors/bank/camt-writer.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { landReconLake } from './recon-lake.js';

let lake: Lake;
const ACCOUNT = 'GB29NWBK60161331926819';
const statement = (id: string, day: string, opening: number, entries: CamtEntryInput[]) =>
  writeCamt({ message_id: id, created_at: `${day}T23:59:59Z`, version: 8, statements: [{ id, account: ACCOUNT, currency: 'GBP', created_at: `${day}T23:59:59Z`, opening_balance_minor: opening, entries }] });
const credit = (amount: number, remittance: string, o: Partial<CamtEntryInput>): CamtEntryInput =>
  ({ amount_minor: amount, booking_date: '2026-11-20', remittance, description: 'CHEQUE PAID IN', ...o });
const reversal = (amount: number, remittance: string, description: string): CamtEntryInput =>
  ({ amount_minor: -amount, booking_date: '2026-11-21', remittance, description, reversal: true });

beforeAll(async () => {
  // Each credit's amount is its name below: a reversal can only undo the credit of its opposite amount.
  const bankFiles = [
    statement('ST-1120', '2026-11-20', 1_000_000, [
      credit(2500, 'CHQ 100777', { ntry_ref: '1' }),
      credit(2600, 'CHQ 100778', { ntry_ref: '2' }),
      credit(2700, 'CHQ 100782', { ntry_ref: '0001' }),
      credit(2800, 'CHQ 100783', { entry_reference: '100783' }),
      credit(2900, 'CHQ 100784', { ntry_ref: '00002' }),
      credit(3100, 'CHQ 100779', { entry_reference: 'AB-77/1' }),
      credit(4200, 'CHQ 100780', { entry_reference: '1234' }),
      credit(4300, 'CHQ 100781', { entry_reference: 'A.C1' }),
      credit(5100, 'PUDDLE PO1', { entry_reference: 'NWB20261120051' }),
    ]),
    statement('ST-1121', '2026-11-21', 1_030_200, [
      reversal(2500, 'RETURNED UNPAID', 'REVERSAL OF 12345'),
      reversal(2600, 'RETURNED UNPAID', 'RETURNED 2 DEC 2026'),
      reversal(2700, 'RETURNED UNPAID', 'RETURN BATCH 0001'),
      reversal(2800, 'RETURNED UNPAID', 'REVERSAL OF 100783'),
      reversal(2900, 'RETURNED UNPAID', 'REVERSAL OF 00002'),
      reversal(3100, 'RETURNED UNPAID', 'REVERSAL OF AB-77/1'),
      reversal(4200, 'RETURNED UNPAID', 'REVERSAL OF 12345'),
      reversal(4300, 'RETURNED UNPAID', 'REVERSAL OF ABC1'),
      reversal(5100, 'PUDDLE PO12 RETURNED', 'RETURN'),
    ]),
  ];
  lake = await landReconLake({ bankFiles, asOf: '2026-12-01' });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

describe('a reversal quoting an entry reference or remittance text', () => {
  it('pairs only when it quotes the whole text, 4 characters or longer (6 when all digits)', async () => {
    const rows = await lake.engine.query(`
      SELECT -r.amount_minor AS undoes_amount, r.reversal_outcome, r.reversal_rule, o.amount_minor AS paired_with
      FROM recon_bank_booked r LEFT JOIN recon_bank_booked o ON o.bank_line_id = r.reverses
      WHERE r.reversal ORDER BY undoes_amount`);
    expect(rows).toEqual([
      // NtryRef 1: "12345" holds a 1 but not the word 1.
      { undoes_amount: 2500, reversal_outcome: 'unpaired', reversal_rule: null, paired_with: null },
      // NtryRef 2 is a word of "RETURNED 2 DEC 2026", but a statement's own numbering names no entry.
      { undoes_amount: 2600, reversal_outcome: 'unpaired', reversal_rule: null, paired_with: null },
      // NtryRef 0001 is a whole word of the reversal's own batch text, but a padded counter names no entry either.
      { undoes_amount: 2700, reversal_outcome: 'unpaired', reversal_rule: null, paired_with: null },
      // A 6-digit reference (a cheque serial) does.
      { undoes_amount: 2800, reversal_outcome: 'paired', reversal_rule: 'entry_reference', paired_with: 2800 },
      { undoes_amount: 2900, reversal_outcome: 'unpaired', reversal_rule: null, paired_with: null },
      { undoes_amount: 3100, reversal_outcome: 'paired', reversal_rule: 'entry_reference', paired_with: 3100 },
      { undoes_amount: 4200, reversal_outcome: 'unpaired', reversal_rule: null, paired_with: null },
      // The dot is a dot, not any character.
      { undoes_amount: 4300, reversal_outcome: 'unpaired', reversal_rule: null, paired_with: null },
      // Remittance PUDDLE PO1 is not PUDDLE PO12.
      { undoes_amount: 5100, reversal_outcome: 'unpaired', reversal_rule: null, paired_with: null },
    ]);
    expect(await lake.engine.query(`SELECT entry_reference FROM bank_line WHERE amount_minor IN (2500, 2600) ORDER BY 1`))
      .toEqual([{ entry_reference: '1' }, { entry_reference: '2' }]);
    expect(await lake.engine.query(`SELECT entry_reference FROM bank_line WHERE amount_minor IN (2700, 2900) ORDER BY amount_minor`))
      .toEqual([{ entry_reference: '0001' }, { entry_reference: '00002' }]);
  });
});
