// The SQL views over the lake, one pair per contract, built from the catalog's file list:
//   <contract>_history  every distinct version: de-duplicated by _id, first arrival kept
//   <contract>          current: the latest version per key by _changed_at, then _received_at
// plus `raw` (every delivery as received: a producer's retry shows, a queue redelivery does not). Views over no files still exist, empty and typed,
// so totals work on an empty lake.
import { CONTRACTS, latestVersion, type Contract } from '../core/contracts/index.js';
import type { CatalogFile } from '../core/ports.js';
import { readParquetSql, sqlIdent } from './duckdb.js';
import { RAW_TABLE } from './layout.js';
import { contractColumns, RAW_COLUMNS, type ColumnSpec } from './parquet-writer.js';

export interface ViewDef {
  name: string;
  sql: string;
}

/** `SELECT` of typed columns from some files, or an empty typed relation when there are none. */
function typedSelect(columns: readonly ColumnSpec[], sources: { present: ReadonlySet<string>; paths: string[] }[]): string {
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
      return `SELECT ${cols.join(', ')} FROM ${readParquetSql(s.paths)}`;
    })
    .join(' UNION ALL ');
}

/** The history view of one contract: every version file it has, shaped as the latest version. */
function historyView(latest: Contract, files: readonly CatalogFile[], pathOf: (key: string) => string): ViewDef {
  const byVersion = new Map<number, string[]>();
  for (const f of files) {
    let list = byVersion.get(f.version);
    if (!list) byVersion.set(f.version, (list = []));
    list.push(pathOf(f.key));
  }
  const sources = [...byVersion.entries()]
    .sort(([a], [b]) => a - b)
    .flatMap(([version, paths]) => {
      const c = CONTRACTS.get(latest.name)?.get(version);
      return c ? [{ present: new Set(contractColumns(c).map((x) => x.name)), paths }] : [];
    });
  const inner = typedSelect(contractColumns(latest), sources);
  return {
    name: `${latest.name}_history`,
    sql: `SELECT * FROM (${inner}) QUALIFY row_number() OVER (PARTITION BY _id ORDER BY _received_at, _delivery_id) = 1`,
  };
}

/** Current = latest per key; a delayed older snapshot has an older _changed_at and never wins. */
export function currentView(contract: Contract): ViewDef {
  return {
    name: contract.name,
    sql:
      `SELECT * FROM ${sqlIdent(`${contract.name}_history`)} ` +
      `QUALIFY row_number() OVER (PARTITION BY ${sqlIdent(contract.key)} ORDER BY _changed_at DESC, _received_at DESC, _id DESC) = 1`,
  };
}

function rawView(files: readonly CatalogFile[], pathOf: (key: string) => string): ViewDef {
  const paths = files.map((f) => pathOf(f.key));
  const inner = typedSelect(RAW_COLUMNS, [{ present: new Set(RAW_COLUMNS.map((c) => c.name)), paths }]);
  return {
    name: 'raw',
    // A queue redelivery repeats the whole envelope (same id, received_at, delivery_id) and must
    // collapse; a producer that sends the same event again is a new delivery that audit wants to see.
    sql: `SELECT * FROM (${inner}) QUALIFY row_number() OVER (PARTITION BY id, received_at, delivery_id) = 1`,
  };
}

/** Every file-dependent view (history views and raw) for this file list. Current views depend only on history. */
export function fileViews(files: readonly CatalogFile[], pathOf: (key: string) => string): ViewDef[] {
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
    out.push(historyView(latestVersion(name)!, byContract.get(name) ?? [], pathOf));
  }
  out.push(rawView(raw, pathOf));
  return out;
}

export function currentViews(): ViewDef[] {
  return [...CONTRACTS.keys()].sort().map((name) => currentView(latestVersion(name)!));
}
