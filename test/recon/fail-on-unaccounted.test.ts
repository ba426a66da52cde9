// `puddle report ... --fail-on-breaks` is the scheduled check: it fails when a break is open, and when a record
// received went nowhere (`unaccounted` in `puddle report landing`: neither landed nor quarantined, as a lake file
// lost from the catalog leaves it). Until 2026-12-03 only breaks counted: the check exited 0 over a bank statement
// the lake no longer showed.
import { afterAll, describe, expect, it } from 'vitest';

import { createLocalRuntime } from '../../infra/local/runtime.js';
import { bai2 } from '../support/bai2-file.js';
import { bankHome } from '../support/bank-home.js';

describe('--fail-on-breaks and the landing control', { timeout: 240_000 }, () => {
  const { home, puddle, file, remove } = bankHome('puddle-fail-unaccounted-');
  afterAll(remove);

  it('fails on records received and unaccounted, within --from/--to and up to --as-of, with no break open', async () => {
    const dec1 = file('dec1.bai2', bai2('261202,0600', 1, [{ asOf: '261201', time: '2400', modifier: '2', account: '0012345678', balances: { '010': 100000, '015': 102500 }, tx: [[165, 2500, 'R1', '', 'GIFT']] }]));
    expect((await puddle(['import', 'bank', dec1])).code).toBe(0);
    expect((await puddle(['land'])).code).toBe(0);
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const today = day(0);
    const check = (...args: string[]) => puddle(['report', 'breaks', '--format', 'csv', '--fail-on-breaks', ...args]);

    const clear = await check();
    expect(clear.code, clear.stderr).toBe(0);

    // A bad restore: the statement's lake file is no longer in the catalog, so the lake shows no statement.
    const rt = await createLocalRuntime({ home });
    try {
      const lost = await rt.catalog.listFiles({ contract: 'bank_statement' });
      expect(lost).toHaveLength(1);
      await rt.catalog.replaceFiles([lost[0]!.key], []);
    } finally {
      await rt.close();
    }
    const landing = await puddle(['report', 'landing', '--format', 'json']);
    expect(JSON.parse(landing.stdout)).toContainEqual(expect.objectContaining({ contract: 'bank_statement', received: 1, unaccounted: 1 }));

    const failed = await check();
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('puddle report: 1 record received and unaccounted (neither landed nor quarantined)');
    expect(failed.stderr).not.toContain('break');
    // The breaks report itself is empty: the check fails on the landing control alone.
    expect(failed.stdout.trim().split('\n')).toHaveLength(1);
    expect((await check('--from', today, '--to', today)).code).toBe(1);

    // Received today: a range of other days, or an as-of before today, does not hold it.
    expect((await check('--from', day(-30), '--to', day(-2))).code).toBe(0);
    const before = await check('--as-of', day(-1));
    expect(before.code, before.stderr).toBe(0);
  });
});
