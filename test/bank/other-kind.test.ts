import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeCamt, type CamtEntryInput } from '../../connectors/bank/camt-writer.js';
import { describeImport, importBankFile } from '../../connectors/bank/import-file.js';
import { useTempLake } from '../support/temp-lake.js';

// One account's days from two kinds of file (connectors/bank/other-kind.ts): the bank's camt.053 and the
// online-banking CSV export of the same days. Their line ids are each kind's own, so until 2026-12-05 the second
// file imported with exit 0 and every entry landed twice, with no break (user test: 8 booked lines where the bank
// booked 4, the net movement doubled).

const BARCLAYS = readFileSync(new URL('../fixtures/bank/barclays_made_export.csv', import.meta.url), 'utf8');
const csv = { name: 'export.csv', bytes: BARCLAYS };
/** The account as the Barclays export names it, and so as its lines and a camt of the same account carry it. */
const ACCOUNT = '20-32-06 13152170';

/** A camt.053 of `account` on 5 December 2026, holding `entries` (AcctSvcrRef on each: line ids of the camt kind). */
const dec5 = (account: string, entries: CamtEntryInput[], kind: 'camt.053' | 'camt.052' = 'camt.053') =>
  writeCamt({
    kind: kind === 'camt.052' ? '052' : '053',
    message_id: `M-${kind}`,
    created_at: '2026-12-05T22:00:00Z',
    statements: [{ id: `S-2026-12-05-${kind}`, account, currency: 'GBP', created_at: '2026-12-05T22:00:00Z', opening_balance_minor: 100_000, entries }],
  });
const payout = { amount_minor: 116_200, booking_date: '2026-12-05', entry_reference: 'BANKREF-1', remittance: 'STRIPE PAYMENTS UK STRIPE PO_1QX' };
const insurance = { amount_minor: -4_550, booking_date: '2026-12-05', entry_reference: 'BANKREF-2', remittance: 'ACME INSURANCE 112233' };

describe('one account imported from two kinds of file', () => {
  const lake = useTempLake();

  it('refuses a camt.053 of days a CSV export gave, publishing nothing', async () => {
    expect(await importBankFile(lake.rt.queue, csv, { layout: 'barclays', currency: 'GBP' }, lake.rt.query)).toMatchObject({ status: 'imported', lines: 4 });
    await lake.land();
    expect(await lake.q('SELECT DISTINCT account FROM bank_line')).toEqual([{ account: ACCOUNT }]);
    const camt = { name: 'stmt-2026-12-05.xml', bytes: dec5(ACCOUNT, [payout, insurance]) };
    const o = await importBankFile(lake.rt.queue, camt, {}, lake.rt.query);
    expect(o).toMatchObject({ status: 'refused', lines: 0 });
    expect(o.error).toMatch(
      /^Stmt\[1\].*: 2 of its 2 entries \(the account ending 2170, 2026-12-05\) have a line of the same day, amount and currency imported on \S+Z from a csv file \(the first: 2026-12-05, 1162\.00 GBP\)\. A camt\.053 file and a csv file give the same entry different line ids/,
    );
    expect(describeImport('stmt-2026-12-05.xml', o)).toMatch(/^stmt-2026-12-05\.xml: refused, nothing imported: /);
    // No entry's text, no account number beyond its last four digits.
    expect(o.error).not.toMatch(/STRIPE|ACME|13152170/);
    await lake.land();
    expect(await lake.q('SELECT count(*) AS n, sum(amount_minor) AS net FROM bank_line')).toEqual([{ n: 4, net: 235_450 }]);
  });

  it('refuses a CSV export of days a camt.053 gave; days the camt does not cover import', async () => {
    expect(await importBankFile(lake.rt.queue, { name: 'stmt.xml', bytes: dec5(ACCOUNT, [payout, insurance]) }, {}, lake.rt.query)).toMatchObject({ status: 'imported', lines: 2 });
    await lake.land();
    const o = await importBankFile(lake.rt.queue, csv, { layout: 'barclays', currency: 'GBP' }, lake.rt.query);
    expect(o).toMatchObject({ status: 'refused', lines: 0 });
    expect(o.error).toMatch(/^statement 1: 2 of its 4 entries \(the account ending 2170, 2026-12-05\) have a line .* from a camt\.053 file .*Import each account's days from one kind of file/);
    await lake.land();
    expect(await lake.q('SELECT count(*) AS n FROM bank_line')).toEqual([{ n: 2 }]);
    // The export of the days the camt does not cover (6 and 7 December) imports.
    const later = BARCLAYS.split('\n').filter((l) => !l.startsWith(',05/12/2026')).join('\n');
    expect(await importBankFile(lake.rt.queue, { name: 'export-6-7.csv', bytes: later }, { layout: 'barclays', currency: 'GBP' }, lake.rt.query)).toMatchObject({ status: 'imported', lines: 2 });
    await lake.land();
    expect(await lake.q('SELECT count(*) AS n FROM bank_line')).toEqual([{ n: 4 }]);
  });

  it('takes a camt.053 after the camt.052 of its day: one kind, the same line ids', async () => {
    const account = 'GB33BUKB20201555555555';
    expect(await importBankFile(lake.rt.queue, { name: 'intraday.xml', bytes: dec5(account, [payout], 'camt.052') }, {}, lake.rt.query)).toMatchObject({ status: 'imported', lines: 1 });
    await lake.land();
    expect(await importBankFile(lake.rt.queue, { name: 'eod.xml', bytes: dec5(account, [payout, insurance]) }, {}, lake.rt.query)).toMatchObject({ status: 'imported', lines: 2 });
    await lake.land();
    expect(await lake.q(`SELECT count(*) AS n FROM bank_line WHERE account = '${account}'`)).toEqual([{ n: 2 }]);
  });
});
