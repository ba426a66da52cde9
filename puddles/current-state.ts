// Current state: per contract, the latest version of every key, kept as Parquet so the current views (and
// the live totals' rebuild) stop de-duplicating the whole history on every query. A fold reads the
// contract's current-state files and the history files not yet folded into them, writes the new state as
// one file, and in one atomic catalog step swaps the old state for it and marks those history files folded.
// Views then read the state plus the unfolded files (puddles/views.ts); both give exactly the answer a
// de-duplication of the whole history gives.
//
// Why the state keeps more than one row for some keys: the history keeps the first arrival of each envelope
// id, and "latest" orders by _changed_at, then arrival. A key's rows that tie with its winner on _changed_at
// are kept too (flagged `_current = false`): if one of those losers is sent again later, its copy must
// still count as its first arrival, which loses, and not as a new arrival, which would win. A row with an
// older _changed_at can never win again, whatever arrives, so it is dropped. Ties are rare (a record
// changed without its updated_at moving), so the state is about one row per key.
//
// Crash-safe like compaction: the state's key is a hash of its inputs, the swap is one replaceFiles that
// does nothing if any input was retired meanwhile (a compaction, a replay), and the old state goes the
// garbage route. A replay drops the state (its rows may be gone from the history); the next fold starts over.
import { CONTRACTS, latestVersion, type Contract } from '../core/contracts/index.js';
import type { LakeFileError } from '../core/errors.js';
import type { Catalog, CatalogFile, ObjectStore } from '../core/ports.js';
import { withConnection } from './duckdb.js';
import { sqlIdent } from './sql-text.js';
import { skipUnreadable } from './lake-file-error.js';
import { currentStateKey, isRawTable, setHash } from './layout.js';
import { withLocalFiles } from './local-files.js';
import { maintainedFiles } from './maintained-files.js';
import { contractColumns, copyToBytesCounted } from './parquet-writer.js';
import { CURRENT_FLAG, duckdbSource, firstPerKeySql, sourcesOf, stateIsStale, typedSelect, type SourceSql } from './views.js';
import { FIRST_ARRIVAL, LATEST_FIRST } from './version-order.js';

export interface FoldResult {
  contract: string;
  /** History files folded in (0 when nothing was done). */
  folded: number;
  /** Rows read from those files, and rows in the new state. */
  rowsIn: number;
  rowsOut: number;
  /** Bytes read (the old state and those files) and written (the new state). */
  bytesIn: number;
  bytesOut: number;
  key?: string;
}

/**
 * The latest rows per key of `from` (a de-duplicated relation), with every row tying with the winner on
 * _changed_at kept and flagged: CURRENT_FLAG is true on the winner only.
 */
function latestWithTiesSql(contract: Contract, from: string): string {
  const names = contractColumns(contract).map((c) => c.name);
  const key = sqlIdent(contract.key);
  return (
    `SELECT ${names.map(sqlIdent).join(', ')}, _puddle_rn = 1 AS ${sqlIdent(CURRENT_FLAG.name)} FROM ` +
    `(SELECT *, row_number() OVER (PARTITION BY ${key} ORDER BY ${LATEST_FIRST.join(', ')}) AS _puddle_rn, ` +
    `max(_changed_at) OVER (PARTITION BY ${key}) AS _puddle_max FROM ${from} AS _puddle_all) AS _puddle_ranked ` +
    `WHERE _puddle_rn = 1 OR _changed_at = _puddle_max OR _puddle_max IS NULL`
  );
}

/**
 * The fold as portable SQL: the new state from the old one (`state`, current-state files) and the history
 * files not yet in it (`recent`). Keys with no recent rows keep their state rows untouched; the others are
 * worked out again from their state rows and the recent rows, de-duplicated by _id first.
 */
export function foldSql(
  contract: Contract,
  state: readonly CatalogFile[],
  recent: readonly CatalogFile[],
  pathOf: (key: string) => string,
  source: SourceSql = duckdbSource,
): string {
  const columns = contractColumns(contract);
  const names = columns.map((c) => c.name);
  const list = names.map(sqlIdent).join(', ');
  const recentSql = typedSelect(columns, sourcesOf(contract, recent, pathOf), source);
  const dedup = (from: string) => `(${firstPerKeySql(names, from, ['_id'], FIRST_ARRIVAL)})`;
  // A first fold is written in _changed_at order: a view then finds the state rows as new as some recent
  // row by the row groups' statistics alone (puddles/views.ts), and similar timestamps side by side compress
  // better. A later fold keeps that order without sorting again (a third of the fold's time at 10M rows): the
  // untouched rows stream through in order and the keys it touched, nearly all newer, go after them.
  if (!state.length) return `SELECT * FROM (${latestWithTiesSql(contract, dedup(`(${recentSql})`))}) AS _puddle_fold ORDER BY _changed_at`;
  const stateSql = typedSelect([...columns, CURRENT_FLAG], sourcesOf(contract, state, pathOf), source);
  const key = sqlIdent(contract.key);
  // The state once, each row marked when a recent row shares its key (a hash join on the few recent keys;
  // DuckDB ran the NOT EXISTS form this replaces as a far slower correlated plan).
  const marked =
    `SELECT _puddle_s.*, _puddle_k._puddle_hit FROM (${stateSql}) AS _puddle_s LEFT JOIN ` +
    `(SELECT DISTINCT ${key} AS _puddle_key, 1 AS _puddle_hit FROM _puddle_recent) AS _puddle_k ` +
    `ON _puddle_k._puddle_key IS NOT DISTINCT FROM _puddle_s.${key}`;
  const touched = `(SELECT ${list} FROM _puddle_marked WHERE _puddle_hit = 1 UNION ALL SELECT ${list} FROM _puddle_recent)`;
  return (
    `WITH _puddle_recent AS (${recentSql}), _puddle_marked AS (${marked}) ` +
    `SELECT ${list}, ${sqlIdent(CURRENT_FLAG.name)} FROM _puddle_marked WHERE _puddle_hit IS NULL ` +
    `UNION ALL ${latestWithTiesSql(contract, dedup(touched))}`
  );
}

/**
 * How many rows must land before a state of `stateRows` rows is folded again: 20,000 or 2 % of it, whichever
 * is more. A fold rewrites the whole state, while views read that many recent rows beside it cheaply (their
 * cost grows with the recent rows, see puddles/views.ts), so each landed row is rewritten about 50 times.
 */
export function defaultFoldRows(stateRows: number): number {
  return Math.max(20_000, Math.ceil(stateRows / 50));
}

/** Unfolded files at which a state is folded whatever their rows (see foldDue). */
export const FOLD_FILES = 16;
/** A state of at most this many rows is folded as soon as FOLD_FILES files landed since: a fold of it takes well under a second. */
const SMALL_STATE_ROWS = 100_000;
/**
 * A state of at most this many rows (a small charity's, the sandboxes' first hour) is folded once TINY_FOLD_FILES
 * files landed since: a fold of it reads and writes a few hundred kB. With FOLD_FILES alone, a contract landing a
 * file a second across several days' partitions kept 10 to 25 unfolded files between maintenance runs (which merge
 * each partition's files first), and the reconciliation views read each of them many times: `recon_breaks` over a
 * 17-minute sandbox lake took 21 s, 9.8 s once folded (2026-12-05, the host busy).
 */
export const TINY_STATE_ROWS = 20_000;
export const TINY_FOLD_FILES = 4;
/** A larger state is folded for its files once the oldest of them has waited this long. */
const FILES_WAIT_MS = 10 * 60_000;

/**
 * Whether a state of `stateRows` rows is due for a fold with `recent` (its unfolded files) landed since: once
 * `minRows` rows landed, once TINY_FOLD_FILES files did on a tiny state, or once FOLD_FILES files did and either the
 * state is small or the oldest of them has waited FILES_WAIT_MS.
 *
 * Why the files count too: each view of the contract reads every unfolded file, in each of the parts of the current
 * view (puddles/views.ts), and the reconciliation views name a contract many times. A small lake at a trickle (the
 * sandboxes, a charity's quiet week) never reached 20,000 rows: with 86 unfolded payment files, a 3,000-donation
 * lake's `recon_journey` ran out of DuckDB's 2 GB and the dashboard's journey answered 500 (measured 2026-12-05:
 * `recon_breaks` over 3,000 donations with a state and 60 files a contract since took 13.3 s and 1.1 GB, folded
 * 1.8 s and 0.3 GB). Rows alone still decide for a large state between its waits: a fold rewrites the whole state.
 */
export function foldDue(stateRows: number, recent: readonly CatalogFile[], minRows: number, nowMs: number): boolean {
  if (recent.reduce((n, f) => n + f.rows, 0) >= minRows) return true;
  if (stateRows <= TINY_STATE_ROWS && recent.length >= TINY_FOLD_FILES) return true;
  if (recent.length < FOLD_FILES) return false;
  if (stateRows <= SMALL_STATE_ROWS) return true;
  const oldest = Math.min(...recent.map((f) => Date.parse(f.added_at)));
  // A file without a readable time counts as old: folding a state once too early costs less than views that slow down.
  return !(nowMs - oldest < FILES_WAIT_MS);
}

/**
 * Fold a contract's unfolded history files into its current state. Nothing is done when there is nothing
 * new, or when the state exists and is not due (foldDue, with `minRows` rows, default `defaultFoldRows`).
 */
export async function foldCurrentState(opts: { store: ObjectStore; catalog: Catalog; contract: string; minRows?: number; nowMs?: number }): Promise<FoldResult> {
  const { store, catalog, contract: name } = opts;
  const none: FoldResult = { contract: name, folded: 0, rowsIn: 0, rowsOut: 0, bytesIn: 0, bytesOut: 0 };
  const contract = latestVersion(name);
  if (!contract) throw new Error(`cannot fold ${name}: no such contract`);
  const files = (await catalog.listFiles({ contract: name })).filter((f) => !isRawTable(f));
  const state = files.filter((f) => f.current);
  // A state in an older version's columns (the contract gained a version since, or an older Puddle folded it after a
  // rollback, leaving out what the newer state held: see stateIsStale) is not read: the new state is folded from the
  // whole history, at once, and the stale one retired. Athena's current view reads `<contract>_v<latest>_current`.
  const stale = stateIsStale(contract, state);
  const base = stale ? [] : state;
  // Without a state, folded marks are left from one a replay dropped: everything is folded again.
  const recent = files.filter((f) => !f.current && (!base.length || !f.folded));
  const rowsIn = recent.reduce((n, f) => n + f.rows, 0);
  const stateRows = base.reduce((n, f) => n + f.rows, 0);
  if (!recent.length || (base.length && !foldDue(stateRows, recent, opts.minRows ?? defaultFoldRows(stateRows), opts.nowMs ?? Date.now()))) return none;
  // The state sits with the contract's history (replay may have landed it under a fallback puddle name).
  const table = { puddle: (state[0] ?? recent[0])!.puddle, contract: name, version: contract.version };
  const inputs = [...base, ...recent].map((f) => f.key);
  const key = currentStateKey(table, setHash(inputs));
  const { bytes, rows } = await withLocalFiles(store, inputs, (paths) => {
    const pathOf = new Map(inputs.map((k, i) => [k, paths[i]!]));
    const sql = foldSql(contract, base, recent, (k) => pathOf.get(k)!);
    return withConnection((conn) => copyToBytesCounted(conn, `(${sql})`));
  });
  await store.put(key, bytes);
  const file: CatalogFile = { ...table, key, dt: '', rows, bytes: bytes.byteLength, added_at: new Date().toISOString(), current: true };
  const swapped = await catalog.replaceFiles(
    state.map((f) => f.key),
    [file],
    { ifAllPresent: true, fold: recent.map((f) => f.key) },
  );
  // Something retired an input meanwhile: the new state is an orphan nobody reads; the next fold tries again.
  if (!swapped) return none;
  const bytesIn = [...base, ...recent].reduce((n, f) => n + f.bytes, 0);
  return { contract: name, folded: recent.length, rowsIn, rowsOut: rows, bytesIn, bytesOut: bytes.byteLength, key };
}

/** Fold every contract that has unfolded history (see foldCurrentState for `minRows`). */
export async function foldAll(opts: { store: ObjectStore; catalog: Catalog; minRows?: number; nowMs?: number; unreadable?: LakeFileError[] }): Promise<FoldResult[]> {
  const files = (await maintainedFiles(opts.catalog)).filter((f) => CONTRACTS.has(f.contract));
  const stated = new Set(files.filter((f) => f.current).map((f) => f.contract));
  // A contract whose state a replay dropped has only folded-marked history left: it is folded again too, and so is
  // one whose state is stale (stateIsStale), with nothing new landed.
  const pending = new Set(files.filter((f) => !f.current && (!f.folded || !stated.has(f.contract))).map((f) => f.contract));
  for (const f of files) if (f.current && stateIsStale(latestVersion(f.contract)!, [f])) pending.add(f.contract);
  const out: FoldResult[] = [];
  for (const contract of [...pending].sort()) {
    // A damaged file stops its own contract's fold only (with `unreadable` to collect it), not the others'.
    await skipUnreadable(() => foldCurrentState({ ...opts, contract }), opts.unreadable).then((r) => r && out.push(r));
  }
  return out;
}
