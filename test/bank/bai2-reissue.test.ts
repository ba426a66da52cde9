// A BAI2 report of an account's day that the bank sends again replaces the earlier one, as a camt.053 re-issued
// under its Stmt/Id does (recon_bank_issue): until 2026-12-03 a statement's id named its file, so a correction (group
// status 3) with a corrected amount on an entry without a bank reference (the amount is in its line id) left the
// wrong line booked beside the right one, the money counted twice. And an interim report (as-of-date modifier 1 or
// 3), whose lines are pending, is no statement of record for STATEMENT_GAP: compared, it hid a missing final report.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { bai2, type Group, type Tx } from '../support/bai2-file.js';
import { bankHome } from '../support/bank-home.js';

const FEE: Tx = [475, 1200, 'FEE1', '', 'ACCOUNT FEE'];
const gift = (amount: number): Tx => [165, amount, '', 'C2', 'DONATION GIFT'];
const WIRE: Tx = [195, 50000, 'W1', '', 'WIRE IN'];

describe('BAI2 reports sent again, and interim reports in the gap check', { timeout: 240_000 }, () => {
  const { puddle, query, file, remove } = bankHome('puddle-bai2-reissue-');
  const importAndLand = async (...files: string[]) => {
    const r = await puddle(['import', 'bank', ...files]);
    expect(r.code, r.stderr).toBe(0);
    expect((await puddle(['land'])).code).toBe(0);
  };
  const breaks = (account: string) =>
    query(`SELECT break_type, object_id, amount_minor, related_ids FROM recon_breaks WHERE object_kind = 'bank_statement' AND object_id LIKE '${account}/%' ORDER BY object_id`);
  afterAll(remove);

  it('a correction replaces the day\'s report whole, in the bank\'s order whatever the order of import; a file sent again changes nothing', async () => {
    const day = (status: string, close: number, tx: Tx[]): Group => ({ asOf: '261102', time: '2400', modifier: '2', status, account: '0012345678', balances: { '010': 100000, '015': close }, tx });
    // The bank booked a 52.00 gift as 25.00, then sent the day's report again marked as a correction.
    const original = file('nov2.bai2', bai2('261103,0600', 1, [day('1', 100000 + 2500 - 1200, [gift(2500), FEE])]));
    const corrected = file('nov2-corrected.bai2', bai2('261103,0900', 2, [day('3', 100000 + 5200 - 1200, [gift(5200), FEE])]));
    // `puddle import bank nov2*.bai2` takes the correction first: the bank's creation times decide, not the order.
    await importAndLand(corrected, original);
    const booked = "SELECT amount_minor FROM recon_bank_booked WHERE account = '0012345678' ORDER BY amount_minor";
    expect(await query(booked)).toEqual([{ amount_minor: -1200 }, { amount_minor: 5200 }]);
    // bank_line is the lake as received, both reports' lines; bank_statement the report that stands.
    expect(await query("SELECT count(*) AS n FROM bank_line WHERE account = '0012345678'")).toEqual([{ n: 3 }]);
    expect(await query("SELECT bank_statement_id, closing_balance_minor, file_name FROM bank_statement WHERE account = '0012345678'")).toEqual([
      { bank_statement_id: '0012345678/bai2/BANKUS33/2026-11-02/USD/final', closing_balance_minor: 104000, file_name: 'nov2-corrected.bai2' },
    ]);

    // The same report sent again in the afternoon (another file id, created later): the same lines, nothing withdrawn.
    await importAndLand(file('nov2-resent.bai2', bai2('261103,1400', 3, [day('1', 100000 + 5200 - 1200, [gift(5200), FEE])])));
    expect(await query(booked)).toEqual([{ amount_minor: -1200 }, { amount_minor: 5200 }]);
    expect(await breaks('0012345678')).toEqual([]);
  });

  it('compares final reports only for STATEMENT_GAP: an interim report does not stand in for a missing final one', async () => {
    const account = '0099887766';
    const report = (asOf: string, time: string, modifier: string, open: number, close: number, tx: Tx[]): Group => ({ asOf, time, modifier, account, balances: { '010': open, '015': close }, tx });
    const nov1 = file('b-nov1.bai2', bai2('261102,0600', 1, [report('261101', '2400', '2', 100000, 100000, [])]));
    // Nov 2 at 11:00: an interim same-day report with a 500.00 wire, its line pending until the final report books it.
    const interim = file('b-nov2-1100.bai2', bai2('261102,1100', 2, [report('261102', '1100', '3', 100000, 150000, [WIRE])]));
    const nov3 = file('b-nov3.bai2', bai2('261104,0600', 1, [report('261103', '2400', '2', 150000, 150000, [])]));
    await importAndLand(nov1, interim, nov3);
    // Nov 2's final report never came: 500.00 moved that no booked line explains. Until 2026-12-03 the interim
    // report's closing balance matched Nov 3's opening, and there was no break.
    expect(await query(`SELECT count(*) AS n FROM recon_bank_booked WHERE account = '${account}'`)).toEqual([{ n: 0 }]);
    expect(await breaks(account)).toEqual([
      { break_type: 'STATEMENT_GAP', object_id: `${account}/bai2/BANKUS33/2026-11-03/USD/final`, amount_minor: 50000, related_ids: `${account}/bai2/BANKUS33/2026-11-01/USD/final` },
    ]);

    // The final report of Nov 2 books the wire: the gap closes.
    await importAndLand(file('b-nov2.bai2', bai2('261103,0600', 4, [report('261102', '2400', '2', 100000, 150000, [WIRE])])));
    expect(await query(`SELECT amount_minor FROM recon_bank_booked WHERE account = '${account}'`)).toEqual([{ amount_minor: 50000 }]);
    expect(await breaks(account)).toEqual([]);
  });

  it('as of a date before the correction was created, the report that stood then is the one booked (--as-of rewinds history)', async () => {
    const account = '0066554433';
    const day = (status: string, close: number, tx: Tx[]): Group => ({ asOf: '261102', time: '2400', modifier: '2', status, account, balances: { '010': 100000, '015': close }, tx });
    // The report of 2 November, created on the 3rd; the bank's correction of it created on the 5th.
    await importAndLand(
      file('asof-nov2.bai2', bai2('261103,0600', 1, [day('1', 100000 + 2500 - 1200, [gift(2500), FEE])])),
      file('asof-nov2-corrected.bai2', bai2('261105,0900', 2, [day('3', 100000 + 5200 - 1200, [gift(5200), FEE])])),
    );
    const booked = async (asOf?: string) => {
      const out = file(`booked-${asOf ?? 'today'}.csv`, '');
      const r = await puddle(['export', 'recon_bank_booked', '--format', 'csv', '--out', out, ...(asOf ? ['--as-of', asOf] : [])]);
      expect(r.code, r.stderr).toBe(0);
      const [header, ...rows] = readFileSync(out, 'utf8').trim().split('\n');
      const cols = header!.split(',');
      return rows.map((l) => l.split(',')).filter((c) => c[cols.indexOf('account')] === account).map((c) => Number(c[cols.indexOf('amount_minor')])).sort((x, y) => x - y);
    };
    // Until 2026-12-03 the history views ignored --as-of, and the correction replaced the report as of the 3rd too.
    expect(await booked('2026-11-03')).toEqual([-1200, 2500]);
    expect(await booked()).toEqual([-1200, 5200]);
  });

  it('says a correction without both ledger balances replaces nothing, and exits 1, so the money counted twice is seen', async () => {
    const account = '0055443322';
    // Only available balances (040, 045): nothing shows a report holds every entry of the day.
    const day = (status: string, tx: Tx[]): Group => ({ asOf: '261105', time: '2400', modifier: '2', status, account, balances: { '040': 100000, '045': 100000 }, tx });
    const update = await puddle(['import', 'bank', file('nov5.bai2', bai2('261106,0600', 1, [day('1', [gift(2500)])]))]);
    expect(update.code, update.stderr).toBe(0);
    expect(update.stderr).not.toContain('correction');
    const corrected = await puddle(['import', 'bank', file('nov5-corrected.bai2', bai2('261106,0900', 2, [day('3', [gift(5200)])]))]);
    // Imported (nothing already accepted is lost, and its lines are the bank's), and said, with exit 1.
    expect(corrected.code).toBe(1);
    expect(corrected.stderr).toContain('nov5-corrected.bai2: imported, but a correction that replaces nothing (exit 1; check the day by hand)');
    expect(corrected.stderr).toContain('a correction (BAI2 group status 3) without both ledger balances (010, 015) replaces no earlier report');
    expect(corrected.stderr).toContain('of the account ending 3322 on 2026-11-05');
    // The account number itself stays out of what is printed: its last four only, as online banking shows it.
    expect(corrected.stderr).not.toContain(account);
    expect((await puddle(['land'])).code).toBe(0);
    // Both stand: the 25.00 the bank corrected to 52.00, and the 52.00; what the message warns of.
    expect(await query(`SELECT amount_minor FROM recon_bank_booked WHERE account = '${account}' ORDER BY amount_minor`)).toEqual([{ amount_minor: 2500 }, { amount_minor: 5200 }]);
  });
});
