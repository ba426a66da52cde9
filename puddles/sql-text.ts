// SQL text helpers, with no DuckDB import: the Athena engine, the view definitions and the Lambda handlers that
// never run a query build SQL with them, and a bundle that reached `@duckdb/node-api` through them would fail to
// load on a function without the DuckDB layer (its native binding is not in the bundle).

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** A quoted SQL identifier. */
export function sqlIdent(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

/** `read_parquet([...])` over local paths; hive columns off so `dt=` folders do not add a column. */
export function readParquetSql(paths: readonly string[]): string {
  return `read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = false)`;
}
