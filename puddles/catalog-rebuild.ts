// Rebuilding a lost catalog from the lake's raw files: raw is never rewritten (never compacted, never replaced),
// so every raw file on disk is live, and each records in its key and rows what the catalog held for it. Every
// other contract is then re-derived from raw by replay, onto new files. The lake's old non-raw files are not
// registered: without the catalog nothing tells a live file from one that compaction or a replay retired (both
// still on disk until garbage collection), and registering both would count their rows twice.
import type { Catalog, CatalogFile, ObjectInfo, ObjectStore } from '../core/ports.js';
import { withConnection } from './duckdb.js';
import { RAW_TABLE, tablePrefix } from './layout.js';
import { withLocalFiles } from './local-files.js';
import { replay, replayableContracts, type ReplayResult } from './replay.js';
import { sqlString } from './sql-text.js';

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
  replayed: Pick<ReplayResult, 'contract' | 'rows' | 'invalid' | 'filesAdded'>[];
}

/** Registers `raw` in `catalog` (a new, empty one) and re-derives every replayable contract from it. */
export async function rebuildFromRaw(store: ObjectStore, catalog: Catalog, raw: RawFilesFound): Promise<RebuildResult> {
  await catalog.addFiles(raw.files);
  const replayed: RebuildResult['replayed'] = [];
  for (const contract of replayableContracts()) {
    const { rows, invalid, filesAdded } = await replay({ store, catalog, contract });
    if (rows || invalid) replayed.push({ contract, rows, invalid, filesAdded });
  }
  return { rawFiles: raw.files.length, rawRows: raw.files.reduce((n, f) => n + f.rows, 0), skipped: raw.skipped, replayed };
}
