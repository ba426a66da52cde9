// `puddle query` of a named view (recon_breaks, recon_journey, ...) works out each contract it reads once, into a
// table, as `puddle report` does: through the plain views a recon view reads each contract many times (a 5-minute
// sandbox lake's recon_breaks: 13.8 s, against 3.7 s for `puddle report breaks`, 2026-12-05). A query of the
// contracts alone reads them as they are.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLake, donation, type Lake } from './puddles/lake-fixture.js';
import { runPuddle } from './support/run-cli.js';

let lake: Lake;

beforeAll(async () => {
  lake = await createLake();
  await lake.subscribeAll();
  await lake.queue.publish([donation('d1', 100), donation('d2', 250)]);
  await lake.consumer('transactions').drain();
}, 60_000);

afterAll(async () => {
  await lake?.close();
});

/** The query's own answer beside how many contract snapshots its DuckDB made before running it. */
async function withSnapshots(select: string): Promise<{ n: number; snapshots: number }> {
  const sql = `SELECT (${select}) AS n, (SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '\\_current\\_%' ESCAPE '\\') AS snapshots`;
  const r = await runPuddle(['query', '--format', 'json', sql], { PUDDLE_HOME: lake.dir });
  expect(r.code, r.stderr).toBe(0);
  const [row] = JSON.parse(r.stdout) as { n: number; snapshots: number }[];
  return { n: Number(row!.n), snapshots: Number(row!.snapshots) };
}

describe('puddle query snapshots the contracts a named view reads', { timeout: 120_000 }, () => {
  it('works out a recon view from snapshots of its contracts, with the same answer', async () => {
    const r = await withSnapshots('SELECT count(*) FROM recon_journey');
    expect(r.n).toBe(2);
    expect(r.snapshots).toBeGreaterThan(0);
  });

  it('reads a contract as it is when no named view is named (a word that only contains one is not one)', async () => {
    expect(await withSnapshots("SELECT count(*) FROM donation WHERE donation_id <> 'my_recon_breaks_copy'")).toEqual({ n: 2, snapshots: 0 });
  });
});
