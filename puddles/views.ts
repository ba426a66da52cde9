// The SQL views over the lake, one pair per contract, built from the catalog's file list:
//   <contract>_history  every distinct version: de-duplicated by _id, first arrival kept
//   <contract>          current: the latest version per key by _changed_at, then _received_at, then _id
// plus `raw` (every delivery as received: a producer's retry shows, a queue redelivery does not). Views over no files still exist, empty and typed,
// so totals work on an empty lake.
//
// Current views read the contract's current state (puddles/current-state.ts: the latest version per key of
// every folded file, written after compaction) plus the few versions landed since, which supersede it by key.
// The answer is the one a de-duplication of the whole history gives (test/puddles/current-state.test.ts
// compares them); a contract without current state yet is de-duplicated from its whole history.
//
// One SQL for DuckDB and Athena (Trino): every view is written in the subset both accept (puddles/portable-sql.ts
// lists the rules; no QUALIFY, no `::`). The only DuckDB-only part is where rows come from, `read_parquet([...])`,
// and it is produced by one function, `source` (default `duckdbSource`). Pass another `source` (a plain table
// name per table version, as a Glue table would be) and the whole view is Trino SQL: test/puddles/sql-dialect.test.ts
// checks it that way against Trino's grammar and runs the DuckDB form over a landed lake.
import { CONTRACTS, latestVersion, type Contract } from '../core/contracts/index.js';
import type { CatalogFile, TableRef } from '../core/ports.js';
import { readParquetSql, sqlIdent } from './duckdb.js';
import { RAW_TABLE, tableId } from './layout.js';
import { CURRENT_FLAG } from './columns.js';
import { contractColumns, RAW_COLUMNS, type ColumnSpec } from './parquet-writer.js';

export interface ViewDef {
  name: string;
  sql: string;
}

/**
 * The FROM item that reads one table version's files (`current`: its current-state files). The one
 * engine-specific piece of every view.
 */
export type SourceSql = (table: TableRef, paths: readonly string[], current?: boolean) => string;

/** DuckDB reads the files themselves. */
export const duckdbSource: SourceSql = (_table, paths) => readParquetSql(paths);

/**
 * A plain table name per table version (`"transactions/donation/v1"`, `".../v1/current"`): what the portable
 * check substitutes.
 */
export const tableNameSource: SourceSql = (table, _paths, current) => sqlIdent(`${tableId(table)}${current ? '/current' : ''}`);

/** "Latest" for a current view: the order the newest version of a key comes first in. */
export const LATEST_FIRST: readonly string[] = ['_changed_at DESC', '_received_at DESC', '_id DESC'];
/** "First arrival" for one envelope id: the order its first delivery comes first in. */
export const FIRST_ARRIVAL: readonly string[] = ['_received_at', '_delivery_id'];
/** Defined with the other columns (puddles/columns.ts), so the AWS shape can type its Glue table without DuckDB. */
export { CURRENT_FLAG };

/**
 * The first row per `partitionBy` in `orderBy` order, keeping exactly `columns` (portable form of DuckDB's
 * `QUALIFY row_number() OVER (...) = 1`: the helper column is numbered inside and left out outside).
 */
export function firstPerKeySql(columns: readonly string[], from: string, partitionBy: readonly string[], orderBy: readonly string[]): string {
  const over = `PARTITION BY ${partitionBy.join(', ')}${orderBy.length ? ` ORDER BY ${orderBy.join(', ')}` : ''}`;
  return (
    `SELECT ${columns.map(sqlIdent).join(', ')} FROM ` +
    `(SELECT *, row_number() OVER (${over}) AS _puddle_rn FROM ${from} AS _puddle_all) AS _puddle_ranked ` +
    `WHERE _puddle_rn = 1`
  );
}

export interface Source {
  table: TableRef;
  present: ReadonlySet<string>;
  paths: string[];
  current?: boolean;
}

/** `SELECT` of typed columns from some files, or an empty typed relation when there are none. */
export function typedSelect(columns: readonly ColumnSpec[], sources: readonly Source[], source: SourceSql): string {
  const nonEmpty = sources.filter((s) => s.paths.length);
  if (!nonEmpty.length) {
    return `SELECT ${columns.map((c) => `CAST(NULL AS ${c.type}) AS ${sqlIdent(c.name)}`).join(', ')} WHERE false`;
  }
  return nonEmpty
    .map((s) => {
      // Older versions lack the optional columns later versions added (DESIGN.md rule 2): NULL them.
      const cols = columns.map((c) =>
        s.present.has(c.name) ? `CAST(${sqlIdent(c.name)} AS ${c.type}) AS ${sqlIdent(c.name)}` : `CAST(NULL AS ${c.type}) AS ${sqlIdent(c.name)}`,
      );
      return `SELECT ${cols.join(', ')} FROM ${source(s.table, s.paths, s.current)}`;
    })
    .join(' UNION ALL ');
}

/**
 * A contract's files as sources, one per table version in version order, each knowing which of the
 * latest version's columns it has (current-state files also have CURRENT_FLAG).
 */
export function sourcesOf(latest: Contract, files: readonly CatalogFile[], pathOf: (key: string) => string): Source[] {
  const byVersion = new Map<number, { table: TableRef; paths: string[] }>();
  for (const f of files) {
    let entry = byVersion.get(f.version);
    if (!entry) byVersion.set(f.version, (entry = { table: { puddle: f.puddle, contract: f.contract, version: f.version }, paths: [] }));
    entry.paths.push(pathOf(f.key));
  }
  const current = files.some((f) => f.current);
  return [...byVersion.entries()]
    .sort(([a], [b]) => a - b)
    .flatMap(([version, { table, paths }]) => {
      const c = CONTRACTS.get(latest.name)?.get(version);
      if (!c) return [];
      const present = new Set(contractColumns(c).map((x) => x.name));
      if (current) present.add(CURRENT_FLAG.name);
      return [{ table, present, paths, ...(current ? { current } : {}) }];
    });
}

/** The history view of one contract: every version file it has, shaped as the latest version. */
function historyView(latest: Contract, files: readonly CatalogFile[], pathOf: (key: string) => string, source: SourceSql): ViewDef {
  const columns = contractColumns(latest);
  const inner = typedSelect(columns, sourcesOf(latest, files, pathOf), source);
  return {
    name: `${latest.name}_history`,
    sql: firstPerKeySql(
      columns.map((c) => c.name),
      `(${inner})`,
      ['_id'],
      FIRST_ARRIVAL,
    ),
  };
}

/**
 * Current = latest per key, de-duplicated from the whole history; a delayed older snapshot has an older
 * _changed_at and never wins. The view of a contract without current state, and the reference the
 * current-state views are tested against.
 */
export function currentView(contract: Contract): ViewDef {
  return {
    name: contract.name,
    sql: firstPerKeySql(
      contractColumns(contract).map((c) => c.name),
      sqlIdent(`${contract.name}_history`),
      [sqlIdent(contract.key)],
      LATEST_FIRST,
    ),
  };
}

/**
 * Current from current state: the state's current rows, except for keys where a row landed since the fold
 * wins, UNION ALL the winning recent rows. The state is read in two passes (three or four when a tie needs
 * it), each joined against a small relation worked out from the recent rows, on which the hash table is built:
 *  1. the rows returned: a state row stays when its key has no recent row or only older ones (every state
 *     row of a key has the same _changed_at, puddles/current-state.ts, so each row decides alone); only its
 *     key and _changed_at are read besides the columns the query uses;
 *  2. per recent key, its newest _changed_at against the state's current row's (only key and _changed_at
 *     read): a newer recent row wins, an older one loses, a new key has no state row;
 *  3. where they tie on _changed_at (a record changed without its updated_at moving, or sent again), the
 *     state's rows of those keys (only what ordering needs) are de-duplicated by _id with the recent ones
 *     (first arrival kept) and the latest taken, exactly as the history form does; a state row that wins
 *     is read again in full by key and _id. With no tie these joins' build sides are empty and DuckDB
 *     stops probing the state after its first vector.
 * Part 1 sits outside the WITH the others share: DuckDB prunes no column of a query's relation under a WITH
 * it materialises, so a WITH over the whole view would make every query read every column of the state.
 */
function stateCurrentView(latest: Contract, files: readonly CatalogFile[], pathOf: (key: string) => string, source: SourceSql): ViewDef {
  const columns = contractColumns(latest);
  const names = columns.map((c) => c.name);
  const list = names.map(sqlIdent).join(', ');
  const key = sqlIdent(latest.key);
  const state = typedSelect([...columns, CURRENT_FLAG], sourcesOf(latest, files.filter((f) => f.current), pathOf), source);
  const recentFiles = files.filter((f) => !f.current && !f.folded);
  if (!recentFiles.length) return { name: latest.name, sql: `SELECT ${list} FROM (${state}) AS _puddle_state WHERE _current` };
  const recent = typedSelect(columns, sourcesOf(latest, recentFiles, pathOf), source);
  const of = (alias: string, cols: readonly string[]) => cols.map((n) => `${alias}.${sqlIdent(n)}`).join(', ');
  // Null keys are one partition in the history form (PARTITION BY), so they match here too.
  const same = (a: string, b: string) => `${a} IS NOT DISTINCT FROM ${b}`;
  const fromState = '_puddle_from_state';
  const cur = '_puddle_cur';
  const withClass = (alias: string, classes: string) =>
    `(SELECT ${of(alias, names)} FROM (${recent}) AS ${alias} ` +
    `JOIN _puddle_class AS _puddle_c ON ${same(`_puddle_c._puddle_key`, `${alias}.${key}`)} AND _puddle_c._puddle_verdict IN (${classes}))`;
  // 2. Per recent key: the newest _changed_at among its recent rows against the state's current row's.
  const classify =
    `SELECT _puddle_rk._puddle_key, CASE WHEN _puddle_w._puddle_hit IS NULL THEN 'new' ` +
    `WHEN _puddle_rk._puddle_max > _puddle_w._changed_at THEN 'recent' WHEN _puddle_rk._puddle_max < _puddle_w._changed_at THEN 'state' ` +
    `ELSE 'tie' END AS _puddle_verdict ` +
    `FROM (SELECT ${key} AS _puddle_key, max(_changed_at) AS _puddle_max FROM (${recent}) AS _puddle_r GROUP BY ${key}) AS _puddle_rk ` +
    `LEFT JOIN (SELECT ${key} AS _puddle_key, _changed_at, 1 AS _puddle_hit FROM (${state}) AS _puddle_s WHERE _current) AS _puddle_w ` +
    `ON ${same('_puddle_w._puddle_key', '_puddle_rk._puddle_key')}`;
  // 3. Ties: the state's rows of those keys (only what ordering needs) beside the recent rows, marked
  // apart; the winner per key, wherever it comes from.
  const ordering = new Set(['_id', '_changed_at', '_received_at', '_delivery_id', latest.key]);
  const stateTies =
    `SELECT ${columns.map((c) => (ordering.has(c.name) ? `_puddle_s.${sqlIdent(c.name)}` : `CAST(NULL AS ${c.type}) AS ${sqlIdent(c.name)}`)).join(', ')}, ` +
    `1 AS ${fromState}, _puddle_s._current AS ${cur} ` +
    `FROM (${state}) AS _puddle_s JOIN _puddle_class AS _puddle_c ON ${same('_puddle_c._puddle_key', `_puddle_s.${key}`)} AND _puddle_c._puddle_verdict = 'tie'`;
  const recentTies = `SELECT ${of('_puddle_t', names)}, 0 AS ${fromState}, false AS ${cur} FROM ${withClass('_puddle_t', `'tie'`)} AS _puddle_t`;
  const tieCols = [...names, fromState, cur];
  const tied = firstPerKeySql(
    tieCols,
    `(${firstPerKeySql(tieCols, `(${stateTies} UNION ALL ${recentTies})`, ['_id'], [...FIRST_ARRIVAL, `${fromState} DESC`])})`,
    [key],
    LATEST_FIRST,
  );
  const shared = `WITH _puddle_class AS (${classify}), _puddle_tied AS (${tied}) `;
  // 1. The state rows that stay.
  const kept =
    `SELECT ${of('_puddle_s', names)} FROM (${state}) AS _puddle_s LEFT JOIN ` +
    `(SELECT ${key} AS _puddle_key, max(_changed_at) AS _puddle_max, 1 AS _puddle_hit FROM (${recent}) AS _puddle_r GROUP BY ${key}) AS _puddle_k ` +
    `ON ${same('_puddle_k._puddle_key', `_puddle_s.${key}`)} ` +
    `WHERE _puddle_s._current AND (_puddle_k._puddle_hit IS NULL OR _puddle_k._puddle_max < _puddle_s._changed_at)`;
  // New keys and keys a newer recent row takes: the latest of their recent rows (a state row cannot share
  // an _id with a row whose _changed_at differs from its own).
  const plain = firstPerKeySql(names, `(${firstPerKeySql(names, withClass('_puddle_r', `'new', 'recent'`), ['_id'], FIRST_ARRIVAL)})`, [key], LATEST_FIRST);
  const promoted =
    `SELECT ${of('_puddle_s', names)} FROM (${state}) AS _puddle_s ` +
    `JOIN (SELECT ${key} AS _puddle_key, _id FROM _puddle_tied WHERE ${fromState} = 1) AS _puddle_p ` +
    `ON ${same('_puddle_p._puddle_key', `_puddle_s.${key}`)} AND _puddle_p._id = _puddle_s._id`;
  const won = `${shared}${plain} UNION ALL SELECT ${list} FROM _puddle_tied WHERE ${fromState} = 0 UNION ALL ${promoted}`;
  return { name: latest.name, sql: `${kept} UNION ALL SELECT ${list} FROM (${won}) AS _puddle_won` };
}

function rawView(files: readonly CatalogFile[], pathOf: (key: string) => string, source: SourceSql): ViewDef {
  const paths = files.map((f) => pathOf(f.key));
  const inner = typedSelect(RAW_COLUMNS, [{ table: RAW_TABLE, present: new Set(RAW_COLUMNS.map((c) => c.name)), paths }], source);
  return {
    name: 'raw',
    // A queue redelivery repeats the whole envelope (same id, received_at, delivery_id) and must
    // collapse; a producer that sends the same event again is a new delivery that audit wants to see.
    sql: firstPerKeySql(
      RAW_COLUMNS.map((c) => c.name),
      `(${inner})`,
      ['id', 'received_at', 'delivery_id'],
      [],
    ),
  };
}

/**
 * Every file-dependent view (history, current and raw) for this file list.
 * `source` turns a table version's files into a FROM item (DuckDB's read_parquet unless told otherwise).
 */
export function fileViews(files: readonly CatalogFile[], pathOf: (key: string) => string, source: SourceSql = duckdbSource): ViewDef[] {
  const byContract = new Map<string, CatalogFile[]>();
  const raw: CatalogFile[] = [];
  for (const f of files) {
    if (f.puddle === RAW_TABLE.puddle) {
      raw.push(f);
      continue;
    }
    let list = byContract.get(f.contract);
    if (!list) byContract.set(f.contract, (list = []));
    list.push(f);
  }
  const history: ViewDef[] = [];
  const current: ViewDef[] = [];
  for (const name of [...CONTRACTS.keys()].sort()) {
    const latest = latestVersion(name)!;
    const list = byContract.get(name) ?? [];
    history.push(historyView(latest, list.filter((f) => !f.current), pathOf, source));
    current.push(list.some((f) => f.current) ? stateCurrentView(latest, list, pathOf, source) : currentView(latest));
  }
  return [...history, rawView(raw, pathOf, source), ...current];
}

/** Every contract's current view de-duplicated from its whole history (see `currentView`). */
export function currentViews(): ViewDef[] {
  return [...CONTRACTS.keys()].sort().map((name) => currentView(latestVersion(name)!));
}
