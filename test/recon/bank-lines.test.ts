// A treasurer reconciling the bank statement needs every line's state, not only the payouts' (a user test, M7):
// until 2026-12-07 a debit, HMRC's Gift Aid repayment, a cheque and its return and the SMS remittances were in no
// view, neither matched nor a break. recon_bank_lines (`puddle report bank`) lists every booked line once with its
// state and why, over the recon world (core/scenario/recon-world.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { reconWorld, type ReconWorld } from '../../core/scenario/recon-world.js';
import { setReconParams } from '../../puddles/reports.js';
import { docSql } from '../support/doc-sql.js';
import { createLake, type Lake } from '../puddles/lake-fixture.js';

/** Whole recon views over the world on a loaded two-core machine: a bound for a hang, not a speed. */
const TEST_MS = 360_000;

let lake: Lake;
let world: ReconWorld;
type Row = Record<string, unknown>;
let rows: Row[];

const worldLines = () => world.envelopes.filter((e) => e.contract === 'bank_line').map((e) => e.payload as Row);
const byReference = (reference: string) => {
  const found = rows.filter((r) => r.reference === reference);
  expect(found, reference).toHaveLength(1);
  return found[0]!;
};

beforeAll(async () => {
  world = reconWorld({ seed: 9, donations: 120 });
  lake = await createLake();
  await lake.subscribeAll();
  for (let i = 0; i < world.envelopes.length; i += 500) await lake.queue.publish(world.envelopes.slice(i, i + 500));
  for (const p of ['transactions', 'engagement', 'supporters']) await lake.consumer(p).drain();
  await setReconParams(lake.engine, { as_of: world.asOf });
  rows = await lake.engine.query('SELECT * FROM recon_bank_lines ORDER BY booking_date, bank_line_id');
}, TEST_MS);

afterAll(async () => {
  await lake?.close();
});

describe('every bank line with its state (recon_bank_lines)', { timeout: TEST_MS }, () => {
  it('lists every bank line of the world once', () => {
    const ids = rows.map((r) => r.bank_line_id as string);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(worldLines().map((l) => l.bank_line_id as string).sort());
    expect(new Set(rows.map((r) => r.state))).toEqual(new Set(['matched', 'break', 'reversal', 'remittance', 'unexplained']));
    for (const r of rows) expect(r.explanation, String(r.bank_line_id)).toBeTruthy();
  });

  it('names the payout a matched line carries, and its rule, as recon_matches does', async () => {
    const matches = await lake.engine.query("SELECT left_id, right_id, rule FROM recon_matches WHERE left_kind = 'payout' AND right_kind = 'bank_line'");
    const matched = rows.filter((r) => r.state === 'matched');
    expect(matched.length).toBe(new Set(matches.map((m) => m.right_id)).size);
    const one = matched.find((r) => String(r.reference).startsWith('CHARITY SC'))!;
    const its = matches.filter((m) => m.right_id === one.bank_line_id);
    expect(its).toHaveLength(1);
    expect(one).toMatchObject({ payout_id: its[0]!.left_id, rule: 'bank_reference' });
    expect(one.explanation).toBe(`payout ${String(its[0]!.left_id)} by rule bank_reference: the line's text carries the payout's bank reference or id; amount and currency equal; booked 0 day(s) after arrival_date`);
    // One credit carrying a day's Braintree payouts names each of them.
    const merged = byReference('BRAINTREE FUNDING');
    expect(merged).toMatchObject({ state: 'matched', rule: 'payout_day_sum' });
    expect(String(merged.payout_id).split(', ').sort()).toEqual(matches.filter((m) => m.right_id === merged.bank_line_id).map((m) => m.left_id).sort());
  });

  it('explains the lines no rule matched: a debit, Gift Aid, a cheque and its return, the SMS remittances', () => {
    expect(byReference('STRIPE BILLING')).toMatchObject({ state: 'unexplained', amount_minor: -1500, explanation: expect.stringContaining('a debit') });
    expect(byReference('GIFT AID REPAYMENT')).toMatchObject({ state: 'unexplained', amount_minor: 125000, explanation: expect.stringContaining('a credit naming no payment provider') });
    const cheque = byReference('CHQ 100777');
    const returned = byReference('RETURNED UNPAID');
    expect(cheque).toMatchObject({ state: 'reversal', related_line_id: returned.bank_line_id, explanation: `the bank reversed it on 2026-12-14 (${String(returned.bank_line_id)}): together they moved no money` });
    expect(returned).toMatchObject({ state: 'reversal', related_line_id: cheque.bank_line_id, explanation: `the bank reversed ${String(cheque.bank_line_id)} (paired by entry_reference): together they moved no money` });
    expect(byReference('DONR SMS 2026-10')).toMatchObject({ state: 'remittance', explanation: 'text-to-donate remittance from sms:donr for the month 2026-10; the month is remitted in full' });
    expect(byReference('SMS REMITTANCE')).toMatchObject({ state: 'remittance', explanation: 'text-to-donate remittance from sms:donr for the month 2026-11; the month is short 15.00 GBP (puddle report sms)' });
    // A provider credit whose payout has not come yet: no break inside its grace, and the explanation says when.
    expect(byReference('CHARITY SC20270118')).toMatchObject({ state: 'unexplained', explanation: expect.stringContaining('BANK_LINE_NO_PAYOUT opens when it is older than 3 days') });
  });

  it('gives a line an open break names that break, but for a payout the bank took back', async () => {
    // Every line a break names is `break`, but the credit whose only break is BANK_LINE_REVERSED: it is `reversal`
    // with its reversal (below). The world has no statement break (test/recon/bank-lines-statement.test.ts has one).
    const breaks = await lake.engine.query(`SELECT bank_line_id FROM recon_breaks WHERE bank_line_id IS NOT NULL
      GROUP BY bank_line_id HAVING max(CASE WHEN break_type = 'BANK_LINE_REVERSED' THEN 0 ELSE 1 END) = 1`);
    expect(rows.filter((r) => r.state === 'break').map((r) => r.bank_line_id).sort()).toEqual(breaks.map((b) => b.bank_line_id).sort());
    expect(byReference('CHARITY SC99999999')).toMatchObject({ state: 'break', break_types: 'BANK_LINE_NO_PAYOUT', explanation: 'BANK_LINE_NO_PAYOUT: credit names stripe but matches no payout' });
    expect(rows.find((r) => r.amount_minor === -4999)).toMatchObject({ state: 'break', break_types: 'BANK_REVERSAL_UNPAIRED' });
  });

  it('ticks the credit that carried a reversed payout with its reversal, the break kept in break_types', () => {
    // Until 2026-12-07 the credit was `break` with no related_line_id and its reversal `reversal` naming it, so the
    // month's `reversal` lines netted to minus the payout (a treasurer retest).
    const credit = byReference('CHARITY SC20261205');
    const back = rows.find((r) => r.related_line_id === credit.bank_line_id)!;
    expect(back).toMatchObject({ state: 'reversal', amount_minor: -Number(credit.amount_minor) });
    expect(credit).toMatchObject({ state: 'reversal', related_line_id: back.bank_line_id, break_types: 'BANK_LINE_REVERSED' });
    expect(credit.explanation).toMatch(new RegExp(`^the bank reversed it on 2026-12-08 \\(${String(back.bank_line_id)}\\): together they moved no money; BANK_LINE_REVERSED \\(payout po_20261205\\): payout paid; the bank booked its line on 2026-12-06 and reversed it on 2026-12-08`));
  });

  it('gives the columns a treasurer explains a line with', () => {
    const e2e = world.envelopes.map((e) => e.payload as Row).find((p) => p.end_to_end_id && p.description === 'STRIPE PAYMENTS UK LTD')!;
    expect(rows.find((r) => r.bank_line_id === e2e.bank_line_id)).toMatchObject({
      value_date: expect.anything(), end_to_end_id: e2e.end_to_end_id, counterparty: 'STRIPE PAYMENTS UK LTD',
    });
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['value_date', 'bank_transaction_code', 'end_to_end_id', 'counterparty']));
    // A counterparty that names no provider never reaches the lake (docs/bank-statements.md, "Personal data in bank lines").
    expect(byReference('GIFT AID REPAYMENT').counterparty).toBeNull();
  });

  it("sums the month per state with the docs' query, and the lines add up to the statement's movement", async () => {
    const summary = await lake.engine.query(docSql('reconciliation.md', '### Bank reconciliation'));
    const december = rows.filter((r) => String(r.booking_date).startsWith('2026-12'));
    expect(summary.map((r) => [r.state, Number(r.lines)])).toEqual(
      [...new Set(december.map((r) => r.state as string))].sort().map((state) => [state, december.filter((r) => r.state === state).length]),
    );
    const net = summary.filter((r) => r.state !== 'superseded').reduce((sum, r) => sum + Number(r.net_minor), 0);
    expect(Number(summary.find((r) => r.state === 'reversal')!.net_minor)).toBe(0);
    const [stmt] = await lake.engine.query("SELECT opening_balance_minor, closing_balance_minor FROM bank_statement WHERE bank_statement_id = 'stmt-2026-12'");
    expect(net).toBe(Number(stmt!.closing_balance_minor) - Number(stmt!.opening_balance_minor));
    expect(summary.find((r) => r.state === 'unexplained')).toMatchObject({ account: 'GB29NWBK60161331926819', currency: 'GBP' });
  });

  it("gives each statement of the month its balances and its lines' net with the docs' query", async () => {
    const statements = await lake.engine.query(docSql('reconciliation.md', "### The bank's balance at a month end"));
    const [stmt] = await lake.engine.query("SELECT opening_balance_minor, closing_balance_minor FROM bank_statement WHERE bank_statement_id = 'stmt-2026-12'");
    const december = rows.filter((r) => r.statement_id === 'stmt-2026-12' && r.state !== 'superseded');
    const row = statements.find((s) => s.bank_statement_id === 'stmt-2026-12')!;
    expect(row).toMatchObject({ account: 'GB29NWBK60161331926819', currency: 'GBP' });
    expect([row.opening_balance_minor, row.closing_balance_minor, row.lines, row.lines_net_minor, row.difference_minor].map(Number)).toEqual([
      Number(stmt!.opening_balance_minor), Number(stmt!.closing_balance_minor), december.length, december.reduce((sum, r) => sum + Number(r.amount_minor), 0), 0,
    ]);
  });

  it('leaves out the lines booked after the as-of date', async () => {
    await setReconParams(lake.engine, { as_of: '2026-12-12' });
    try {
      const early = await lake.engine.query('SELECT bank_line_id, booking_date FROM recon_bank_lines');
      expect(early.map((r) => r.bank_line_id).sort()).toEqual(worldLines().filter((l) => (l.booking_date as string) <= '2026-12-12').map((l) => l.bank_line_id).sort());
      // The cheque's return is booked on the 14th: as of the 12th the cheque is paid in, and nothing explains it yet.
      expect(await lake.engine.query("SELECT state FROM recon_bank_lines WHERE reference = 'CHQ 100777'")).toEqual([{ state: 'unexplained' }]);
    } finally {
      await setReconParams(lake.engine, { as_of: world.asOf });
    }
  });
});
