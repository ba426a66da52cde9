// `--as-of D --as-known`: the lake as the hub knew it at the end of D, so without what it received later, however its
// source dates it. An auditor re-performing a year-end report later (user test, 2026-12-06): a correction received
// on 10 January but dated 31 December moved the year-end figures of `--as-of` alone, and nothing said so.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { donation } from '../puddles/lake-fixture.js';
import { landInHome } from '../support/land-home.js';
import { runPuddle } from '../support/run-cli.js';

const home = mkdtempSync(join(tmpdir(), 'puddle-as-known-'));
const outDir = mkdtempSync(join(tmpdir(), 'puddle-as-known-out-')); // an --out inside the home is refused
const puddle = (args: string[]) => runPuddle(args, { PUDDLE_HOME: home });
const TEST_MS = 120_000;

const envelopes = [
  // Pledged on the 30th; corrected to 30.00 with an updated_at of the 31st, but sent on 10 January.
  donation('d-corrected', 2_500, { occurred_at: '2026-12-30T20:00:00Z', received_at: '2026-12-30T20:00:01.000Z', delivery: 'r1' }),
  donation('d-corrected', 3_000, { occurred_at: '2026-12-30T20:00:00Z', updated_at: '2026-12-31T09:00:00Z', received_at: '2027-01-10T09:00:00.000Z', delivery: 'r2' }),
  // Made on the 29th, first sent on 5 January (a supplier's late batch).
  donation('d-sent-late', 700, { occurred_at: '2026-12-29T12:00:00Z', received_at: '2027-01-05T08:00:00.000Z', delivery: 'r3' }),
  // Made and sent in December.
  donation('d-plain', 1_000, { occurred_at: '2026-12-20T12:00:00Z', received_at: '2026-12-20T12:00:01.000Z', delivery: 'r4' }),
];

beforeAll(() => landInHome(home, envelopes), TEST_MS);
afterAll(() => {
  for (const dir of [home, outDir]) rmSync(dir, { recursive: true, force: true });
});

describe('--as-known: as the hub knew it at the end of the date', { timeout: TEST_MS }, () => {
  const rows = async (args: string[], sql: string) => {
    const r = await puddle(['query', sql, '--format', 'json', ...args]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>[];
  };
  const AMOUNTS = 'SELECT donation_id, amount_minor FROM donation ORDER BY donation_id';

  it('leaves out what was received after the date, a back-dated correction and a late first send alike', async () => {
    expect(await rows(['--as-of', '2026-12-31'], AMOUNTS)).toEqual([
      { donation_id: 'd-corrected', amount_minor: 3000 },
      { donation_id: 'd-plain', amount_minor: 1000 },
      { donation_id: 'd-sent-late', amount_minor: 700 },
    ]);
    expect(await rows(['--as-of', '2026-12-31', '--as-known'], AMOUNTS)).toEqual([
      { donation_id: 'd-corrected', amount_minor: 2500 },
      { donation_id: 'd-plain', amount_minor: 1000 },
    ]);
    expect(await rows(['--as-of', '2026-12-31', '--as-known'], 'SELECT count(*)::INT AS n FROM donation_history')).toEqual([{ n: 2 }]);
    // Known by 10 January, everything is.
    expect(await rows(['--as-of', '2027-01-10', '--as-known'], AMOUNTS)).toEqual(await rows(['--as-of', '2027-01-10'], AMOUNTS));
  });

  it('is the same in a report and an export, and needs --as-of', async () => {
    const report = await puddle(['report', 'totals', '--as-of', '2026-12-31', '--as-known', '--format', 'json']);
    expect(report.code, report.stderr).toBe(0);
    const total = (JSON.parse(report.stdout) as { amount_minor: number }[]).reduce((n, r) => n + Number(r.amount_minor), 0);
    expect(total).toBe(3500);
    for (const args of [['query', 'SELECT 1', '--as-known'], ['report', 'breaks', '--as-known'], ['export', 'donation_history', '--as-known', '--out', join(outDir, 'x.parquet')]]) {
      const r = await puddle(args);
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr).toContain('--as-known needs --as-of DATE');
    }
    // report landing counts against today's state: the flag was taken and ignored until 2026-12-06.
    const landing = await puddle(['report', 'landing', '--as-of', '2026-12-31', '--as-known']);
    expect(landing.code).toBe(2);
    expect(landing.stderr).toContain('--as-known does not apply to report landing');
  });
});
