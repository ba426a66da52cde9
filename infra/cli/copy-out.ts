// Writing a query's rows to a file for Tableau Desktop or a spreadsheet: DuckDB's COPY writes a flat, typed
// Parquet file (BIGINT money, DATE days, TIMESTAMP instants) or a CSV with a header, straight from the engine.
// In the AWS shape Athena's UNLOAD does the same; Tableau more often reads the views live through Athena.
// Every CSV of a report or an export is written here, so the same instant reads the same in both, and every
// text cell a spreadsheet would run as a formula is neutralised (csv-cells.ts) unless the user asks for raw text.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { QueryEngine } from '../../core/ports.js';
import { sqlString } from '../../puddles/duckdb.js';
import { neutralisedSelect } from './csv-cells.js';

export type FileFormat = 'parquet' | 'csv';

export interface CopyOptions {
  /** CSV only: write text cells exactly as stored, formulas and all (`--raw-csv`: for programs, not spreadsheets). */
  rawCsv?: boolean;
}

/**
 * Instants as ISO 8601 UTC with a Z (`2026-11-27T19:40:04.670Z`): what toISOString writes, so the JSON output,
 * the read API and a CSV agree, and DuckDB reads it back as an instant. COPY's own default is
 * `2026-11-27 19:40:04.67`, with no zone and as many decimals as there happen to be. Every instant in the views
 * is a TIMESTAMP in UTC; a TIMESTAMPTZ would be written in the session's zone, which is why none is used.
 */
const CSV_OPTIONS = "FORMAT csv, HEADER true, TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S.%gZ'";

export async function copyOut(engine: QueryEngine, select: string, format: FileFormat, out: string, opts: CopyOptions = {}): Promise<number> {
  const file = path.resolve(out);
  const options = format === 'parquet' ? 'FORMAT parquet, COMPRESSION zstd' : CSV_OPTIONS;
  // Parquet keeps text as text for the program that reads it: only a CSV is opened by a spreadsheet.
  const body = format === 'csv' && !opts.rawCsv ? await csvSafeSelect(engine, select) : select;
  const [row] = await engine.query(`COPY (${body}) TO ${sqlString(file)} (${options})`);
  // DuckDB answers COPY with the number of rows written.
  const n = row ? Object.values(row)[0] : 0;
  return typeof n === 'number' ? n : Number(n);
}

/** `select` with its text columns neutralised; the column types come from the query itself, with no row read. */
async function csvSafeSelect(engine: QueryEngine, select: string): Promise<string> {
  const { columns, types } = await engine.queryWithColumns(`SELECT * FROM (${select}) AS _puddle_typed LIMIT 0`);
  return neutralisedSelect(select, columns, types);
}

/** The CSV copyOut writes, as text for standard output (it has a header even with no rows). */
export async function csvText(engine: QueryEngine, select: string, opts: CopyOptions = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'puddle-csv-'));
  try {
    const file = path.join(dir, 'out.csv');
    await copyOut(engine, select, 'csv', file, opts);
    return await readFile(file, 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
