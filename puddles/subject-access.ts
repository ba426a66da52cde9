// A subject access request carried out on the lake (`puddle subject-access`): every row holding the person, found as
// `puddle erase` finds them (the same values, the same matching: puddles/erasure-match.ts), so what the charity
// discloses is what an erasure would rewrite. Until 2026-12-06 the DPO ran a page of SQL from the docs, which
// covered the contracts it named and missed a value typed elsewhere (a name in a bank line's text, a phone number in
// a CRM note kept in raw).
import type { Catalog, ObjectStore } from '../core/ports.js';
import { withConnection } from './duckdb.js';
import { planErasure, varcharColumns, type ErasurePlan } from './erasure.js';
import { erasureNeedles, longEnoughId, matchSql, type ErasureNeedle } from './erasure-match.js';
import { isRawTable, RAW_TABLE, tableId } from './layout.js';
import { withLocalFiles } from './local-files.js';
import { sqlIdent, sqlString } from './sql-text.js';

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
        // The lake's times are UTC: said so, as ISO with a Z (to_json writes a TIMESTAMP without a zone, which a reader
        // takes for local time: until 2026-12-06, a user test).
        const times = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowsJS().filter(([, type]) => type === 'TIMESTAMP').map(([name]) => String(name));
        const utc = times.length ? ` REPLACE (${times.map((c) => `strftime(${sqlIdent(c)}, '%Y-%m-%dT%H:%M:%S.%gZ') AS ${sqlIdent(c)}`).join(', ')})` : '';
        const rows = (await conn.runAndReadAll(`SELECT CAST(to_json(t) AS VARCHAR) AS j FROM (SELECT *${utc} FROM ${source} WHERE ${where}) AS t ORDER BY j`)).getRowsJS();
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

/**
 * The columns whose values are one person's record, not shared: a row of theirs naming one leads to that record
 * (their payment's refund, dispute and donation; their gift's payments; their regular gift's instalments). Not a
 * payout, a campaign, an account or a bank line, which many people's records share.
 */
const LINK_COLUMNS = ['donation_id', 'payment_id', 'original_payment_id', 'payment_intent_id', 'refund_id', 'dispute_id', 'gift_id', 'gift_payment_id', 'recurring_donation_id', 'click_id', 'ticket_id'];

/**
 * Contracts whose rows tie other people to a record: a gift's contact roles name each contact soft-credited with it
 * (a household member, a company's contact). Their rows naming the person are found as the person's; those a link
 * reaches would disclose someone else.
 */
const NOT_LINKED = ['gift_contact_role'];

/** How many steps from the person's own rows the links are followed: a payment, then its donation's click. */
const LINK_STEPS = 2;

/** Whether a SubjectTable is raw's (`raw/envelope/v1`), whose rows are envelopes, not a contract's columns. */
const isRaw = (table: string): boolean => table.startsWith(`${RAW_TABLE.puddle}/`);

function linkValues(tables: readonly SubjectTable[]): string[] {
  const out = new Set<string>();
  for (const t of tables) {
    if (isRaw(t.table)) continue;
    for (const row of t.rows) {
      for (const c of LINK_COLUMNS) {
        const v = row[c];
        if (typeof v === 'string' && longEnoughId(v.trim())) out.add(v.trim());
      }
    }
  }
  return [...out];
}

/**
 * The rows the person's own rows lead to (LINK_COLUMNS), which hold none of their values: the refund of their
 * payment holds only its payment id, a CRM gift's payment only its gift id. Found as the person's rows are (the
 * same whole-word matching, raw included), up to LINK_STEPS steps away, each row once, none already in `own`.
 * Until 2026-12-06 a subject access left them out, though a request covers every record about the person (a user test).
 */
export async function linkedRows(store: ObjectStore, catalog: Catalog, own: readonly SubjectTable[]): Promise<SubjectTable[]> {
  const given = new Set(own.flatMap((t) => t.rows.map((r) => `${t.table}\u0000${JSON.stringify(r)}`)));
  const asked = new Set<string>();
  const out = new Map<string, Record<string, unknown>[]>();
  let frontier: readonly SubjectTable[] = own;
  for (let step = 0; step < LINK_STEPS; step++) {
    const values = linkValues(frontier).filter((v) => !asked.has(v));
    if (!values.length) break;
    for (const v of values) asked.add(v);
    const needles = erasureNeedles({ supporterIds: values, emails: [], texts: [] });
    const found = await subjectRows(store, await planErasure({ store, catalog, needles }), needles);
    const next: SubjectTable[] = [];
    for (const t of found) {
      const fresh = t.rows.filter((r) => {
        // Raw's rows name their contract; a table's is in its name (`puddle/contract/vN`).
        if (NOT_LINKED.includes(String(isRaw(t.table) ? r.contract : t.table.split('/')[1]))) return false;
        const key = `${t.table}\u0000${JSON.stringify(r)}`;
        if (given.has(key)) return false;
        given.add(key);
        return true;
      });
      if (!fresh.length) continue;
      out.set(t.table, [...(out.get(t.table) ?? []), ...fresh]);
      next.push({ table: t.table, rows: fresh });
    }
    frontier = next;
  }
  return [...out].sort(([a], [b]) => a.localeCompare(b)).map(([table, rows]) => ({ table, rows }));
}
