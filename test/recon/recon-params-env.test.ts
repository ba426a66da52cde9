// The reconciliation's parameters set by a charity in its environment (PUDDLE_RECON_<NAME>): every view that
// reads recon_params takes them, a run's --as-of goes on top, and a wrong value or a name that is no parameter
// is refused naming it (exit 2), before a report runs or the hub starts. Until 2026-12-03 the only way to
// change one was to edit puddles/recon-params.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';

import { configuredReconParams, reconParamsSql } from '../../puddles/recon-params.js';
import { runPuddle } from '../support/run-cli.js';

describe('recon parameters from the environment', () => {
  it('reads PUDDLE_RECON_<NAME> as a whole number, under the run\'s own overrides', async () => {
    const configured = configuredReconParams({ PUDDLE_RECON_GRACE_GIFT_MISSING_DAYS: '35', PUDDLE_RECON_MATCH_DAYS_AFTER: ' 5 ', PUDDLE_RECON_FEE_ALLOWANCE_MINOR: '', PATH: '/bin' });
    expect(configured).toEqual({ grace_gift_missing_days: 35, match_days_after: 5 });
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    try {
      const [row] = (await conn.runAndReadAll(reconParamsSql({ as_of: '2027-01-20', match_days_after: 7 }, configured))).getRowObjectsJson();
      expect(row).toMatchObject({ as_of: '2027-01-20', grace_gift_missing_days: 35, match_days_after: 7, fee_allowance_minor: 30 });
    } finally {
      conn.closeSync();
      inst.closeSync();
    }
  });

  it('refuses a value that is not a whole number of 0 or more, a name that is no parameter, and the as-of date, naming each', () => {
    const bad = () => configuredReconParams({ PUDDLE_RECON_GRACE_SMS_DAYS: 'forty', PUDDLE_RECON_FEE_MAX_PERCENT: '-1', PUDDLE_RECON_GRACE_GIFT_MISING_DAYS: '35', PUDDLE_RECON_AS_OF: '2027-01-20' });
    expect(bad).toThrow(/PUDDLE_RECON_GRACE_SMS_DAYS must be a whole number of 0 or more \(got "forty"\)/);
    expect(bad).toThrow(/PUDDLE_RECON_FEE_MAX_PERCENT must be a whole number of 0 or more \(got "-1"\)/);
    expect(bad).toThrow(/PUDDLE_RECON_GRACE_GIFT_MISING_DAYS must be one of the reconciliation's parameters \(.*PUDDLE_RECON_GRACE_GIFT_MISSING_DAYS/);
    expect(bad).toThrow(/PUDDLE_RECON_AS_OF must be one of .*the as-of date is each run's --as-of/);
  });
});

describe('recon parameters from the environment, through the CLI', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-recon-env-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('shows the setting in recon_params for `puddle query`', async () => {
    const r = await runPuddle(['query', '--format', 'json', 'SELECT grace_gift_missing_days, match_days_after FROM recon_params'], { PUDDLE_HOME: home, PUDDLE_RECON_GRACE_GIFT_MISSING_DAYS: '35' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([{ grace_gift_missing_days: 35, match_days_after: 3 }]);
  }, 120_000);

  it('refuses a misspelt setting with exit 2, for a report and for the hub before it opens anything', async () => {
    const report = await runPuddle(['report', 'breaks'], { PUDDLE_HOME: home, PUDDLE_RECON_GRACE_GIFT_MISING_DAYS: '35' });
    expect(report.code).toBe(2);
    expect(report.stderr).toContain('PUDDLE_RECON_GRACE_GIFT_MISING_DAYS must be one of the reconciliation\'s parameters');
    const start = await runPuddle(['start', '--no-schedule', '--port', '0'], { PUDDLE_HOME: join(home, 'hub'), PUDDLE_RECON_GRACE_SMS_DAYS: 'forty' });
    expect(start.code).toBe(2);
    expect(start.stderr).toContain('PUDDLE_RECON_GRACE_SMS_DAYS must be a whole number of 0 or more');
  }, 120_000);
});
