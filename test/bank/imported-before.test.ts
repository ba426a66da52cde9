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
/**
 * The Barclays export as Excel saves it again: Windows line endings and a byte order mark. Other bytes, so another
 * statement id (the file's hash); the same rows, so the same line ids. Until 2026-12-05 it imported with
 * --currency EUR beside the GBP import of the original, every line counted twice, exit 0.
 */
const RESAVED = `\uFEFF${BARCLAYS.replaceAll('\n', '\r\n')}`;
/** A Lloyds export whose running balance breaks at line 6 (csv-reader.test.ts): it does not add up. */
const LLOYDS = readFileSync(new URL('../fixtures/bank/lloyds_online_export.csv', import.meta.url), 'utf8');
/**
 * The Lloyds export as Excel saves it again: a byte order mark, Windows line endings, and amounts and balances
 * without their trailing zeros (`250.00` -> `250`, `12.50` -> `12.5`). Another statement id (the file's hash); the
 * same rows, still not adding up at line 6.
 */
const LLOYDS_RESAVED = `\uFEFF${LLOYDS.replace(/\.00(?=,|$)/gm, '').replace(/(\.\d)0(?=,|$)/gm, '$1').replaceAll('\n', '\r\n')}`;
/**
 * Another statement of the same account and days, in another currency (a euro pocket under the one account
 * number): the same rows but other balances, its running balance broken at line 6 too.
 */
const LLOYDS_POCKET = LLOYDS.replace(/,(\d+\.\d\d)$/gm, (_, b: string) => `,${(Number(b) + 317.25).toFixed(2)}`);
/** A camt.053 of an account without Acct/Ccy (--currency gives it) whose closing balance is 1.00 too high. */
const camtUnbalanced = writeCamt({
  message_id: 'M-U',
  created_at: '2026-11-20T22:00:00Z',
  statements: [{
    id: 'U-2026-11-20', account: 'GB33BUKB20201555555555', currency: 'GBP', created_at: '2026-11-20T22:00:00Z',
    from: '2026-11-20T00:00:00Z', to: '2026-11-20T23:59:59Z', opening_balance_minor: 10_000, closing_balance_minor: 13_850,
    entries: [{ amount_minor: 4_950, booking_date: '2026-11-20', remittance: 'STRIPE PAYOUT PO_NOV20' }, { amount_minor: -1_200, booking_date: '2026-11-20', remittance: 'ACCOUNT FEE' }],
  }],
}).replace(/<Ccy>GBP<\/Ccy><\/Acct>/, '</Acct>');

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

  it('refuses a CSV imported before read with other dates (MM/DD for DD/MM), publishing nothing', async () => {
    const map = { date: 'Date', date_format: 'DD/MM/YYYY', account: 'Account', amount: 'Amount', type: 'Subcategory', description: 'Memo' };
    expect(await importBankFile(lake.rt.queue, barclays, { layout: map, currency: 'GBP' }, lake.rt.query)).toMatchObject({ status: 'imported', lines: 4 });
    await lake.land();
    // The finance mistake (user test): the same file, the layout's date_format written the American way.
    const wrong = await importBankFile(lake.rt.queue, barclays, { layout: { ...map, date_format: 'MM/DD/YYYY' }, currency: 'GBP' }, lake.rt.query);
    expect(wrong).toMatchObject({ status: 'refused', lines: 0 });
    expect(wrong.error).toMatch(
      /^statement 1: this file was imported on \S+Z with its entries dated 2026-12-05 to 2026-12-07 \(the account ending 2170\) and is read now as 2026-05-12 to 2026-07-12: --layout reads its dates otherwise \(its date_format\)\. /,
    );
    await lake.land();
    expect(await lake.q('SELECT count(*) AS n, min(booking_date) AS first FROM bank_line')).toEqual([{ n: 4, first: '2026-12-05' }]);
    // The layout used then imports it again unchanged.
    expect(await importBankFile(lake.rt.queue, barclays, { layout: map, currency: 'GBP' }, lake.rt.query)).toMatchObject({ status: 'imported', lines: 4 });
  });

  it('refuses the export saved again (CRLF, a byte order mark) in another currency, knowing its lines; in its own currency the lines stay once', async () => {
    expect(await importBankFile(lake.rt.queue, barclays, { layout: 'barclays' }, lake.rt.query)).toMatchObject({ status: 'imported', lines: 4 });
    await lake.land();
    const resaved = { name: 'export (2).csv', bytes: Buffer.from(RESAVED, 'utf8') };
    const wrong = await importBankFile(lake.rt.queue, resaved, { layout: 'barclays', currency: 'EUR' }, lake.rt.query);
    expect(wrong).toMatchObject({ status: 'refused', lines: 0 });
    expect(wrong.error).toMatch(
      /^statement 1: 4 of its 4 lines \(the account ending 2170\) were imported on \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z as GBP, from another file .* and are read now as EUR: imported, they would stand beside the GBP ones/,
    );
    expect(describeImport('export (2).csv', wrong)).toMatch(/^export \(2\)\.csv: refused, nothing imported: .*If GBP is right, import it with --currency GBP: /);
    // No row's text, no account number beyond its last four digits.
    expect(wrong.error).not.toMatch(/STRIPE|ACME|13152170/);
    await lake.land();
    expect(await lake.q('SELECT currency, count(*) AS n FROM bank_line GROUP BY currency')).toEqual([{ currency: 'GBP', n: 4 }]);
    expect(await lake.q('SELECT count(*) AS n FROM bank_statement_history')).toEqual([{ n: 1 }]);
    // In GBP it is the same rows: the same line ids, so the lines are replaced, not added. It is another file to
    // the statement id, so a second bank_statement lands beside the first.
    expect(await importBankFile(lake.rt.queue, resaved, { layout: 'barclays' }, lake.rt.query)).toMatchObject({ status: 'imported', lines: 4, conflicts: [] });
    await lake.land();
    expect(await lake.q('SELECT currency, count(*) AS n FROM bank_line GROUP BY currency')).toEqual([{ currency: 'GBP', n: 4 }]);
    expect(await lake.q('SELECT currency, count(*) AS n FROM bank_statement GROUP BY currency')).toEqual([{ currency: 'GBP', n: 2 }]);
  });

  it('a file that did not add up, read again in another currency: refused, saying no line of it landed', async () => {
    const lloyds = { name: 'lloyds.csv', bytes: LLOYDS };
    expect(await importBankFile(lake.rt.queue, lloyds, { layout: 'lloyds' }, lake.rt.query)).toMatchObject({ status: 'unbalanced', lines: 0 });
    await lake.land();
    const wrong = await importBankFile(lake.rt.queue, lloyds, { layout: 'lloyds', currency: 'EUR' }, lake.rt.query);
    expect(wrong).toMatchObject({ status: 'refused', lines: 0 });
    expect(wrong.error).toMatch(
      /^statement 1: this file was imported on \S+Z as GBP \(the account ending 2252\) and is read now as EUR: it did not add up then, so none of its lines landed /,
    );
    expect(wrong.error).toContain('import that with --currency EUR');
    // Following that leaves the GBP import's break open: the refusal says so rather than promise it closes.
    expect(wrong.error).toContain("that does not close the GBP import's STATEMENT_UNBALANCED break in recon_breaks, if it is still open");
    expect(wrong.error).not.toMatch(/beside|counted twice|reconcile/);
    await lake.land();
    expect(await lake.q('SELECT count(*) AS n FROM bank_line')).toEqual([{ n: 0 }]);
    expect(await lake.q('SELECT currency, balanced FROM bank_statement')).toEqual([{ currency: 'GBP', balanced: false }]);
  });

  it('the export that did not add up, saved again and read in another currency: refused as the same bytes are, one break only', async () => {
    expect(await importBankFile(lake.rt.queue, { name: 'lloyds.csv', bytes: LLOYDS }, { layout: 'lloyds' }, lake.rt.query)).toMatchObject({ status: 'unbalanced', lines: 0 });
    await lake.land();
    // None of its lines landed, so no line of bank_line is there to know it by: its unbalanced statement is.
    const resaved = { name: 'lloyds (excel).csv', bytes: Buffer.from(LLOYDS_RESAVED, 'utf8') };
    const wrong = await importBankFile(lake.rt.queue, resaved, { layout: 'lloyds', currency: 'EUR' }, lake.rt.query);
    expect(wrong).toMatchObject({ status: 'refused', lines: 0 });
    expect(wrong.error).toMatch(
      /^statement 1: the account ending 2252 was imported on \S+Z as GBP from another file \(this one saved again: the same days, entry count and balances\) and is read now as EUR: it did not add up then, so none of its lines landed /,
    );
    expect(wrong.error).toContain('import that with --currency EUR');
    expect(wrong.error).toContain("that does not close the GBP import's STATEMENT_UNBALANCED break in recon_breaks, if it is still open");
    expect(describeImport('lloyds (excel).csv', wrong)).toMatch(/^lloyds \(excel\)\.csv: refused, nothing imported: /);
    // No row's text, no account number beyond its last four digits.
    expect(wrong.error).not.toMatch(/ACME|HMRC|1515152252|99-88-74|beside|counted twice/);
    await lake.land();
    expect(await lake.q('SELECT currency, balanced FROM bank_statement_history')).toEqual([{ currency: 'GBP', balanced: false }]);
    expect(await lake.q("SELECT count(*) AS n FROM recon_breaks WHERE break_type = 'STATEMENT_UNBALANCED'")).toEqual([{ n: 1 }]);
    expect(await lake.q('SELECT count(*) AS n FROM bank_line')).toEqual([{ n: 0 }]);
    // In its own currency it still does not add up (exit 1), but it is the statement imported before: nothing of it
    // is published, so its break stays the one, not two for the same money (until 2026-12-05, a user test).
    const same = await importBankFile(lake.rt.queue, resaved, { layout: 'lloyds' }, lake.rt.query);
    expect(same).toMatchObject({ status: 'unbalanced', lines: 0, resaved: [{ where: 'statement 1' }] });
    expect(same.resaved[0]!.message).toMatch(/^the account ending 2252 was imported on \S+Z from another file \(lloyds\.csv\) and did not add up then either \(this one saved again/);
    expect(describeImport('lloyds (excel).csv', same)).toMatch(/does not add up, nothing imported \(nothing published\):[\s\S]*imported before, saved again \(no second STATEMENT_UNBALANCED break\)/);
    await lake.land();
    expect(await lake.q('SELECT count(*) AS n FROM bank_statement_history')).toEqual([{ n: 1 }]);
    expect(await lake.q("SELECT count(*) AS n FROM recon_breaks WHERE break_type = 'STATEMENT_UNBALANCED'")).toEqual([{ n: 1 }]);
    // The same bytes again are the same statement (one id): one break, as always.
    expect(await importBankFile(lake.rt.queue, { name: 'lloyds.csv', bytes: LLOYDS }, { layout: 'lloyds' }, lake.rt.query)).toMatchObject({ status: 'unbalanced', resaved: [] });
    await lake.land();
    expect(await lake.q("SELECT count(*) AS n FROM recon_breaks WHERE break_type = 'STATEMENT_UNBALANCED'")).toEqual([{ n: 1 }]);
  });

  it('a camt.053 without Acct/Ccy that did not add up, saved again and read with another --currency: refused', async () => {
    expect(await importBankFile(lake.rt.queue, { name: 'u.xml', bytes: camtUnbalanced }, { currency: 'GBP' }, lake.rt.query)).toMatchObject({ status: 'unbalanced', lines: 0 });
    await lake.land();
    const resaved = { name: 'u (2).xml', bytes: `\uFEFF${camtUnbalanced.replaceAll('\n', '\r\n')}` };
    const wrong = await importBankFile(lake.rt.queue, resaved, { currency: 'EUR' }, lake.rt.query);
    expect(wrong).toMatchObject({ status: 'refused', lines: 0 });
    expect(wrong.error).toMatch(/^Stmt\[1\] \(line \d+\): the account ending 5555, statement U-2026-11-20 was imported on \S+Z as GBP from another file .* read now as EUR: it did not add up then/);
    await lake.land();
    expect(await lake.q('SELECT currency, balanced FROM bank_statement_history')).toEqual([{ currency: 'GBP', balanced: false }]);
  });

  it('another statement of the account that does not add up, in another currency, imports as before (unbalanced)', async () => {
    expect(await importBankFile(lake.rt.queue, { name: 'lloyds.csv', bytes: LLOYDS }, { layout: 'lloyds' }, lake.rt.query)).toMatchObject({ status: 'unbalanced' });
    await lake.land();
    // The same account, days and rows, other balances: a euro pocket under the one account number, say.
    const pocket = await importBankFile(lake.rt.queue, { name: 'lloyds-eur.csv', bytes: LLOYDS_POCKET }, { layout: 'lloyds', currency: 'EUR' }, lake.rt.query);
    expect(pocket).toMatchObject({ status: 'unbalanced', lines: 0, error: null });
    await lake.land();
    expect(await lake.q('SELECT currency, balanced FROM bank_statement_history ORDER BY currency')).toEqual([{ currency: 'EUR', balanced: false }, { currency: 'GBP', balanced: false }]);
  });

  it('a file stating its currency is never refused for a line of another currency with its day, amount and text', async () => {
    // One IBAN holding GBP and EUR, a statement per currency in its own file, each booking a 5.00 fee on one day
    // (no bank reference, so content ids alike but for the currency).
    const pocket = (currency: string) =>
      writeCamt({
        message_id: `M-${currency}`,
        created_at: '2026-11-20T22:00:00Z',
        statements: [{ id: `${currency}-2026-11-20`, account: 'GB33BUKB20201555555555', currency, created_at: '2026-11-20T22:00:00Z', opening_balance_minor: 10_000, entries: [{ amount_minor: -500, booking_date: '2026-11-20', remittance: 'ACCOUNT FEE' }] }],
      });
    expect(await importBankFile(lake.rt.queue, { name: 'gbp.xml', bytes: pocket('GBP') }, {}, lake.rt.query)).toMatchObject({ status: 'imported', lines: 1 });
    await lake.land();
    expect(await importBankFile(lake.rt.queue, { name: 'eur.xml', bytes: pocket('EUR') }, {}, lake.rt.query)).toMatchObject({ status: 'imported', lines: 1 });
    await lake.land();
    expect(await lake.q('SELECT currency, count(*) AS n FROM bank_line GROUP BY currency ORDER BY currency')).toEqual([{ currency: 'EUR', n: 1 }, { currency: 'GBP', n: 1 }]);
  });

  it('an export listing several currencies of one account is not refused for a twin it holds itself', async () => {
    // A currency column, the same 5.00 fee booked in GBP and in EUR on one day: content ids alike but for the currency.
    const layout = { date: 'Date', date_format: 'YYYY-MM-DD', description: 'Text', amount: 'Amount', currency: 'Ccy' };
    const csv = 'Date,Text,Amount,Ccy\n2026-11-20,ACCOUNT FEE,-5.00,GBP\n2026-11-20,ACCOUNT FEE,-5.00,EUR\n2026-11-21,STRIPE PAYOUT,49.50,GBP\n';
    const opts = { layout, account: 'GB33BUKB20201555555555' };
    expect(await importBankFile(lake.rt.queue, { name: 'pockets.csv', bytes: csv }, opts, lake.rt.query)).toMatchObject({ status: 'imported', lines: 3 });
    await lake.land();
    // The same export saved again (another statement id): each fee's twin in the lake is the other fee of this file.
    const resaved = { name: 'pockets (2).csv', bytes: `\uFEFF${csv.replaceAll('\n', '\r\n')}` };
    expect(await importBankFile(lake.rt.queue, resaved, opts, lake.rt.query)).toMatchObject({ status: 'imported', lines: 3 });
    await lake.land();
    expect(await lake.q('SELECT currency, count(*) AS n FROM bank_line GROUP BY currency ORDER BY currency')).toEqual([{ currency: 'EUR', n: 1 }, { currency: 'GBP', n: 2 }]);
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

  it('the GBP export saved again by Excel, imported with --currency EUR: exit 2, nothing published, the lines stay GBP once', async () => {
    expect((await puddle(['import', 'bank', file('december.csv', BARCLAYS), '--layout', 'barclays'])).code).toBe(0);
    expect((await puddle(['land'])).code).toBe(0);
    const resaved = file('december (excel).csv', RESAVED);
    const again = await puddle(['import', 'bank', resaved, '--layout', 'barclays', '--currency', 'EUR']);
    expect(again.code, again.stderr).toBe(2);
    expect(again.stderr).toMatch(/december \(excel\)\.csv: refused, nothing imported: statement 1: 4 of its 4 lines \(the account ending 2170\) were imported on \S+Z as GBP, .* read now as EUR/);
    expect(again.stdout).not.toContain('published to the queue');
    expect((await puddle(['land'])).code).toBe(0);
    expect(await query("SELECT currency, count(*) AS n FROM bank_line WHERE account = '20-32-06 13152170' GROUP BY currency")).toEqual([{ currency: 'GBP', n: 4 }]);
    // As the message says: in GBP it imports, and nothing counts twice.
    expect((await puddle(['import', 'bank', resaved, '--layout', 'barclays', '--currency', 'GBP'])).code).toBe(0);
    expect((await puddle(['land'])).code).toBe(0);
    expect(await query("SELECT currency, count(*) AS n FROM bank_line WHERE account = '20-32-06 13152170' GROUP BY currency")).toEqual([{ currency: 'GBP', n: 4 }]);
  });

  it('an export that did not add up, saved again by Excel and imported with --currency EUR: exit 2, nothing published, one break', async () => {
    expect((await puddle(['import', 'bank', file('lloyds.csv', LLOYDS), '--layout', 'lloyds'])).code).toBe(1);
    expect((await puddle(['land'])).code).toBe(0);
    const again = await puddle(['import', 'bank', file('lloyds (excel).csv', LLOYDS_RESAVED), '--layout', 'lloyds', '--currency', 'EUR']);
    expect(again.code, again.stderr).toBe(2);
    expect(again.stderr).toMatch(/lloyds \(excel\)\.csv: refused, nothing imported: statement 1: the account ending 2252 was imported on \S+Z as GBP from another file .* read now as EUR: it did not add up then/);
    expect(again.stdout).not.toContain('published to the queue');
    expect((await puddle(['land'])).code).toBe(0);
    expect(await query("SELECT break_type, count(*) AS n FROM recon_breaks WHERE break_type = 'STATEMENT_UNBALANCED' GROUP BY break_type")).toEqual([{ break_type: 'STATEMENT_UNBALANCED', n: 1 }]);
    // In GBP, its own currency: still exit 1 (it does not add up), nothing published and not said to be.
    const own = await puddle(['import', 'bank', file('lloyds (excel).csv', LLOYDS_RESAVED), '--layout', 'lloyds']);
    expect(own.code, own.stderr).toBe(1);
    expect(own.stderr).toContain('lloyds (excel).csv: imported before, saved again (no second STATEMENT_UNBALANCED break)');
    expect(own.stdout).not.toContain('published to the queue');
    // Another statement of that account in EUR, one that is no copy of it, still goes in: exit 1, its own break.
    expect((await puddle(['import', 'bank', file('lloyds-eur.csv', LLOYDS_POCKET), '--layout', 'lloyds', '--currency', 'EUR'])).code).toBe(1);
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
