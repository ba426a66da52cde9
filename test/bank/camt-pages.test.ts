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

/** The same statement unpaged: no StmtPgntn, opening on OPBD and closing on CLBD. */
function whole(created: string, opening: number, entries: CamtEntryInput[]): string {
  return writeCamt({
    version: 8,
    message_id: `M-${created}`,
    created_at: created,
    statements: [{ id: 'EUR-2026-11-20', account: 'charity-eur', currency: 'EUR', created_at: created, ...PERIOD, opening_balance_minor: opening, entries }],
  });
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

  it("the next day follows a statement of the same day beside the pages (either), not the pages' last alone", async () => {
    // Pages 1 and 2 (100.00 -> 137.50 -> 169.50), and an unpaged statement of another id the same day, which ends at
    // once and closes at 180.00: the next day opens at 180.00, where that one closed. Until 2026-12-05 the pages'
    // last ranked first and the next day was a STATEMENT_GAP against it (a user test).
    const other = writeCamt({
      message_id: 'M-V', created_at: '2026-11-20T22:00:00Z',
      statements: [{ id: 'V-2026-11-20', account: 'charity-eur', currency: 'EUR', created_at: '2026-11-20T22:00:00Z', ...PERIOD, opening_balance_minor: 16_950, entries: [{ amount_minor: 1_050, booking_date: '2026-11-20', entry_reference: 'V-1' }] }],
    });
    const nov21 = writeCamt({
      message_id: 'M-21', created_at: '2026-11-21T22:00:00Z',
      statements: [{ id: 'EUR-2026-11-21', account: 'charity-eur', currency: 'EUR', created_at: '2026-11-21T22:00:00Z', from: '2026-11-21T00:00:00Z', to: '2026-11-21T23:59:59Z', opening_balance_minor: 18_000, entries: [{ amount_minor: 100, booking_date: '2026-11-21', entry_reference: 'N-1' }] }],
    });
    for (const bytes of [page1, page2, other, nov21]) expect(await importBankFile(lake.rt.queue, { name: 'f.xml', bytes })).toMatchObject({ status: 'imported' });
    await lake.land();
    expect(await statementBreaks()).toEqual([]);
  });

  it('a re-issue of a page that does not add up leaves the page it would replace in the chain', async () => {
    // A day before (90.00 -> 100.00), pages 1 and 2, then a re-issue of page 1 that does not add up, then the next
    // day. Page 1 as first issued stands (its lines booked): the chain runs through it. Until 2026-12-05 the
    // unbalanced re-issue took page 1 out of the chain: page 2 was called missing its page 1 (a user test).
    const nov19 = writeCamt({
      message_id: 'M-19', created_at: '2026-11-19T22:00:00Z',
      statements: [{ id: 'EUR-2026-11-19', account: 'charity-eur', currency: 'EUR', created_at: '2026-11-19T22:00:00Z', from: '2026-11-19T00:00:00Z', to: '2026-11-19T23:59:59Z', opening_balance_minor: 9_000, entries: [{ amount_minor: 1_000, booking_date: '2026-11-19', entry_reference: 'X-1' }] }],
    });
    for (const bytes of [nov19, page1, page2]) expect(await importBankFile(lake.rt.queue, { name: 'f.xml', bytes })).toMatchObject({ status: 'imported' });
    expect(await importBankFile(lake.rt.queue, { name: 'p1b.xml', bytes: page(1, false, '2026-11-21T09:00:00Z', 10_000, PAGE1, 99_999) })).toMatchObject({ status: 'unbalanced' });
    await lake.land();
    expect(await booked()).toEqual([...both, { amount_minor: 1_000, statement_id: 'charity-eur/camt.053/EUR-2026-11-19' }].sort((a, b) => a.amount_minor - b.amount_minor));
    expect(await statementBreaks()).toEqual([{ break_type: 'STATEMENT_UNBALANCED', object_id: 'charity-eur/camt.053/EUR-2026-11-20/p1' }]);
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

// A statement the bank re-issues with another page count (or unpaged where it was paged, or the reverse). The
// re-issue says where the statement now ends (its page with LastPgInd true; an unpaged statement is page 1 of 1),
// so the pages of the earlier issue numbered beyond that end are no longer the bank's statement: their lines
// leave recon_bank_booked. Until 2026-12-05 the ids differed (`/p3` stood beside a 2-page re-issue, `<stmt>`
// beside `/p1`), nothing was replaced, and an entry the re-issue corrected or took out counted on.
describe('a camt.053 statement re-issued in another number of pages', () => {
  const lake = useTempLake();
  const ID = 'charity-eur/camt.053/EUR-2026-11-20';
  const T1 = '2026-11-20T22:00:00Z';
  const T2 = '2026-11-21T09:00:00Z';
  // Page 3 of the first issue: interest (the bank's reference INT-1) and a 10.00 cheque without one.
  const PAGE3: CamtEntryInput[] = [
    { amount_minor: 300, booking_date: '2026-11-20', entry_reference: 'INT-1', remittance: 'INTEREST' },
    { amount_minor: 1_000, booking_date: '2026-11-20', remittance: 'CHEQUE 100234' },
  ];
  // The first issue in three pages: 100.00 -> 137.50 -> 169.50 -> 182.50.
  const threePages = [page(1, false, T1, 10_000, PAGE1), page(2, false, T1, 13_750, PAGE2), page(3, true, T1, 16_950, PAGE3)];
  // Re-issued next morning in two pages: the interest moves to page 2, and the cheque was 11.00, not 10.00.
  // The PayPal transfer of page 2 corrected: 25.20, not 25.00 (no AcctSvcrRef, so another line id).
  const PAYPAL_25_20: CamtEntryInput = { amount_minor: 2_520, booking_date: '2026-11-20', remittance: 'PAYPAL TRANSFER' };
  const CHEQUE_11 = { amount_minor: 1_100, booking_date: '2026-11-20', remittance: 'CHEQUE 100234' };
  const twoPages = [page(1, false, T2, 10_000, PAGE1), page(2, true, T2, 13_750, [...PAGE2, PAGE3[0]!, CHEQUE_11])];

  const booked = () => lake.q(`SELECT amount_minor, statement_id FROM recon_bank_booked WHERE account = 'charity-eur' ORDER BY amount_minor`);
  const statementBreaks = () => lake.q("SELECT break_type, object_id, reason FROM recon_breaks WHERE break_type LIKE 'STATEMENT_%' ORDER BY 1, 2");
  const importAll = async (files: readonly string[]) => {
    for (const [i, bytes] of files.entries()) expect(await importBankFile(lake.rt.queue, { name: `f${i}.xml`, bytes })).toMatchObject({ status: 'imported' });
    await lake.land();
  };
  const reissuedInTwo = [
    { amount_minor: -1_200, statement_id: `${ID}/p1` },
    { amount_minor: 300, statement_id: `${ID}/p2` },
    { amount_minor: 700, statement_id: `${ID}/p2` },
    { amount_minor: 1_100, statement_id: `${ID}/p2` },
    { amount_minor: 2_500, statement_id: `${ID}/p2` },
    { amount_minor: 4_950, statement_id: `${ID}/p1` },
  ];

  for (const [order, files] of [['the re-issue imported last', [...threePages, ...twoPages]], ['the re-issue imported first', [...twoPages, ...threePages]]] as const) {
    it(`3 pages re-issued in 2, ${order}: the old page 3's lines leave, nothing counts twice, no break`, async () => {
      await importAll(files);
      // Until 2026-12-05 the 10.00 cheque of the old page 3 stayed booked beside the 11.00 one: 93.50, not 83.50.
      expect(await booked()).toEqual(reissuedInTwo);
      // ...and the old page 3, opening at 169.50 after a page 2 that now closes at 183.50, was a STATEMENT_GAP.
      expect(await statementBreaks()).toEqual([]);
      // The lake keeps what was received: the old page 3 and its cheque, and a next day that follows the re-issue.
      expect(await lake.q(`SELECT count(*) AS n FROM bank_line WHERE statement_id = '${ID}/p3'`)).toEqual([{ n: 1 }]);
      expect(await lake.q(`SELECT bank_statement_id, last_page FROM bank_statement ORDER BY 1`)).toEqual([
        { bank_statement_id: `${ID}/p1`, last_page: false },
        { bank_statement_id: `${ID}/p2`, last_page: true },
        { bank_statement_id: `${ID}/p3`, last_page: true },
      ]);
    });
  }

  it("the next day's statement follows the re-issue's last page, not the withdrawn page 3", async () => {
    const nov21 = writeCamt({
      message_id: 'M-21', created_at: '2026-11-21T22:00:00Z',
      statements: [{ id: 'EUR-2026-11-21', account: 'charity-eur', currency: 'EUR', created_at: '2026-11-21T22:00:00Z', from: '2026-11-21T00:00:00Z', to: '2026-11-21T23:59:59Z', opening_balance_minor: 18_250, entries: [] }],
    });
    // It opens where the old page 3 closed (182.50), not where the re-issued statement ends (183.50): a gap, which
    // until 2026-12-05 the old page 3 hid.
    await importAll([...threePages, ...twoPages, nov21]);
    expect(await lake.q("SELECT object_id, amount_minor, related_ids, reason FROM recon_breaks WHERE break_type LIKE 'STATEMENT_%'")).toEqual([{
      object_id: 'charity-eur/camt.053/EUR-2026-11-21', amount_minor: -100, related_ids: `${ID}/p2`,
      reason: 'opens at 182.50 EUR but the previous statement of the account closed at 183.50 EUR: a statement is missing, or a balance is wrong',
    }]);
  });

  it('an old page 3 that did not add up is corrected by the re-issue that ends before it', async () => {
    await importAll([page(1, false, T1, 10_000, PAGE1), page(2, false, T1, 13_750, PAGE2)]);
    expect(await importBankFile(lake.rt.queue, { name: 'p3.xml', bytes: page(3, true, T1, 16_950, PAGE3, 99_999) })).toMatchObject({ status: 'unbalanced' });
    await importAll(twoPages);
    expect(await booked()).toEqual(reissuedInTwo);
    expect(await statementBreaks()).toEqual([]);
  });

  it('a later page 1 not marked last says nothing of where the statement ends: the 2-page re-issue still stands', async () => {
    await importAll([...threePages, ...twoPages, page(1, false, '2026-11-22T09:00:00Z', 10_000, PAGE1)]);
    expect(await booked()).toEqual(reissuedInTwo);
    expect(await statementBreaks()).toEqual([]);
  });

  it('a page re-issued without LastPgInd true replaces that page only: the later pages stand', async () => {
    await importAll(threePages);
    // Page 2 corrected: the PayPal transfer was 25.20, less a 0.20 charge; the page still closes at 169.50.
    const corrected: CamtEntryInput[] = [PAGE2[0]!, PAYPAL_25_20, { amount_minor: -20, booking_date: '2026-11-20', entry_reference: 'CHG-1', remittance: 'CHARGE' }];
    await importAll([page(2, false, T2, 13_750, corrected)]);
    expect(await booked()).toEqual([
      { amount_minor: -1_200, statement_id: `${ID}/p1` },
      { amount_minor: -20, statement_id: `${ID}/p2` },
      { amount_minor: 300, statement_id: `${ID}/p3` },
      { amount_minor: 700, statement_id: `${ID}/p2` },
      { amount_minor: 1_000, statement_id: `${ID}/p3` },
      { amount_minor: 2_520, statement_id: `${ID}/p2` },
      { amount_minor: 4_950, statement_id: `${ID}/p1` },
    ]);
    expect(await statementBreaks()).toEqual([]);
  });

  it('a 2-page re-issue whose last page does not add up withdraws nothing', async () => {
    await importAll([...threePages, twoPages[0]!]);
    expect(await importBankFile(lake.rt.queue, { name: 'p2.xml', bytes: page(2, true, T2, 13_750, [...PAGE2, PAGE3[0]!, CHEQUE_11], 99_999) })).toMatchObject({ status: 'unbalanced' });
    await lake.land();
    expect(await lake.q("SELECT sum(amount_minor) AS total FROM recon_bank_booked WHERE account = 'charity-eur'")).toEqual([{ total: 8_250 }]);
  });

  // Paged, then unpaged: the bank takes out the fee booked in error and corrects the PayPal transfer to 25.20.
  const WHOLE_FIXED: CamtEntryInput[] = [PAGE1[0]!, PAGE2[0]!, PAYPAL_25_20];
  const twoOld = [page(1, false, T1, 10_000, PAGE1), page(2, true, T1, 13_750, PAGE2)];
  for (const [order, files] of [['the re-issue imported last', [...twoOld, whole(T2, 10_000, WHOLE_FIXED)]], ['the re-issue imported first', [whole(T2, 10_000, WHOLE_FIXED), ...twoOld]]] as const) {
    it(`a statement in pages re-issued unpaged, ${order}: it replaces every page`, async () => {
      await importAll(files);
      // Until 2026-12-05 the fee (page 1) and the 25.00 transfer (page 2) stayed booked beside the re-issue.
      expect(await booked()).toEqual([
        { amount_minor: 700, statement_id: ID },
        { amount_minor: 2_520, statement_id: ID },
        { amount_minor: 4_950, statement_id: ID },
      ]);
      expect(await statementBreaks()).toEqual([]);
    });
  }

  // Unpaged, then paged: the paged re-issue corrects the PayPal transfer to 25.20 on its page 2.
  const WHOLE_OLD: CamtEntryInput[] = [...PAGE1, ...PAGE2];
  const FIXED_PAGE2: CamtEntryInput[] = [PAGE2[0]!, PAYPAL_25_20];
  const pagedNew = [page(1, false, T2, 10_000, PAGE1), page(2, true, T2, 13_750, FIXED_PAGE2)];
  for (const [order, files] of [['the re-issue imported last', [whole(T1, 10_000, WHOLE_OLD), ...pagedNew]], ['the re-issue imported first', [...pagedNew, whole(T1, 10_000, WHOLE_OLD)]]] as const) {
    it(`an unpaged statement re-issued in pages, ${order}: page 1 replaces it`, async () => {
      await importAll(files);
      // Until 2026-12-05 the 25.00 transfer of the unpaged issue stayed booked beside the 25.20 one.
      expect(await booked()).toEqual([
        { amount_minor: -1_200, statement_id: `${ID}/p1` },
        { amount_minor: 700, statement_id: `${ID}/p2` },
        { amount_minor: 2_520, statement_id: `${ID}/p2` },
        { amount_minor: 4_950, statement_id: `${ID}/p1` },
      ]);
      expect(await statementBreaks()).toEqual([]);
    });
  }

  it('an unpaged statement that did not add up is corrected by the paged re-issue', async () => {
    expect(await importBankFile(lake.rt.queue, { name: 'old.xml', bytes: whole(T1, 10_000, WHOLE_OLD).replace('<Amt Ccy="EUR">169.50</Amt>', '<Amt Ccy="EUR">999.99</Amt>') })).toMatchObject({ status: 'unbalanced' });
    await importAll(pagedNew);
    expect(await statementBreaks()).toEqual([]);
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
