import { afterAll, describe, expect, it } from 'vitest';
import { writeCamt, type CamtEntryInput } from '../../connectors/bank/camt-writer.js';
import { importBankFile } from '../../connectors/bank/import-file.js';
import { bankHome } from '../support/bank-home.js';
import { useTempLake } from '../support/temp-lake.js';

// A camt.053 the bank splits into pages (StmtPgntn: PgNb 1 with LastPgInd false, then PgNb 2 with LastPgInd true),
// each page in its own file under the one Stmt/Id: page 1 opens on OPBD and closes on ITBD, page 2 opens on that
// ITBD and closes on CLBD. Until 2026-12-05 nothing read StmtPgntn: page 2 was refused as having no booked opening
// balance (exit 1), and, one Stmt/Id, it was taken for a re-issue of page 1 and replaced it whole, so page 1's
// money left reconciliation in silence (equal creation times: STATEMENT_CONFLICT on both).

const PERIOD = { from: '2026-11-20T00:00:00Z', to: '2026-11-20T23:59:59Z' };
const PAGE1: CamtEntryInput[] = [
  { amount_minor: 4_950, booking_date: '2026-11-20', remittance: 'STRIPE PAYOUT PO_NOV20' },
  { amount_minor: -1_200, booking_date: '2026-11-20', entry_reference: 'FEE-1', remittance: 'ACCOUNT FEE' },
];
const PAGE2: CamtEntryInput[] = [
  { amount_minor: 700, booking_date: '2026-11-20', entry_reference: 'GA-1', remittance: 'GIFT AID' },
  { amount_minor: 2_500, booking_date: '2026-11-20', remittance: 'PAYPAL TRANSFER' },
];

/** One page of statement EUR-2026-11-20 of charity-eur, as its own message (GrpHdr/MsgPgntn says so too). */
function page(number: number, last: boolean, created: string, opening: number, entries: CamtEntryInput[], closing?: number): string {
  const xml = writeCamt({
    version: 8,
    message_id: `M-${number}-${created}`,
    created_at: created,
    statements: [{ id: 'EUR-2026-11-20', account: 'charity-eur', currency: 'EUR', created_at: created, ...PERIOD, opening_balance_minor: opening, closing_balance_minor: closing, page: { number, last }, entries }],
  });
  return xml.replace('</CreDtTm></GrpHdr>', `</CreDtTm><MsgPgntn><PgNb>${number}</PgNb><LastPgInd>${last}</LastPgInd></MsgPgntn></GrpHdr>`);
}

const page1 = page(1, false, '2026-11-20T22:00:00Z', 10_000, PAGE1);
const page2 = page(2, true, '2026-11-20T22:00:01Z', 13_750, PAGE2);

describe('a camt.053 statement in pages', () => {
  const lake = useTempLake();

  const booked = () => lake.q("SELECT amount_minor, statement_id FROM recon_bank_booked WHERE account = 'charity-eur' ORDER BY amount_minor");
  const statementBreaks = () => lake.q("SELECT break_type, object_id FROM recon_breaks WHERE break_type LIKE 'STATEMENT_%' ORDER BY 1, 2");
  const both = [
    { amount_minor: -1_200, statement_id: 'charity-eur/camt.053/EUR-2026-11-20/p1' },
    { amount_minor: 700, statement_id: 'charity-eur/camt.053/EUR-2026-11-20/p2' },
    { amount_minor: 2_500, statement_id: 'charity-eur/camt.053/EUR-2026-11-20/p2' },
    { amount_minor: 4_950, statement_id: 'charity-eur/camt.053/EUR-2026-11-20/p1' },
  ];

  for (const [order, files] of [['page 1 then page 2', [page1, page2]], ['page 2 then page 1', [page2, page1]]] as const) {
    it(`imports both pages, ${order}: every line stays booked, each page checked on its own balances, no break`, async () => {
      for (const [i, bytes] of files.entries()) {
        // `unverified` empty: page 2's ITBD is its opening balance (it was "no booked opening balance", exit 1).
        expect(await importBankFile(lake.rt.queue, { name: `page${i}.xml`, bytes })).toMatchObject({ status: 'imported', lines: 2, unverified: [] });
        await lake.land();
      }
      expect(await booked()).toEqual(both);
      expect(await lake.q('SELECT bank_statement_id, opening_balance_minor, closing_balance_minor, balanced FROM bank_statement ORDER BY 1')).toEqual([
        { bank_statement_id: 'charity-eur/camt.053/EUR-2026-11-20/p1', opening_balance_minor: 10_000, closing_balance_minor: 13_750, balanced: true },
        { bank_statement_id: 'charity-eur/camt.053/EUR-2026-11-20/p2', opening_balance_minor: 13_750, closing_balance_minor: 16_950, balanced: true },
      ]);
      expect(await statementBreaks()).toEqual([]);
    });
  }

  it("pages follow the account's previous statement and each other: a missing page, or one that opens elsewhere, is a STATEMENT_GAP", async () => {
    // The day before, one page: closes at 100.00, where page 1 opens.
    const nov19 = writeCamt({
      message_id: 'M-19', created_at: '2026-11-19T22:00:00Z',
      statements: [{ id: 'EUR-2026-11-19', account: 'charity-eur', currency: 'EUR', created_at: '2026-11-19T22:00:00Z', from: '2026-11-19T00:00:00Z', to: '2026-11-19T23:59:59Z', opening_balance_minor: 9_000, entries: [{ amount_minor: 1_000, booking_date: '2026-11-19', entry_reference: 'X-1' }] }],
    });
    const gaps = () => lake.q("SELECT object_id, amount_minor, reason FROM recon_breaks WHERE break_type = 'STATEMENT_GAP'");
    for (const bytes of [nov19, page2]) expect(await importBankFile(lake.rt.queue, { name: 'f.xml', bytes })).toMatchObject({ status: 'imported' });
    await lake.land();
    // Page 2 without page 1: page 1's lines are missing, and finance is told which page.
    expect(await gaps()).toEqual([{
      object_id: 'charity-eur/camt.053/EUR-2026-11-20/p2', amount_minor: null,
      reason: 'page 2 of a statement the bank sent in pages, but page 1 (its id ending /p1) is not imported, or did not add up: its lines are missing from reconciliation; import it',
    }]);
    expect(await importBankFile(lake.rt.queue, { name: 'p1.xml', bytes: page1 })).toMatchObject({ status: 'imported' });
    await lake.land();
    // Page 2 follows page 1 (137.50), not the day before (100.00), though both pages cover the whole day.
    expect(await gaps()).toEqual([]);
    // A re-issue of page 2 that opens at 137.00 adds up on its own but does not follow page 1.
    const shifted = page(2, true, '2026-11-21T09:00:00Z', 13_700, PAGE2);
    expect(await importBankFile(lake.rt.queue, { name: 'p2b.xml', bytes: shifted })).toMatchObject({ status: 'imported' });
    await lake.land();
    expect(await gaps()).toEqual([{
      object_id: 'charity-eur/camt.053/EUR-2026-11-20/p2', amount_minor: -50,
      reason: 'opens at 137.00 EUR but the previous statement of the account closed at 137.50 EUR: a statement is missing, or a balance is wrong',
    }]);
  });

  it('two pages created at the same second are two parts, not a STATEMENT_CONFLICT', async () => {
    const second = page(2, true, '2026-11-20T22:00:00Z', 13_750, PAGE2);
    for (const bytes of [page1, second]) expect(await importBankFile(lake.rt.queue, { name: 'p.xml', bytes })).toMatchObject({ status: 'imported' });
    await lake.land();
    expect(await booked()).toEqual(both);
    expect(await statementBreaks()).toEqual([]);
  });

  it('a page that does not add up is refused on its own (page 1 and its lines stand)', async () => {
    expect(await importBankFile(lake.rt.queue, { name: 'p1.xml', bytes: page1 })).toMatchObject({ status: 'imported' });
    expect(await importBankFile(lake.rt.queue, { name: 'p2.xml', bytes: page(2, true, '2026-11-20T22:00:01Z', 13_750, PAGE2, 99_999) })).toMatchObject({ status: 'unbalanced' });
    await lake.land();
    expect(await booked()).toEqual(both.filter((l) => l.statement_id.endsWith('/p1')));
    expect(await statementBreaks()).toEqual([{ break_type: 'STATEMENT_UNBALANCED', object_id: 'charity-eur/camt.053/EUR-2026-11-20/p2' }]);
  });

  it('a re-issue of page 2 replaces page 2 only', async () => {
    for (const bytes of [page1, page2]) expect(await importBankFile(lake.rt.queue, { name: 'p.xml', bytes })).toMatchObject({ status: 'imported' });
    await lake.land();
    // The bank corrects page 2 the next morning: the PayPal transfer was 25.20, not 25.00.
    const corrected: CamtEntryInput[] = [PAGE2[0]!, { amount_minor: 2_520, booking_date: '2026-11-20', remittance: 'PAYPAL TRANSFER' }];
    expect(await importBankFile(lake.rt.queue, { name: 'p2-reissued.xml', bytes: page(2, true, '2026-11-21T09:00:00Z', 13_750, corrected) })).toMatchObject({ status: 'imported', lines: 2 });
    await lake.land();
    expect(await booked()).toEqual([
      { amount_minor: -1_200, statement_id: 'charity-eur/camt.053/EUR-2026-11-20/p1' },
      { amount_minor: 700, statement_id: 'charity-eur/camt.053/EUR-2026-11-20/p2' },
      { amount_minor: 2_520, statement_id: 'charity-eur/camt.053/EUR-2026-11-20/p2' },
      { amount_minor: 4_950, statement_id: 'charity-eur/camt.053/EUR-2026-11-20/p1' },
    ]);
    expect(await statementBreaks()).toEqual([]);
  });

  it('a statement of one page (PgNb 1, LastPgInd true) keeps its bare id', async () => {
    const single = page(1, true, '2026-11-20T22:00:00Z', 10_000, PAGE1);
    expect(await importBankFile(lake.rt.queue, { name: 'one.xml', bytes: single })).toMatchObject({ status: 'imported', lines: 2 });
    await lake.land();
    expect(await lake.q('SELECT bank_statement_id FROM bank_statement')).toEqual([{ bank_statement_id: 'charity-eur/camt.053/EUR-2026-11-20' }]);
  });

  it('a PgNb that is no positive integer, or a LastPgInd that is no boolean, is malformed input naming it', async () => {
    for (const [bad, message] of [
      ['<PgNb>0</PgNb>', 'PgNb is not a page number'],
      ['<PgNb>two</PgNb>', 'PgNb is not a page number'],
      ['<PgNb>-2</PgNb>', 'PgNb is not a page number'],
    ] as const) {
      const r = await importBankFile(lake.rt.queue, { name: 'bad.xml', bytes: page2.replace('<StmtPgntn><PgNb>2</PgNb>', `<StmtPgntn>${bad}`) });
      expect(r).toMatchObject({ status: 'malformed', lines: 0 });
      expect(r.error).toMatch(new RegExp(`^Stmt\\[1\\]/StmtPgntn \\(line \\d+\\): ${message}`));
    }
    const r = await importBankFile(lake.rt.queue, { name: 'bad.xml', bytes: page2.replace('<LastPgInd>true</LastPgInd></StmtPgntn>', '<LastPgInd>yes</LastPgInd></StmtPgntn>') });
    expect(r).toMatchObject({ status: 'malformed' });
    expect(r.error).toContain('LastPgInd is neither true nor false');
  });
});

describe('`puddle import bank` on a statement in pages', { timeout: 120_000 }, () => {
  const { puddle, query, file, remove } = bankHome('puddle-camt-pages-');
  afterAll(remove);

  it('imports both pages, page 2 first, with exit 0; a bad PgNb is exit 2 naming it', async () => {
    // `puddle import bank *.xml` in the order a download folder lists them: page 2 first.
    const r = await puddle(['import', 'bank', file('stmt-p2.xml', page2), file('stmt-p1.xml', page1)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect((await puddle(['land'])).code).toBe(0);
    expect(await query("SELECT sum(amount_minor) AS total, count(*) AS n FROM recon_bank_booked WHERE account = 'charity-eur'")).toEqual([{ total: 6_950, n: 4 }]);
    const bad = await puddle(['import', 'bank', file('bad.xml', page2.replace('<StmtPgntn><PgNb>2</PgNb>', '<StmtPgntn><PgNb>0</PgNb>'))]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Stmt\[1\]\/StmtPgntn \(line \d+\): PgNb is not a page number/);
  });
});
