// Is a SQL string portable between DuckDB and Trino/Athena? Trino's own grammar (dt-sql-parser's TrinoSQL, an ANTLR
// build of it) plus the constructs the grammar lets through (puddles/sql-dialect.ts). For tests and tools only:
// dt-sql-parser is a dev dependency, and its ESM build uses directory imports that plain Node rejects (it loads
// under vitest and tsx), so runtime code must not import this file; it may use sql-dialect.ts.
//
// A view that reads files (read_parquet) is checked with its source replaced by a plain table name: see
// puddles/views.ts `tableNameSource`.
import { TrinoSQL } from 'dt-sql-parser';

import { forbiddenSqlConstructs } from './sql-dialect.js';

let trino: TrinoSQL | undefined;

/** Trino grammar errors, as `line L:C: message`. */
export function trinoSyntaxErrors(sql: string): string[] {
  trino ??= new TrinoSQL();
  return trino.validate(sql).map((e) => `line ${e.startLine}:${e.startColumn}: Trino: ${e.message}`);
}

/** Every reason `sql` is not in the DuckDB/Trino common subset; empty when it is. */
export function portableSqlErrors(sql: string): string[] {
  return [...trinoSyntaxErrors(sql), ...forbiddenSqlConstructs(sql)];
}
