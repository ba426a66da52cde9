import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeCamt, type CamtEntryInput } from '../connectors/bank/camt-writer.js';
import { describeImport, fileSha256, importBankFile, parseImportOptions, readBankFile, type ImportOptions } from '../connectors/bank/import-file.js';
import type { Statement } from '../connectors/bank/statement.js';
import { statementEnvelopes } from '../connectors/bank/to-envelopes.js';
import { buildServer } from '../core/http/server.js';
import { log } from '../core/log.js';
import { systemClock } from '../core/ports.js';
import { startBankInbox } from '../infra/local/bank-inbox.js';
import { tempLake } from './support/temp-lake.js';

// Bank files through the real path: import -> SQLite queue -> landing (Parquet) -> DuckDB views.

const fixture = (name: string) => readFileSync(new URL(`./fixtures/bank/${name}`, import.meta.url));

type Lake = Awaited<ReturnType<typeof tempLake>>;

describe('importing bank statements into the lake', () => {
  let lake: Lake;
  beforeEach(async () => {
    lake = await tempLake(systemClock);
  });
  afterEach(async () => {
    await lake.close();
  });

  it('lands one bank_line per entry, batch details and the statement; importing the file again changes nothing', async () => {
    const file = { name: 'stmt.xml', bytes: fixture('camt053_v02_4entries_batch.xml') };
    const first = await importBankFile(lake.rt.queue, file);
    expect(first).toMatchObject({ status: 'imported', format: 'camt.053', statements: 1, entries: 4, lines: 4 });
    await lake.land();
    const second = await importBankFile(lake.rt.queue, file);
    // The second import cannot tell new lines from lines already there (an import may still be on the queue), so
    // it says what it sent and that nothing is counted twice, not "4 imported" again.
    expect(describeImport('stmt.xml', second)).toContain('4 bank lines sent; lines already imported are not counted twice');
    await lake.land();
    const lines = await lake.q('SELECT bank_line_id, amount_minor, currency, CAST(booking_date AS VARCHAR) AS booked, status, counterparty, batch_count FROM bank_line ORDER BY bank_line_id');
    expect(lines).toEqual([
      // The sample's counterparties are account holders' names: left out (see the counterparty test below).
      { bank_line_id: 'DE14740618130000033626/2013122710583450000', amount_minor: -200, currency: 'EUR', booked: '2013-12-27', status: 'booked', counterparty: null, batch_count: null },
      { bank_line_id: 'DE14740618130000033626/2013122710583600000', amount_minor: -300, currency: 'EUR', booked: '2013-12-27', status: 'booked', counterparty: null, batch_count: null },
      { bank_line_id: 'DE14740618130000033626/2013122711085260000', amount_minor: 100, currency: 'EUR', booked: '2013-12-27', status: 'booked', counterparty: null, batch_count: null },
      { bank_line_id: 'DE14740618130000033626/2013122711513230000', amount_minor: -600, currency: 'EUR', booked: '2013-12-27', status: 'booked', counterparty: null, batch_count: 2 },
    ]);
    expect(await lake.q('SELECT count(*) AS n, sum(amount_minor) AS total FROM bank_line_detail')).toEqual([{ n: 2, total: -600 }]);
    expect(await lake.q('SELECT balanced, opening_balance_minor, closing_balance_minor, entry_count FROM bank_statement')).toEqual([
      { balanced: true, opening_balance_minor: 3306, closing_balance_minor: 2306, entry_count: 4 },
    ]);
    // The raw trail points into the file (its hash) and holds no counterparty name.
    const raw = await lake.q("SELECT DISTINCT CAST(json_extract(envelope, '$.raw') AS VARCHAR) AS raw FROM raw WHERE contract = 'bank_line'");
    expect(raw).toEqual([{ raw: `{"file_sha256":"${first.file_sha256}"}` }]);
    const [stmt] = await lake.q("SELECT json_extract_string(envelope, '$.raw.file') AS file FROM raw WHERE contract = 'bank_statement'");
    expect(stmt).toEqual({ file: 'stmt.xml' });
  });

  it('keeps counterparty names out of the lake and the raw trail, but for the payment providers reconciliation looks for', async () => {
    // The tester's camt.054: a 25.00 credit from a donor paying by transfer, named in Dbtr/Pty/Nm.
    expect(await importBankFile(lake.rt.queue, { name: 'ntf1.xml', bytes: fixture('camt054_tester_ntf1.xml') })).toMatchObject({ status: 'imported', lines: 1 });
    const day = '2026-12-01';
    const xml = writeCamt({
      version: 8, message_id: 'm', created_at: `${day}T23:00:00Z`,
      statements: [{ id: 'S', account: 'GB33BUKB20201555555555', currency: 'GBP', created_at: `${day}T23:00:00Z`, opening_balance_minor: 0, entries: [
        { amount_minor: 12_000, booking_date: day, entry_reference: 'P1', remittance: 'CHARITY', counterparty: 'Stripe Payments UK Ltd' },
        { amount_minor: -4_000, booking_date: day, entry_reference: 'P2', remittance: 'INV 7', counterparty: 'Acme Supplies Ltd' },
        { amount_minor: 1_000, booking_date: day, entry_reference: 'P3', details: [{ amount_minor: 400, counterparty: 'Jane Donor' }, { amount_minor: 600, counterparty: 'PAYPAL EUROPE' }] },
      ] }],
    });
    expect((await importBankFile(lake.rt.queue, { name: 'stmt.xml', bytes: xml })).status).toBe('imported');
    await lake.land();
    expect(await lake.q("SELECT count(*) AS n FROM raw WHERE envelope LIKE '%Donor Person%' OR envelope LIKE '%Jane Donor%' OR envelope LIKE '%Acme%'")).toEqual([{ n: 0 }]);
    expect(await lake.q('SELECT entry_reference, counterparty FROM bank_line ORDER BY amount_minor')).toEqual([
      { entry_reference: 'P2', counterparty: null },
      { entry_reference: 'P3', counterparty: null },
      { entry_reference: null, counterparty: null },
      { entry_reference: 'P1', counterparty: 'Stripe Payments UK Ltd' },
    ]);
    expect(await lake.q('SELECT amount_minor, counterparty FROM bank_line_detail ORDER BY amount_minor')).toEqual([
      { amount_minor: 400, counterparty: null },
      { amount_minor: 600, counterparty: 'PAYPAL EUROPE' },
    ]);
  });

  /**
   * What an import before content ids published: `account/<entry reference>` (camt AcctSvcrRef, else NtryRef),
   * else position ids `account/day/amount currency/n`, n counting in the file.
   */
  const importedBefore = async (name: string, bytes: Buffer | string, opts: ImportOptions = {}) => {
    const { result } = readBankFile(bytes, opts);
    const seen = new Map<string, number>();
    const positionIds = (s: Statement) =>
      s.entries.map((e) => {
        if (e.entry_reference) return `${s.account}/${e.entry_reference}`;
        const k = `${s.account}/${e.booking_date ?? e.value_date}/${e.amount_minor}${e.currency}`;
        seen.set(k, (seen.get(k) ?? 0) + 1);
        return `${k}/${seen.get(k)}`;
      });
    const file = { name, sha256: fileSha256(bytes), received_at: new Date().toISOString(), delivery_id: `old:${name}` };
    await lake.rt.queue.publish(result.statements.flatMap((s, i) => statementEnvelopes(s, i, file, [], positionIds(s))));
  };

  it('an import after the upgrade keeps the ids lines imported before content ids have, so nothing is counted twice', async () => {
    const hsbc = { layout: 'hsbc', account: 'X' };
    // Before the upgrade: both notifications (the second overwrote the first, both `.../2500GBP/1`) and the morning export.
    await importedBefore('ntf1.xml', fixture('camt054_tester_ntf1.xml'));
    await importedBefore('ntf2.xml', fixture('camt054_tester_ntf2.xml'));
    await importedBefore('am.csv', fixture('hsbc_tester_am.csv'), hsbc);
    await lake.land();
    expect(await lake.q('SELECT bank_line_id, reference FROM bank_line ORDER BY 1')).toEqual([
      { bank_line_id: 'GB29NWBK60161331926819/2026-11-25/2500GBP/1', reference: 'DONATION REF D2' },
      { bank_line_id: 'X/2026-11-26/2500GBP/1', reference: 'DONOR A GIFT' },
    ]);

    // After it: the same files again, the afternoon export and the whole day's export, reading the lake.
    const again = await importBankFile(lake.rt.queue, { name: 'ntf2.xml', bytes: fixture('camt054_tester_ntf2.xml') }, {}, lake.rt.query);
    expect(again.kept_earlier_ids).toBe(1);
    expect(describeImport('ntf2.xml', again)).toContain('1 bank line sent (1 of them imported before their ids changed: they keep the ids they were given then); lines already imported are not counted twice');
    // The first notification's line was lost to the collision: it comes back under its content id.
    expect(await importBankFile(lake.rt.queue, { name: 'ntf1.xml', bytes: fixture('camt054_tester_ntf1.xml') }, {}, lake.rt.query)).toMatchObject({ lines: 1, kept_earlier_ids: 0 });
    for (const name of ['hsbc_tester_am.csv', 'hsbc_tester_pm.csv']) await importBankFile(lake.rt.queue, { name, bytes: fixture(name) }, hsbc, lake.rt.query);
    const day = 'Date,Description,Amount\n26/11/2026,DONOR B GIFT,25.00\n26/11/2026,DONOR A GIFT,25.00\n';
    expect(await importBankFile(lake.rt.queue, { name: 'day.csv', bytes: day }, hsbc, lake.rt.query)).toMatchObject({ lines: 2, kept_earlier_ids: 1 });
    await lake.land();
    expect(await lake.q('SELECT bank_line_id, reference, amount_minor FROM bank_line ORDER BY reference')).toEqual([
      { bank_line_id: expect.stringMatching(/^GB29NWBK60161331926819\/2026-11-25\/2500GBP\/[0-9a-f]{16}\/1$/), reference: 'DONATION REF D1', amount_minor: 2_500 },
      { bank_line_id: 'GB29NWBK60161331926819/2026-11-25/2500GBP/1', reference: 'DONATION REF D2', amount_minor: 2_500 },
      { bank_line_id: 'X/2026-11-26/2500GBP/1', reference: 'DONOR A GIFT', amount_minor: 2_500 },
      { bank_line_id: expect.stringMatching(/^X\/2026-11-26\/2500GBP\/[0-9a-f]{16}\/1$/), reference: 'DONOR B GIFT', amount_minor: 2_500 },
    ]);
  });

  /** Two days' camt.053 from a bank that numbers NtryRef per statement and gives no AcctSvcrRef. */
  const numbered = {
    monday: writeCamt({
      message_id: 'm1', created_at: '2026-11-30T23:00:00Z',
      statements: [{ id: 'S-1130', account: 'GB33BUKB20201555555555', currency: 'GBP', created_at: '2026-11-30T23:00:00Z', opening_balance_minor: 0, entries: [
        { ntry_ref: '1', amount_minor: 2_500, booking_date: '2026-11-30', remittance: 'GIFT A', end_to_end_id: 'E-A', counterparty: 'Donor A' },
        { ntry_ref: '2', amount_minor: -100, booking_date: '2026-11-30', remittance: 'FEE' },
      ] }],
    }),
    tuesday: writeCamt({
      message_id: 'm2', created_at: '2026-12-01T23:00:00Z',
      statements: [{ id: 'S-1201', account: 'GB33BUKB20201555555555', currency: 'GBP', created_at: '2026-12-01T23:00:00Z', opening_balance_minor: 2_400, entries: [
        { ntry_ref: '1', amount_minor: 4_000, booking_date: '2026-12-01', remittance: 'GIFT B', end_to_end_id: 'E-B', counterparty: 'Donor B' },
      ] }],
    }),
  };
  const lineSums = () => lake.q('SELECT count(*) AS n, sum(amount_minor) AS total FROM bank_line');

  it('two statements that each number their entries 1, 2, ... (NtryRef, no AcctSvcrRef) give a line per entry, each once however often imported', async () => {
    for (const [name, xml] of [['mon.xml', numbered.monday], ['tue.xml', numbered.tuesday], ['mon.xml', numbered.monday], ['tue.xml', numbered.tuesday]]) {
      expect(await importBankFile(lake.rt.queue, { name: name!, bytes: xml! }, {}, lake.rt.query)).toMatchObject({ status: 'imported', kept_earlier_ids: 0 });
    }
    await lake.land();
    // Tuesday's entry 1 is not Monday's: under `account/1` it replaced it, and 25.00 was gone from reconciliation.
    const hashed = (day: string, amount: number) => new RegExp(`^GB33BUKB20201555555555/${day}/${amount}GBP/[0-9a-f]{16}/1$`);
    expect(await lake.q('SELECT bank_line_id, entry_reference, reference FROM bank_line ORDER BY reference')).toEqual([
      { bank_line_id: expect.stringMatching(hashed('2026-11-30', -100)), entry_reference: '2', reference: 'FEE' },
      { bank_line_id: expect.stringMatching(hashed('2026-11-30', 2_500)), entry_reference: '1', reference: 'GIFT A' },
      { bank_line_id: expect.stringMatching(hashed('2026-12-01', 4_000)), entry_reference: '1', reference: 'GIFT B' },
    ]);
    expect(await lineSums()).toEqual([{ n: 3, total: 6_400 }]);
  });

  it('an import after the upgrade keeps the NtryRef ids lines were imported under, and brings back the line one overwrote', async () => {
    // Before the upgrade: Monday's `account/1` and `account/2`, then Tuesday's `account/1` over Monday's.
    await importedBefore('mon.xml', numbered.monday);
    await importedBefore('tue.xml', numbered.tuesday);
    await lake.land();
    expect(await lake.q('SELECT bank_line_id, reference FROM bank_line ORDER BY 1')).toEqual([
      { bank_line_id: 'GB33BUKB20201555555555/1', reference: 'GIFT B' },
      { bank_line_id: 'GB33BUKB20201555555555/2', reference: 'FEE' },
    ]);
    // After it, both files again: the fee and Tuesday's gift keep their lines; Monday's gift, which no line holds
    // any more, gets its content id.
    const monday = await importBankFile(lake.rt.queue, { name: 'mon.xml', bytes: numbered.monday }, {}, lake.rt.query);
    expect(monday).toMatchObject({ lines: 2, kept_earlier_ids: 1 });
    expect(describeImport('mon.xml', monday)).toContain('2 bank lines sent (1 of them imported before their ids changed: they keep the ids they were given then); lines already imported are not counted twice');
    expect(await importBankFile(lake.rt.queue, { name: 'tue.xml', bytes: numbered.tuesday }, {}, lake.rt.query)).toMatchObject({ lines: 1, kept_earlier_ids: 1 });
    await lake.land();
    expect(await lake.q('SELECT bank_line_id, reference FROM bank_line ORDER BY reference')).toEqual([
      { bank_line_id: 'GB33BUKB20201555555555/2', reference: 'FEE' },
      { bank_line_id: expect.stringMatching(/^GB33BUKB20201555555555\/2026-11-30\/2500GBP\/[0-9a-f]{16}\/1$/), reference: 'GIFT A' },
      { bank_line_id: 'GB33BUKB20201555555555/1', reference: 'GIFT B' },
    ]);
    expect(await lineSums()).toEqual([{ n: 3, total: 6_400 }]);
  });

  it('a camt.052 then the camt.053 with the same entries (and more) gives one bank_line per entry, the 053 version current', async () => {
    const created052 = '2026-12-01T11:00:00Z';
    const created053 = '2026-12-01T23:00:00Z';
    const early: CamtEntryInput[] = [
      { amount_minor: 500, booking_date: '2026-12-01', remittance: 'gift' },
      { amount_minor: 2_000, booking_date: '2026-12-01', entry_reference: 'BANKREF-1', remittance: 'PUDDLE PO 1' },
    ];
    const later: CamtEntryInput[] = [{ amount_minor: -150, booking_date: '2026-12-01', remittance: 'fee' }, ...early, { amount_minor: 500, booking_date: '2026-12-01', remittance: 'another gift' }];
    const stmt = (entries: CamtEntryInput[], created: string) => ({ id: `S-${created}`, account: 'GB33BUKB20201555555555', currency: 'GBP', created_at: created, opening_balance_minor: 10_000, entries });
    const r052 = await importBankFile(lake.rt.queue, { name: 'a.xml', bytes: writeCamt({ kind: '052', message_id: 'a', created_at: created052, statements: [stmt(early, created052)] }) });
    const r053 = await importBankFile(lake.rt.queue, { name: 'b.xml', bytes: writeCamt({ kind: '053', message_id: 'b', created_at: created053, statements: [stmt(later, created053)] }) });
    expect([r052.status, r053.status]).toEqual(['imported', 'imported']);
    await lake.land();
    const lines = await lake.q('SELECT bank_line_id, amount_minor, reference, source_format FROM bank_line ORDER BY amount_minor, reference');
    // Lines without a bank reference are told apart by a hash of their details (here the remittance text).
    const hashed = (amount: number) => new RegExp(`^GB33BUKB20201555555555/2026-12-01/${amount}GBP/[0-9a-f]{16}/1$`);
    expect(lines).toEqual([
      { bank_line_id: expect.stringMatching(hashed(-150)), amount_minor: -150, reference: 'fee', source_format: 'camt.053' },
      { bank_line_id: expect.stringMatching(hashed(500)), amount_minor: 500, reference: 'another gift', source_format: 'camt.053' },
      { bank_line_id: expect.stringMatching(hashed(500)), amount_minor: 500, reference: 'gift', source_format: 'camt.053' },
      { bank_line_id: 'GB33BUKB20201555555555/BANKREF-1', amount_minor: 2_000, reference: 'PUDDLE PO 1', source_format: 'camt.053' },
    ]);
  });

  it('keeps two notifications\' (or two exports\') equal credits of one day apart, and counts each once however often it comes', async () => {
    // The tester's camt.054s: one 25.00 credit each, 2026-11-25, no AcctSvcrRef, different end-to-end ids and text.
    const ntf1 = { name: 'ntf1.xml', bytes: fixture('camt054_tester_ntf1.xml') };
    const ntf2 = { name: 'ntf2.xml', bytes: fixture('camt054_tester_ntf2.xml') };
    // Their HSBC exports: a morning and an afternoon one, a 25.00 row each on 26/11/2026; later the whole day's.
    const am = { name: 'am.csv', bytes: fixture('hsbc_tester_am.csv') };
    const pm = { name: 'pm.csv', bytes: fixture('hsbc_tester_pm.csv') };
    const day = { name: 'day.csv', bytes: 'Date,Description,Amount\n26/11/2026,DONOR B GIFT,25.00\n26/11/2026,DONOR A GIFT,25.00\n' };
    const hsbc = { layout: 'hsbc', account: 'X' };
    for (const f of [ntf1, ntf2, ntf1]) expect(await importBankFile(lake.rt.queue, f)).toMatchObject({ status: 'imported', lines: 1 });
    for (const f of [am, pm, am]) expect(await importBankFile(lake.rt.queue, f, hsbc)).toMatchObject({ status: 'imported', lines: 1 });
    expect(await importBankFile(lake.rt.queue, day, hsbc)).toMatchObject({ status: 'imported', lines: 2 });
    await lake.land();
    expect(await lake.q('SELECT account, reference, amount_minor FROM bank_line ORDER BY account, reference')).toEqual([
      { account: 'GB29NWBK60161331926819', reference: 'DONATION REF D1', amount_minor: 2_500 },
      { account: 'GB29NWBK60161331926819', reference: 'DONATION REF D2', amount_minor: 2_500 },
      { account: 'X', reference: 'DONOR A GIFT', amount_minor: 2_500 },
      { account: 'X', reference: 'DONOR B GIFT', amount_minor: 2_500 },
    ]);
  });

  it('a file that does not add up imports no lines: an unbalanced bank_statement and a quarantine row naming the problem', async () => {
    const r = await importBankFile(lake.rt.queue, { name: 'ing.xml', bytes: fixture('camt053_v02_ing_batch_txssummry.xml') });
    expect(r.status).toBe('unbalanced');
    await lake.land();
    expect(await lake.q('SELECT count(*) AS n FROM bank_line')).toEqual([{ n: 0 }]);
    expect(await lake.q('SELECT bank_statement_id, balanced, file_name FROM bank_statement WHERE NOT balanced')).toEqual([
      { bank_statement_id: 'NL18INGB00012345678/camt.053/2019062434566666666666666', balanced: false, file_name: 'ing.xml' },
    ]);
    const [q] = await lake.q("SELECT contract, reasons FROM quarantine WHERE source = 'bank'");
    expect(q!.contract).toBe('bank_statement');
    const reasons = JSON.parse(q!.reasons as string) as { path: string; message: string }[];
    expect(reasons[0]).toEqual({ path: 'Stmt[1] (line 8): closing balance', message: expect.stringContaining('but the closing balance is 23038.20 EUR') });
  });

  it('a corrected CSV export closes the unbalanced one\'s break, and the break says what was wrong', async () => {
    const lloyds = { layout: 'lloyds' };
    const breaks = () => lake.q("SELECT object_id, reason FROM recon_breaks WHERE break_type = 'STATEMENT_UNBALANCED'");
    expect(await importBankFile(lake.rt.queue, { name: 'export.csv', bytes: fixture('lloyds_online_export.csv') }, lloyds)).toMatchObject({ status: 'unbalanced' });
    await lake.land();
    const [open] = await breaks();
    expect(open!.object_id).toMatch(/^99-88-74 1515152252\/csv\/sha256:[0-9a-f]{16}\/1$/);
    expect(open!.reason).toBe(
      'statement 1: closing balance: opening 5926.70 GBP + booked entries -3881.99 GBP = 2044.71 GBP, but the closing balance is 2040.59 GBP (off by -4.12 GBP); ' +
        'line 6: balance 6029.49 GBP does not follow from the previous balance 6039.58 GBP and this amount -5.97 GBP: expected 6033.61 GBP',
    );
    // A balanced export of part of the period (January's three rows) is not a correction of the whole.
    const fixed = fixture('lloyds_online_export_fixed.csv').toString('utf8');
    const january = fixed.split('\n').slice(0, 4).join('\n');
    expect(await importBankFile(lake.rt.queue, { name: 'january.csv', bytes: january }, lloyds)).toMatchObject({ status: 'imported', lines: 3 });
    await lake.land();
    expect((await breaks()).map((b) => b.object_id)).toEqual([open!.object_id]);
    // The corrected export of the whole period: another file, so another statement id; the break closes.
    expect(await importBankFile(lake.rt.queue, { name: 'fixed.csv', bytes: fixed }, lloyds)).toMatchObject({ status: 'imported', lines: 12 });
    await lake.land();
    expect(await breaks()).toEqual([]);
    expect(await lake.q('SELECT balanced, count(*) AS n FROM bank_statement GROUP BY 1 ORDER BY 1')).toEqual([{ balanced: false, n: 1 }, { balanced: true, n: 2 }]);
    expect(await lake.q('SELECT count(*) AS n FROM bank_line')).toEqual([{ n: 12 }]);
  });

  it('a camt.053 re-issued under its id replaces the first issue: a corrected amount is counted once, a withdrawn entry not at all', async () => {
    // The finance lead's case: the bank booked a Stripe payout as 49.50 EUR (no AcctSvcrRef, so the line's id holds
    // the amount) and a 7.00 credit in error, then re-issued the day's statement with 49.05 and without the error.
    const issue = (created: string, entries: CamtEntryInput[], closing?: number) =>
      writeCamt({
        message_id: `M-${created}`,
        created_at: created,
        statements: [{ id: 'EUR-2026-11-20', account: 'charity-eur', currency: 'EUR', created_at: created, opening_balance_minor: 10_000, closing_balance_minor: closing, entries }],
      });
    const fee: CamtEntryInput = { amount_minor: -1_200, booking_date: '2026-11-20', entry_reference: 'FEE-1', remittance: 'ACCOUNT FEE' };
    const first = issue('2026-11-20T22:00:00Z', [
      { amount_minor: 4_950, booking_date: '2026-11-20', remittance: 'STRIPE PAYOUT XMASEUR1' },
      fee,
      { amount_minor: 700, booking_date: '2026-11-20', entry_reference: 'ERR-1', remittance: 'STRIPE PAYMENTS' },
    ]);
    const reissued = issue('2026-11-21T09:00:00Z', [{ amount_minor: 4_905, booking_date: '2026-11-20', remittance: 'STRIPE PAYOUT XMASEUR1' }, fee]);
    expect(await importBankFile(lake.rt.queue, { name: 'first.xml', bytes: first })).toMatchObject({ status: 'imported', lines: 3 });
    await lake.land();
    expect(await importBankFile(lake.rt.queue, { name: 'reissued.xml', bytes: reissued })).toMatchObject({ status: 'imported', lines: 2 });
    await lake.land();
    const booked = () => lake.q("SELECT amount_minor FROM recon_bank_booked WHERE account = 'charity-eur' ORDER BY amount_minor");
    // bank_line is the lake as received (both issues' lines); reconciliation counts what the statement now holds.
    expect(await lake.q("SELECT count(*) AS n FROM bank_line WHERE account = 'charity-eur'")).toEqual([{ n: 4 }]);
    expect(await booked()).toEqual([{ amount_minor: -1_200 }, { amount_minor: 4_905 }]);
    const unexplained = "SELECT amount_minor FROM recon_breaks WHERE break_type = 'BANK_LINE_NO_PAYOUT' AND object_id LIKE 'charity-eur/%' ORDER BY 1";
    expect(await lake.q(unexplained)).toEqual([{ amount_minor: 4_905 }]);
    // A later issue that does not add up imports no lines, and withdraws none.
    const broken = issue('2026-11-22T09:00:00Z', [{ amount_minor: 4_905, booking_date: '2026-11-20', remittance: 'STRIPE PAYOUT XMASEUR1' }], 99_999);
    expect(await importBankFile(lake.rt.queue, { name: 'broken.xml', bytes: broken })).toMatchObject({ status: 'unbalanced' });
    await lake.land();
    expect(await booked()).toEqual([{ amount_minor: -1_200 }, { amount_minor: 4_905 }]);
  });

  it('a statement imported again: the same file under another name changes nothing; another file with the same creation time withdraws nothing and is a STATEMENT_CONFLICT', async () => {
    // The re-issue rule used to link lines to an issue by the import's delivery, but the lake keeps a line's version
    // once, at its first arrival: a line an import carries unchanged (same creation time, same details) kept the
    // first import's delivery and read as withdrawn.
    const issue = (entries: CamtEntryInput[]) =>
      writeCamt({
        message_id: 'M-1',
        created_at: '2026-11-20T22:00:00Z',
        statements: [{ id: 'GBP-2026-11-20', account: 'charity-gbp', currency: 'GBP', created_at: '2026-11-20T22:00:00Z', opening_balance_minor: 10_000, entries }],
      });
    const payout: CamtEntryInput = { amount_minor: 4_950, booking_date: '2026-11-20', remittance: 'STRIPE PAYOUT PO_NOV20' };
    const fee: CamtEntryInput = { amount_minor: -1_200, booking_date: '2026-11-20', entry_reference: 'FEE-1', remittance: 'ACCOUNT FEE' };
    const first = issue([payout, fee, { amount_minor: 700, booking_date: '2026-11-20', entry_reference: 'ERR-1', remittance: 'STRIPE PAYMENTS' }]);
    const booked = () => lake.q("SELECT amount_minor FROM recon_bank_booked WHERE account = 'charity-gbp' ORDER BY amount_minor");
    const conflicts = () => lake.q("SELECT object_id, amount_minor, reason FROM recon_breaks WHERE break_type = 'STATEMENT_CONFLICT'");
    const all = [{ amount_minor: -1_200 }, { amount_minor: 700 }, { amount_minor: 4_950 }];
    expect(await importBankFile(lake.rt.queue, { name: 'nov20.xml', bytes: first })).toMatchObject({ status: 'imported', lines: 3 });
    await lake.land();
    expect(await booked()).toEqual(all);
    // The browser saved the same download again as "nov20 (1).xml": the same issue, nothing withdrawn.
    expect(await importBankFile(lake.rt.queue, { name: 'nov20 (1).xml', bytes: first })).toMatchObject({ status: 'imported', lines: 3 });
    await lake.land();
    expect(await booked()).toEqual(all);
    expect(await conflicts()).toEqual([]);
    // A different file, same Stmt/Id and CreDtTm, without the 7.00: no bank re-issue (one is created later). Its
    // lines cannot be told from the first file's, so none is withdrawn, and the conflict is a break.
    const edited = issue([payout, fee]);
    expect(await importBankFile(lake.rt.queue, { name: 'nov20-edited.xml', bytes: edited })).toMatchObject({ status: 'imported', lines: 2 });
    await lake.land();
    expect(await booked()).toEqual(all);
    expect(await conflicts()).toEqual([{
      object_id: 'charity-gbp/camt.053/GBP-2026-11-20',
      amount_minor: -700,
      reason: "2 different files (nov20 (1).xml, nov20-edited.xml) carry this statement id created at 2026-11-20T22:00:00Z: a re-issue is created later, so which lines stand cannot be told; both files' lines are kept. Ask the bank to re-issue the statement and import that",
    }]);
    // The bank's re-issue, created later, stands: the conflict closes and the 7.00 is withdrawn.
    const reissued = writeCamt({
      message_id: 'M-2',
      created_at: '2026-11-21T09:00:00Z',
      statements: [{ id: 'GBP-2026-11-20', account: 'charity-gbp', currency: 'GBP', created_at: '2026-11-21T09:00:00Z', opening_balance_minor: 10_000, entries: [payout, fee] }],
    });
    expect(await importBankFile(lake.rt.queue, { name: 'nov20-reissued.xml', bytes: reissued })).toMatchObject({ status: 'imported', lines: 2 });
    await lake.land();
    expect(await booked()).toEqual([{ amount_minor: -1_200 }, { amount_minor: 4_950 }]);
    expect(await conflicts()).toEqual([]);
  });

  it('malformed XML publishes nothing', async () => {
    const bytes = Buffer.from(fixture('camt052_v02_intraday.xml').toString('utf8').replace('</Rpt>', '</Rptx>'));
    const r = await importBankFile(lake.rt.queue, { name: 'bad.xml', bytes });
    expect(r.status).toBe('malformed');
    expect(r.error).toMatch(/^line \d+, column \d+: malformed XML/);
    // Well-formed, but the 10th entry's booking date is not on the calendar: the reader refuses it (its element
    // named), so none of the file goes.
    const entries: CamtEntryInput[] = Array.from({ length: 12 }, (_, i) => ({ amount_minor: 100 + i, booking_date: i === 9 ? '2026-02-30' : '2026-02-27', entry_reference: `R${i}` }));
    const xml = writeCamt({ message_id: 'm', created_at: '2026-03-01T00:00:00Z', statements: [{ id: 'S', account: 'ACC', currency: 'GBP', created_at: '2026-03-01T00:00:00Z', opening_balance_minor: 0, entries }] });
    const bad = await importBankFile(lake.rt.queue, { name: 'date.xml', bytes: xml });
    expect(bad.status).toBe('malformed');
    expect(bad.error).toMatch(/^Stmt\[1\]\/Ntry\[10\] \(line \d+\): BookgDt is not a date \(YYYY-MM-DD\)/);
    await lake.land();
    expect(await lake.q('SELECT count(*) AS n FROM raw')).toEqual([{ n: 0 }]);
  });

  it('bank_line v1 events through POST /v1/events still land beside imported v2 lines', async () => {
    const app = buildServer({ queue: lake.rt.queue, apiKeys: ['k'] });
    try {
      const res = await app.inject({
        method: 'POST', url: '/v1/events', headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
        payload: { events: [{ contract: 'bank_line', version: 1, payload: { bank_line_id: 'manual-1', occurred_at: '2026-12-01T00:00:00Z', account: 'charity-current', amount_minor: 2_500, currency: 'GBP', reference: 'HMRC GIFT AID', booking_date: '2026-12-01' } }] },
      });
      expect(res.statusCode).toBe(202);
    } finally {
      await app.close();
    }
    await importBankFile(lake.rt.queue, { name: 'a.xml', bytes: fixture('camt052_v02_intraday.xml') });
    await lake.land();
    expect(await lake.q('SELECT bank_line_id, amount_minor, source_format FROM bank_line ORDER BY amount_minor')).toEqual([
      { bank_line_id: 'DE58740618130100033626/2013122710583450000', amount_minor: 200, source_format: 'camt.052' },
      { bank_line_id: 'DE58740618130100033626/2013122710583670000', amount_minor: 300, source_format: 'camt.052' },
      { bank_line_id: 'manual-1', amount_minor: 2_500, source_format: null },
    ]);
  });

  it('a bank_line posted through POST /v1/events keeps its counterparty only when it names a provider, in the lake and in raw', async () => {
    const app = buildServer({ queue: lake.rt.queue, apiKeys: ['k'] });
    const line = (id: string, amount: number, counterparty: string) => ({
      contract: 'bank_line', version: 2,
      payload: { bank_line_id: id, occurred_at: '2026-12-01T00:00:00Z', account: 'charity-current', amount_minor: amount, currency: 'GBP', reference: 'GIFT', booking_date: '2026-12-01', counterparty, source_format: 'api' },
    });
    const detail = { contract: 'bank_line_detail', version: 1, payload: { bank_line_detail_id: 'api-gift/1', occurred_at: '2026-12-01T00:00:00Z', bank_line_id: 'api-gift', amount_minor: 2_500, counterparty: 'Jane Donor' } };
    try {
      const res = await app.inject({
        method: 'POST', url: '/v1/events', headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
        payload: { events: [line('api-gift', 2_500, 'Jane Donor'), line('api-payout', 12_000, 'STRIPE PAYMENTS UK LTD'), detail] },
      });
      expect(res.statusCode).toBe(202);
    } finally {
      await app.close();
    }
    await lake.land();
    expect(await lake.q('SELECT bank_line_id, counterparty FROM bank_line ORDER BY 1')).toEqual([
      { bank_line_id: 'api-gift', counterparty: null },
      { bank_line_id: 'api-payout', counterparty: 'STRIPE PAYMENTS UK LTD' },
    ]);
    expect(await lake.q('SELECT counterparty FROM bank_line_detail')).toEqual([{ counterparty: null }]);
    // The raw trail keeps each event's shape, with the donor's name redacted and the provider's as sent.
    expect(await lake.q("SELECT count(*) AS n FROM raw WHERE envelope LIKE '%Jane Donor%'")).toEqual([{ n: 0 }]);
    expect(await lake.q("SELECT contract, json_extract_string(envelope, '$.raw.payload.counterparty') AS sent FROM raw ORDER BY 2, 1")).toEqual([
      { contract: 'bank_line', sent: 'STRIPE PAYMENTS UK LTD' },
      { contract: 'bank_line', sent: '[redacted]' },
      { contract: 'bank_line_detail', sent: '[redacted]' },
    ]);
  });

  it('the drop folder imports stable files, moves them to done/ or failed/ with a log, and skips temp names', async () => {
    const inbox = startBankInbox({ home: lake.home, queue: lake.rt.queue, intervalMs: 3_600_000 });
    const warned = vi.spyOn(log, 'warn');
    const informed = vi.spyOn(log, 'info');
    try {
      writeFileSync(join(inbox.dir, 'good.xml'), fixture('camt052_v02_intraday.xml'));
      writeFileSync(join(inbox.dir, 'unbalanced.xml'), fixture('camt053_v02_ing_batch_txssummry.xml'));
      writeFileSync(join(inbox.dir, 'broken.xml'), '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>');
      writeFileSync(join(inbox.dir, '.half-written.xml.tmp'), '<Docu');
      await inbox.scan();
      // Seen once: not read yet (it may still be growing).
      expect(readdirSync(join(inbox.dir, 'done'))).toEqual([]);
      await inbox.scan();
      expect(readdirSync(join(inbox.dir, 'done')).sort()).toEqual(['good.xml', 'good.xml.log']);
      expect(readdirSync(join(inbox.dir, 'failed')).sort()).toEqual(['broken.xml', 'broken.xml.log', 'unbalanced.xml', 'unbalanced.xml.log']);
      expect(existsSync(join(inbox.dir, '.half-written.xml.tmp'))).toBe(true);
      expect(readFileSync(join(inbox.dir, 'done', 'good.xml.log'), 'utf8')).toContain('2 bank lines sent; lines already imported are not counted twice');
      expect(readFileSync(join(inbox.dir, 'failed', 'broken.xml.log'), 'utf8')).toMatch(/malformed, nothing imported: line \d+/);
      expect(readFileSync(join(inbox.dir, 'failed', 'unbalanced.xml.log'), 'utf8')).toContain('closing balance');
      // What failed is said at warn (a log read at warn saw nothing until 2026-12-05); what imported, at info.
      const said = (spy: typeof warned) => spy.mock.calls.filter(([m]) => /^bank file /.test(m)).map(([m, f]) => `${m}: ${(f as { file: string }).file}`).sort();
      expect(said(warned)).toEqual(['bank file not imported: broken.xml', 'bank file not imported: unbalanced.xml']);
      expect(said(informed)).toEqual(['bank file imported: good.xml']);
      // The line names the .log that says why (a newcomer's user test found only a status in the hub's log).
      expect(warned.mock.calls.find(([m, f]) => m === 'bank file not imported' && (f as { file: string }).file === 'broken.xml')?.[1]).toMatchObject({ why_in: join(inbox.dir, 'failed', 'broken.xml.log') });
      // The same name again goes beside the first, not over it.
      writeFileSync(join(inbox.dir, 'good.xml'), fixture('camt052_v02_intraday.xml'));
      await inbox.scan();
      await inbox.scan();
      expect(readdirSync(join(inbox.dir, 'done'))).toHaveLength(4);
    } finally {
      warned.mockRestore();
      informed.mockRestore();
      await inbox.stop();
    }
    await lake.land();
    expect(await lake.q('SELECT count(*) AS n, sum(amount_minor) AS total FROM bank_line')).toEqual([{ n: 2, total: 500 }]);
    expect(await lake.q('SELECT count(*) AS n FROM bank_statement WHERE NOT balanced')).toEqual([{ n: 1 }]);
  });

  it('the drop folder made again when removed by hand, and a scan that cannot read it logged, not thrown (which ended the hub)', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    const inbox = startBankInbox({ home: lake.home, queue: lake.rt.queue, intervalMs: 20 });
    const warned = vi.spyOn(log, 'warn');
    try {
      rmSync(inbox.dir, { recursive: true });
      await vi.waitFor(() => expect(existsSync(join(inbox.dir, 'failed'))).toBe(true));
      writeFileSync(join(inbox.dir, 'good.xml'), fixture('camt052_v02_intraday.xml'));
      await vi.waitFor(() => expect(readdirSync(join(inbox.dir, 'done')).sort()).toEqual(['good.xml', 'good.xml.log']), { timeout: 5_000 });

      // A folder that cannot be read (here a file in its place, as on a disk gone bad): said, and the hub goes on.
      rmSync(inbox.dir, { recursive: true });
      writeFileSync(inbox.dir, 'not a folder');
      await vi.waitFor(() => expect(warned).toHaveBeenCalledWith('the bank inbox could not be read; will look again', expect.objectContaining({ error: expect.anything() })));
      await sleep(100);
      expect(unhandled).toEqual([]);
      expect(warned.mock.calls.filter(([m]) => m === 'the bank inbox could not be read; will look again')).toHaveLength(1);
      rmSync(inbox.dir);
      await vi.waitFor(() => expect(warned).toHaveBeenCalledWith('the bank inbox is read again', expect.anything()));
    } finally {
      await inbox.stop();
      process.off('unhandledRejection', onUnhandled);
      warned.mockRestore();
    }
  });

  it('the drop folder takes a failed file moved back, and its old log with it, once it imports', async () => {
    const named = (o: string) => `PUDDLE_BANK_${o.toUpperCase()}`;
    const scanWith = async (settings: Parameters<typeof parseImportOptions>[0], put: (dir: string) => void) => {
      const inbox = startBankInbox({ home: lake.home, queue: lake.rt.queue, intervalMs: 3_600_000, importOptions: parseImportOptions(settings, named) });
      try {
        put(inbox.dir);
        await inbox.scan();
        await inbox.scan();
        return inbox.dir;
      } finally {
        await inbox.stop();
      }
    };
    // No currency for a BAI2 file that names none: failed, with its log.
    const dir = await scanWith({}, (d) => writeFileSync(join(d, 'spec.bai2'), fixture('bai2_spec_example_usd.txt')));
    expect(readdirSync(join(dir, 'failed')).sort()).toEqual(['spec.bai2', 'spec.bai2.log']);
    // The setting given, the file moved back from failed/ (user test: the old log stayed behind in failed/).
    await scanWith({ currency: 'usd' }, (d) => renameSync(join(d, 'failed', 'spec.bai2'), join(d, 'spec.bai2')));
    expect(readdirSync(join(dir, 'failed'))).toEqual([]);
    expect(readdirSync(join(dir, 'done')).sort()).toEqual(['spec.bai2', 'spec.bai2.log']);
    const log = readFileSync(join(dir, 'done', 'spec.bai2.log'), 'utf8');
    expect(log).toMatch(/^\S+ imported\n/);
    expect(log).toMatch(/\nbefore, in failed\/:\n\S+ malformed\n.*give PUDDLE_BANK_CURRENCY/s);
  });

  it('the drop folder reads CSV and currency-less BAI2 with the hub\'s PUDDLE_BANK_* settings, and says which a file lacks', async () => {
    const named = (o: string) => `PUDDLE_BANK_${o.toUpperCase()}`;
    expect(() => parseImportOptions({ currency: 'pounds' }, named)).toThrow('PUDDLE_BANK_CURRENCY must be an ISO 4217 code');
    expect(() => parseImportOptions({ currency: 'gpb' }, named)).toThrow('PUDDLE_BANK_CURRENCY must be an ISO 4217 code such as GBP: GPB is not one in use');
    const run = async (settings: Parameters<typeof parseImportOptions>[0], files: Record<string, string>) => {
      const inbox = startBankInbox({ home: lake.home, queue: lake.rt.queue, intervalMs: 3_600_000, importOptions: parseImportOptions(settings, named) });
      try {
        for (const [name, sample] of Object.entries(files)) writeFileSync(join(inbox.dir, name), fixture(sample));
        await inbox.scan();
        await inbox.scan();
        return inbox.dir;
      } finally {
        await inbox.stop();
      }
    };
    // A CSV layout set for the hub: the CSV imports; the BAI2 file without a currency is refused, asking for one.
    const dir = await run({ layout: 'natwest' }, { 'natwest.csv': 'natwest_made_export.csv', 'spec.bai2': 'bai2_spec_example_usd.txt' });
    expect(readdirSync(join(dir, 'done')).sort()).toEqual(['natwest.csv', 'natwest.csv.log']);
    expect(readFileSync(join(dir, 'failed', 'spec.bai2.log'), 'utf8')).toContain('give PUDDLE_BANK_CURRENCY');
    // With PUDDLE_BANK_CURRENCY it fills in the empty currency; a BAI2 file that names its own keeps it.
    await run({ currency: 'usd' }, { 'spec.bai2': 'bai2_spec_example_usd.txt', 'nwb.bai2': 'bai2_natwest_gbp.bai2' });
    expect(readdirSync(join(dir, 'done')).filter((f) => !f.endsWith('.log')).sort()).toEqual(['natwest.csv', 'nwb.bai2', 'spec.bai2']);
    // The spec example has no closing ledger balance (015): imported, and its log says it was not verified (the
    // NatWest sample, with 010 and 015, and the NatWest export, with its running balance, were checked).
    expect(readFileSync(join(dir, 'done', 'spec.bai2.log'), 'utf8')).toContain('spec.bai2: imported, but not verified');
    expect(readFileSync(join(dir, 'done', 'spec.bai2.log'), 'utf8')).toContain('no closing (015) ledger balance');
    for (const checked of ['nwb.bai2.log', 'natwest.csv.log']) expect(readFileSync(join(dir, 'done', checked), 'utf8')).not.toContain('not verified');
    await lake.land();
    expect(await lake.q('SELECT source_format, currency, count(*) AS n FROM bank_line GROUP BY 1, 2 ORDER BY 1, 2')).toEqual([
      { source_format: 'bai2', currency: 'GBP', n: 5 },
      { source_format: 'bai2', currency: 'USD', n: 4 },
      { source_format: 'csv', currency: 'GBP', n: 6 },
    ]);
  });

  it('the drop folder names the line and field of a bad BAI2 file, never a name or account number, in its log or on stderr', async () => {
    const SECRET = 'JANE DOE 12345678';
    const head = '01,SENDER,RECEIVER,260101,0000,FILE1,,,2/\n02,RECEIVER,SENDER,1,260101,,GBP,/\n';
    const files = {
      'malformed.bai2': `${head.replace('1,260101', `1,${SECRET}`)}03,ACC1,GBP,010,100,,/\n49,100,2/\n98,100,1,4/\n99,100,1,6/\n`,
      'unbalanced.bai2': `${head}03,${SECRET},GBP,010,100,,/\n49,101,2/\n98,100,1,4/\n99,100,1,6/\n`,
    };
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const inbox = startBankInbox({ home: lake.home, queue: lake.rt.queue, intervalMs: 3_600_000 });
    try {
      for (const [name, text] of Object.entries(files)) writeFileSync(join(inbox.dir, name), text);
      await inbox.scan();
      await inbox.scan();
    } finally {
      await inbox.stop();
      spy.mockRestore();
    }
    const malformed = readFileSync(join(inbox.dir, 'failed', 'malformed.bai2.log'), 'utf8');
    const unbalanced = readFileSync(join(inbox.dir, 'failed', 'unbalanced.bai2.log'), 'utf8');
    expect(malformed).toContain('line 2 (02 record, field 5): as-of date is not a YYMMDD date');
    expect(unbalanced).toContain('line 4 (49 record): group 1 account 1 control total: the file declares 101, it holds 100');
    for (const text of [malformed, unbalanced, written.join('')]) {
      for (const part of [SECRET, 'JANE', '12345678']) expect(text).not.toContain(part);
    }
  });

  it('the drop folder says a PDF or a note is no statement, and asks for PUDDLE_BANK_LAYOUT (not --layout) for a CSV', async () => {
    const inbox = startBankInbox({ home: lake.home, queue: lake.rt.queue, intervalMs: 3_600_000 });
    try {
      writeFileSync(join(inbox.dir, 'statement.pdf'), Buffer.concat([Buffer.from('%PDF-1.7\n%'), Buffer.from([0xe2, 0xe3, 0xcf, 0xd3]), Buffer.from('\n1 0 obj\n')]));
      writeFileSync(join(inbox.dir, 'notes.txt'), 'Call the bank on Monday.\nAsk about the Gift Aid claim\n');
      writeFileSync(join(inbox.dir, 'natwest.csv'), fixture('natwest_made_export.csv'));
      await inbox.scan();
      await inbox.scan();
      const log = (name: string) => readFileSync(join(inbox.dir, 'failed', `${name}.log`), 'utf8');
      expect(log('statement.pdf')).toContain('statement.pdf: malformed, nothing imported: line 1: not a bank statement Puddle reads (camt.052/053/054 XML, BAI2 or CSV): it is a PDF document');
      expect(log('notes.txt')).toContain('notes.txt: malformed, nothing imported: line 1: not a bank statement Puddle reads (camt.052/053/054 XML, BAI2 or CSV): no line has three comma-separated columns (a date, a text and an amount at least)');
      expect(log('natwest.csv')).toContain('a CSV export needs PUDDLE_BANK_LAYOUT (lloyds, natwest, barclays, hsbc)');
      expect(log('natwest.csv')).not.toContain('--layout');
    } finally {
      await inbox.stop();
    }
  });

  it('the drop folder moves an empty file (a download cut short) to failed/ with a log saying so', async () => {
    const inbox = startBankInbox({ home: lake.home, queue: lake.rt.queue, intervalMs: 3_600_000, importOptions: { layout: 'barclays' } });
    try {
      writeFileSync(join(inbox.dir, 'empty.csv'), '');
      writeFileSync(join(inbox.dir, 'blank.csv'), '\uFEFF\n  \n');
      await inbox.scan();
      await inbox.scan();
      expect(readdirSync(join(inbox.dir, 'done'))).toEqual([]);
      expect(readdirSync(join(inbox.dir, 'failed')).sort()).toEqual(['blank.csv', 'blank.csv.log', 'empty.csv', 'empty.csv.log']);
      for (const name of ['empty.csv', 'blank.csv']) {
        const log = readFileSync(join(inbox.dir, 'failed', `${name}.log`), 'utf8');
        expect(log).toContain(' malformed\n');
        expect(log).toContain(`${name}: malformed, nothing imported: line 1: the file is empty`);
      }
    } finally {
      await inbox.stop();
    }
  });

  it('the drop folder writes and imports the sandboxes\' daily statements', async () => {
    const lines = [
      { bank_line_id: 'bl_po_1', account: 'charity-current', amount_minor: 12_000, currency: 'GBP', reference: 'PUDDLE PO1', description: 'STRIPE PAYMENTS UK LTD', booking_date: '2026-11-20', occurred_at: '2026-11-20T00:00:00Z' },
      { bank_line_id: 'bl_bt_1', account: 'charity-current', amount_minor: 3_000, currency: 'GBP', reference: 'BRAINTREE 2026-11-21', booking_date: '2026-11-21', occurred_at: '2026-11-21T09:00:00Z' },
    ];
    const inbox = startBankInbox({ home: lake.home, queue: lake.rt.queue, intervalMs: 3_600_000, sandboxLines: () => lines });
    try {
      await inbox.scan();
      await inbox.scan();
    } finally {
      await inbox.stop();
    }
    expect(readdirSync(join(inbox.dir, 'done')).filter((n) => n.endsWith('.xml')).sort()).toEqual([
      'SBX-charity-current-GBP-2026-11-20.camt053.xml', 'SBX-charity-current-GBP-2026-11-21.camt053.xml',
    ]);
    await lake.land();
    expect(await lake.q('SELECT bank_line_id, amount_minor, reference FROM bank_line ORDER BY 1')).toEqual([
      { bank_line_id: 'charity-current/bl_bt_1', amount_minor: 3_000, reference: 'BRAINTREE 2026-11-21' },
      { bank_line_id: 'charity-current/bl_po_1', amount_minor: 12_000, reference: 'PUDDLE PO1' },
    ]);
    expect(await lake.q('SELECT count(*) AS n FROM bank_statement WHERE balanced')).toEqual([{ n: 2 }]);
  });
});
