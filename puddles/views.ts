// The SQL views over the lake, one pair per contract, built from the catalog's file list:
//   <contract>_history  every distinct version: de-duplicated by _id, first arrival kept
//   <contract>          current: the latest version per key (puddles/version-order.ts: _changed_at, then arrival, then _id)
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
import { dayAfter, isCalendarDate } from '../core/time.js';
import { readParquetSql, readParquetWithLateColumnsSql, sqlIdent } from './sql-text.js';
import { RAW_TABLE, tableId } from './layout.js';
import { contractColumns, CURRENT_FLAG, RAW_COLUMNS, RECEIVED_SEQ, type ColumnSpec } from './columns.js';
import { FIRST_ARRIVAL, LATEST_FIRST } from './version-order.js';

export interface ViewDef {
  name: string;
  /** Read only: a named view's is a getter, reading its file when first asked for (named-views.ts). */
  readonly sql: string;
  /**
   * A current view that reads its contract's current-state files alone (nothing landed since the fold): read
   * again, it costs a scan of the columns a query uses, less than copying every column into a snapshot.
   */
  stateOnly?: boolean;
}

/**
 * The FROM item that reads one table version's files (`current`: its current-state files). The one
 * engine-specific piece of every view.
 */
export type SourceSql = (table: TableRef, paths: readonly string[], current?: boolean) => string;

/**
 * DuckDB reads the files themselves. A contract table's files landed before _received_seq existed lack it, and
 * read it as NULL (without that, DuckDB refuses a file list whose files differ, or a column none of them has).
 */
export const duckdbSource: SourceSql = (table, paths) =>
  table.puddle === RAW_TABLE.puddle ? readParquetSql(paths) : readParquetWithLateColumnsSql(paths, [RECEIVED_SEQ]);

/**
 * A plain table name per table version (`"transactions/donation/v1"`, `".../v1/current"`): what the portable
 * check substitutes.
 */
export const tableNameSource: SourceSql = (table, _paths, current) => sqlIdent(`${tableId(table)}${current ? '/current' : ''}`);

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
 * current-state views are tested against. With `asOf`, see asOfOrder.
 */
export function currentView(contract: Contract, asOf?: string): ViewDef {
  return {
    name: contract.name,
    sql: firstPerKeySql(
      contractColumns(contract).map((c) => c.name),
      sqlIdent(`${contract.name}_history`),
      [sqlIdent(contract.key)],
      asOf === undefined ? LATEST_FIRST : asOfOrder(asOf),
    ),
  };
}

/**
 * Current as at the end of `asOf` (a date, UTC), for `puddle report --as-of` and `export --as-of`: per key, the
 * latest version changed by then (_changed_at before the next day, in LATEST_FIRST order). A key whose every
 * version the lake holds changed later keeps the earliest of them, the nearest the lake knows, if the object
 * existed by then (occurred_at, its creation at the source, on or before the date): a sync that began after the
 * date holds only an object's later state, and leaving the object out would lose it from the report. One created
 * after the date is not in the history views as of it (historyAsOf), so not here. De-duplicated from the whole
 * history, so for one-shot snapshots only (DuckDbQueryEngine's materializeCurrent).
 */
function asOfOrder(asOf: string): string[] {
  const later = changedAfter(asOf);
  return [`CASE WHEN ${later} THEN 1 ELSE 0 END`, `CASE WHEN ${later} THEN _changed_at END`, ...LATEST_FIRST];
}

/** Whether a version changed after the end of `asOf` (UTC); null for one with no _changed_at, which never is. */
function changedAfter(asOf: string): string {
  return after('_changed_at', asOf);
}

/** Whether `column` (a timestamp) is after the end of `asOf` (UTC); null where it is null. */
function after(column: string, asOf: string): string {
  if (!isCalendarDate(asOf)) throw new Error(`as-of takes a date YYYY-MM-DD, not ${JSON.stringify(asOf)}`);
  return `${sqlIdent(column)} >= TIMESTAMP '${dayAfter(asOf)} 00:00:00'`;
}

/** The history views `--as-of` rewinds (historyAsOf): every contract's but the quarantine's. */
export function historyViewsAsOf(): string[] {
  return contractViewsAsOf().map((c) => `${c}_history`);
}

/** The contracts' current-state views that `--as-of` rewinds (each record as it stood at the end of the date). */
export function contractViewsAsOf(): string[] {
  return [...CONTRACTS.keys()].filter((c) => c !== 'quarantine').sort();
}

/**
 * The history views as at the end of `asOf`, for `puddle report --as-of` and `export --as-of`: each contract's
 * versions changed on or before the date, and for a key whose every version changed later, the earliest of them
 * (the one its as-of current view keeps, see asOfOrder), so every current row is in its history, as without a date;
 * but not a key created after the date (its occurred_at later): it did not exist then. Until 2026-12-05 those were
 * kept too, and `puddle query --as-of 2026-11-30` counted the donations of December (the recon views, which leave
 * out objects dated after the date themselves, were right).
 * What reads history then sees the past: the bank statement issue that stood (recon_bank_issue), the lines it
 * carried. Until 2026-12-03 the history views held every version whatever the date, and a statement the bank
 * re-issued in January replaced December's in a report as of 31 December. The quarantine's history is Puddle's own
 * record of what it refused, not the money's state, and stays whole (raw_fate reads it). `views` are fileViews'.
 * `asKnown`: as the hub knew it then, so also without the versions it received after the date (`_received_at`), a
 * correction sent in January and dated December included: a year-end report run again later gives the same figures
 * (since 2026-12-06; a user test, an auditor).
 */
export function historyAsOf(views: readonly ViewDef[], asOf: string, asKnown = false): ViewDef[] {
  const later = changedAfter(asOf);
  const rewound = new Set(historyViewsAsOf());
  return views.map((v) => {
    const latest = rewound.has(v.name) ? latestVersion(v.name.slice(0, -'_history'.length)) : undefined;
    if (!latest) return v;
    const names = contractColumns(latest).map((c) => c.name);
    const list = names.map(sqlIdent).join(', ');
    // As known (`--as-known`): what the hub received after the date is left out first, whenever its source dates it.
    const known = asKnown ? `SELECT * FROM (${v.sql}) AS _puddle_k WHERE NOT coalesce(${after('_received_at', asOf)}, false)` : v.sql;
    const nearest = firstPerKeySql(names, `(${known})`, [sqlIdent(latest.key)], asOfOrder(asOf));
    const existed = names.includes('occurred_at') ? ` AND NOT coalesce(${after('occurred_at', asOf)}, false)` : '';
    return {
      name: v.name,
      sql:
        `SELECT ${list} FROM (${known}) AS _puddle_h WHERE NOT coalesce(${later}, false) ` +
        `UNION ALL SELECT ${list} FROM (${nearest}) AS _puddle_n WHERE ${later}${existed}`,
    };
  });
}

/**
 * Current from current state: the state's current rows, except for keys where a row landed since the fold
 * wins, UNION ALL the winning recent rows. The state is read once in full (only the columns the query uses)
 * and otherwise only where a small relation worked out from the recent rows says so:
 *  1. the rows returned: the state's current rows of keys with no recent row at all (an anti-join that
 *     reads only the key besides the query's columns);
 *  2. per recent key, whether the state has a row at least as new as its newest recent one (`state`: the
 *     state's row is newer and wins; `tie`: the same _changed_at, or none on the recent side). Only state rows
 *     at least as new as the oldest of those newest recent rows can match, and DuckDB skips the state's row
 *     groups whose statistics say they hold none (the fold writes the state in _changed_at order). On a live
 *     night recent rows are new donations and fresh updates, so this reads the state's last row groups only;
 *     a backfill of versions changed long before they landed makes it read every key and _changed_at of the
 *     state once (the slow case, until the next fold). Keys with no such row are won by their latest recent row;
 *  3. `state` keys: their state rows come back (a join whose build side is empty, so DuckDB stops probing the
 *     state after its first vector, unless a delayed older version landed);
 *  4. `tie` keys: the state's rows of those keys are de-duplicated by _id with the recent ones (first arrival
 *     kept) and the latest taken, exactly as the history form does. With no tie this join's build side is
 *     empty too. (It used to read only the ordering columns and fetch a winning state row again by key and
 *     _id; DuckDB built that second join's hash table on the whole state when its estimates said so.)
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
  if (!recentFiles.length) return { name: latest.name, sql: `SELECT ${list} FROM (${state}) AS _puddle_state WHERE _current`, stateOnly: true };
  const recent = typedSelect(columns, sourcesOf(latest, recentFiles, pathOf), source);
  const of = (alias: string, cols: readonly string[]) => cols.map((n) => `${alias}.${sqlIdent(n)}`).join(', ');
  // Null keys are one partition in the history form (PARTITION BY), so they match here too.
  const same = (a: string, b: string) => `${a} IS NOT DISTINCT FROM ${b}`;
  const fromState = '_puddle_from_state';
  const withClass = (alias: string, classes: string) =>
    `(SELECT ${of(alias, names)} FROM (${recent}) AS ${alias} ` +
    `JOIN _puddle_class AS _puddle_c ON ${same(`_puddle_c._puddle_key`, `${alias}.${key}`)} AND _puddle_c._puddle_verdict IN (${classes}))`;
  const recentKeys = `SELECT ${key} AS _puddle_key, max(_changed_at) AS _puddle_max, count(*) AS _puddle_n FROM (${recent}) AS _puddle_r GROUP BY ${key}`;
  // 2. State rows at least as new as a recent key's newest row, in two branches so the common one can skip
  // row groups by a plain range filter: a recent key with a _changed_at, and one whose rows all have none
  // (an empty build side, bar files not written by Puddle). NULL comparisons are ties, decided as the
  // history form's NULLS LAST ordering decides them; a state row with no _changed_at loses to any recent
  // row with one, so it needs no branch.
  const match = (stateWhere: string, keysWhere: string, on: string) =>
    `SELECT _puddle_rk._puddle_key, CASE WHEN _puddle_w._changed_at > _puddle_rk._puddle_max THEN 'state' ELSE 'tie' END AS _puddle_verdict ` +
    `FROM (SELECT _puddle_key, _puddle_max FROM _puddle_recent_keys WHERE ${keysWhere}) AS _puddle_rk ` +
    `JOIN (SELECT ${key} AS _puddle_key, _changed_at FROM (${state}) AS _puddle_s WHERE _current AND ${stateWhere}) AS _puddle_w ` +
    `ON ${same('_puddle_w._puddle_key', '_puddle_rk._puddle_key')}${on}`;
  const classify = [
    match(
      `_changed_at >= (SELECT min(_puddle_max) FROM _puddle_recent_keys)`,
      // A key newer than the whole state cannot match: left out of the join's build side.
      `_puddle_max <= (SELECT max(_changed_at) FROM (${state}) AS _puddle_m)`,
      ' AND _puddle_w._changed_at >= _puddle_rk._puddle_max',
    ),
    match('true', '_puddle_max IS NULL', ''),
  ].join(' UNION ALL ');
  // 4. Ties: the state's rows of those keys beside the recent rows, marked apart; the winner per key, wherever
  // it comes from. Read once, so not materialised: the state's scan reads only the columns the query uses.
  const stateTies =
    `SELECT ${of('_puddle_s', names)}, 1 AS ${fromState} ` +
    `FROM (${state}) AS _puddle_s JOIN _puddle_class AS _puddle_c ON ${same('_puddle_c._puddle_key', `_puddle_s.${key}`)} AND _puddle_c._puddle_verdict = 'tie'`;
  const recentTies = `SELECT ${of('_puddle_t', names)}, 0 AS ${fromState} FROM ${withClass('_puddle_t', `'tie'`)} AS _puddle_t`;
  const tieCols = [...names, fromState];
  const tied = firstPerKeySql(
    names,
    `(${firstPerKeySql(tieCols, `(${stateTies} UNION ALL ${recentTies})`, ['_id'], [...FIRST_ARRIVAL, `${fromState} DESC`])})`,
    [key],
    LATEST_FIRST,
  );
  const shared = `WITH _puddle_recent_keys AS (${recentKeys}), _puddle_class AS (${classify}) `;
  // 1. The state rows of keys nothing landed for since the fold.
  const kept =
    `SELECT ${of('_puddle_s', names)} FROM (${state}) AS _puddle_s LEFT JOIN ` +
    `(SELECT DISTINCT ${key} AS _puddle_key, 1 AS _puddle_hit FROM (${recent}) AS _puddle_r) AS _puddle_k ` +
    `ON ${same('_puddle_k._puddle_key', `_puddle_s.${key}`)} WHERE _puddle_s._current AND _puddle_k._puddle_hit IS NULL`;
  // Keys no state row is as new for: the latest of their recent rows (a state row cannot share an _id with a
  // row whose _changed_at differs from its own). Most such keys have one recent row, which is the answer;
  // only keys with several go through the two windows (which carry every column and sort).
  const free = (n: string) =>
    `(SELECT ${of('_puddle_r', names)} FROM (${recent}) AS _puddle_r JOIN (SELECT _puddle_rk._puddle_key FROM _puddle_recent_keys AS _puddle_rk ` +
    `LEFT JOIN _puddle_class AS _puddle_c ON ${same('_puddle_c._puddle_key', '_puddle_rk._puddle_key')} ` +
    `WHERE _puddle_c._puddle_verdict IS NULL AND _puddle_rk._puddle_n ${n}) AS _puddle_f ON ${same('_puddle_f._puddle_key', `_puddle_r.${key}`)})`;
  const plain =
    `SELECT ${list} FROM ${free('= 1')} AS _puddle_one UNION ALL ` +
    firstPerKeySql(names, `(${firstPerKeySql(names, free('> 1'), ['_id'], FIRST_ARRIVAL)})`, [key], LATEST_FIRST);
  // 3. Keys whose state row is newer than anything recent: that row.
  const stateWins =
    `SELECT ${of('_puddle_s', names)} FROM (${state}) AS _puddle_s ` +
    `JOIN (SELECT _puddle_key FROM _puddle_class WHERE _puddle_verdict = 'state') AS _puddle_o ` +
    `ON ${same('_puddle_o._puddle_key', `_puddle_s.${key}`)} WHERE _puddle_s._current`;
  const won = `${shared}${plain} UNION ALL ${stateWins} UNION ALL ${tied}`;
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
    // A state in an older version's columns is read as no state: the whole history answers (see stateIsStale).
    const state = list.filter((f) => f.current);
    current.push(state.length && !stateIsStale(latest, state) ? stateCurrentView(latest, list, pathOf, source) : currentView(latest));
  }
  return [...history, rawView(raw, pathOf, source), ...current];
}

/**
 * Whether a contract's current-state files are all in an older version's columns than the contract's latest: made
 * before an upgrade that gave the contract a version, or by an older Puddle after a rollback. The second can
 * hold far fewer keys than the history: a hub from before the donation contract's v2 (2026-12-02) does not see a
 * v2 state, folds a v1 state from what it landed alone and retires the v2 one. So such a state is never trusted:
 * the views read the whole history, and the next fold rebuilds the state from it (puddles/current-state.ts).
 */
export function stateIsStale(latest: Contract, state: readonly CatalogFile[]): boolean {
  // None in the latest version, rather than any in an older one: Athena's views (infra/aws/athena-query-engine.ts)
  // are made once over a stand-in state table for every version, which must keep reading the state tables (with
  // "any older", every AWS current view de-duplicated the whole history on each query).
  return state.length > 0 && !state.some((f) => f.version === latest.version);
}

/** Every contract's current view de-duplicated from its whole history (see `currentView`), or as at `asOf`'s end. */
export function currentViews(asOf?: string): ViewDef[] {
  return [...CONTRACTS.keys()].sort().map((name) => currentView(latestVersion(name)!, asOf));
}
