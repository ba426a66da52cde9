// `puddle query` only reads. It ran whatever DuckDB accepts, so `COPY (...) TO '<home>/lake/.../x.parquet'`
// put a file inside a partition folder, and ATTACH, EXPORT DATABASE or SET profile_output could write elsewhere.
// Statements are judged by DuckDB's own parser (extract_statements, then each one prepared), so a comment, a
// second statement after a `;` or odd spacing cannot hide a write from it. A DuckDB setting could not do this
// on its own: enable_external_access = false with allowed_directories would have to allow the lake folder the
// views read, and a COPY into that folder is the write to stop.
import { StatementType, type DuckDBConnection, type DuckDBPreparedStatement, type DuckDBResultReader } from '@duckdb/node-api';

import { WriteRefusedError } from '../../core/errors.js';
import type { Row } from '../../core/ports.js';
import { eachRows, type ValueOptions } from './duckdb-json.js';
import { sqlTokens } from '../../puddles/sql-dialect.js';

/**
 * Leading blanks and comments, then EXPLAIN with an option list or ANALYZE (which runs the statement). The only
 * text read by hand, so what runs is never the user's prefix: it is rebuilt from the option list (words,
 * quoted words and commas only, nothing that opens a comment or a string) and the rest, which the parser checks
 * on its own (explainOfAQuery). A comment this skips differently from DuckDB (a `--` line DuckDB ends at a
 * carriage return, a block comment nested in another) can then only make it refuse, or explain the query it checked.
 */
const EXPLAIN_PREFIX = /^(?:\s|--[^\n\r]*|\/\*(?:(?!\/\*)[\s\S])*?\*\/)*EXPLAIN\b\s*(\(\s*\w+(?:\s+(?:\w+|'\w+'))?(?:\s*,\s*\w+(?:\s+(?:\w+|'\w+'))?)*\s*\)|ANALY[SZ]E\b)?/i;

/**
 * Several statements are refused, as a write is, before anything runs. Only queries get this far, so the ones
 * before the last changed nothing and showed nothing: their rows were thrown away without a word (until
 * 2026-12-03 `SELECT 1; SELECT 2` printed 2 alone, and with --format csv failed as a parser error). Printing each
 * result was the other way, but `--format json` is one array of rows and csv one header, which several results
 * of different columns are not; one query that holds both (UNION ALL, a WITH) says what a reader of the output
 * gets.
 */
const ONE_STATEMENT = (count: number) =>
  `one statement at a time: this SQL holds ${count} (separated by ';'), and only the last one's rows would be shown. ` +
  'Run each with its own puddle query, or make them one query (UNION ALL, a WITH)';

const ONLY_QUERIES =
  'it only reads: it takes queries (SELECT, FROM, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE), PRAGMAs that read, and EXPLAIN of a query; ' +
  'use puddle export or puddle report --out to write a file';

/**
 * Throws WriteRefusedError unless `sql` is one statement (ONE_STATEMENT) and a query (DESCRIBE, SHOW, SUMMARIZE and the PRAGMAs
 * that read, such as `PRAGMA table_info`, are queries to DuckDB), or an EXPLAIN of one query. The views `sql`
 * names must exist: preparing binds them. For `--format csv`, whose COPY wraps the text in a statement of its
 * own: that one is prepared again, as it is not the statement checked here.
 */
export async function refuseWrites(conn: DuckDBConnection, sql: string): Promise<void> {
  for (const p of await readOnlyStatements(conn, sql)) p.destroySync();
}

/**
 * Runs `sql` once refuseWrites' check passed (one statement that reads), its rows as the answer. The statement is
 * prepared once, for the check and the run: binding is most of a small query's cost.
 */
export async function runReadOnly(conn: DuckDBConnection, sql: string): Promise<DuckDBResultReader> {
  const statements = await readOnlyStatements(conn, sql);
  try {
    let reader: DuckDBResultReader | undefined;
    for (const p of statements) reader = await p.runAndReadAll();
    if (!reader) throw new WriteRefusedError(`${ONLY_QUERIES} (no statement given)`);
    return reader;
  } finally {
    for (const p of statements) p.destroySync();
  }
}

/**
 * streamReadOnly's rows, a chunk at a time (eachRows), once refuseWrites' check passed: for output that need not
 * hold every row (`puddle query --format json`). Resolves with the column names, known even when no row came.
 */
export async function streamReadOnly(conn: DuckDBConnection, sql: string, onRows: (rows: Row[]) => Promise<void> | void, opts: ValueOptions = {}): Promise<string[]> {
  const statements = await readOnlyStatements(conn, sql);
  try {
    return await eachRows(await statements[0]!.stream(), onRows, opts);
  } finally {
    for (const p of statements) p.destroySync();
  }
}

/**
 * Every statement of `sql` prepared (bound, not run), or WriteRefusedError before any runs. Only queries change
 * nothing, so preparing them all before running the first binds each as running them in turn would.
 */
async function readOnlyStatements(conn: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement[]> {
  const extracted = await conn.extractStatements(sql);
  const prepared: DuckDBPreparedStatement[] = [];
  try {
    for (let i = 0; i < extracted.count; i++) {
      const p = await extracted.prepare(i).catch((err: unknown) => {
        // A write DuckDB cannot even bind (DELETE FROM a view, INSERT INTO one): nothing ran, but its binder's
        // words ("Can only delete from base table", exit 1) hid the rule (until 2026-12-03). Said as the refusal.
        if (startsAsWrite(sql, i)) throw new WriteRefusedError(ONLY_QUERIES);
        throw err;
      });
      prepared.push(p);
      if (p.statementType === StatementType.SELECT) continue;
      // EXPLAIN ANALYZE runs what it explains; the parser gives each statement's type, not its text, so only
      // an EXPLAIN alone can be looked into.
      if (p.statementType === StatementType.EXPLAIN && extracted.count === 1) {
        prepared[0] = await explainOfAQuery(conn, sql);
        p.destroySync();
        continue;
      }
      throw new WriteRefusedError(ONLY_QUERIES);
    }
    if (prepared.length > 1) throw new WriteRefusedError(ONE_STATEMENT(prepared.length));
    return prepared;
  } catch (err) {
    for (const p of prepared) p.destroySync();
    throw err;
  }
}

/** Statements that change something, by their first word (what DuckDB's parser types them as, for the message). */
const WRITE_WORDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'TRUNCATE', 'CREATE', 'DROP', 'ALTER', 'COPY', 'ATTACH', 'DETACH', 'EXPORT', 'IMPORT', 'INSTALL', 'LOAD', 'SET', 'RESET', 'CHECKPOINT', 'VACUUM', 'COMMENT']);

/**
 * Whether statement `index` of `sql` starts with a word that writes. Only to choose the message for a statement
 * DuckDB refused to prepare: the lexer is not DuckDB's (comments, `;` in odd places), so it never lets anything run.
 */
function startsAsWrite(sql: string, index: number): boolean {
  let n = 0;
  let first = true;
  for (const t of sqlTokens(sql)) {
    if (t.kind === 'op' && t.text === ';') {
      if (!first) n++;
      first = true;
    } else if (first) {
      first = false;
      if (n === index) return t.kind === 'word' && WRITE_WORDS.has(t.text.toUpperCase());
    }
  }
  return false;
}

/** `sql` (one EXPLAIN) as the EXPLAIN to run, rebuilt around the statement it explains once that is one query. */
async function explainOfAQuery(conn: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  const prefix = EXPLAIN_PREFIX.exec(sql);
  if (!prefix) throw new WriteRefusedError(ONLY_QUERIES);
  const rest = sql.slice(prefix[0].length);
  const inner = await conn.extractStatements(rest).catch(() => undefined);
  if (inner?.count !== 1) throw new WriteRefusedError(ONLY_QUERIES);
  const query = await inner.prepare(0).catch(() => undefined);
  const type = query?.statementType;
  query?.destroySync();
  if (type !== StatementType.SELECT) throw new WriteRefusedError(ONLY_QUERIES);
  const explain = await conn.prepare(`EXPLAIN ${prefix[1] ?? ''} ${rest}`);
  if (explain.statementType === StatementType.EXPLAIN) return explain;
  explain.destroySync();
  throw new WriteRefusedError(ONLY_QUERIES);
}
