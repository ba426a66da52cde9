// The CSV reader: the Lloyds public sample and our NatWest/Barclays/HSBC samples (test/fixtures/SOURCES.md),
// column maps, balances derived from the balance column, and refusals (no layout, no currency, bad lines).
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { readCsv } from '../../connectors/bank/csv.js';
import { lineIds } from '../../connectors/bank/to-envelopes.js';
import type { CsvColumnMap, Statement } from '../../connectors/bank/statement.js';
import { bankError } from './bank-error.js';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, '../fixtures/bank', name), 'utf8');
const LLOYDS = fixture('lloyds_online_export.csv');
const NATWEST = fixture('natwest_made_export.csv');
const BARCLAYS = fixture('barclays_made_export.csv');
const HSBC = fixture('hsbc_made_export.csv');

const net = (s: Statement) => s.entries.reduce((n, e) => n + e.amount_minor, 0);


const MAP: CsvColumnMap = { date: 'When', date_format: 'DD/MM/YYYY', description: 'What', amount: 'Amount', balance: 'Balance' };

describe('readCsv presets', () => {
  it('reads the Lloyds sample: newest first, split debit/credit, sort code kept, balances derived', () => {
    const { statements, problems } = readCsv(LLOYDS, { layout: 'lloyds' });
    expect(statements).toHaveLength(1);
    const s = statements[0]!;
    expect(s).toMatchObject({
      format: 'csv',
      account: '99-88-74 1515152252',
      currency: 'GBP',
      period_from: '2023-12-01T00:00:00.000Z',
      period_to: '2024-01-15T23:59:59.999Z',
      created_at: '2024-01-15T00:00:00.000Z',
      opening_balance_minor: 592670, // 6426.70 after the oldest line's +500.00
      closing_balance_minor: 204059, // the newest line's balance
    });
    // Entries come out oldest first; the file's last line is the oldest.
    expect(s.entries).toHaveLength(12);
    expect(s.entries[0]).toMatchObject({ position: 1, locator: 'line 13', amount_minor: 50000, booking_date: '2023-12-01', bank_transaction_code: 'BGC' });
    expect(s.entries[0]!.reference).toBe('CLIENT CO LTD 400000005566778899 306364     10 01DEC23 09:15');
    expect(s.entries.at(-1)).toMatchObject({ locator: 'line 2', amount_minor: -899, booking_date: '2024-01-15', bank_transaction_code: 'DEB' });
    expect(s.entries.find((e) => e.locator === 'line 4')!.amount_minor).toBe(-597512);
    expect(s.entries.find((e) => e.locator === 'line 5')!.amount_minor).toBe(200000);
    // The public sample was edited by hand: its running balance breaks at line 6 by 4.12, and says so.
    expect(problems).toEqual([
      { where: 'line 6', message: 'balance 6029.49 GBP does not follow from the previous balance 6039.58 GBP and this amount -5.97 GBP: expected 6033.61 GBP' },
    ]);
    expect(s.opening_balance_minor! + net(s) - s.closing_balance_minor!).toBe(412);
  });

  it('lists the problems of a newest-first file in line order, not in the order its balances are checked', () => {
    // Line 3's balance 0.58 short: line 3 does not follow from line 4, nor line 2 from line 3, beside line 6's break.
    const { problems } = readCsv(LLOYDS.replace(',2049.58\n', ',2049.00\n'), { layout: 'lloyds' });
    expect(problems.map((p) => p.where)).toEqual(['line 2', 'line 3', 'line 6']);
    expect(problems[0]).toEqual({ where: 'line 2', message: 'balance 2040.59 GBP does not follow from the previous balance 2049.00 GBP and this amount -8.99 GBP: expected 2040.01 GBP' });
  });

  it('a consistent Lloyds file balances: opening + entries = closing', () => {
    // Lines 2-6 carry balances 4.12 lower than the older lines imply; raise them and the file adds up.
    let fixed = LLOYDS;
    for (const [from, to] of [['2040.59', '2044.71'], ['2049.58', '2053.70'], ['2054.37', '2058.49'], ['8029.49', '8033.61'], ['6029.49', '6033.61']]) {
      fixed = fixed.replace(`,${from}\n`, `,${to}\n`);
    }
    const { statements, problems } = readCsv(fixed, { layout: 'lloyds' });
    expect(problems).toEqual([]);
    const s = statements[0]!;
    expect(s.opening_balance_minor! + net(s)).toBe(s.closing_balance_minor);
  });

  it('reads our NatWest sample: blank first line, spaced header, apostrophes, two accounts oldest first', () => {
    const { statements, problems } = readCsv(NATWEST, { layout: 'natwest' });
    expect(problems).toEqual([]);
    expect(statements.map((s) => [s.account, s.currency, s.entries.length, s.opening_balance_minor, s.closing_balance_minor])).toEqual([
      ['560036-12345678', 'GBP', 4, 1000000, 1238194],
      ['560036-87654321', 'GBP', 2, 500000, 425000],
    ]);
    for (const s of statements) expect(s.opening_balance_minor! + net(s)).toBe(s.closing_balance_minor);
    const [a] = statements as [Statement];
    expect(a.entries.map((e) => [e.locator, e.amount_minor, e.booking_date, e.bank_transaction_code, e.reference])).toEqual([
      ['line 3', 116200, '2026-12-01', 'BAC', 'STRIPE PAYMENTS UK LTD STRIPE PO_1QX'],
      ['line 4', -4550, '2026-12-01', 'D/D', 'ACME INSURANCE 112233'],
      ['line 5', 250000, '2026-12-03', 'BAC', 'HMRC GIFT AID, CLAIM 77'],
      ['line 6', -123456, '2026-12-04', 'POS', '1234 03DEC26 OFFICE SUPPLIES'],
    ]);
  });

  it('names the NatWest line whose balance does not follow', () => {
    const { problems } = readCsv(NATWEST.replace('-45.50,11116.50', '-45.50,11116.05'), { layout: 'natwest' });
    expect(problems.map((p) => p.where)).toEqual(['line 4', 'line 5']);
  });

  it('reads our Barclays sample: signed amounts, thousands separators, no balances', () => {
    const { statements, problems } = readCsv(BARCLAYS, { layout: 'barclays' });
    expect(problems).toEqual([]);
    const s = statements[0]!;
    expect(s).toMatchObject({ account: '20-32-06 13152170', currency: 'GBP', opening_balance_minor: null, closing_balance_minor: null });
    expect(s.entries.map((e) => [e.amount_minor, e.booking_date, e.bank_transaction_code])).toEqual([
      [116200, '2026-12-05', 'COUNTER CREDIT'],
      [-4550, '2026-12-05', 'DIRECTDEBIT'],
      [125000, '2026-12-06', 'FT'],
      [-1200, '2026-12-07', 'PAYMENT'],
    ]);
    expect(s.entries[0]!.reference).toBe('STRIPE PAYMENTS UK    \tSTRIPE PO_1QX BGC');
    // --currency beats the preset's implied GBP (a Barclays euro account).
    expect(readCsv(BARCLAYS, { layout: 'barclays', currency: 'EUR' }).statements[0]!.currency).toBe('EUR');
  });

  it('asks for the currency and the account at once when a column map has neither', () => {
    const plain = 'When,What,Amount\n01/07/2026,STRIPE PAYMENTS UK,1162.00\n';
    const both = bankError(() => readCsv(plain, { layout: { ...MAP, balance: undefined } }));
    expect(both.message).toBe('line 2: no currency: this layout has no currency column, give --currency and --account (it has no account column either)');
    expect(bankError(() => readCsv(plain, { layout: { ...MAP, balance: undefined }, account: 'A' })).message).toBe('line 2: no currency: this layout has no currency column, give --currency');
  });

  it('reads our HSBC sample (no header) once told the account; 03/04 is 3 April', () => {
    expect(bankError(() => readCsv(HSBC, { layout: 'hsbc' })).message).toMatch(/--account/);
    const { statements, problems } = readCsv(HSBC, { layout: 'hsbc', account: 'HSBC 40-11-22 12345678' });
    expect(problems).toEqual([]);
    const s = statements[0]!;
    expect(s.account).toBe('HSBC 40-11-22 12345678');
    expect(s.entries.map((e) => [e.locator, e.amount_minor, e.booking_date])).toEqual([
      ['line 4', -123456, '2026-04-02'],
      ['line 3', 100000, '2026-04-03'],
      ['line 2', -4550, '2026-12-07'],
      ['line 1', 240000, '2026-12-08'],
    ]);
    // A header row is tolerated.
    const withHeader = readCsv(`Date,Description,Amount\n${HSBC}`, { layout: 'hsbc', account: 'x' });
    expect(withHeader.statements[0]!.entries).toHaveLength(4);
  });

  it('refuses a file that does not carry the preset\'s columns, naming them', () => {
    const err = bankError(() => readCsv(NATWEST, { layout: 'lloyds' }));
    expect(err.where).toBe('line 2');
    expect(err.message).toMatch(/"Transaction Date"/);
    expect(bankError(() => readCsv(NATWEST, { layout: 'santander' })).message).toMatch(/lloyds, natwest, barclays, hsbc/);
  });
});

describe('readCsv refusals and column maps', () => {
  it('refuses to guess the layout (and so the date order)', () => {
    const err = bankError(() => readCsv(LLOYDS, {}));
    expect(err.message).toMatch(/--layout/);
    expect(err.message).toMatch(/03\/04/);
    expect(bankError(() => readCsv('When,What,Amount\n03/04/2026,x,1.00\n', { layout: { ...MAP, date_format: '' } })).message).toMatch(/date_format/);
    expect(bankError(() => readCsv('When,What,Amount\n03/04/2026,x,1.00\n', { layout: { ...MAP, date_format: 'DD/MM' } })).message).toMatch(/day, month and year/);
  });

  it('reads the same date both ways only as the column map says', () => {
    const csv = 'When,What,Amount,Balance\n03/04/2026,GIFT,10.00,110.00\n';
    const day = readCsv(csv, { layout: MAP, currency: 'GBP', account: 'A' }).statements[0]!.entries[0]!.booking_date;
    const month = readCsv(csv, { layout: { ...MAP, date_format: 'MM/DD/YYYY' }, currency: 'GBP', account: 'A' }).statements[0]!.entries[0]!.booking_date;
    expect([day, month]).toEqual(['2026-04-03', '2026-03-04']);
    expect(bankError(() => readCsv('When,What,Amount\n13/25/2026,x,1.00\n', { layout: { ...MAP, balance: undefined }, currency: 'GBP', account: 'A' })).where).toBe('line 2');
  });

  it('gives a morning and an afternoon export\'s 25.00 rows of one day two line ids, and an export of the whole day the same two', () => {
    const opts = { layout: 'hsbc', account: 'X' };
    const idsOf = (csv: string) => readCsv(csv, opts).statements.flatMap((s) => lineIds(s));
    const [am] = idsOf(fixture('hsbc_tester_am.csv'));
    const [pm] = idsOf(fixture('hsbc_tester_pm.csv'));
    expect(am).toMatch(/^X\/2026-11-26\/2500GBP\/[0-9a-f]{16}\/1$/);
    expect(pm).not.toBe(am);
    // The day's export later on holds both rows, newest first: the same ids, so importing it counts nothing twice.
    expect(idsOf('26/11/2026,DONOR B GIFT,25.00\n26/11/2026,DONOR A GIFT,25.00\n').sort()).toEqual([am, pm].sort());
    // Two rows alike in everything are two entries.
    expect(idsOf('26/11/2026,DONOR A GIFT,25.00\n26/11/2026,DONOR A GIFT,25.00\n')).toEqual([am, am!.replace(/\/1$/, '/2')]);
  });

  it('names --currency, not a row, when the option is no currency in use (GPB for GBP)', () => {
    const e = bankError(() => readCsv(NATWEST, { layout: 'natwest', currency: 'GPB' }));
    expect(e.where).toBe('--currency');
    expect(e.message).toBe('--currency: "GPB" is not an ISO 4217 currency code');
    const column = bankError(() => readCsv('When,What,Amount,Balance,Ccy\n03/04/2026,GIFT,1.00,1.00,GPB\n', { layout: { ...MAP, currency: 'Ccy' }, account: 'A' }));
    expect(column.message).toBe('line 2: column "Ccy": not an ISO 4217 currency code (such as GBP)');
  });

  it('asks for --currency when neither the map nor the file names one', () => {
    const csv = 'When,What,Amount,Balance\n03/04/2026,GIFT,10.00,110.00\n';
    expect(bankError(() => readCsv(csv, { layout: MAP, account: 'A' })).message).toMatch(/--currency/);
    const withColumn = readCsv('When,What,Amount,Balance,Ccy\n03/04/2026,GIFT,2500,2500,JPY\n', { layout: { ...MAP, currency: 'Ccy' }, account: 'A' });
    expect(withColumn.statements[0]!.entries[0]).toMatchObject({ amount_minor: 2500, currency: 'JPY' });
  });

  it('converts amounts exactly, stripping only currency signs, spaces, + and thousands separators', () => {
    const csv = ['When,What,Amount', '01/01/2026,a,"£1,234.56"', '01/01/2026,b,(12.50)', '01/01/2026,c,+0.29', '01/01/2026,d,-1.005', ''].join('\n');
    const map = { ...MAP, balance: undefined };
    expect(bankError(() => readCsv(csv, { layout: map, currency: 'GBP', account: 'A' })).where).toBe('line 5'); // 1.005 GBP would round
    const ok = readCsv(csv.replace('-1.005', '-1.00'), { layout: map, currency: 'GBP', account: 'A' }).statements[0]!;
    expect(ok.entries.map((e) => e.amount_minor)).toEqual([123456, -1250, 29, -100]);
    // A sign inside the accountants' brackets is refused, as a sign before them is: "(-12.50)" was read as a
    // credit of 12.50, two minuses making a plus.
    for (const bad of ['"1,23.00"', '1.2.3', '12e3', 'ten', '(-12.50)', '(+12.50)', '-(12.50)', '(£-12.50)']) {
      const err = bankError(() => readCsv(`When,What,Amount\n01/01/2026,x,${bad}\n`, { layout: map, currency: 'GBP', account: 'A' }));
      expect(err.message).toMatch(/line 2: column "Amount"/);
    }
  });

  it('reads a two-digit year in the POSIX window: 00 to 68 in this century, 69 to 99 in the last', () => {
    const csv = 'When,What,Amount\n1.2.26,a,1.00\n31.12.99,b,2.00\n1.1.69,c,3.00\n31.12.68,d,4.00\n';
    const s = readCsv(csv, { layout: { ...MAP, balance: undefined, date_format: 'D.M.YY' }, currency: 'GBP', account: 'A' });
    // 31.12.99 was 2099-12-31, a bank line booked 73 years ahead.
    expect(s.statements.flatMap((st) => st.entries.map((e) => [e.reference, e.booking_date])).sort()).toEqual([
      ['a', '2026-02-01'], ['b', '1999-12-31'], ['c', '1969-01-01'], ['d', '2068-12-31'],
    ]);
  });

  it('skips the lines before the header that the map names, keeping real line numbers', () => {
    const csv = 'Bank export\nAccount 123\nWhen,What,Amount\n01/01/2026,a,1.00\n';
    const s = readCsv(csv, { layout: { ...MAP, balance: undefined, skip_lines: 2 }, currency: 'GBP', account: 'A' });
    expect(s.statements[0]!.entries[0]).toMatchObject({ locator: 'line 4', amount_minor: 100 });
  });

  it('tells the row order from the balances when every row has the same date', () => {
    // Newest first on one day: 100.00 -> +10 -> 110.00 -> -5 -> 105.00, written bottom-up.
    const csv = 'When,What,Amount,Balance\n01/01/2026,b,-5.00,105.00\n01/01/2026,a,10.00,110.00\n';
    const s = readCsv(csv, { layout: MAP, currency: 'GBP', account: 'A' });
    expect(s.problems).toEqual([]);
    expect(s.statements[0]).toMatchObject({ opening_balance_minor: 10000, closing_balance_minor: 10500 });
    expect(s.statements[0]!.entries.map((e) => e.reference)).toEqual(['a', 'b']);
  });

  it('names the line of malformed CSV and of a row with no amount', () => {
    const err = bankError(() => readCsv('When,What,Amount\n01/01/2026,"unclosed,1.00\n02/01/2026,b,2.00\n', { layout: { ...MAP, balance: undefined }, currency: 'GBP', account: 'A' }));
    expect(err.message).toMatch(/^line \d+: malformed CSV/);
    const bad = bankError(() => readCsv('When,What,Amount\n01/01/2026,a,1.00\n01/01/2026,"b" x,2.00\n', { layout: { ...MAP, balance: undefined }, currency: 'GBP', account: 'A' }));
    expect(bad.where).toBe('line 3');
    // A quoted description over two lines: the next record still names its own line.
    const twoLines = bankError(() => readCsv('When,What,Amount\n01/01/2026,"two\nlines",1.00\n01/01/2026,b,x\n', { layout: { ...MAP, balance: undefined }, currency: 'GBP', account: 'A' }));
    expect(twoLines.where).toBe('line 4');
    const split = LLOYDS.replace('ACME STORE CD 1417    14JAN24,8.99,,2040.59', 'ACME STORE CD 1417    14JAN24,,,2040.59');
    expect(bankError(() => readCsv(split, { layout: 'lloyds' })).message).toMatch(/^line 2: neither "Debit Amount" nor "Credit Amount"/);
    // Errors name the line and column, never the row's description.
    expect(bankError(() => readCsv(LLOYDS.replace('15/01/2024,DEB', '2024-01-15,DEB'), { layout: 'lloyds' })).message).toBe(
      'line 2: column "Transaction Date": not a DD/MM/YYYY date',
    );
  });

  it('never quotes the cell it refuses: a card number, a name or a phone number is named by line and column only', () => {
    const map: CsvColumnMap = { date: 'Date', date_format: 'DD/MM/YYYY', description: 'Description', amount: 'Amount' };
    const read = (row: string) => bankError(() => readCsv(`Date,Description,Amount\n01/11/2026,GIFT,5.00\n${row}\n`, { layout: map, currency: 'GBP', account: 'A' })).message;
    expect(read('01/11/2026,GIFT,4929123456789012')).toBe('line 3: column "Amount": too large to be an amount');
    expect(read('01/11/2026,GIFT,JOHN SMITH 07700900123')).toBe('line 3: column "Amount": not an amount (expected such as 1234.56, 1,234.56, -12.50 or (12.50))');
    expect(read('01/11/2026,GIFT,1.005')).toBe('line 3: column "Amount": more decimals than GBP has (2)');
    expect(read('JOHN SMITH,GIFT,5.00')).toBe('line 3: column "Date": not a DD/MM/YYYY date');
    const ccy = bankError(() => readCsv('Date,Description,Amount,Ccy\n01/11/2026,GIFT,5.00,MR J SMITH\n', { layout: { ...map, currency: 'Ccy' }, account: 'A' })).message;
    expect(ccy).toBe('line 2: column "Ccy": not an ISO 4217 currency code (such as GBP)');
  });

  it('refuses a row whose cells do not line up with the header, naming its line, never reading it at another amount', () => {
    const map: CsvColumnMap = { date: 'Date', date_format: 'DD/MM/YYYY', description: 'Description', amount: 'Amount' };
    // An unquoted comma in the description: read by position, the amount would be " 1" (1.00).
    const shifted = 'Date,Description,Amount\n01/11/2026,GIFT,5.00\n01/11/2026,GIFT FROM SMITH, 1,25.00\n';
    const err = bankError(() => readCsv(shifted, { layout: map, currency: 'GBP', account: 'A' }));
    expect(err.message).toBe("line 3: malformed CSV: 4 cells where the header has 3 (an unquoted comma, or a missing one?); quote a cell that holds a comma");
    expect(err.message).not.toMatch(/SMITH/);
    // A missing comma leaves the row short.
    expect(bankError(() => readCsv('Date,Description,Amount\n01/11/2026 GIFT,5.00\n', { layout: map, currency: 'GBP', account: 'A' })).where).toBe('line 2');
    // Trailing empty cells shift nothing: a row ending with a comma, and Lloyds' header ending with one.
    expect(readCsv('Date,Description,Amount\n01/11/2026,GIFT,5.00,\n', { layout: map, currency: 'GBP', account: 'A' }).statements[0]!.entries[0]!.amount_minor).toBe(500);
    expect(readCsv(LLOYDS.replace(',8.99,,2040.59\n', ',8.99,,2040.59,\n'), { layout: 'lloyds' }).statements[0]!.entries).toHaveLength(12);
    expect(bankError(() => readCsv(LLOYDS.replace('ACME STORE CD 1417    14JAN24', 'ACME STORE, CD 1417'), { layout: 'lloyds' })).where).toBe('line 2');
  });

  it('an export with a header and no rows holds no statements', () => {
    expect(readCsv(LLOYDS.split('\n')[0]!, { layout: 'lloyds' })).toEqual({ statements: [], problems: [] });
  });

  it('a file with no header row left (empty, or every line skipped) is refused, not read as no statements', () => {
    expect(bankError(() => readCsv('', { layout: 'lloyds' })).message).toBe('line 1: no header row');
    expect(bankError(() => readCsv('Exported 2026-12-01\n', { layout: { ...MAP, skip_lines: 1 }, currency: 'GBP', account: 'A' })).message).toBe('line 1: no header row after the 1 skipped line(s)');
  });
});
