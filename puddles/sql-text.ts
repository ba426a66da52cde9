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

/**
 * readParquetSql for files of one table some of which were written before `late` columns were added: those read
 * as NULL there. union_by_name lines the files' columns up by name (a plain read_parquet refuses files that
 * differ), and the empty branch names the late columns when no file has them yet. Filters and the columns a
 * query uses still reach the Parquet scan: DuckDB drops the empty branch.
 */
export function readParquetWithLateColumnsSql(paths: readonly string[], late: readonly { name: string; type: string }[]): string {
  const files = `read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = false, union_by_name = true)`;
  const names = late.map((c) => `CAST(NULL AS ${c.type}) AS ${sqlIdent(c.name)}`).join(', ');
  return `(SELECT * FROM ${files} UNION ALL BY NAME SELECT ${names} WHERE false)`;
}
