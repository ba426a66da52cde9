// STATEMENT_GAP: a statement that does not open where the account's previous statement closed, from real
// camt.053 and CSV files through the importer, queue, Parquet and DuckDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { writeCamt } from '../../connectors/bank/camt-writer.js';
import type { Lake } from '../puddles/lake-fixture.js';
import { landReconLake, type BankFile } from './recon-lake.js';

let lake: Lake;
const ACCOUNT = 'GB29NWBK60161331926819';
const OTHER = 'GB94BARC10201530093459';
const KWD_ACCOUNT = 'KW81CBKU0000000000001234560101';
const statement = (id: string, from: string, to: string, opening: number, amounts: number[], account = ACCOUNT, kind: '052' | '053' = '053', currency = 'GBP') => {
  const created = `${to}T23:59:59Z`;
  const entries = amounts.map((amount_minor, i) => ({ amount_minor, booking_date: from, entry_reference: `${id}-${i}`, remittance: 'CHEQUE PAID IN', description: 'CHEQUE' }));
  return writeCamt({ kind, message_id: id, created_at: created, version: 8, statements: [{ id, account, currency, created_at: created, from: `${from}T00:00:00Z`, to: created, opening_balance_minor: opening, entries }] });
};

beforeAll(async () => {
  const bankFiles: BankFile[] = [
    // The tester's month: S1 closes 1095.00, S2 opens there and closes 1315.00, S3 opens at 1300.00.
    statement('S1', '2026-11-01', '2026-11-04', 100_000, [9500]),
    statement('S2', '2026-11-05', '2026-11-10', 109_500, [20_000, 2000]),
    statement('S3', '2026-11-11', '2026-11-12', 130_000, [1000]),
    // An intraday report closes on an interim balance: it is not a statement of record.
    statement('R4', '2026-11-13', '2026-11-13', 0, [500], ACCOUNT, '052'),
    // S4 follows S3 across a quiet day; S5 overlaps S4 and is not compared with it.
    statement('S4', '2026-11-14', '2026-11-16', 131_000, [700]),
    statement('S5', '2026-11-16', '2026-11-17', 1, [100]),
    // Another account's first statement follows nothing.
    statement('T1', '2026-11-12', '2026-11-12', 500_000, [100], OTHER),
    // A dinar account (three decimals): K1 closes 12.345 KWD, K2 opens at 12.000 KWD.
    statement('K1', '2026-11-25', '2026-11-25', 12_000, [345], KWD_ACCOUNT, '053', 'KWD'),
    statement('K2', '2026-11-26', '2026-11-26', 12_000, [1], KWD_ACCOUNT, '053', 'KWD'),
  ];
  // A CSV export of the other account with a balance column: it opens at 4990.00 where T1 closed at 5001.00.
  const csv = 'Date,Type,Description,Value,Balance,Account Name,Account Number\n20/11/2026,BAC,GIFT,10.00,5000.00,CHARITY,GB94BARC10201530093459\n';
  bankFiles.push({ name: 'export.csv', bytes: Buffer.from(csv), opts: { layout: 'natwest' } });
  lake = await landReconLake({ bankFiles, asOf: '2026-12-01' });
}, 120_000);

afterAll(async () => {
  await lake?.close();
});

describe('STATEMENT_GAP', () => {
  it('opens on a statement that does not open where the previous one of its account closed, naming that one', async () => {
    const ids = await lake.engine.query(`SELECT bank_statement_id, source_format FROM bank_statement ORDER BY period_from`);
    const idOf = (format: string, n = 0) => ids.filter((r) => r.source_format === format)[n]!.bank_statement_id as string;
    const gaps = await lake.engine.query(
      `SELECT object_kind, object_id, amount_minor, currency, object_date, reason, related_ids FROM recon_breaks WHERE break_type = 'STATEMENT_GAP' ORDER BY object_date`,
    );
    expect(gaps).toEqual([
      {
        object_kind: 'bank_statement', object_id: idOf('camt.053', 2), amount_minor: -1500, currency: 'GBP', object_date: '2026-11-11',
        // In the currency's units, as finance reads a balance (until 2026-12-03 "opens at 130000 ... closed at 131500").
        reason: 'opens at 1300.00 GBP but the previous statement of the account closed at 1315.00 GBP: a statement is missing, or a balance is wrong',
        related_ids: idOf('camt.053', 1),
      },
      {
        object_kind: 'bank_statement', object_id: idOf('csv'), amount_minor: -1100, currency: 'GBP', object_date: '2026-11-20',
        reason: 'opens at 4990.00 GBP but the previous statement of the account closed at 5001.00 GBP: a statement is missing, or a balance is wrong',
        related_ids: idOf('camt.053', 3),
      },
      {
        object_kind: 'bank_statement', object_id: idOf('camt.053', 7), amount_minor: -345, currency: 'KWD', object_date: '2026-11-26',
        reason: 'opens at 12.000 KWD but the previous statement of the account closed at 12.345 KWD: a statement is missing, or a balance is wrong',
        related_ids: idOf('camt.053', 6),
      },
    ]);
  });
});
