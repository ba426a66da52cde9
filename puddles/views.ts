// The SQL views over the lake, one pair per contract, built from the catalog's file list:
//   <contract>_history  every distinct version: de-duplicated by _id, first arrival kept
//   <contract>          current: the latest version per key by _changed_at, then _received_at
// plus `raw` (every delivery as received: a producer's retry shows, a queue redelivery does not). Views over no files still exist, empty and typed,
// so totals work on an empty lake.
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
import { contractColumns, RAW_COLUMNS, type ColumnSpec } from './parquet-writer.js';

export interface ViewDef {
  name: string;
  sql: string;
}

/** The FROM item that reads one table version's files. The one engine-specific piece of every view. */
export type SourceSql = (table: TableRef, paths: readonly string[]) => string;

/** DuckDB reads the files themselves. */
export const duckdbSource: SourceSql = (_table, paths) => readParquetSql(paths);

/** A plain table name per table version (`"transactions/donation/v1"`): what the portable check substitutes. */
export const tableNameSource: SourceSql = (table) => sqlIdent(tableId(table));

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

interface Source {
  table: TableRef;
  present: ReadonlySet<string>;
  paths: string[];
}

/** `SELECT` of typed columns from some files, or an empty typed relation when there are none. */
function typedSelect(columns: readonly ColumnSpec[], sources: Source[], source: SourceSql): string {
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
      return `SELECT ${cols.join(', ')} FROM ${source(s.table, s.paths)}`;
    })
    .join(' UNION ALL ');
}

/** The history view of one contract: every version file it has, shaped as the latest version. */
function historyView(latest: Contract, files: readonly CatalogFile[], pathOf: (key: string) => string, source: SourceSql): ViewDef {
  const byVersion = new Map<number, { table: TableRef; paths: string[] }>();
  for (const f of files) {
    let entry = byVersion.get(f.version);
    if (!entry) byVersion.set(f.version, (entry = { table: { puddle: f.puddle, contract: f.contract, version: f.version }, paths: [] }));
    entry.paths.push(pathOf(f.key));
  }
  const sources = [...byVersion.entries()]
    .sort(([a], [b]) => a - b)
    .flatMap(([version, { table, paths }]) => {
      const c = CONTRACTS.get(latest.name)?.get(version);
      return c ? [{ table, present: new Set(contractColumns(c).map((x) => x.name)), paths }] : [];
    });
  const columns = contractColumns(latest);
  const inner = typedSelect(columns, sources, source);
  return {
    name: `${latest.name}_history`,
    sql: firstPerKeySql(
      columns.map((c) => c.name),
      `(${inner})`,
      ['_id'],
      ['_received_at', '_delivery_id'],
    ),
  };
}

/** Current = latest per key; a delayed older snapshot has an older _changed_at and never wins. */
export function currentView(contract: Contract): ViewDef {
  return {
    name: contract.name,
    sql: firstPerKeySql(
      contractColumns(contract).map((c) => c.name),
      sqlIdent(`${contract.name}_history`),
      [sqlIdent(contract.key)],
      ['_changed_at DESC', '_received_at DESC', '_id DESC'],
    ),
  };
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
 * Every file-dependent view (history views and raw) for this file list. Current views depend only on history.
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
  const out: ViewDef[] = [];
  for (const name of [...CONTRACTS.keys()].sort()) {
    out.push(historyView(latestVersion(name)!, byContract.get(name) ?? [], pathOf, source));
  }
  out.push(rawView(raw, pathOf, source));
  return out;
}

export function currentViews(): ViewDef[] {
  return [...CONTRACTS.keys()].sort().map((name) => currentView(latestVersion(name)!));
}
