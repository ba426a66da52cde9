// A statement break reaches its lines (review M1, 2026-12-07): two files carrying one camt statement id and creation
// time with different contents are a STATEMENT_CONFLICT, and both files' lines stand, so a credit is listed twice.
// recon_bank_lines gave both copies `unexplained`, and the month's lines no longer added up to the statement's
// movement with nothing to say why. Now each line of the statement is a `break` naming the conflict, and the docs'
// statement balances query shows the difference.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { writeCamt, type CamtEntryInput } from '../../connectors/bank/camt-writer.js';
import { importBankFile } from '../../connectors/bank/import-file.js';
import { systemClock } from '../../core/ports.js';
import { docSql } from '../support/doc-sql.js';
import { tempLake, type TempLake } from '../support/temp-lake.js';

describe('the lines of a statement with an open statement break', { timeout: 120_000 }, () => {
  let lake: TempLake;
  beforeEach(async () => { lake = await tempLake(systemClock); });
  afterEach(async () => { await lake.close(); });

  it('are a break naming STATEMENT_CONFLICT, and the balances query shows what the second copy adds', async () => {
    const issue = (entries: CamtEntryInput[]) =>
      writeCamt({ message_id: 'M-1', created_at: '2026-11-20T22:00:00Z',
        statements: [{ id: 'GBP-2026-11-20', account: 'charity-gbp', currency: 'GBP', created_at: '2026-11-20T22:00:00Z', opening_balance_minor: 10_000, entries }] });
    const fee: CamtEntryInput = { amount_minor: -1_200, booking_date: '2026-11-20', entry_reference: 'FEE-1', remittance: 'ACCOUNT FEE' };
    const gift = (a: number): CamtEntryInput => ({ amount_minor: a, booking_date: '2026-11-20', remittance: 'HMRC GIFT AID' });
    expect(await importBankFile(lake.rt.queue, { name: 'a.xml', bytes: issue([gift(2500), fee]) })).toMatchObject({ status: 'imported' });
    await lake.land();
    expect(await importBankFile(lake.rt.queue, { name: 'b.xml', bytes: issue([gift(5200), fee]) })).toMatchObject({ status: 'imported' });
    await lake.land();

    const rows = await lake.q('SELECT amount_minor, state, break_types, explanation FROM recon_bank_lines ORDER BY amount_minor');
    expect(rows.map((r) => [Number(r.amount_minor), r.state, r.break_types])).toEqual([
      [-1200, 'break', 'STATEMENT_CONFLICT'],
      [2500, 'break', 'STATEMENT_CONFLICT'],
      [5200, 'break', 'STATEMENT_CONFLICT'],
    ]);
    expect(rows[1]!.explanation).toMatch(/^STATEMENT_CONFLICT \(bank_statement charity-gbp\/camt\.053\/GBP-2026-11-20\): 2 different files \(/);

    const [stmt] = await lake.q(docSql('reconciliation.md', "### The bank's balance at a month end").replace("'2026-12-01'", "'2026-11-01'").replace("'2026-12-31'", "'2026-11-30'"));
    expect(stmt).toMatchObject({ account: 'charity-gbp', currency: 'GBP', bank_statement_id: 'charity-gbp/camt.053/GBP-2026-11-20' });
    expect([stmt!.opening_balance_minor, stmt!.closing_balance_minor, stmt!.lines, stmt!.lines_net_minor, stmt!.difference_minor].map(Number))
      .toEqual([10_000, 14_000, 3, 6_500, -2_500]);
  });

  it('leave a line a re-issue dropped superseded, though the re-issue conflicts with another file', async () => {
    const issue = (created: string, entries: CamtEntryInput[]) => writeCamt({ message_id: `M-${created}`, created_at: created,
      statements: [{ id: 'GBP-2026-11-20', account: 'charity-gbp', currency: 'GBP', created_at: created, opening_balance_minor: 10_000, entries }] });
    const fee: CamtEntryInput = { amount_minor: -1_200, booking_date: '2026-11-20', entry_reference: 'FEE-1', remittance: 'ACCOUNT FEE' };
    const cheque: CamtEntryInput = { amount_minor: 700, booking_date: '2026-11-20', entry_reference: 'CHQ-1', remittance: 'CHEQUE 1234' };
    const gift = (a: number, ref: string): CamtEntryInput => ({ amount_minor: a, booking_date: '2026-11-20', entry_reference: ref, remittance: 'HMRC GIFT AID' });
    for (const [name, created, entries] of [
      ['v1.xml', '2026-11-20T22:00:00Z', [gift(2500, 'G1'), fee, cheque]],
      ['v2a.xml', '2026-11-21T08:00:00Z', [gift(2500, 'G1'), fee]],
      ['v2b.xml', '2026-11-21T08:00:00Z', [gift(5200, 'G2'), fee]],
    ] as const) {
      await importBankFile(lake.rt.queue, { name, bytes: issue(created, [...entries]) });
      await lake.land();
    }
    const rows = await lake.q('SELECT amount_minor, state FROM recon_bank_lines WHERE amount_minor = 700');
    expect(rows.map((r) => [Number(r.amount_minor), r.state])).toEqual([[700, 'superseded']]);
  });

  it('stay as they were when a re-issue of their statement does not add up (STATEMENT_UNBALANCED)', async () => {
    // A file that does not add up lands no lines; the issue before it stands, and its lines add up to it.
    const issue = (created: string, closing?: number) => writeCamt({ message_id: created, created_at: created,
      statements: [{ id: 'GBP-2026-11-21', account: 'charity-gbp', currency: 'GBP', created_at: created, opening_balance_minor: 10_000,
        closing_balance_minor: closing, entries: [{ amount_minor: 2_500, booking_date: '2026-11-21', remittance: 'HMRC GIFT AID' }] }] });
    await importBankFile(lake.rt.queue, { name: 'c.xml', bytes: issue('2026-11-21T22:00:00Z') });
    await lake.land();
    await importBankFile(lake.rt.queue, { name: 'd.xml', bytes: issue('2026-11-22T08:00:00Z', 99_999) });
    await lake.land();
    expect((await lake.q('SELECT break_type FROM recon_breaks')).map((b) => b.break_type)).toEqual(['STATEMENT_UNBALANCED']);
    const rows = await lake.q('SELECT amount_minor, state, break_types FROM recon_bank_lines');
    expect(rows.map((r) => [Number(r.amount_minor), r.state, r.break_types])).toEqual([[2500, 'unexplained', null]]);
  });
});
