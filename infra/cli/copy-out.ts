// Writing a query's rows to a file for Tableau Desktop or a spreadsheet: DuckDB's COPY writes a flat, typed
// Parquet file (BIGINT money, DATE days, instants as UTC-adjusted TIMESTAMP WITH TIME ZONE) or a CSV with a header, straight from the engine.
// In the AWS shape Athena's UNLOAD does the same; Tableau more often reads the views live through Athena.
// Every CSV the CLI writes (`report`, `export`, `query --format csv`) is written here, so quoting, an instant's
// text and the neutralising of text cells a spreadsheet would run as formulas (csv-cells.ts, unless the user
// asks for raw text) are the same whichever command wrote it: there is no second CSV writer to drift apart.
// COPY is DuckDB's, so this serves the embedded engine only; every one of those commands runs on it (the CLI
// never queries Athena), and a CSV of Athena's rows would be its UNLOAD's, not this.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { QueryEngine } from '../../core/ports.js';
import { sqlString } from '../../puddles/sql-text.js';
import { neutralisedSelect, reselect } from './csv-cells.js';
import { fileToStdout } from './stdout.js';

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
  const rows = rowsOf(select);
  // Parquet keeps text as text for the program that reads it: only a CSV is opened by a spreadsheet.
  const body = format === 'parquet' ? await parquetSelect(engine, rows) : opts.rawCsv ? rows : await csvSafeSelect(engine, rows);
  // Readable by this user only, as the home is (infra/local/home-dir.ts): an export of raw or of a report holds what
  // the home does. DuckDB makes the file (or its temporary one) with the process's umask. Until 2026-12-06 an export
  // was 0644, readable by every user of the machine (user test); `chmod` it to share it.
  const umask = process.umask(0o077);
  let row;
  try {
    [row] = await engine.query(`COPY (${body}) TO ${sqlString(file)} (${options})`);
  } finally {
    process.umask(umask);
  }
  // DuckDB answers COPY with the number of rows written.
  const n = row ? Object.values(row)[0] : 0;
  return typeof n === 'number' ? n : Number(n);
}

/**
 * `select` (a user's SQL, for `puddle query`) as one SELECT that COPY and the wrappers below take: COPY refuses
 * `DESCRIBE`, `SHOW` and `SUMMARIZE`, which read fine from a subquery; a trailing `;` would end the statement
 * early; and a trailing `-- comment` would hide the closing parenthesis, hence the line breaks.
 */
function rowsOf(select: string): string {
  return `SELECT * FROM (\n${select.replace(/[\s;]+$/, '')}\n) AS _puddle_rows`;
}

/** `select` with its text columns neutralised; the column types come from the query itself, with no row read. */
async function csvSafeSelect(engine: QueryEngine, select: string): Promise<string> {
  const { columns, types } = await columnTypes(engine, select);
  return neutralisedSelect(select, columns, types);
}

/**
 * `select` as its Parquet holds it, from one look at its column types (no row read):
 * - 128-bit integers as BIGINT. DuckDB types a sum of BIGINT (a report's money in minor units, its counts) HUGEINT,
 *   and its Parquet writer stores HUGEINT as DOUBLE: Tableau, pandas and Athena then read money as floating point,
 *   and a report's columns differ in type (a payout's amount BIGINT, its summed fees DOUBLE). A sum beyond BIGINT
 *   (9.2e18 minor units) fails the COPY with DuckDB's out-of-range error rather than write a rounded figure. Until
 *   2026-12-05 they were written as DOUBLE (user test).
 * - Instants as TIMESTAMPTZ, written with isAdjustedToUTC=true. The views hold each instant as a TIMESTAMP (no zone)
 *   in UTC, which DuckDB writes with isAdjustedToUTC=false, a wall-clock time that Power BI, pandas/pyarrow and
 *   Excel's Power Query never convert to UK time (until 2026-12-06; a user test). `timezone('UTC', t)` reads `t` as
 *   UTC whatever the session's TimeZone, where a plain cast reads it in that zone (an hour off in British summer
 *   time). Dates stay dates.
 */
async function parquetSelect(engine: QueryEngine, select: string): Promise<string> {
  const { columns, types } = await columnTypes(engine, select);
  const as = (c: string, i: number): string => {
    const type = types[i] ?? '';
    return isWideInteger(type) ? `CAST(${c} AS BIGINT)` : NAIVE_TIMESTAMP.test(type) ? `timezone('UTC', ${c})` : c;
  };
  return columns.some((c, i) => as(c, i) !== c) ? reselect(select, columns, as) : select;
}

/** DuckDB's timestamps without a zone, as its column types are named. */
const NAIVE_TIMESTAMP = /^TIMESTAMP(_S|_MS|_NS)?$/;
const isWideInteger = (type: string) => type === 'HUGEINT' || type === 'UHUGEINT';

/** The columns `select` gives and their DuckDB types, from the query itself, with no row read. */
function columnTypes(engine: QueryEngine, select: string): Promise<{ columns: string[]; types: string[] }> {
  return engine.queryWithColumns(`SELECT * FROM (${select}) AS _puddle_typed LIMIT 0`);
}

/**
 * The CSV copyOut writes, to standard output (it has a header even with no rows): COPY writes a temporary file,
 * which is piped out, never read whole into memory (until 2026-12-03 it was, a string as large as the result).
 * `dir`: an empty folder of the caller's to write it in, for an engine that may only write there (`puddle query`'s,
 * created before its DuckDB: duckdb.ts onlyFolders); the caller removes it. Otherwise a temporary folder of its own.
 */
export async function csvToStdout(engine: QueryEngine, select: string, opts: CopyOptions = {}, dir?: string): Promise<void> {
  const folder = dir ?? (await csvFolder());
  try {
    const file = path.join(folder, 'out.csv');
    await copyOut(engine, select, 'csv', file, opts);
    await fileToStdout(file);
  } finally {
    await rm(dir ? path.join(folder, 'out.csv') : folder, { recursive: true, force: true });
  }
}

/** A new temporary folder for csvToStdout's file. */
export function csvFolder(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'puddle-csv-'));
}
