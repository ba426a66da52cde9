// DuckDB on a machine whose zone is not UTC: "today" (recon_params' default as_of) is the UTC date, and an
// instant falls on its UTC date, in the query engine and in the writers' shared instance alike. DuckDB reads
// the zone once per process (through ICU), so each check runs in a child process with TZ set.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runPuddle } from './support/run-cli.js';

const run = promisify(execFile);
const DUCKDB_TS = fileURLToPath(new URL('../puddles/duckdb.ts', import.meta.url));

/** A zone whose date is not the UTC date now: a day ahead late in the UTC day, a day behind early in it. */
function zoneOffTheUtcDate(): { zone: string; utcDate: string } {
  const now = new Date();
  const zone = now.getUTCHours() >= 10 ? 'Pacific/Kiritimati' : 'Pacific/Pago_Pago'; // UTC+14, UTC-11, no DST
  const utcDate = now.toISOString().slice(0, 10);
  expect(new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(now)).not.toBe(utcDate);
  return { zone, utcDate };
}

// Two instants on 30 November UTC: 05:00 is still 29 November in Pago Pago, 18:00 already 1 December in Kiritimati.
const DATES_SQL =
  `SELECT current_date::VARCHAR AS today, CAST(TIMESTAMPTZ '2026-11-30 05:00:00Z' AS DATE)::VARCHAR AS early, ` +
  `CAST(TIMESTAMPTZ '2026-11-30 18:00:00Z' AS DATE)::VARCHAR AS late`;
const INSTANTS = { early: '2026-11-30', late: '2026-11-30' };

describe('DuckDB on a machine whose date is not the UTC date', () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-duckdb-utc-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it("answers `puddle query` in UTC: recon_params' default as_of is today's UTC date", async () => {
    const { zone, utcDate } = zoneOffTheUtcDate();
    const r = await runPuddle(['query', '--format', 'json', `SELECT p.as_of::VARCHAR AS as_of, d.* FROM recon_params p, (${DATES_SQL}) d`], { TZ: zone, PUDDLE_HOME: home });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ as_of: utcDate, today: utcDate, ...INSTANTS }]);
  });

  it('gives the writers (landing, compaction, replay) a shared instance in UTC', async () => {
    const { zone, utcDate } = zoneOffTheUtcDate();
    const script = `
      const { withConnection } = await import(${JSON.stringify(DUCKDB_TS)});
      // Two connections: the zone is the instance's, not one session's.
      for (let i = 0; i < 2; i++) {
        const rows = await withConnection(async (c) => (await c.runAndReadAll(${JSON.stringify(DATES_SQL)})).getRowObjectsJson());
        process.stdout.write(JSON.stringify(rows[0]) + '\\n');
      }`;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, TZ: zone } });
    expect(stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { today: utcDate, ...INSTANTS },
      { today: utcDate, ...INSTANTS },
    ]);
  });
});
