// `puddle report bank` as a treasurer runs it over imported statements: a CSV of every bank line of a period with its
// state. A report the bank corrected (a BAI2 day sent again, group status 3) replaced the first whole: the first
// report's wrong line is no longer on the bank's statement, so it is `superseded`, not left for the treasurer to
// explain (recon_bank_lines).
import { afterAll, describe, expect, it } from 'vitest';

import { bai2, type Group, type Tx } from '../support/bai2-file.js';
import { bankHome } from '../support/bank-home.js';

const ACCOUNT = '0012345678';
const FEE: Tx = [475, 1200, 'FEE1', '', 'ACCOUNT FEE'];
const gift = (amount: number): Tx => [165, amount, '', 'C2', 'DONATION GIFT'];
const day = (asOf: string, status: string, open: number, close: number, tx: Tx[]): Group => ({ asOf, time: '2400', modifier: '2', status, account: ACCOUNT, balances: { '010': open, '015': close }, tx });

describe('puddle report bank', { timeout: 240_000 }, () => {
  const { puddle, file, remove } = bankHome('puddle-report-bank-');
  afterAll(remove);

  it('writes every line of the period with its state, a corrected report\'s replaced line superseded', async () => {
    // 2 November: the bank booked a 52.00 gift as 25.00, then sent the day's report again as a correction.
    // 3 November: a gift of 10.00.
    const files = [
      file('nov2.bai2', bai2('261103,0600', 1, [day('261102', '1', 100000, 100000 + 2500 - 1200, [gift(2500), FEE])])),
      file('nov2-corrected.bai2', bai2('261103,0900', 2, [day('261102', '3', 100000, 100000 + 5200 - 1200, [gift(5200), FEE])])),
      file('nov3.bai2', bai2('261104,0600', 3, [day('261103', '1', 104000, 105000, [gift(1000)])])),
    ];
    expect((await puddle(['import', 'bank', ...files])).code).toBe(0);
    expect((await puddle(['land'])).code).toBe(0);

    const r = await puddle(['report', 'bank', '--as-of', '2026-11-10', '--from', '2026-11-02', '--to', '2026-11-02', '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    const [header, ...lines] = r.stdout.trim().split('\n');
    const cols = header!.split(',');
    expect(cols).toEqual(expect.arrayContaining(['bank_line_id', 'account', 'booking_date', 'amount_minor', 'amount', 'currency', 'reference', 'description', 'state', 'explanation', 'break_types', 'payout_id', 'rule', 'related_line_id']));
    const rows = lines.map((l) => {
      const cells = l.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, '').replace(/^"|"$/g, '').replaceAll('""', '"'));
      return Object.fromEntries(cols.map((c, i) => [c, cells[i]]));
    });
    // The 3 November gift is outside --from/--to.
    expect(rows.map((x) => [x.booking_date, x.amount_minor, x.state]).sort()).toEqual([
      ['2026-11-02', '-1200', 'unexplained'],
      ['2026-11-02', '2500', 'superseded'],
      ['2026-11-02', '5200', 'unexplained'],
    ]);
    const replaced = rows.find((x) => x.state === 'superseded')!;
    expect(replaced).toMatchObject({ account: ACCOUNT, amount: '25.00', currency: 'USD' });
    // The creation day, as both engines print it (until 2026-12-07 its time, which DuckDB and Trino print apart).
    expect(replaced.explanation).toMatch(/^the issue of statement \S+ that stands \(created 2026-11-03, file nov2-corrected\.bai2\) does not carry it: not on the bank's statement$/);
    expect(rows[0]).toEqual(expect.objectContaining({ value_date: expect.any(String), bank_transaction_code: expect.any(String), end_to_end_id: expect.any(String) }));
    expect(rows.find((x) => x.amount_minor === '-1200')!.explanation).toContain('a debit');
  });
});
