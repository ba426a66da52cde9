// Replay: re-derive a contract's puddle files from `raw`, which keeps every envelope as delivered.
// Used after a bad deploy, a lost or corrupt file, or a contract fix. Each touched partition's old files
// are swapped for the new ones in one atomic replaceFiles; the old objects go the garbage route.
import { getContract } from '../core/contracts/index.js';
import type { Envelope } from '../core/envelope.js';
import type { Catalog, CatalogFile, ObjectStore } from '../core/ports.js';
import { puddleFor } from './definitions.js';
import { readParquetSql, sqlString, withConnection } from './duckdb.js';
import { writeRowFiles } from './land.js';
import { contractRow, type LandingRow } from './landing-rows.js';
import { RAW_TABLE } from './layout.js';
import { withLocalFiles } from './local-files.js';

export interface ReplayResult {
  contract: string;
  /** Raw envelopes read for this contract. */
  read: number;
  /** Rows written (after de-duplication, inside [from, to]). */
  rows: number;
  /** Envelopes that failed validation (they are already in quarantine from landing). */
  invalid: number;
  partitions: string[];
  filesRemoved: number;
  filesAdded: number;
}

/** `from`/`to` are inclusive `YYYY-MM-DD` bounds on the occurred_at date; omitted means unbounded. */
export async function replay(opts: {
  store: ObjectStore;
  catalog: Catalog;
  contract: string;
  from?: string;
  to?: string;
}): Promise<ReplayResult> {
  const { store, catalog, contract, from, to } = opts;
  const inRange = (dt: string) => (from === undefined || dt >= from) && (to === undefined || dt <= to);
  const fallbackPuddle = puddleFor(contract)?.name ?? contract;
  if (!getContract(contract, 1) && !puddleFor(contract)) throw new Error(`unknown contract ${contract}`);

  const rawFiles = await catalog.listFiles({ puddle: RAW_TABLE.puddle, contract: RAW_TABLE.contract, version: RAW_TABLE.version });
  const rows: LandingRow[] = [];
  let read = 0;
  let invalid = 0;
  if (rawFiles.length) {
    await withLocalFiles(store, rawFiles.map((f) => f.key), (paths) =>
      withConnection(async (conn) => {
        // Raw partitions by received_at, not occurred_at, so every raw file is read; first arrival first.
        const result = await conn.stream(
          `SELECT envelope FROM ${readParquetSql(paths)} WHERE contract = ${sqlString(contract)} ORDER BY received_at, id, delivery_id`,
        );
        const seen = new Set<string>();
        for await (const chunk of result.yieldRowsJs()) {
          for (const [text] of chunk) {
            read++;
            const env = JSON.parse(String(text)) as Envelope;
            if (seen.has(env.id)) continue;
            seen.add(env.id);
            const r = contractRow(env, fallbackPuddle);
            if (!r.ok) invalid++;
            else if (inRange(r.row.dt)) rows.push(r.row);
          }
        }
      }),
    );
  }

  const old = (await catalog.listFiles({ contract })).filter((f) => f.puddle !== RAW_TABLE.puddle && inRange(f.dt));
  const added: CatalogFile[] = await writeRowFiles(store, rows, 'r');
  await catalog.replaceFiles(
    old.map((f) => f.key),
    added,
  );
  const partitions = [...new Set([...old.map((f) => f.dt), ...added.map((f) => f.dt)])].sort();
  return { contract, read, rows: rows.length, invalid, partitions, filesRemoved: old.length, filesAdded: added.length };
}
