// `puddle report` and `export` read the lake; what waits on the queue is in neither until it lands. Until 2026-12-05
// a report after a bank import with no hub running printed "(no rows)", exit 0, and `--fail-on-breaks` passed: a
// scheduled check run after the import said all was well (user test). Now they say on stderr what they leave out,
// and the check fails while records received by the end of --as-of wait to land.
import { afterAll, describe, expect, it } from 'vitest';

import { bai2 } from '../support/bai2-file.js';
import { bankHome } from '../support/bank-home.js';

describe('records still on the queue', { timeout: 240_000 }, () => {
  const { puddle, file, remove } = bankHome('puddle-fail-queued-');
  afterAll(remove);

  it('are named by report and export, and fail the scheduled check until they land', async () => {
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const dec1 = file('dec1.bai2', bai2('261202,0600', 1, [{ asOf: '261201', time: '2400', modifier: '2', account: '0012345678', balances: { '010': 100000, '015': 102500 }, tx: [[165, 2500, 'R1', '', 'GIFT']] }]));
    expect((await puddle(['import', 'bank', dec1])).code).toBe(0);
    const check = (...args: string[]) => puddle(['report', 'breaks', '--format', 'csv', '--fail-on-breaks', ...args]);

    const queued = await check();
    expect(queued.code).toBe(1);
    expect(queued.stderr).toMatch(/puddle report: 2 records wait on the queue to land: transactions 2 \(the oldest received \d+s ago\)\. This report leaves them out until they land: a running hub lands them; with none running, puddle start or puddle land/);
    expect(queued.stderr).toContain(`puddle report: 2 records not landed yet, the oldest received by the end of today: the check fails until they land`);
    // Received today: a check as of yesterday does not count them (and says what it leaves out all the same).
    const yesterday = await check('--as-of', day(-1));
    expect(yesterday.code, yesterday.stderr).toBe(0);
    expect(yesterday.stderr).toContain('2 records wait on the queue to land');
    const exported = await puddle(['export', 'bank_line', '--format', 'csv', '--out', file('lines.csv', '')]);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toContain('puddle export: 2 records wait on the queue to land');

    expect((await puddle(['land'])).code).toBe(0);
    // Landed (and adding up, within its grace): nothing left out, nothing open.
    const landed = await check();
    expect(landed.stderr).not.toContain('queue');
    expect(landed.code, landed.stderr).toBe(0);
    expect((await puddle(['query', 'SELECT count(*) AS n FROM bank_line', '--format', 'csv'])).stdout).toBe('n\n1\n');
  });
});
