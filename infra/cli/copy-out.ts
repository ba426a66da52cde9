// Writing a query's rows to a file for Tableau Desktop or a spreadsheet: DuckDB's COPY writes a flat, typed
// Parquet file (BIGINT money, DATE days, TIMESTAMP instants) or a CSV with a header, straight from the engine.
// In the AWS shape Athena's UNLOAD does the same; Tableau more often reads the views live through Athena.
// Every CSV of a report or an export is written here, so the same instant reads the same in both.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { QueryEngine } from '../../core/ports.js';
import { sqlString } from '../../puddles/duckdb.js';

export type FileFormat = 'parquet' | 'csv';

/**
 * Instants as ISO 8601 UTC with a Z (`2026-11-27T19:40:04.670Z`): what toISOString writes, so the JSON output,
 * the read API and a CSV agree, and DuckDB reads it back as an instant. COPY's own default is
 * `2026-11-27 19:40:04.67`, with no zone and as many decimals as there happen to be. Every instant in the views
 * is a TIMESTAMP in UTC; a TIMESTAMPTZ would be written in the session's zone, which is why none is used.
 */
const CSV_OPTIONS = "FORMAT csv, HEADER true, TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S.%gZ'";

export async function copyOut(engine: QueryEngine, select: string, format: FileFormat, out: string): Promise<number> {
  const file = path.resolve(out);
  const options = format === 'parquet' ? 'FORMAT parquet, COMPRESSION zstd' : CSV_OPTIONS;
  const [row] = await engine.query(`COPY (${select}) TO ${sqlString(file)} (${options})`);
  // DuckDB answers COPY with the number of rows written.
  const n = row ? Object.values(row)[0] : 0;
  return typeof n === 'number' ? n : Number(n);
}

/** The CSV copyOut writes, as text for standard output (it has a header even with no rows). */
export async function csvText(engine: QueryEngine, select: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'puddle-csv-'));
  try {
    const file = path.join(dir, 'out.csv');
    await copyOut(engine, select, 'csv', file);
    return await readFile(file, 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
