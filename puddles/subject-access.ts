// A subject access request carried out on the lake (`puddle subject-access`): every row holding the person, found as
// `puddle erase` finds them (the same values, the same matching: puddles/erasure-match.ts), so what the charity
// discloses is what an erasure would rewrite. Until 2026-12-06 the DPO ran a page of SQL from the docs, which
// covered the contracts it named and missed a value typed elsewhere (a name in a bank line's text, a phone number in
// a CRM note kept in raw).
import type { ObjectStore } from '../core/ports.js';
import { withConnection } from './duckdb.js';
import { varcharColumns, type ErasurePlan } from './erasure.js';
import { matchSql, type ErasureNeedle } from './erasure-match.js';
import { isRawTable, tableId } from './layout.js';
import { withLocalFiles } from './local-files.js';
import { sqlString } from './sql-text.js';

/** A table's rows that hold the person (`puddle/contract/vN`, or `raw`), each as its columns' values. */
export interface SubjectTable {
  table: string;
  rows: Record<string, unknown>[];
}

/**
 * The rows of the plan's files (planErasure) that hold a needle, table by table. A contract's current-state files
 * are left out: each of their rows is its history's latest version, which is given. Raw's envelope, JSON text in
 * the lake, is given as the JSON it is.
 */
export async function subjectRows(store: ObjectStore, plan: ErasurePlan, needles: readonly ErasureNeedle[]): Promise<SubjectTable[]> {
  const byTable = new Map<string, { raw: boolean; keys: string[] }>();
  for (const { file } of plan.files) {
    if (file.current) continue;
    const id = tableId(file);
    const t = byTable.get(id) ?? { raw: isRawTable(file), keys: [] };
    t.keys.push(file.key);
    byTable.set(id, t);
  }
  const tables: SubjectTable[] = [];
  for (const [table, { raw, keys }] of [...byTable].sort(([a], [b]) => a.localeCompare(b))) {
    const texts = await withLocalFiles(store, keys, (paths) =>
      withConnection(async (conn) => {
        const source = `read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = false, union_by_name = true)`;
        const text = await varcharColumns(conn, source);
        if (!text.length) return [];
        const where = text.map((c) => matchSql(c, needles)).join(' OR ');
        const rows = (await conn.runAndReadAll(`SELECT CAST(to_json(t) AS VARCHAR) AS j FROM (SELECT * FROM ${source} WHERE ${where}) AS t ORDER BY j`)).getRowsJS();
        return rows.map(([j]) => String(j));
      }),
    );
    const rows = texts.map((j) => {
      const row = JSON.parse(j) as Record<string, unknown>;
      if (raw && typeof row.envelope === 'string') row.envelope = JSON.parse(row.envelope);
      return row;
    });
    if (rows.length) tables.push({ table, rows });
  }
  return tables;
}
