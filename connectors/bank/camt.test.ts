import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeCamt } from './camt-writer.js';
import { readCamt } from './camt.js';
import { checkStatement } from './checks.js';
import { detectFormat, notAStatement } from './detect.js';
import { BankFileError } from './statement.js';
import { lineIds } from './to-envelopes.js';
import { dailyStatements } from './sandbox-statements.js';

const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/bank/${name}`, import.meta.url), 'utf8');

function errorOf(fn: () => unknown): BankFileError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BankFileError) return err;
    throw err;
  }
  throw new Error('no BankFileError');
}

describe('readCamt', () => {
  it('reads a camt.053 001.02 with a batch booking: amounts, signs, dates, references, balances', () => {
    const { statements, problems } = readCamt(fixture('camt053_v02_4entries_batch.xml'), {});
    expect(problems).toEqual([]);
    expect(statements).toHaveLength(1);
    const s = statements[0]!;
    expect(s).toMatchObject({
      format: 'camt.053', statement_ref: '0352C5320131227220503', account: 'DE14740618130000033626', currency: 'EUR',
      created_at: '2013-12-27T21:04:52.000Z', opening_balance_minor: 3306, closing_balance_minor: 2306,
    });
    expect(s.entries.map((e) => e.amount_minor)).toEqual([-200, -300, 100, -600]);
    const [first, , third, batch] = s.entries;
    expect(first).toMatchObject({
      booking_date: '2013-12-27', value_date: '2013-12-27', status: 'booked', reversal: false, entry_reference: '2013122710583450000',
      end_to_end_id: 'EndToEndReference', reference: 'TEST BERWEISUNG MITTELS BLZUND KONTONUMMER - DTA', bank_transaction_code: 'NTRF+020',
      counterparty: 'Testkonto Nummer 2', batch_count: null, details: [],
    });
    expect(third).toMatchObject({ reference: 'R CKBUCHUNG', counterparty: 'Testkonto Nummer 2', bank_transaction_code: 'NMSC+051' });
    // The batch stays one entry of -6.00 with its two transactions as details.
    expect(batch).toMatchObject({ amount_minor: -600, batch_count: 2, reference: 'STZV-PmInf27122013-11:02-2', end_to_end_id: null });
    expect(batch!.details).toEqual([
      { amount_minor: -350, currency: 'EUR', end_to_end_id: 'STZV-EtE27122013-11:02-1', reference: 'Sammelueberwseisung 2. Zahlung   TAN:283044', counterparty: 'Testkonto Nummer 1' },
      { amount_minor: -250, currency: 'EUR', end_to_end_id: 'STZV-EtE27122013-11:02-2', reference: 'Sammelueberweisung 1. Zahlung   TAN:283044', counterparty: 'Testkonto Nummer 1' },
    ]);
    expect(checkStatement(s, 0)).toEqual([]);
  });

  it('reads a camt.052 intraday report whose balances add up', () => {
    const { statements } = readCamt(fixture('camt052_v02_intraday.xml'), {});
    const s = statements[0]!;
    expect(s).toMatchObject({ format: 'camt.052', account: 'DE58740618130100033626', opening_balance_minor: 850, closing_balance_minor: 1350 });
    expect(s.entries.map((e) => [e.amount_minor, e.entry_reference, e.status])).toEqual([
      [200, '2013122710583450000', 'booked'],
      [300, '2013122710583670000', 'booked'],
    ]);
    // EndToEndId NOTPROVIDED is the scheme's "none".
    expect(s.entries[1]!.end_to_end_id).toBeNull();
    expect(checkStatement(s, 0)).toEqual([]);
  });

  it('reads camt.053 001.08: Sts/Cd, Pty names, structured creditor references, and flags the foreign-currency entry', () => {
    const { statements } = readCamt(fixture('camt053_v08_scor_fx.xml'), {});
    const s = statements[0]!;
    expect(s).toMatchObject({ currency: 'CHF', account: 'CH1111111111111111111', opening_balance_minor: 8272195, closing_balance_minor: 8451525, period_from: '2023-06-19T22:00:00.000Z' });
    expect(s.entries.map((e) => [e.amount_minor, e.currency, e.status, e.reference, e.counterparty, e.bank_transaction_code])).toEqual([
      [47440, 'CHF', 'booked', 'INVOICE R77561', 'Jon Doe', 'PMNT/RCDT/AUTT'],
      [8885, 'CHF', 'booked', 'RF38000000000000000000552', 'Finanz AG', 'PMNT/RCDT/VCOM'],
      [-2097, 'EUR', 'booked', '000000270148751802165444888', 'DHL Express (Schweiz) AG', 'PMNT/ICDT/AUTT'],
    ]);
    expect(s.entries[1]).toMatchObject({ batch_count: 1, end_to_end_id: '435A9287E088BDB1D97FAABD181C70C8', entry_reference: '2022172PH0003127' });
    expect(checkStatement(s, 0)).toEqual([
      { where: 'Stmt[1]/Ntry[3] (line 259)', message: expect.stringContaining('EUR, the statement in CHF') },
      // The break's figure, and where it comes from: 84,515.25 - 82,721.95 - the CHF entries' 563.25.
      {
        where: expect.stringMatching(/: closing balance$/),
        message: 'opening 82721.95 CHF + booked entries in CHF 563.25 CHF = 83285.20 CHF, the closing balance 84515.25 CHF: 1230.05 CHF is left to the entries in other currencies, which the file gives without their CHF amount',
      },
    ]);
  });

  it('reads a camt.054 notification (no balances, no Acct/Ccy: the amounts say SEK) with its batch details', () => {
    const { statements } = readCamt(fixture('camt054_v08_batch_strd.xml'), {});
    const s = statements[0]!;
    expect(s).toMatchObject({ format: 'camt.054', currency: 'SEK', opening_balance_minor: null, closing_balance_minor: null });
    expect(s.entries).toHaveLength(1);
    const e = s.entries[0]!;
    expect(e).toMatchObject({ amount_minor: -20000000, currency: 'SEK', entry_reference: 'ACSR160617103200001', batch_count: 2, bank_transaction_code: 'PMNT/ICDT/DMCT' });
    expect(e.details.map((d) => [d.amount_minor, d.currency, d.end_to_end_id])).toEqual([
      [310, 'CHF', 'UXC06170000006PI00001EE00001'],
      [320, 'CHF', 'UXC06170000006PI00001EE00002'],
      [320, 'CHF', 'UXC06170000006PI00001EE00002'],
    ]);
    expect(e.details[0]!.reference).toBe('Unstructured Remittance Information V1 ISR ref number V1');
    expect(checkStatement(s, 0)).toEqual([]);
  });

  it('finds the ING sample does not add up: balance, counts and sums, each named', () => {
    const { statements } = readCamt(fixture('camt053_v02_ing_batch_txssummry.xml'), {});
    const s = statements[0]!;
    // OPBD is preferred to PRCD; a batch without TxDtls is still one entry.
    expect(s.opening_balance_minor).toBe(732980);
    expect(s.entries[0]).toMatchObject({ amount_minor: -475374, batch_count: 3, details: [], bank_transaction_code: 'PMNT/ICDT/ESCT' });
    const problems = checkStatement(s, 0);
    expect(problems.map((p) => p.where)).toEqual([
      'Stmt[1] (line 8): closing balance', 'Stmt[1] (line 8): entry count', 'Stmt[1] (line 8): credit entry count',
      'Stmt[1] (line 8): debit entry count', 'Stmt[1] (line 8): credit total', 'Stmt[1] (line 8): debit total', 'Stmt[1] (line 8): sum of all entries',
    ]);
    expect(problems[0]!.message).toBe('opening 7329.80 EUR + booked entries 2934.26 EUR = 10264.06 EUR, but the closing balance is 23038.20 EUR (off by 12774.14 EUR)');
    expect(problems[1]!.message).toBe('the file declares 35 entries, it holds 3');
  });

  it('names the line of malformed XML and refuses what is not camt', () => {
    const broken = fixture('camt052_v02_intraday.xml').replace('<CdtDbtInd>CRDT</CdtDbtInd>\n      <Sts>', '<CdtDbtInd>CRDT</CdtDbt>\n      <Sts>');
    const e = errorOf(() => readCamt(broken, {}));
    expect(e.where).toMatch(/^line 62, column \d+$/);
    expect(e.message).toContain('malformed XML');
    expect(errorOf(() => readCamt('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>', {})).message).toContain('no camt.052/053/054 namespace');
    expect(errorOf(() => readCamt('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.11"/>', {})).message).toContain('not supported');
    expect(errorOf(() => readCamt(fixture('camt053_v02_4entries_batch.xml').replace('<Amt Ccy="EUR">3.00</Amt>', '<Amt>3.00</Amt>'), {})).message).toMatch(/Ntry\[2\].*no Ccy/);
    expect(errorOf(() => readCamt(fixture('camt053_v02_4entries_batch.xml').replace('<Amt Ccy="EUR">3.00</Amt>', '<Amt Ccy="EUR">3.001</Amt>'), {})).message).toContain('more decimals');
    expect(errorOf(() => readCamt(fixture('camt053_v02_4entries_batch.xml').replace('<Amt Ccy="EUR">3.00</Amt>', '<Amt Ccy="EUR">-3.00</Amt>'), {})).message).toContain('has a sign');
    expect(errorOf(() => readCamt(fixture('camt053_v02_4entries_batch.xml').replace('<Sts>BOOK</Sts>', '<Sts>DONE</Sts>'), {}))).toMatchObject({ where: 'Stmt[1]/Ntry[1] (line 60)' });
  });

  // Until 2026-12-03 a balance type outside ISO 20022's list was read as no balance at all: a camt.053 whose
  // CLBD the bank (or a hand edit) mistyped imported as adding up, with nothing left to check it against. A
  // balance's date was not read (`27.12.2013` passed), and an entry's date was read by its first ten characters.
  it('refuses a balance type that is no ISO 20022 code, and a balance or entry date that is not a date, naming the Bal or Ntry', () => {
    const batch = fixture('camt053_v02_4entries_batch.xml');
    for (const code of ['CLBX', 'clbd', 'CLOSING']) {
      const e = errorOf(() => readCamt(batch.replace('<Cd>CLBD</Cd>', `<Cd>${code}</Cd>`), {}));
      expect(e.message, code).toBe('Stmt[1]/Bal[2] (line 48): Tp/CdOrPrtry/Cd is no ISO 20022 balance type (OPBD, CLBD, PRCD, ITBD, OPAV, CLAV, ITAV, FWAV, XPCD, INFO)');
    }
    expect(errorOf(() => readCamt(batch.replace(/<Tp>\s*<CdOrPrtry>\s*<Cd>CLBD<\/Cd>\s*<\/CdOrPrtry>\s*<\/Tp>/, ''), {})).message).toContain('Bal has no balance type');
    for (const bad of ['27.12.2013', '2013-02-30', '2013-12-27junk', '2013-12-27T25:00:00']) {
      const e = errorOf(() => readCamt(batch.replace(/<Dt>\s*<Dt>2013-12-27<\/Dt>/, `<Dt><Dt>${bad}</Dt>`), {}));
      expect(e.message, bad).toBe('Stmt[1]/Bal[1] (line 36): Bal/Dt is not a date (YYYY-MM-DD) nor a date-time (YYYY-MM-DDThh:mm:ss)');
      const entry = errorOf(() => readCamt(batch.replace(/<BookgDt>\s*<Dt>2013-12-27<\/Dt>/, `<BookgDt><Dt>${bad}</Dt>`), {}));
      expect(entry.message, bad).toBe('Stmt[1]/Ntry[1] (line 60): BookgDt is not a date (YYYY-MM-DD) nor a date-time (YYYY-MM-DDThh:mm:ss)');
    }
    // What ISO 20022 allows still reads: the other balance types (left alone), a bank's own (Prtry), a date-time.
    const allowed = batch
      .replace('<Cd>PRCD</Cd>', '<Cd>OPBD</Cd>')
      .replace(/<Dt>\s*<Dt>2013-12-27<\/Dt>/, '<Dt><DtTm>2013-12-27T22:04:52.0+01:00</DtTm>')
      .replace('</Stmt>', '<Bal><Tp><CdOrPrtry><Cd>CLAV</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2013-12-27</Dt></Dt></Bal></Stmt>')
      .replace('</Stmt>', '<Bal><Tp><CdOrPrtry><Prtry>BANK-OWN</Prtry></CdOrPrtry></Tp><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2013-12-27</Dt></Dt></Bal></Stmt>');
    expect(readCamt(allowed, {}).statements[0]).toMatchObject({ opening_balance_minor: 3306, closing_balance_minor: 2306 });
  });

  it('names the line of a bad amount once, for entries and balances alike', () => {
    // A tester's statement written on one line: the entry's amount has three decimals.
    const odd = errorOf(() => readCamt(fixture('camt053_tester_odd_amount.xml'), {}));
    expect(odd.message).toBe('Stmt[1]/Ntry[1] (line 2): amount has more decimals than GBP allows (2)');
    const balance = errorOf(() => readCamt(fixture('camt053_v02_4entries_batch.xml').replace('<Amt Ccy="EUR">33.06</Amt>', '<Amt Ccy="EUR">33.065</Amt>'), {}));
    expect(balance.where).toBe('Stmt[1]/Bal[PRCD] (line 42)');
    const direction = errorOf(() => readCamt(fixture('camt053_v02_4entries_batch.xml').replace('<CdtDbtInd>DBIT</CdtDbtInd>', '<CdtDbtInd>X</CdtDbtInd>'), {}));
    expect(direction.message.match(/\(line \d+\)/g)).toHaveLength(1);
  });

  it('names the element of a bad value, never the value (bank files hold names and account numbers)', () => {
    const SECRET = 'JANE DOE 12345678';
    const batch = fixture('camt053_v02_4entries_batch.xml');
    const cases = [
      batch.replace('<Amt Ccy="EUR">3.00</Amt>', `<Amt Ccy="EUR">${SECRET}</Amt>`),
      batch.replace('<Amt Ccy="EUR">3.00</Amt>', '<Amt Ccy="EUR">-12345678</Amt>'),
      batch.replace('<Amt Ccy="EUR">33.06</Amt>', '<Amt Ccy="EUR">12345678.001</Amt>'),
      batch.replace('<CdtDbtInd>DBIT</CdtDbtInd>', `<CdtDbtInd>${SECRET}</CdtDbtInd>`),
      batch.replace('<Sts>BOOK</Sts>', `<Sts>${SECRET}</Sts>`),
      batch.replace(/<CreDtTm>[^<]*<\/CreDtTm>/g, `<CreDtTm>${SECRET}</CreDtTm>`),
      batch.replace(/<BookgDt>\s*<Dt>[^<]*<\/Dt>/, `<BookgDt><Dt>${SECRET}</Dt>`),
      batch.replace('<Cd>CLBD</Cd>', '<Cd>JANE</Cd>'),
      batch.replace(/<Dt>\s*<Dt>2013-12-27<\/Dt>/, `<Dt><Dt>${SECRET}</Dt>`),
    ];
    for (const xml of cases) {
      expect(xml).not.toBe(batch);
      const e = errorOf(() => readCamt(xml, {}));
      expect(e.where).toMatch(/line \d+/);
      for (const part of [SECRET, 'JANE', '12345678']) expect(e.message).not.toContain(part);
    }
  });

  it('reads back what the writer wrote, pending and reversed entries included, in every version', () => {
    for (const version of [2, 5, 8]) {
      const xml = writeCamt({
        version, message_id: 'M1', created_at: '2026-12-01T23:00:00Z',
        statements: [{
          id: 'S1', account: 'GB33BUKB20201555555555', currency: 'GBP', created_at: '2026-12-01T23:00:00Z', opening_balance_minor: 10_000, summary: true,
          entries: [
            { amount_minor: 12_345, booking_date: '2026-12-01', entry_reference: 'A1', remittance: 'STRIPE PAYOUT po_1 & co', counterparty: 'Stripe Payments UK Ltd', end_to_end_id: 'E1' },
            { amount_minor: -500, booking_date: '2026-12-01', reversal: true, bank_transaction_code: 'PMNT/RCDT/DMCT' },
            { amount_minor: 999, booking_date: '2026-12-01', status: 'pending', entry_reference: 'P1' },
            { amount_minor: 700, booking_date: '2026-12-01', entry_reference: 'B1', details: [{ amount_minor: 300, end_to_end_id: 'x' }, { amount_minor: 400, end_to_end_id: 'y' }] },
          ],
        }],
      });
      const { statements, problems } = readCamt(xml, {});
      expect(problems).toEqual([]);
      const s = statements[0]!;
      expect(checkStatement(s, 0)).toEqual([]);
      // The pending entry is not in the closing balance.
      expect(s.closing_balance_minor).toBe(10_000 + 12_345 - 500 + 700);
      expect(s.entries.map((e) => [e.amount_minor, e.status, e.reversal])).toEqual([[12_345, 'booked', false], [-500, 'booked', true], [999, 'pending', false], [700, 'booked', false]]);
      expect(s.entries[0]).toMatchObject({ reference: 'STRIPE PAYOUT po_1 & co', counterparty: 'Stripe Payments UK Ltd', end_to_end_id: 'E1' });
      expect(s.entries[3]!.details.map((d) => d.amount_minor)).toEqual([300, 400]);
    }
  });
});

describe('line ids', () => {
  const base = { id: 'S', account: 'ACC', currency: 'GBP', created_at: '2026-12-01T12:00:00Z', opening_balance_minor: 0 };
  const five = { amount_minor: 500, booking_date: '2026-12-01' };
  const gift = (n: number) => ({ ...five, end_to_end_id: `E2E-${n}`, remittance: `GIFT ${n}`, counterparty: `Donor ${n}` });
  const ids = (kind: '052' | '053' | '054', entries: Parameters<typeof writeCamt>[0]['statements'][0]['entries']) =>
    lineIds(readCamt(writeCamt({ kind, version: 8, message_id: kind, created_at: base.created_at, statements: [{ ...base, entries }] }), {}).statements[0]!);

  it('use the bank reference, else the entry\'s own details hashed, so a 052 and its 053 agree and two gifts stay apart', () => {
    const a = ids('052', [gift(1), { ...five, entry_reference: 'R9' }, gift(2)]);
    const b = ids('053', [{ amount_minor: -100, booking_date: '2026-12-01', remittance: 'FEE' }, gift(1), { ...five, entry_reference: 'R9' }, gift(2), gift(3), gift(3)]);
    expect(a[1]).toBe('ACC/R9');
    for (const id of [...a, ...b].filter((x) => x !== 'ACC/R9')) expect(id).toMatch(/^ACC\/2026-12-01\/-?\d+GBP\/[0-9a-f]{16}\/\d$/);
    // The same two gifts in the intraday report and the statement: the same ids; different gifts: different ids.
    expect([b[1], b[3]]).toEqual([a[0], a[2]]);
    expect(a[0]).not.toBe(a[2]);
    // Two entries with nothing to tell them apart (same day, amount and details) are counted: /1 and /2.
    expect(b[5]).toBe(b[4]!.replace(/\/1$/, '/2'));
    // The details are hashed: no name, reference or end-to-end id in the id.
    expect([...a, ...b].join(' ')).not.toMatch(/Donor|GIFT|E2E/);
  });

  it('do not use NtryRef, which banks number per statement: the same number is two entries, two numbers can be one', () => {
    // Entry 1 of two days' statements: two ids (as `ACC/1` both, the second replaced the first).
    const [monday] = ids('053', [{ ...gift(1), ntry_ref: '1' }]);
    const [tuesday] = ids('053', [{ ...gift(2), ntry_ref: '1' }]);
    expect(monday).toMatch(/^ACC\/2026-12-01\/500GBP\/[0-9a-f]{16}\/1$/);
    expect(tuesday).not.toBe(monday);
    // The intraday report numbered the gift 3 (or not at all), the statement 7: one entry, one id. AcctSvcrRef still wins.
    expect(ids('052', [{ ...gift(1), ntry_ref: '3' }, gift(1)])).toEqual([monday, monday!.replace(/1$/, '2')]);
    expect(ids('053', [{ ...gift(1), ntry_ref: '7', entry_reference: 'R9' }])).toEqual(['ACC/R9']);
    // The NtryRef stays the line's entry reference.
    const xml = writeCamt({ version: 8, message_id: 'm', created_at: base.created_at, statements: [{ ...base, entries: [{ ...gift(1), ntry_ref: '7' }] }] });
    expect(readCamt(xml, {}).statements[0]!.entries[0]).toMatchObject({ entry_reference: '7', booking_reference: null });
  });

  it('keep the tester\'s two camt.054 notifications apart: one 25.00 credit each, the same day, no bank reference', () => {
    const [one] = lineIds(readCamt(fixture('camt054_tester_ntf1.xml'), {}).statements[0]!);
    const [two] = lineIds(readCamt(fixture('camt054_tester_ntf2.xml'), {}).statements[0]!);
    expect(one).toMatch(/^GB29NWBK60161331926819\/2026-11-25\/2500GBP\/[0-9a-f]{16}\/1$/);
    expect(two).not.toBe(one);
    // The end-of-day statement repeating the first notification's payment gives it the notification's id.
    const [fee, repeated] = ids('053', [{ amount_minor: -100, booking_date: '2026-11-25', remittance: 'FEE' }, { amount_minor: 2_500, booking_date: '2026-11-25', end_to_end_id: 'E2E-DONOR-1', counterparty: 'Donor Person 1', remittance: 'DONATION REF D1' }]);
    expect(fee).not.toBe(one);
    expect(repeated).toBe(one!.replace('GB29NWBK60161331926819', 'ACC'));
  });
});

describe('detectFormat', () => {
  it('goes by content, not name', () => {
    expect(detectFormat(fixture('camt054_v08_batch_strd.xml'))).toBe('camt');
    expect(detectFormat('\ufeff  <?xml version="1.0"?><Document/>')).toBe('camt');
    expect(detectFormat(fixture('bai2_natwest_gbp.bai2'))).toBe('bai2');
    expect(detectFormat(fixture('bai2_spec_example_usd.txt'))).toBe('bai2');
    expect(detectFormat(fixture('lloyds_online_export.csv'))).toBe('csv');
  });

  it('says what a file is when it is no statement at all, instead of asking a note for a CSV layout', () => {
    expect(notAStatement('%PDF-1.7\n%\u00e2\u00e3\n1 0 obj\n', 'csv')).toMatch(/^it is a PDF document/);
    expect(notAStatement('PK\u0003\u0004\u0014\u0000\u0006\u0000', 'csv')).toMatch(/^it is a ZIP archive/);
    expect(notAStatement('\u00d0\u00cf\u0011\u00e0\u0000\u0000', 'csv')).toMatch(/binary data/);
    expect(notAStatement('Call the bank on Monday.\nAsk about the Gift Aid claim\n', 'csv')).toBe('no line has three comma-separated columns (a date, a text and an amount at least)');
    for (const name of ['lloyds_online_export.csv', 'natwest_made_export.csv', 'hsbc_made_export.csv', 'barclays_made_export.csv']) {
      expect(notAStatement(fixture(name), 'csv')).toBeNull();
    }
    expect(notAStatement(fixture('bai2_natwest_gbp.bai2'), 'bai2')).toBeNull();
    expect(notAStatement(fixture('camt052_v02_intraday.xml'), 'camt')).toBeNull();
  });
});

describe('sandbox daily statements', () => {
  it('writes one camt.053 per finished day, chained balances that add up, the payout reference in the text', () => {
    const lines = [
      { bank_line_id: 'bl_1', account: 'charity-current', amount_minor: 12_000, currency: 'GBP', reference: 'PUDDLE PO ABC', description: 'STRIPE PAYMENTS UK LTD', booking_date: '2026-11-28', occurred_at: '2026-11-28T00:00:00Z' },
      { bank_line_id: 'bl_2', account: 'charity-current', amount_minor: -300, currency: 'GBP', reference: 'BRAINTREE 2026-11-29', booking_date: '2026-11-29', occurred_at: '2026-11-29T10:00:00Z' },
      { bank_line_id: 'bl_3', account: 'charity-current', amount_minor: 4_500, currency: 'GBP', reference: 'PUDDLE PO DEF', booking_date: '2026-11-29', occurred_at: '2026-11-29T00:00:00Z' },
      { bank_line_id: 'bl_4', account: 'charity-current', amount_minor: 100, currency: 'GBP', reference: 'today', booking_date: '2026-11-30', occurred_at: '2026-11-30T00:00:00Z' },
    ];
    const files = dailyStatements(lines, new Date('2026-11-30T09:00:00Z'));
    expect(files.map((f) => f.name)).toEqual(['SBX-charity-current-GBP-2026-11-28.camt053.xml', 'SBX-charity-current-GBP-2026-11-29.camt053.xml']);
    const [d1, d2] = files.map((f) => readCamt(f.xml, {}).statements[0]!);
    expect(checkStatement(d1!, 0)).toEqual([]);
    expect(checkStatement(d2!, 0)).toEqual([]);
    expect(d2!.opening_balance_minor).toBe(d1!.closing_balance_minor);
    expect(d1!.entries[0]).toMatchObject({ amount_minor: 12_000, reference: 'PUDDLE PO ABC', entry_reference: 'bl_1', description: 'STRIPE PAYMENTS UK LTD' });
    expect(d2!.entries.map((e) => e.reference)).toEqual(['BRAINTREE 2026-11-29', 'PUDDLE PO DEF']);
  });
});
