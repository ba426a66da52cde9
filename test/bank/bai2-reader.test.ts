// The BAI2 reader over the public samples (test/fixtures/SOURCES.md): structure, amounts, signs, dates, references,
// the 49/98/99 controls, the currency refusal and malformed input.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { readBai2 } from '../../connectors/bank/bai2.js';
import type { Statement } from '../../connectors/bank/statement.js';
import { bai2 } from '../support/bai2-file.js';
import { bankError } from './bank-error.js';

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, '../fixtures/bank', name), 'utf8');
const NATWEST = fixture('bai2_natwest_gbp.bai2');
const CAD = fixture('bai2_sample1_cad.txt');
const SPEC = fixture('bai2_spec_example_usd.txt');

const net = (s: Statement) => s.entries.reduce((n, e) => n + e.amount_minor, 0);


describe('readBai2', () => {
  it('reads the NatWest sample: GBP from the 03 record, 88 text joined, balances that add up', () => {
    const { statements, problems } = readBai2(NATWEST, {});
    expect(problems).toEqual([]);
    expect(statements).toHaveLength(1);
    const s = statements[0]!;
    expect(s).toMatchObject({
      format: 'bai2',
      account: '88888888 600004',
      currency: 'GBP',
      created_at: '2010-02-15T14:59:35.000Z',
      period_from: '2009-12-16T00:00:00.000Z',
      opening_balance_minor: 36521,
      closing_balance_minor: 33845,
      // Both ledger balances: the bank's report of the account's day, whichever file carries it (see reportRef).
      statement_ref: 'NWBKGB2L/2009-12-16/GBP/final',
    });
    expect(s.entries.map((e) => [e.locator, e.amount_minor, e.bank_transaction_code])).toEqual([
      ['line 5', -971, '699'],
      ['line 7', -100, '699'],
      ['line 9', -123, '699'],
      ['line 11', -1571, '699'],
      ['line 13', 89, '399'],
    ]);
    expect(s.entries.every((e) => e.booking_date === '2009-12-16' && e.currency === 'GBP' && e.status === 'booked')).toBe(true);
    // A text cut at the line length goes on in the next 88 without a separator: CLIE + NT.
    expect(s.entries[4]!.reference).toBe('TFR XBANKGO24007680SJ CAT JPY 2 GBPXBANKGO24007680BGC INTERNATIONAL-5373 CLIENT SECCY AC TFR');
    expect(s.entries[0]!.reference).toBe('LVP XBANKGO24007664SJ LVP INT 2 USAXBANKGO24007664SJ LVP INT 2 USARELAY TFR');
    expect(s.opening_balance_minor! + net(s)).toBe(s.closing_balance_minor);
  });

  it('reads the CAD sample: two accounts, funds type V value dates, booking date from the group', () => {
    const { statements, problems } = readBai2(CAD, {});
    expect(problems).toEqual([]);
    // Only available balances (040/045): not the booked balances the entries carry from opening to closing.
    expect(statements.map((s) => [s.account, s.currency, s.entries.length, s.opening_balance_minor, s.closing_balance_minor, s.balance_types])).toEqual([
      ['10200123456', 'CAD', 11, null, null, ['040', '045']],
      ['10200123456', 'CAD', 6, null, null, ['040', '045']],
    ]);
    expect(statements[0]!.statement_ref).not.toBe(statements[1]!.statement_ref);
    const [a, b] = statements as [Statement, Statement];
    expect(a.entries[0]).toMatchObject({
      amount_minor: -2500,
      booking_date: '2006-03-17',
      value_date: '2006-03-16',
      reference: 'RETURNED CHEQUE',
      entry_reference: null,
      bank_transaction_code: '409',
    });
    expect(a.entries[3]).toMatchObject({ amount_minor: 203500, reference: 'TFR 1020 0345678' });
    // Credits and debits as the 03 summary's 100/400 say: 208500 each way, 111500 each way.
    const credits = (s: Statement) => s.entries.filter((e) => e.amount_minor > 0).reduce((n, e) => n + e.amount_minor, 0);
    expect([credits(a), net(a), credits(b), net(b)]).toEqual([208500, 0, 111500, 0]);
    expect(b.entries.map((e) => e.value_date)).toEqual(Array(6).fill('2006-03-17'));
  });

  it('refuses the spec example without --currency instead of defaulting to USD', () => {
    const err = bankError(() => readBai2(SPEC, {}));
    expect(err.where).toBe('line 3 (03 record)');
    expect(err.message).toMatch(/--currency/);
    expect(err.message).toMatch(/does not guess/);
  });

  it('reads the spec example with --currency: funds types S, V and D shift the fields, 88s continue 03 and 16', () => {
    const { statements, problems } = readBai2(SPEC, { currency: 'usd' });
    expect(problems).toEqual([]);
    expect(statements.map((s) => [s.account, s.currency, s.entries.length, s.opening_balance_minor])).toEqual([
      ['0123456789', 'USD', 1, 4350000],
      ['9876543210', 'USD', 1, -500000],
      ['4589761203', 'USD', 2, 10000000],
      ['0975312468', 'USD', 0, 500000],
      ['7890654321', 'USD', 0, 800000],
    ]);
    // S: three availability amounts before the references; the text stays empty.
    expect(statements[0]!.entries[0]).toMatchObject({ amount_minor: 450000, entry_reference: null, reference: '', booking_date: '2004-06-20' });
    expect(statements[1]!.entries[0]).toMatchObject({ amount_minor: 500000, reference: 'LOCK BOX NO.68751' });
    // V: value date and time, then bank reference SP4738, customer reference, then the text from the 88.
    expect(statements[2]!.entries[0]).toMatchObject({
      amount_minor: 20000000,
      value_date: '2004-06-22',
      entry_reference: 'SP4738',
      reference: 'PROCEEDS OF LETTER OF CREDIT FROM THE ARAMCO OIL CO',
      bank_transaction_code: '218',
    });
    expect(statements[2]!.entries[1]).toMatchObject({ amount_minor: 10000000, entry_reference: null, locator: 'line 18' });
    // Groups are told apart in the statement reference.
    expect(new Set(statements.map((s) => s.statement_ref)).size).toBe(5);
  });

  it('names a report with both ledger balances by sender, account day, currency and interim or final; one without by its file', () => {
    const group = (modifier: string, account: string, balances: Record<string, number>) => ({ asOf: '261202', time: '2400', modifier, account, balances, tx: [] });
    const file = bai2('261203,0900', 7, [
      group('2', '0011', { '010': 500, '015': 500 }),
      group('3', '0011', { '010': 500, '015': 500 }),
      group('2', '0011', { '010': 500, '015': 500 }),
      group('2', '0022', { '040': 500, '045': 500 }),
    ]);
    expect(readBai2(file, {}).statements.map((s) => s.statement_ref)).toEqual([
      'BANKUS33/2026-12-02/USD/final',
      'BANKUS33/2026-12-02/USD/interim',
      // The same account and day again in one file: told apart by its count, not merged into the first.
      'BANKUS33/2026-12-02/USD/final/2',
      // Available balances only: nothing shows it is the whole day, so it is this file's and never replaces another's.
      'BANKUS33/2026-12-03/7/g4/a1',
    ]);
  });

  it('a currency in the file wins over --currency', () => {
    expect(readBai2(NATWEST, { currency: 'EUR' }).statements[0]!.currency).toBe('GBP');
  });

  it('finds a wrong 49 control total, naming the line, and only there', () => {
    const broken = NATWEST.replace('49,143764,14/', '49,143765,14/');
    const { problems, statements } = readBai2(broken, {});
    expect(statements).toHaveLength(1);
    expect(problems).toEqual([
      { where: 'line 16 (49 record)', message: 'group 1 account 1 control total: the file declares 143765, it holds 143764' },
    ]);
  });

  it('finds an amount that disagrees with every trailer, and wrong counts', () => {
    const amount = readBai2(NATWEST.replace('16,699,971,,,/', '16,699,972,,,/'), {}).problems.map((p) => p.where);
    expect(amount).toEqual(['line 16 (49 record)', 'line 17 (98 record)', 'line 18 (99 record)']);
    const counts = readBai2(CAD.replace('98,+00000000001280000,2,25/', '98,+00000000001280000,3,24/').replace('99,+00000000001280000,1,27/', '99,+00000000001280000,1,28/'), {});
    expect(counts.problems).toEqual([
      { where: 'line 26 (98 record)', message: 'group 1 number of accounts: the file declares 3, it holds 2' },
      { where: 'line 26 (98 record)', message: 'group 1 record count: the file declares 24, it holds 25' },
      { where: 'line 27 (99 record)', message: 'file record count: the file declares 28, it holds 27' },
    ]);
    // A lost 88 line changes the record counts of the account, the group and the file.
    const lost = readBai2(NATWEST.replace('88,NT SECCY AC TFR\n', ''), {}).problems.map((p) => `${p.where}: ${p.message}`);
    expect(lost).toEqual([
      'line 15 (49 record): group 1 account 1 record count: the file declares 14, it holds 13',
      'line 16 (98 record): group 1 record count: the file declares 16, it holds 15',
      'line 17 (99 record): file record count: the file declares 18, it holds 17',
    ]);
  });

  it('keeps big amounts exact (digits, never floats)', () => {
    const big = '01,S,R,260101,0000,1,,,2/\n02,R,S,1,260101,,GBP,/\n03,ACC,,010,900719925474099,,/\n16,195,900719925474099,,,,X/\n49,1801439850948198,3/\n98,1801439850948198,1,5/\n99,1801439850948198,1,7/\n';
    const { statements, problems } = readBai2(big, {});
    expect(problems).toEqual([]);
    expect(statements[0]!.entries[0]!.amount_minor).toBe(900719925474099);
  });

  it('names the line of malformed input', () => {
    expect(bankError(() => readBai2(NATWEST.replace('16,699,100,,,/', 'XX,699,100,,,/'), {})).where).toBe('line 7');
    expect(bankError(() => readBai2(NATWEST.replace(/99,143764,1,18\/\s*$/, ''), {})).message).toMatch(/99 file trailer/);
    expect(bankError(() => readBai2(NATWEST.replace('16,699,100,,,/', '16,699,100,Q,,/'), {})).message).toMatch(/line 7 \(16 record, field 4\): funds type is not one BAI2 knows/);
    expect(bankError(() => readBai2(NATWEST.replace('16,699,100,,,/', '16,750,100,,,/'), {})).message).toMatch(/direction is unknown/);
    expect(bankError(() => readBai2(NATWEST.replace('16,699,100,,,/', '16,699,1.00,,,/'), {})).where).toBe('line 7 (16 record, field 3)');
    expect(bankError(() => readBai2(NATWEST.replace('02,9876543,NWBKGB2L,1,091216', '02,9876543,NWBKGB2L,1,091316'), {})).message).toMatch(/not a calendar date/);
    expect(bankError(() => readBai2('not a bai2 file', {})).where).toBe('line 1');
  });

  // Bank files carry names and account numbers: an error names the line, the record type and the field, never what
  // the field holds (a value a bank could fill with anything, here a name and an account number).
  const SECRET = 'JANE DOE 12345678';
  const HDR = '01,SENDER,RECEIVER,260101,0000,FILE1,,,2/';
  const GRP = '02,RECEIVER,SENDER,1,260101,,GBP,/';
  const ACC = '03,ACC1,GBP,010,100,,/';
  const file = (...lines: string[]) => `${lines.join('\n')}\n`;
  it.each([
    ['a file creation date', file(HDR.replace('260101,0000', `${SECRET},0000`)), 'line 1 (01 record, field 4)'],
    ['a file creation time', file(HDR.replace('260101,0000', `260101,${SECRET}`)), 'line 1 (01 record, field 5)'],
    ['a version', file(HDR.replace(',,,2/', `,,,${SECRET}/`)), 'line 1 (01 record, field 9)'],
    ['an as-of date', file(HDR, GRP.replace('260101', SECRET)), 'line 2 (02 record, field 5)'],
    ['an as-of time', file(HDR, GRP.replace('260101,', `260101,${SECRET}`)), 'line 2 (02 record, field 6)'],
    ['a group currency', file(HDR, GRP.replace('GBP', SECRET), '03,ACC1,,010,100,,/'), 'line 2 (02 record, field 7)'],
    ['an account currency', file(HDR, GRP, ACC.replace('GBP', SECRET)), 'line 3 (03 record, field 3)'],
    ['a summary type code', file(HDR, GRP, ACC.replace('010', SECRET)), 'line 3 (03 record, field 4)'],
    ['a summary amount', file(HDR, GRP, ACC.replace('100', SECRET)), 'line 3 (03 record, field 5)'],
    ['a summary funds type', file(HDR, GRP, ACC.replace('100,,/', `100,,${SECRET}/`)), 'line 3 (03 record, field 7)'],
    ['a type code', file(HDR, GRP, ACC, `16,${SECRET},100,,,/`), 'line 4 (16 record, field 2)'],
    ['an amount', file(HDR, GRP, ACC, `16,195,${SECRET},,,/`), 'line 4 (16 record, field 3)'],
    ['a funds type', file(HDR, GRP, ACC, `16,195,100,${SECRET},,/`), 'line 4 (16 record, field 4)'],
    ['a distribution count', file(HDR, GRP, ACC, `16,195,100,D,${SECRET},,/`), 'line 4 (16 record, field 5)'],
    ['a value date', file(HDR, GRP, ACC, `16,195,100,V,${SECRET},,,,/`), 'line 4 (16 record, field 5)'],
    ['a 49 control total', file(HDR, GRP, ACC, `49,${SECRET},2/`), 'line 4 (49 record, field 2)'],
    ['a 49 record count', file(HDR, GRP, ACC, `49,100,${SECRET}/`), 'line 4 (49 record, field 3)'],
    ['a 98 account count', file(HDR, GRP, ACC, '49,100,2/', `98,100,${SECRET},4/`), 'line 5 (98 record, field 3)'],
    ['a 99 record count', file(HDR, GRP, ACC, '49,100,2/', '98,100,1,4/', `99,100,1,${SECRET}/`), 'line 6 (99 record, field 4)'],
  ])('names the field of %s, never its value', (_what, text, where) => {
    const err = bankError(() => readBai2(text, {}));
    expect(err.where).toBe(where);
    for (const part of [SECRET, 'JANE', '12345678']) expect(err.message).not.toContain(part);
  });

  it('names an account in a control problem by its place, never its number', () => {
    const { problems } = readBai2(file(HDR, GRP, '03,12345678 JANE DOE,GBP,010,100,,/', '49,101,2/', '98,100,1,4/', '99,100,1,6/'), {});
    expect(problems.map((p) => `${p.where}: ${p.message}`)).toEqual([
      'line 4 (49 record): group 1 account 1 control total: the file declares 101, it holds 100',
    ]);
  });
});
