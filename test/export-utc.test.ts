// `puddle export --format parquet` writes instants as UTC-adjusted Parquet timestamps (isAdjustedToUTC=true), the
// same instant as in the lake. Until 2026-12-06 they were naive (isAdjustedToUTC=false), which Power BI,
// pandas/pyarrow and Excel's Power Query read as local wall-clock times, never turned into UK time (user test).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../core/envelope.js';
import { copyOut } from '../infra/cli/copy-out.js';
import { runPuddle } from './support/run-cli.js';
import { createLake, type Lake } from './puddles/lake-fixture.js';

// In British Summer Time: read in Europe/London as if UTC, or cast there, it moves by an hour.
const PAID_AT = '2026-07-01T12:34:56.789Z';
const ARRIVES = '2026-07-03';

let lake: Lake;
let out: string;

beforeAll(async () => {
  lake = await createLake();
  await lake.subscribeAll();
  out = await mkdtemp(path.join(tmpdir(), 'puddle-export-utc-')); // an --out inside the home is refused
  await lake.queue.publish([
    makeEnvelope({
      contract: 'payout', version: 1, source: 'producer', delivery_id: 'req-po',
      payload: { payout_id: 'po-1', occurred_at: PAID_AT, provider: 'stripe', status: 'paid', amount_minor: 12345, currency: 'GBP', arrival_date: ARRIVES },
    }),
  ]);
  await lake.consumer('transactions').drain();
}, 60_000);

afterAll(async () => {
  await lake?.close();
  if (out) await rm(out, { recursive: true, force: true });
});

/** What a reader sees of an exported payout file: its columns' types, the payout's instant and day, and the Parquet schema. */
async function readBack(file: string) {
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    // A reader whose zone is not UTC: an instant read back must not depend on it.
    await conn.run("SET TimeZone = 'America/New_York'");
    const rows = async (sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJS();
    const types = Object.fromEntries((await rows(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).map((c) => [c.column_name, c.column_type]));
    const [payout] = await rows(`SELECT epoch_ms(occurred_at) AS paid_ms, strftime(timezone('UTC', occurred_at), '%Y-%m-%dT%H:%M:%S.%gZ') AS paid_utc, arrival_date::VARCHAR AS arrives FROM read_parquet('${file}')`);
    const schema = await rows(`SELECT name, converted_type, logical_type FROM parquet_schema('${file}')`);
    const columns: Record<string, { converted: unknown; logical: string }> = Object.fromEntries(
      schema.map((c) => [String(c.name), { converted: c.converted_type, logical: String(c.logical_type) }]),
    );
    return { types, payout, schema: columns };
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

describe('puddle export --format parquet', () => {
  it('writes every instant as a UTC-adjusted timestamp of the same instant, and days as dates', async () => {
    const file = path.join(out, 'payout.parquet');
    // The analyst's machine in the UK (the hub's DuckDB works in UTC whatever the machine's zone: duckdb.ts).
    const r = await runPuddle(['export', 'payout', '--format', 'parquet', '--out', file], { PUDDLE_HOME: lake.dir, TZ: 'Europe/London' });
    expect(r.code, r.stderr).toBe(0);
    const { types, payout, schema } = await readBack(file);
    expect(types).toMatchObject({ occurred_at: 'TIMESTAMP WITH TIME ZONE', updated_at: 'TIMESTAMP WITH TIME ZONE', _received_at: 'TIMESTAMP WITH TIME ZONE', arrival_date: 'DATE' });
    // No instant left naive.
    expect(Object.entries(types).filter(([, t]) => String(t).startsWith('TIMESTAMP') && t !== 'TIMESTAMP WITH TIME ZONE')).toEqual([]);
    expect(payout).toEqual({ paid_ms: BigInt(Date.parse(PAID_AT)), paid_utc: PAID_AT, arrives: ARRIVES });
    // What Power BI and pyarrow read: the Parquet logical type, isAdjustedToUTC=true (DuckDB prints it 1).
    expect(schema.occurred_at!.logical).toMatch(/^TimestampType\(isAdjustedToUTC=(1|true),/);
    const instants = Object.entries(schema).filter(([, c]) => c.logical.startsWith('TimestampType'));
    expect(instants.map(([name]) => name).sort()).toEqual(Object.keys(types).filter((c) => String(types[c]).startsWith('TIMESTAMP')).sort());
    for (const [name, c] of instants) expect(c.logical, name).toMatch(/isAdjustedToUTC=(1|true)/);
    expect(schema.arrival_date).toMatchObject({ converted: 'DATE' });
  });

  it('keeps CSV instants as ISO 8601 UTC with a Z', async () => {
    const file = path.join(out, 'payout.csv');
    const r = await runPuddle(['export', 'payout', '--format', 'csv', '--out', file], { PUDDLE_HOME: lake.dir, TZ: 'Europe/London' });
    expect(r.code, r.stderr).toBe(0);
    const [header, row] = (await readFile(file, 'utf8')).trimEnd().split('\n');
    const cells = Object.fromEntries(header!.split(',').map((name, i) => [name, row!.split(',')[i]]));
    expect(cells).toMatchObject({ occurred_at: PAID_AT, arrival_date: ARRIVES });
  });

  it('reads each TIMESTAMP as UTC whatever the session\'s TimeZone, where a plain cast would move it', async () => {
    // The zone a cast to TIMESTAMPTZ reads a TIMESTAMP in: set otherwise than the hub's UTC (puddles/duckdb.ts).
    await lake.engine.query("SET TimeZone = 'Europe/London'");
    const [cast] = await lake.engine.query(`SELECT epoch_ms(CAST(occurred_at AS TIMESTAMPTZ)) AS ms FROM payout`);
    expect(Number(cast!.ms)).toBe(Date.parse(PAID_AT) - 3_600_000); // the trap: an hour early
    const file = path.join(out, 'payout-london.parquet');
    await copyOut(lake.engine, 'SELECT * FROM payout ORDER BY ALL', 'parquet', file);
    const { types, payout } = await readBack(file);
    expect(types).toMatchObject({ occurred_at: 'TIMESTAMP WITH TIME ZONE', arrival_date: 'DATE' });
    expect(payout).toEqual({ paid_ms: BigInt(Date.parse(PAID_AT)), paid_utc: PAID_AT, arrives: ARRIVES });
  });
});
