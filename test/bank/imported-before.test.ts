import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { writeCamt, type CamtEntryInput } from '../../connectors/bank/camt-writer.js';
import { describeImport, importBankFile } from '../../connectors/bank/import-file.js';
import { bankHome } from '../support/bank-home.js';
import { useTempLake } from '../support/temp-lake.js';

// What an import finds the lake already holds of its file (connectors/bank/imported-before.ts). A CSV says no
// currency, and its statement id is the file's hash: until 2026-12-05 a GBP export imported again with
// --currency EUR added its lines again in EUR (new line ids), its bank_statement said EUR, exit 0. And a file
// conflicting with one imported before (the same Stmt/Id and CreDtTm, other content) imported with exit 0 and not
// a word: the STATEMENT_CONFLICT showed only in recon_breaks, its time without a zone.

const BARCLAYS = readFileSync(new URL('../fixtures/bank/barclays_made_export.csv', import.meta.url), 'utf8');

const payout: CamtEntryInput = { amount_minor: 4_950, booking_date: '2026-11-20', remittance: 'STRIPE PAYOUT PO_NOV20' };
const fee: CamtEntryInput = { amount_minor: -1_200, booking_date: '2026-11-20', entry_reference: 'FEE-1', remittance: 'ACCOUNT FEE' };
/** Statement GBP-2026-11-20 of charity-gbp as the bank created it at 22:00 UTC, holding `entries`. */
const nov20 = (entries: CamtEntryInput[]) =>
  writeCamt({
    message_id: 'M-1',
    created_at: '2026-11-20T22:00:00Z',
    statements: [{ id: 'GBP-2026-11-20', account: 'GB33BUKB20201555555555', currency: 'GBP', created_at: '2026-11-20T22:00:00Z', opening_balance_minor: 10_000, entries }],
  });
const first = nov20([payout, fee, { amount_minor: 700, booking_date: '2026-11-20', entry_reference: 'ERR-1', remittance: 'STRIPE PAYMENTS' }]);
const edited = nov20([payout, fee]);

describe('a file imported before, through the import', () => {
  const lake = useTempLake();
  const barclays = { name: 'export.csv', bytes: BARCLAYS };

  it('refuses a CSV imported before in another currency, publishing nothing; the same currency again changes nothing', async () => {
    expect(await importBankFile(lake.rt.queue, barclays, { layout: 'barclays' }, lake.rt.query)).toMatchObject({ status: 'imported', lines: 4 });
    await lake.land();
    const wrong = await importBankFile(lake.rt.queue, barclays, { layout: 'barclays', currency: 'EUR' }, lake.rt.query);
    expect(wrong).toMatchObject({ status: 'refused', lines: 0 });
    expect(wrong.error).toMatch(/^statement 1: this file was imported on \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z as GBP \(the account ending 2170\) and is read now as EUR: /);
    expect(describeImport('export.csv', wrong)).toMatch(/^export\.csv: refused, nothing imported: .*If GBP is right, nothing needs doing \(with --currency GBP it imports again unchanged\)/);
    // The identical import (the layout's GBP) is as before: the same ids, nothing twice, no refusal.
    expect(await importBankFile(lake.rt.queue, barclays, { layout: 'barclays', currency: 'gbp' }, lake.rt.query)).toMatchObject({ status: 'imported', lines: 4 });
    await lake.land();
    expect(await lake.q('SELECT currency, count(*) AS n FROM bank_line GROUP BY currency')).toEqual([{ currency: 'GBP', n: 4 }]);
    expect(await lake.q('SELECT currency FROM bank_statement_history')).toEqual([{ currency: 'GBP' }]);
  });

  it('says which statement conflicts with which file, the creation time with its zone; the same file again conflicts with nothing', async () => {
    expect(await importBankFile(lake.rt.queue, { name: 'nov20.xml', bytes: first }, {}, lake.rt.query)).toMatchObject({ status: 'imported', conflicts: [] });
    await lake.land();
    expect(await importBankFile(lake.rt.queue, { name: 'nov20 (1).xml', bytes: first }, {}, lake.rt.query)).toMatchObject({ status: 'imported', conflicts: [] });
    const r = await importBankFile(lake.rt.queue, { name: 'nov20-edited.xml', bytes: edited }, {}, lake.rt.query);
    // Imported all the same: finance sees both files in recon_breaks.
    expect(r).toMatchObject({ status: 'imported', lines: 2 });
    expect(r.conflicts).toEqual([{
      where: expect.stringMatching(/^Stmt\[1\]/),
      message: expect.stringMatching(
        /^the account ending 5555, statement GBP-2026-11-20 created at 2026-11-20T22:00:00Z conflicts with nov20\.xml imported on \d{4}-\d\d-\d\dT[\d:.]+Z, another file with the same statement id and creation time \(closing balance 144\.50 GBP there, 137\.50 GBP here\)/,
      ),
    }]);
    expect(describeImport('nov20-edited.xml', r)).toContain('nov20-edited.xml: imported, but it conflicts with a file imported before (exit 1; a STATEMENT_CONFLICT break in recon_breaks):\n  Stmt[1]');
    // Once the bank's re-issue (created later) is in, it stands: a third file of the old creation time opens no
    // break, and is no conflict.
    const reissued = writeCamt({
      message_id: 'M-2',
      created_at: '2026-11-21T09:00:00Z',
      statements: [{ id: 'GBP-2026-11-20', account: 'GB33BUKB20201555555555', currency: 'GBP', created_at: '2026-11-21T09:00:00Z', opening_balance_minor: 10_000, entries: [payout, fee] }],
    });
    expect(await importBankFile(lake.rt.queue, { name: 'nov20-reissued.xml', bytes: reissued }, {}, lake.rt.query)).toMatchObject({ status: 'imported', conflicts: [] });
    await lake.land();
    expect(await importBankFile(lake.rt.queue, { name: 'nov20-fee.xml', bytes: nov20([fee]) }, {}, lake.rt.query)).toMatchObject({ status: 'imported', conflicts: [] });
    await lake.land();
    expect(await lake.q("SELECT count(*) AS n FROM recon_breaks WHERE break_type = 'STATEMENT_CONFLICT'")).toEqual([{ n: 0 }]);
  });
});

describe('a file imported before, as a finance lead runs `puddle import bank`', () => {
  const { puddle, query, file, remove } = bankHome('puddle-imported-before-');
  afterAll(remove);

  it('a GBP export imported again with --currency EUR: exit 2, nothing published, the lines stay GBP once', async () => {
    const csv = file('barclays.csv', BARCLAYS);
    expect((await puddle(['import', 'bank', csv, '--layout', 'barclays'])).code).toBe(0);
    expect((await puddle(['land'])).code).toBe(0);
    const again = await puddle(['import', 'bank', csv, '--layout', 'barclays', '--currency', 'EUR']);
    expect(again.code, again.stderr).toBe(2);
    expect(again.stderr).toMatch(/barclays\.csv: refused, nothing imported: statement 1: this file was imported on \S+Z as GBP .* read now as EUR/);
    expect(again.stdout).not.toContain('published to the queue');
    expect((await puddle(['land'])).code).toBe(0);
    expect(await query("SELECT currency, count(*) AS n FROM bank_line WHERE account = '20-32-06 13152170' GROUP BY currency")).toEqual([{ currency: 'GBP', n: 4 }]);
    expect(await query("SELECT DISTINCT currency FROM bank_statement WHERE account = '20-32-06 13152170'")).toEqual([{ currency: 'GBP' }]);
    // The same file in its own currency again: idempotent, exit 0 as before.
    expect((await puddle(['import', 'bank', csv, '--layout', 'barclays', '--currency', 'GBP'])).code).toBe(0);
  });

  it('a statement conflicting with one imported before: imported, a warning naming both files, exit 1, the break with a zoned time', async () => {
    expect((await puddle(['import', 'bank', file('nov20.xml', first)])).code).toBe(0);
    expect((await puddle(['land'])).code).toBe(0);
    const r = await puddle(['import', 'bank', file('nov20-edited.xml', edited)]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('nov20-edited.xml: imported, but it conflicts with a file imported before');
    expect(r.stderr).toMatch(/statement GBP-2026-11-20 created at 2026-11-20T22:00:00Z conflicts with nov20\.xml imported on \S+Z/);
    expect(r.stdout).toContain('published to the queue');
    expect((await puddle(['land'])).code).toBe(0);
    expect(await query("SELECT reason FROM recon_breaks WHERE break_type = 'STATEMENT_CONFLICT'")).toEqual([{
      reason: "2 different files (nov20.xml, nov20-edited.xml) carry this statement id created at 2026-11-20T22:00:00Z: a re-issue is created later, so which lines stand cannot be told; both files' lines are kept. Ask the bank to re-issue the statement and import that",
    }]);
  });
});
