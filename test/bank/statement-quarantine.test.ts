import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeCamt, type CamtEntryInput } from '../../connectors/bank/camt-writer.js';
import { importBankFile } from '../../connectors/bank/import-file.js';
import { systemClock } from '../../core/ports.js';
import { retryQuarantine } from '../../puddles/quarantine-retry.js';
import { useTempLake } from '../support/temp-lake.js';

// A bank statement that does not add up opens a STATEMENT_UNBALANCED break and a quarantine row.
// docs/bank-statements.md ("Correcting a statement that does not add up"): import the corrected file, and the break closes. Until
// 2026-12-03 its quarantine row stayed open for good (`puddle quarantine retry` said "import them again once
// fixed", exit 1 however often that was done, and the dashboard counted it), while importing the same unbalanced
// file again made the retry resolve the row "landed since" with the break still open.

const fixture = (name: string) => readFileSync(new URL(`../fixtures/bank/${name}`, import.meta.url));
const lloyds = { layout: 'lloyds' };


/** One issue of a camt.053 statement (`GBP-2026-11-20`, one entry of 49.50) created at `created`, closing at `closing`. */
const ENTRIES: CamtEntryInput[] = [{ amount_minor: 4_950, booking_date: '2026-11-20', entry_reference: 'PO-1', remittance: 'STRIPE PAYOUT' }];
const issue = (created: string, closing: number) =>
  writeCamt({
    message_id: `M-${created}`,
    created_at: created,
    statements: [{ id: 'GBP-2026-11-20', account: 'charity-gbp', currency: 'GBP', created_at: created, opening_balance_minor: 10_000, closing_balance_minor: closing, entries: ENTRIES }],
  });
describe('quarantine retry of a bank statement that did not add up', () => {
  const lake = useTempLake();

  const retry = async () => {
    const report = await retryQuarantine({ query: lake.rt.query, queue: lake.rt.queue, clock: systemClock, connector: () => null });
    await lake.land();
    return report;
  };
  const open = () => lake.q('SELECT contract, source FROM quarantine_open');
  const breaks = () => lake.q("SELECT object_id FROM recon_breaks WHERE break_type = 'STATEMENT_UNBALANCED'");

  it('stays open while the break does, and is resolved once the corrected export is in: the break and the quarantine agree', async () => {
    const bad = { name: 'export.csv', bytes: fixture('lloyds_online_export.csv') };
    expect(await importBankFile(lake.rt.queue, bad, lloyds)).toMatchObject({ status: 'unbalanced' });
    await lake.land();
    expect(await retry()).toMatchObject({ open: 1, landedSince: 0, other: [{ source: 'bank', records: 1, why: expect.stringContaining('import the corrected statement') }] });
    // The same unbalanced file again is no correction.
    expect(await importBankFile(lake.rt.queue, bad, lloyds)).toMatchObject({ status: 'unbalanced' });
    await lake.land();
    expect(await retry()).toMatchObject({ open: 1, landedSince: 0, published: 0 });
    expect(await open()).toEqual([{ contract: 'bank_statement', source: 'bank' }]);
    expect(await breaks()).toHaveLength(1);

    expect(await importBankFile(lake.rt.queue, { name: 'fixed.csv', bytes: fixture('lloyds_online_export_fixed.csv') }, lloyds)).toMatchObject({ status: 'imported' });
    await lake.land();
    expect(await breaks()).toEqual([]);
    // The row closes with its break, before any retry (until 2026-12-03 it was listed open until a retry ran).
    expect(await open()).toEqual([]);
    expect(await retry()).toMatchObject({ open: 0, published: 0 });
    expect(await lake.q('SELECT count(*) AS n FROM quarantine')).toEqual([{ n: 1 }]);
  });

  // Until 2026-12-03 the order of arrival decided: the corrected export imported first (`puddle import bank
  // *.csv` takes export-fixed.csv before export.csv... or the old file imported again by mistake) left the break
  // open for good, and importing the corrected file again changed nothing (the lake keeps first arrivals).
  it('a balanced export imported before the unbalanced one corrects the break and the row all the same', async () => {
    expect(await importBankFile(lake.rt.queue, { name: 'fixed.csv', bytes: fixture('lloyds_online_export_fixed.csv') }, lloyds)).toMatchObject({ status: 'imported' });
    await lake.land();
    expect(await importBankFile(lake.rt.queue, { name: 'export.csv', bytes: fixture('lloyds_online_export.csv') }, lloyds)).toMatchObject({ status: 'unbalanced' });
    await lake.land();
    expect(await breaks()).toEqual([]);
    expect(await open()).toEqual([]);
    expect(await retry()).toMatchObject({ open: 0 });
  });

  it('an earlier balanced export holding fewer rows corrects nothing: the later one may hold rows it did not (a morning and an afternoon export)', async () => {
    // The fixed export without one of its rows of 01/12/2023 (the bottom one, so its balances still follow): it
    // covers the same days, but the unbalanced export holds a row it lacks.
    const lines = readFileSync(new URL('../fixtures/bank/lloyds_online_export_fixed.csv', import.meta.url), 'utf8').trimEnd().split('\n');
    const morning = Buffer.from(`${lines.slice(0, -1).join('\n')}\n`);
    expect(await importBankFile(lake.rt.queue, { name: 'morning.csv', bytes: morning }, lloyds)).toMatchObject({ status: 'imported' });
    await lake.land();
    expect(await importBankFile(lake.rt.queue, { name: 'export.csv', bytes: fixture('lloyds_online_export.csv') }, lloyds)).toMatchObject({ status: 'unbalanced' });
    await lake.land();
    expect(await breaks()).toHaveLength(1);
    expect(await retry()).toMatchObject({ open: 1, landedSince: 0 });
    expect(await open()).toHaveLength(1);
  });

  it('a camt.053 the bank re-issued under its statement id resolves its unbalanced issue', async () => {
    expect(await importBankFile(lake.rt.queue, { name: 'first.xml', bytes: issue('2026-11-20T22:00:00Z', 99_999) })).toMatchObject({ status: 'unbalanced' });
    await lake.land();
    expect(await retry()).toMatchObject({ open: 1 });
    expect(await importBankFile(lake.rt.queue, { name: 'reissued.xml', bytes: issue('2026-11-21T09:00:00Z', 14_950) })).toMatchObject({ status: 'imported' });
    await lake.land();
    expect(await breaks()).toEqual([]);
    expect(await open()).toEqual([]);
  });

  it("a camt.053 re-issue imported before the issue it corrects closes that issue's break: the bank's creation time orders issues", async () => {
    expect(await importBankFile(lake.rt.queue, { name: 'reissued.xml', bytes: issue('2026-11-21T09:00:00Z', 14_950) })).toMatchObject({ status: 'imported' });
    await lake.land();
    expect(await importBankFile(lake.rt.queue, { name: 'first.xml', bytes: issue('2026-11-20T22:00:00Z', 99_999) })).toMatchObject({ status: 'unbalanced' });
    await lake.land();
    expect(await breaks()).toEqual([]);
    expect(await open()).toEqual([]);
    // The money is the re-issue's: its line stays booked.
    expect(await lake.q('SELECT bank_line_id, amount_minor FROM recon_bank_booked')).toEqual([{ bank_line_id: 'charity-gbp/PO-1', amount_minor: 4_950 }]);
  });
});
