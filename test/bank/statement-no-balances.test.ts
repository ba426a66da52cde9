// A bank that sends no balances at all: a CSV export without a balance column (Barclays, HSBC) and BAI2 without
// ledger balances (010/015). Until 2026-12-03 such a file imported with not a word that nothing was checked, and a
// BAI2 file with only available balances (040/045) was refused as "does not add up" (available balances move
// with float, not only with the booked entries), its real money held back. Now each imports with exit 0 and no
// break (the bank never sends balances, so nothing would ever close one), and the import says plainly, every time,
// that the file was not verified and what to check by hand: its net movement and days.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPuddle } from '../support/run-cli.js';

const fixture = (name: string) => new URL(`../fixtures/bank/${name}`, import.meta.url).pathname;
const NATWEST_BAI2 = readFileSync(fixture('bai2_natwest_gbp.bai2'), 'utf8');
/** The NatWest BAI2 sample with its 03 record's balances replaced (the 49/98/99 control totals add them, so they follow). */
function bai2With(balances: string, total: number): string {
  return NATWEST_BAI2.replace('010,36521,,,015,33845,,,045,33845,,,040,33845,,,', balances).replace(/^(49|98|99),143764/gm, `$1,${total}`);
}

describe('bank files without balances', { timeout: 240_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-no-balances-'));
  const puddle = (args: string[]) => runPuddle(args, { PUDDLE_HOME: home });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('imports a CSV export and BAI2 without balances with exit 0, says each was not verified and what to check, and opens no break', async () => {
    const availableOnly = join(home, 'available-only.bai2');
    writeFileSync(availableOnly, bai2With('045,33845,,,040,33845,,,', 143764 - 36521 - 33845));
    const none = join(home, 'no-balances.bai2');
    // Another day's file (its own file id: the same id and creation time would be a STATEMENT_CONFLICT).
    writeFileSync(none, bai2With('', 143764 - 36521 - 33845 * 3).replace(',2215,,,2/', ',2216,,,2/'));

    const csv = await puddle(['import', 'bank', fixture('barclays_made_export.csv'), '--layout', 'barclays']);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stderr).toContain('barclays_made_export.csv: imported, but not verified: it lacks the balances to check it against (its format does not require them: no break, exit 0; check it by hand):');
    expect(csv.stderr).toContain(
      '  statement 1: balances: no running balance (no balance column, or an empty one), so nothing shows it holds every entry of the account ending 2170 from 2026-12-05 to 2026-12-07: check that its net, +2354.50 GBP, is what the account\'s balance moved by in online banking',
    );

    const bai2 = await puddle(['import', 'bank', availableOnly, none]);
    expect(bai2.code, bai2.stderr).toBe(0);
    // Available balances are not booked balances: 338.45 opening available - 26.76 is not 338.45 closing available,
    // yet nothing is wrong with the file (until 2026-12-03: "does not add up, nothing imported", exit 1).
    expect(bai2.stderr).not.toContain('does not add up');
    expect(bai2.stderr).toContain('available-only.bai2: bai2, 1 statement, 5 entries (credits 1 = 0.89 GBP, debits 4 = 27.65 GBP), 5 bank lines sent');
    expect(bai2.stderr).toContain(
      'balances: no opening (010) or closing (015) ledger balance (available balances, 040 and 045, move with float: not checked), so nothing shows it holds every entry of the account ending 0004 on 2009-12-16: check that its net, -26.76 GBP,',
    );
    expect(bai2.stderr).toContain('no-balances.bai2: imported, but not verified');
    expect((await puddle(['land'])).code).toBe(0);

    const q = await puddle(['query', '--format', 'json', "SELECT source_format, count(*) AS n FROM bank_line GROUP BY 1 ORDER BY 1"]);
    expect(JSON.parse(q.stdout)).toEqual([{ source_format: 'bai2', n: 5 }, { source_format: 'csv', n: 4 }]);
    const breaks = await puddle(['query', '--format', 'json', "SELECT break_type FROM recon_breaks WHERE object_kind = 'bank_statement'"]);
    expect(JSON.parse(breaks.stdout)).toEqual([]);

    // An export with its balances says nothing of the kind.
    const natwest = await puddle(['import', 'bank', fixture('natwest_made_export.csv'), '--layout', 'natwest']);
    expect(natwest.code).toBe(0);
    expect(natwest.stderr).toBe('');
  });
});
