// BAI2 interim reports (the 02 record's as-of-date modifier: 1 interim previous-day, 3 interim same-day) are not the
// statement of record. Until 2026-12-03 the modifier was not read: an 11:00 same-day file's entries landed booked,
// and one the next morning's final file did not carry (a wire returned before the day closed) stayed booked beside
// the final file's, counted as money in the bank. Now an interim report's entries land pending, the final report
// books them under the same ids, and what it does not carry stays pending, out of reconciliation.
// The group status was not read either: a bank's test group (4) and a deletion (2) imported as booked money.
import { afterAll, describe, expect, it } from 'vitest';
import { bai2, type Group, type Tx } from '../support/bai2-file.js';
import { bankHome } from '../support/bank-home.js';

const ACCOUNT = '0012345678';
const PAYOUT: Tx = [195, 10000, 'W1', '', 'STRIPE PAYOUT PO_1'];
const GIFT: Tx = [165, 2500, '', 'C2', 'DONATION GIFT'];
const RETURNED: Tx = [195, 5000, 'W9', '', 'WIRE RETURNED BEFORE CLOSE'];
const CHEQUE: Tx = [475, 5000, 'CHK1', '', 'CHEQUE 000101'];
const LATE: Tx = [165, 3000, '', 'C3', 'AFTERNOON GIFT'];

describe('BAI2 interim and final reports', { timeout: 240_000 }, () => {
  const { puddle, query, file, remove } = bankHome('puddle-bai2-interim-');
  afterAll(remove);

  it('books only what the final previous-day file carries: the 11:00 same-day file counts nothing twice and nothing the bank did not book', async () => {
    const day = (asOf: string, time: string, modifier: string, open: number, close: number, tx: Tx[]): Group => ({
      asOf, time, modifier, account: ACCOUNT, balances: { '010': open, '015': close }, tx,
    });
    const dec1 = file('dec1.bai2', bai2('261202,0600', 1, [day('261201', '2400', '2', 100000, 100000, [])]));
    // Same-day at 11:00: interim ledger balance 1125.00 with a wire the bank returns before the day closes.
    const intraday = file('dec2-1100.bai2', bai2('261202,1100', 7, [day('261202', '1100', '3', 100000, 112500, [PAYOUT, GIFT, RETURNED, CHEQUE])]));
    // Next morning's final previous-day file: the same entries but the returned wire, and an afternoon gift.
    const final = file('dec2.bai2', bai2('261203,0600', 1, [day('261202', '2400', '2', 100000, 110500, [PAYOUT, GIFT, CHEQUE, LATE])]));
    const dec3 = file('dec3.bai2', bai2('261204,0600', 1, [day('261203', '2400', '2', 110500, 110500, [])]));

    const first = await puddle(['import', 'bank', dec1, intraday]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('dec2-1100.bai2: an interim report (BAI2 as-of-date modifier 1 or 3): its lines are pending until the bank\'s final report books them');
    expect(first.stdout).not.toContain('dec1.bai2: an interim');
    expect((await puddle(['land'])).code).toBe(0);
    // Until the final report, the intraday entries are what the bank has announced, not what it booked.
    expect(await query("SELECT count(*) AS n FROM bank_line WHERE status = 'pending'")).toEqual([{ n: 4 }]);
    expect(await query('SELECT count(*) AS n FROM recon_bank_booked')).toEqual([{ n: 0 }]);

    const next = await puddle(['import', 'bank', final, dec3]);
    expect(next.code, next.stderr).toBe(0);
    expect((await puddle(['land'])).code).toBe(0);

    expect(await query('SELECT bank_line_id, amount_minor, status FROM bank_line ORDER BY amount_minor, bank_line_id')).toEqual([
      { bank_line_id: `${ACCOUNT}/CHK1`, amount_minor: -5000, status: 'booked' },
      { bank_line_id: expect.stringMatching(/^0012345678\/2026-12-02\/2500USD\/[0-9a-f]{16}\/1$/), amount_minor: 2500, status: 'booked' },
      { bank_line_id: expect.stringMatching(/^0012345678\/2026-12-02\/3000USD\/[0-9a-f]{16}\/1$/), amount_minor: 3000, status: 'booked' },
      { bank_line_id: `${ACCOUNT}/W9`, amount_minor: 5000, status: 'pending' },
      { bank_line_id: `${ACCOUNT}/W1`, amount_minor: 10000, status: 'booked' },
    ]);
    // Reconciliation counts what the final statement says moved: 1105.00 - 1000.00 (until 2026-12-03: 155.00).
    expect(await query('SELECT sum(amount_minor) AS net, count(*) AS n FROM recon_bank_booked')).toEqual([{ net: 10500, n: 4 }]);
    // Nor is the interim ledger balance a break: no gap, nothing unbalanced.
    expect(await query("SELECT break_type FROM recon_breaks WHERE object_kind = 'bank_statement'")).toEqual([]);
  });

  it('reads an interim previous-day file as interim, and refuses a modifier BAI2 does not define', async () => {
    const interim = file('interim.bai2', bai2('261205,0500', 3, [{ asOf: '261204', time: '2400', modifier: '1', account: '0099', balances: { '010': 500, '015': 3000 }, tx: [GIFT] }]));
    const r = await puddle(['import', 'bank', interim]);
    expect(r.code, r.stderr).toBe(0);
    expect((await puddle(['land'])).code).toBe(0);
    expect(await query("SELECT status FROM bank_line WHERE account = '0099'")).toEqual([{ status: 'pending' }]);

    const odd = file('odd.bai2', bai2('261205,0500', 4, [{ asOf: '261204', time: '2400', modifier: '5', account: '0098', balances: {}, tx: [GIFT] }]));
    const bad = await puddle(['import', 'bank', odd]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('line 2 (02 record, field 8): as-of-date modifier is not one BAI2 knows');
  });

  it('refuses a test-only group and a deletion whole (exit 2, no line), and imports a correction', async () => {
    const group = (status: string, account: string): Group => ({ asOf: '261206', time: '2400', modifier: '2', status, account, balances: { '010': 0, '015': 2500 }, tx: [GIFT] });
    const test = file('test-only.bai2', bai2('261207,0600', 1, [group('1', '0201'), group('4', '0202')]));
    const deletion = file('deletion.bai2', bai2('261207,0700', 2, [group('2', '0203')]));
    const correction = file('correction.bai2', bai2('261207,0800', 3, [group('3', '0204')]));
    const r = await puddle(['import', 'bank', test, deletion, correction]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('test-only.bai2: malformed, nothing imported: line 7 (02 record, field 4): group status 4 (test only)');
    expect(r.stderr).toContain('deletion.bai2: malformed, nothing imported: line 2 (02 record, field 4): group status 2 (deletion)');
    expect((await puddle(['land'])).code).toBe(0);
    expect(await query("SELECT account FROM bank_line WHERE account LIKE '020%' ORDER BY 1")).toEqual([{ account: '0204' }]);
  });
});
