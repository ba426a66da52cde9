// Rebuilding a lost catalog from the lake's raw files: raw is never rewritten (never compacted, never replaced),
// so every raw file on disk is live, and each records in its key and rows what the catalog held for it. Every
// other contract, and the quarantine, is then re-derived from raw in one pass, onto new files. The lake's old
// non-raw files are not registered: without the catalog nothing tells a live file from one that compaction or a
// replay retired (both still on disk until garbage collection), and registering both would count their rows twice.
import type { FieldError } from '../core/contracts/index.js';
import { RAW_ONLY_CONTRACT, type Envelope } from '../core/envelope.js';
import type { Catalog, CatalogFile, ObjectInfo, ObjectStore } from '../core/ports.js';
import { puddleFor } from './definitions.js';
import { withConnection } from './duckdb.js';
import { writeRowFiles } from './land.js';
import { contractRow, QUARANTINE_TABLE, quarantineRow, type LandingRow } from './landing-rows.js';
import { RAW_TABLE, tablePrefix } from './layout.js';
import { withLocalFiles } from './local-files.js';
import type { ReplayResult } from './replay.js';
import { readParquetSql, sqlString } from './sql-text.js';

/** A raw file's key: `lake/raw/envelope/v1/dt=<received date>/<origin>-<hash>.parquet`. */
const RAW_KEY = /\/dt=(\d{4}-\d{2}-\d{2})\/[a-z]-[0-9a-f]+\.parquet$/;

export interface RawFilesFound {
  files: CatalogFile[];
  /** Keys under raw's folder that are no raw file (the writers never make such a name): left alone. */
  skipped: string[];
}

/**
 * The catalog entries of every raw file in `store`, read from the files themselves: the partition from the key,
 * rows and the latest received_at from the Parquet file (DuckDB), bytes from the store. `added_at` is when the
 * file was written, and never before its last row was received (what added_at promises: runtime.ts starts a
 * clock after it). Throws a LakeFileError naming a raw file DuckDB cannot read.
 */
export async function findRawFiles(store: ObjectStore): Promise<RawFilesFound> {
  const found: ObjectInfo[] = [];
  const skipped: ObjectInfo[] = [];
  for (const o of await store.list(tablePrefix(RAW_TABLE))) (RAW_KEY.test(o.key) ? found : skipped).push(o);
  if (!found.length) return { files: [], skipped: skipped.map((o) => o.key) };
  const facts = await withLocalFiles(store, found.map((o) => o.key), (paths) =>
    withConnection(async (conn) => {
      const rows = (
        await conn.runAndReadAll(
          `SELECT filename, count(*), max(epoch_ms(received_at)) FROM read_parquet([${paths.map(sqlString).join(', ')}], hive_partitioning = false, filename = true) GROUP BY filename`,
        )
      ).getRowsJS();
      return new Map(rows.map(([file, n, last]) => [String(file), { rows: Number(n), lastReceived: last === null ? 0 : Number(last) }]));
    }).then((byPath) => paths.map((p) => byPath.get(p) ?? { rows: 0, lastReceived: 0 })),
  );
  const files = found.map((o, i): CatalogFile => {
    const { rows, lastReceived } = facts[i]!;
    return {
      ...RAW_TABLE,
      key: o.key,
      dt: RAW_KEY.exec(o.key)![1]!,
      rows,
      bytes: o.size,
      added_at: new Date(Math.max(o.lastModified.getTime(), lastReceived)).toISOString(),
    };
  });
  return { files, skipped: skipped.map((o) => o.key) };
}

export interface RebuildResult {
  /** Raw files registered, and the envelopes they hold. */
  rawFiles: number;
  rawRows: number;
  skipped: string[];
  /** Per contract: rows landed, and envelopes that failed it (`invalid`: back in quarantine, as landing put them). */
  replayed: Pick<ReplayResult, 'contract' | 'rows' | 'invalid' | 'filesAdded'>[];
}

/** Registers `raw` in `catalog` (a new, empty one) and re-derives every contract and the quarantine from it. */
export async function rebuildFromRaw(store: ObjectStore, catalog: Catalog, raw: RawFilesFound): Promise<RebuildResult> {
  await catalog.addFiles(raw.files);
  const replayed = await rederiveFromRaw(store, catalog, raw.files);
  return { rawFiles: raw.files.length, rawRows: raw.files.reduce((n, f) => n + f.rows, 0), skipped: raw.skipped, replayed };
}

/**
 * Every contract's rows and the quarantine's, from one read of raw (ordered by contract, so one contract's rows
 * are in hand at a time), written as replay writes them and registered. What landing did with an envelope is
 * done again, as `puddle replay` does for one contract: the first arrival of each id lands, or, when it fails
 * its contract (or names one no puddle lands), becomes the quarantine row landing wrote for it, under the same
 * id; a connector's quarantine envelope is a quarantine row as it was. So `quarantine_resolution` rows, replayed
 * with the rest, still name the rows they resolved, and a record quarantined twice is one row, as it was.
 * Checked with today's contracts: a record that passes them now lands instead (a replay would land it too).
 */
export async function rederiveFromRaw(store: ObjectStore, catalog: Catalog, rawFiles: readonly CatalogFile[]): Promise<RebuildResult['replayed']> {
  const replayed: RebuildResult['replayed'] = [];
  const quarantined: LandingRow[] = [];
  const quarantinedIds = new Set<string>();
  const quarantine = (env: Envelope, reasons: readonly FieldError[]) => {
    const row = quarantineRow(env, reasons);
    if (quarantinedIds.has(row.id)) return;
    quarantinedIds.add(row.id);
    quarantined.push(row);
  };
  let contract: string | null | undefined;
  let rows: LandingRow[] = [];
  let invalid = 0;
  let seen = new Set<string>();
  const flush = async () => {
    if (contract === undefined || contract === QUARANTINE_TABLE.contract || (!rows.length && !invalid)) return;
    const added = await writeRowFiles(store, rows, 'r');
    if (added.length) await catalog.addFiles(added);
    replayed.push({ contract: String(contract), rows: rows.length, invalid, filesAdded: added.length });
  };
  if (rawFiles.length) {
    await withLocalFiles(store, rawFiles.map((f) => f.key), (paths) =>
      withConnection(async (conn) => {
        // Raw partitions by received_at, not occurred_at, so every raw file is read; first arrival first.
        const result = await conn.stream(`SELECT contract, envelope FROM ${readParquetSql(paths)} ORDER BY contract NULLS LAST, received_at, id, delivery_id`);
        for await (const chunk of result.yieldRowsJs()) {
          for (const [name, text] of chunk) {
            const c = name === null ? null : String(name);
            if (c !== contract) {
              await flush();
              contract = c;
              rows = [];
              invalid = 0;
              seen = new Set();
            }
            if (c === RAW_ONLY_CONTRACT) continue;
            const env = JSON.parse(String(text)) as Envelope;
            // Landing keeps one row per id (the views de-duplicate by it): the first arrival's.
            if (typeof env.id === 'string') {
              if (seen.has(env.id)) continue;
              seen.add(env.id);
            }
            const puddle = typeof env.contract === 'string' ? puddleFor(env.contract) : undefined;
            if (!puddle) {
              // The raw puddle quarantines what no puddle lands (puddles/land.ts).
              quarantine(env, [{ path: 'envelope.contract', message: `no puddle lands contract ${String(env.contract)}` }]);
              continue;
            }
            const r = contractRow(env, puddle.name);
            if (!r.ok) {
              invalid++;
              quarantine(env, r.reasons);
            } else if (r.row.table.contract === QUARANTINE_TABLE.contract) {
              if (!quarantinedIds.has(r.row.id)) {
                quarantinedIds.add(r.row.id);
                quarantined.push(r.row);
              }
            } else rows.push(r.row);
          }
        }
        await flush();
      }),
    );
  }
  if (quarantined.length) {
    const added = await writeRowFiles(store, quarantined, 'r');
    await catalog.addFiles(added);
    replayed.push({ contract: QUARANTINE_TABLE.contract, rows: quarantined.length, invalid: 0, filesAdded: added.length });
  }
  return replayed.sort((a, b) => a.contract.localeCompare(b.contract));
}
