// Writing a query's rows to a file for Tableau Desktop or a spreadsheet: DuckDB's COPY writes a flat, typed
// Parquet file (BIGINT money, DATE days, TIMESTAMP instants) or a CSV with a header, straight from the engine.
// In the AWS shape Athena's UNLOAD does the same; Tableau more often reads the views live through Athena.
import path from 'node:path';

import type { QueryEngine } from '../../core/ports.js';
import { sqlString } from '../../puddles/duckdb.js';

export type FileFormat = 'parquet' | 'csv';

export async function copyOut(engine: QueryEngine, select: string, format: FileFormat, out: string): Promise<number> {
  const file = path.resolve(out);
  const options = format === 'parquet' ? 'FORMAT parquet, COMPRESSION zstd' : 'FORMAT csv, HEADER true';
  const [row] = await engine.query(`COPY (${select}) TO ${sqlString(file)} (${options})`);
  // DuckDB answers COPY with the number of rows written.
  const n = row ? Object.values(row)[0] : 0;
  return typeof n === 'number' ? n : Number(n);
}
