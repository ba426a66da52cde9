// Compaction: merge a partition's small files, de-duplicated by _id (first arrival kept); then fold what
// landed since into each contract's current state (puddles/current-state.ts).
// Size-tiered, as log-structured stores do (pickTier): a merge takes the small files, and a bigger file only
// once the smaller ones together hold as many rows, and never one at its target size, so a day's big files are
// not rewritten again for a few small ones. Merging everything each time rewrote the whole day's partition
// whenever its folded files reached `minFiles`: that merge's cost and working set grew with the night (docs/benchmarks.md,
// "A soak: the hub over an appeal night"). Now the merge is bounded by DEFAULT_TIER; a busy day keeps a file per
// million rows or so besides the small ones, and the views de-duplicate across files as they always did.
// Files already folded into current state are merged only with each other, and files not yet folded only
// with each other, so a merge never turns a big folded file back into "recent" rows the views re-read.
// Crash-safe by construction: the merged file's key is a hash of its inputs, it is registered with one
// atomic replaceFiles, and the inputs are deleted only later via takeGarbage. A crash before the swap
// leaves an unregistered object that queries never see and the next run overwrites.
import { CONTRACTS } from '../core/contracts/index.js';
import type { LakeFileError } from '../core/errors.js';
import type { Catalog, CatalogFile, ObjectStore, TableRef } from '../core/ports.js';
import { foldAll, type FoldResult } from './current-state.js';
import { withConnection } from './duckdb.js';
import { skipUnreadable } from './lake-file-error.js';
import { fileKey, isRawTable, setHash, tableId } from './layout.js';
import { maintainedFiles } from './maintained-files.js';
import { withLocalFiles } from './local-files.js';
import { contractColumns, copyToBytesCounted } from './parquet-writer.js';
import { duckdbSource, firstPerKeySql, type SourceSql } from './views.js';
import { FIRST_ARRIVAL } from './version-order.js';

export interface CompactionResult {
  table: TableRef;
  dt: string;
  /** Files merged (0 when there was nothing to do). */
  inputs: number;
  /** Rows before and after de-duplication. */
  rowsIn: number;
  rowsOut: number;
  /** Bytes read (the inputs) and written (the merged file). */
  bytesIn: number;
  bytesOut: number;
  key?: string;
}

/** The sizes, in rows, that size-tiered merging works between (pickTier). */
export interface Tier {
  /** A file under it is always worth merging: a merge under it costs little whatever it takes. */
  floorRows: number;
  /** A file of at least this many is at its target size and never merged again by the hub (as a lake's target file size). */
  ceilingRows: number;
}

/**
 * A landed batch is a few hundred rows; 100,000 donations are about 3 MB of Parquet and 1,000,000 about 30 MB,
 * so no run of the hub's maintenance merges much more than twice that, however long the night.
 */
export const DEFAULT_TIER: Tier = { floorRows: 100_000, ceilingRows: 1_000_000 };

/**
 * The files of one partition (and fold state) worth merging now: smallest first, each one while it holds no
 * more than the floor or than the ones taken before it together, and none at the ceiling. Each merge at least
 * doubles a bigger file it takes, so a row is rewritten about log2(ceiling / floor) times, not once per run.
 * Fewer than two: nothing worth merging.
 */
export function pickTier<F extends Pick<CatalogFile, 'key' | 'rows'>>(files: readonly F[], tier: Tier = DEFAULT_TIER): F[] {
  const picked: F[] = [];
  let rows = 0;
  // Ties by key, so the same files give the same choice (and the same merged key) in every process.
  const smallestFirst = files.filter((f) => f.rows < tier.ceilingRows).sort((a, b) => a.rows - b.rows || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const f of smallestFirst) {
    if (picked.length && f.rows > Math.max(tier.floorRows, rows)) break;
    picked.push(f);
    rows += f.rows;
  }
  return picked.length >= 2 ? picked : [];
}

/**
 * The merge as portable SQL (puddles/portable-sql.ts): one row per _id, first arrival kept, in change order.
 * `source` gives the FROM item for the input files (DuckDB's read_parquet here; a table name for the check).
 */
export function compactionSql(table: TableRef, paths: readonly string[], source: SourceSql = duckdbSource): string {
  const contract = CONTRACTS.get(table.contract)?.get(table.version);
  if (!contract) throw new Error(`cannot compact ${tableId(table)}: no such contract version`);
  const columns = contractColumns(contract).map((c) => c.name);
  return `${firstPerKeySql(columns, source(table, paths), ['_id'], FIRST_ARRIVAL)} ORDER BY _changed_at, _id`;
}

export async function compactPartition(opts: {
  store: ObjectStore;
  catalog: Catalog;
  table: TableRef;
  dt: string;
  /** Only the files folded into current state (true) or only the others (false); all when absent. */
  folded?: boolean;
  /** Merge every file into one (`puddle compact`, by hand or nightly), not only a tier (pickTier). */
  whole?: boolean;
  /** pickTier's sizes (tests use small ones). */
  tier?: Tier;
}): Promise<CompactionResult> {
  const { store, catalog, table, dt } = opts;
  const none: CompactionResult = { table, dt, inputs: 0, rowsIn: 0, rowsOut: 0, bytesIn: 0, bytesOut: 0 };
  // Raw is the replay source and audit trail: its files are never rewritten.
  if (isRawTable(table)) return none;
  const listed = (await catalog.listFiles({ puddle: table.puddle, contract: table.contract, version: table.version, dt })).filter(
    (f) => !f.current && (opts.folded === undefined || !!f.folded === opts.folded),
  );
  const files = opts.whole ? listed : pickTier(listed, opts.tier);
  if (files.length < 2) return none;
  const keys = files.map((f) => f.key);
  const key = fileKey(table, dt, 'c', setHash(keys));
  const { bytes, rows } = await withLocalFiles(store, keys, (paths) =>
    withConnection((conn) =>
      copyToBytesCounted(conn, `(${compactionSql(table, paths)})`),
    ),
  );
  await store.put(key, bytes);
  // Its rows are all in current state only if every input's were.
  const folded = files.every((f) => f.folded);
  const merged: CatalogFile = { ...table, key, dt, rows, bytes: bytes.byteLength, added_at: new Date().toISOString(), ...(folded ? { folded } : {}) };
  // A replay (or another compactor) may have retired some inputs while this one read them: registering the
  // merge then would bring their old rows back. Then nothing is swapped; the unregistered object is an
  // orphan like a crash's, which queries never see.
  if (!(await catalog.replaceFiles(keys, [merged], { ifAllPresent: true }))) return none;
  const bytesIn = files.reduce((n, f) => n + f.bytes, 0);
  return { table, dt, inputs: files.length, rowsIn: files.reduce((n, f) => n + f.rows, 0), rowsOut: rows, bytesIn, bytesOut: bytes.byteLength, key };
}

export interface MaintenanceResult {
  compacted: CompactionResult[];
  /** Current state folded after compacting (one entry per contract with unfolded files). */
  folded: FoldResult[];
  /** Lake files that could not be read (damaged or missing): their partition or contract was left as it was. */
  unreadable: LakeFileError[];
}

/**
 * Compact every partition (except raw's) that has at least `minFiles` files of one fold state (a tier of them,
 * or all with `whole`), then fold
 * each contract's new files into its current state. A contract with current state is folded again only
 * once `foldMinRows` rows landed since (default: `defaultFoldRows` in puddles/current-state.ts).
 */
export async function compactAll(opts: {
  store: ObjectStore;
  catalog: Catalog;
  minFiles?: number;
  foldMinRows?: number;
  /** Merge each partition's files whole, not by tier (compactPartition). */
  whole?: boolean;
  tier?: Tier;
}): Promise<MaintenanceResult> {
  // NaN (a caller's Number('abc')) made every `n >= minFiles` below false: nothing compacted, and the result
  // looked like a lake with nothing to do.
  if (opts.minFiles !== undefined && !Number.isInteger(opts.minFiles)) throw new Error(`compactAll: minFiles must be a whole number (got ${opts.minFiles})`);
  const minFiles = Math.max(2, opts.minFiles ?? 2);
  const counts = new Map<string, { table: TableRef; dt: string; folded: boolean; n: number }>();
  for (const f of await maintainedFiles(opts.catalog)) {
    if (f.current) continue;
    const folded = !!f.folded;
    const id = `${tableId(f)}|${f.dt}|${folded}`;
    const entry = counts.get(id) ?? { table: { puddle: f.puddle, contract: f.contract, version: f.version }, dt: f.dt, folded, n: 0 };
    entry.n++;
    counts.set(id, entry);
  }
  const compacted: CompactionResult[] = [];
  const unreadable: LakeFileError[] = [];
  for (const { table, dt, folded, n } of counts.values()) {
    if (n < minFiles) continue;
    const r = await skipUnreadable(() => compactPartition({ store: opts.store, catalog: opts.catalog, table, dt, folded, whole: opts.whole, tier: opts.tier }), unreadable);
    if (r) compacted.push(r);
  }
  const folded = await foldAll({ store: opts.store, catalog: opts.catalog, minRows: opts.foldMinRows, unreadable });
  return { compacted, folded, unreadable };
}

/** One maintenance run in figures, for its log line: what it merged and folded, and the bytes it read and wrote. */
export function maintenanceFigures(r: MaintenanceResult): Record<string, number> {
  const merged = r.compacted.filter((c) => c.inputs > 0);
  const folds = r.folded.filter((f) => f.folded > 0);
  return {
    merges: merged.length,
    filesMerged: merged.reduce((n, c) => n + c.inputs, 0),
    rowsMerged: merged.reduce((n, c) => n + c.rowsIn, 0),
    folds: folds.length,
    rowsFolded: folds.reduce((n, f) => n + f.rowsIn, 0),
    stateRows: folds.reduce((n, f) => n + f.rowsOut, 0),
    bytesRead: merged.reduce((n, c) => n + c.bytesIn, 0) + folds.reduce((n, f) => n + f.bytesIn, 0),
    bytesWritten: merged.reduce((n, c) => n + c.bytesOut, 0) + folds.reduce((n, f) => n + f.bytesOut, 0),
  };
}

/**
 * How long a file compaction or replay retired stays on disk before it is deleted: a reader (a query, a
 * report, an export) that listed the files before the swap may still be reading it. It was a minute, and a
 * reconciliation query beside a busy hub on a loaded machine ran longer than that and failed on a file deleted
 * under it; fifteen minutes costs only the disk of a quarter hour's compaction inputs. The hub's maintenance
 * and `puddle compact` both wait this long (the AWS shape waits PUDDLE_GC_AFTER_MINUTES, 60 by default).
 */
export const GARBAGE_GRACE_MS = 15 * 60_000;

/** Delete objects the catalog dropped more than `olderThanMs` ago (no reader can still hold them). */
export async function collectGarbage(opts: { store: ObjectStore; catalog: Catalog; olderThanMs: number }): Promise<number> {
  const keys = await opts.catalog.takeGarbage(opts.olderThanMs);
  for (const key of keys) await opts.store.delete(key);
  return keys.length;
}
