// `puddle query` only reads. It ran whatever DuckDB accepts, so `COPY (...) TO '<home>/lake/.../x.parquet'`
// put a file inside a partition folder, and ATTACH, EXPORT DATABASE or SET profile_output could write elsewhere.
// Statements are judged by DuckDB's own parser (extract_statements, then each one prepared, never run), so a
// comment, a second statement after a `;` or odd spacing cannot hide a write from it. A DuckDB setting could
// not do this on its own: enable_external_access = false with allowed_directories would have to allow the lake
// folder the views read, and a COPY into that folder is the write to stop.
import { StatementType, type DuckDBConnection } from '@duckdb/node-api';

import { WriteRefusedError } from '../../core/errors.js';

/** Leading blanks and comments, then EXPLAIN with an option list or ANALYZE (which runs the statement). */
const EXPLAIN_PREFIX = /^(?:\s|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*EXPLAIN\s*(?:\([^)]*\)|ANALY[SZ]E\b)?/i;

const ONLY_QUERIES =
  'puddle query only reads: it takes queries (SELECT, FROM, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE), PRAGMAs that read, and EXPLAIN of a query; ' +
  'use puddle export or puddle report --out to write a file';

/**
 * Throws WriteRefusedError unless every statement in `sql` is a query (DESCRIBE, SHOW, SUMMARIZE and the PRAGMAs
 * that read, such as `PRAGMA table_info`, are queries to DuckDB), or an EXPLAIN of one query. The views `sql`
 * names must exist: preparing binds them.
 */
export async function refuseWrites(conn: DuckDBConnection, sql: string): Promise<void> {
  const types = await statementTypes(conn, sql);
  if (types.every((t) => t === StatementType.SELECT)) return;
  // EXPLAIN ANALYZE runs what it explains: the statement after EXPLAIN must be a query too. Only one EXPLAIN
  // alone can be checked so (the parser gives each statement's type, not its text).
  if (types.length === 1 && types[0] === StatementType.EXPLAIN) {
    const prefix = EXPLAIN_PREFIX.exec(sql);
    const inner = prefix ? await statementTypes(conn, sql.slice(prefix[0].length)).catch(() => []) : [];
    if (inner.length === 1 && inner[0] === StatementType.SELECT) return;
  }
  throw new WriteRefusedError(ONLY_QUERIES);
}

/** Each statement's type, up to the first that is neither a query nor an EXPLAIN (what follows it may not bind). */
async function statementTypes(conn: DuckDBConnection, sql: string): Promise<StatementType[]> {
  const extracted = await conn.extractStatements(sql);
  const types: StatementType[] = [];
  for (let i = 0; i < extracted.count; i++) {
    const prepared = await extracted.prepare(i);
    const type = prepared.statementType;
    prepared.destroySync();
    types.push(type);
    if (type !== StatementType.SELECT && type !== StatementType.EXPLAIN) break;
  }
  return types;
}
