import { statSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../core/config.js';
import { ConfigError } from '../../core/errors.js';
import type { Runtime } from '../../core/runtime.js';
import type { DuckDbQueryEngine } from '../local/duckdb-query-engine.js';
import { checkHomeFormat, markHomeFormat } from '../local/home-format.js';
import { checkHomeOwner } from '../local/home-dir.js';
import type { SqliteQueue } from '../local/sqlite-queue.js';

/**
 * Open the embedded runtime at PUDDLE_HOME, run `fn`, always close. `materializeCurrent`: for one-shot
 * reports, snapshot each contract's current state once instead of de-duplicating history in every query
 * (`asOf`: its state as at the end of that date).
 * `createsHome`: for the commands that put something new in a home (a sync, a bank import), which may make
 * it; every other command works on what a home holds, and stops when there is none (existingHome).
 * `writesLake`: the command's name, for one that writes the lake (or republishes what it reads from it) beside a
 * hub: it holds the lake writers' lock for its run, and is refused (exit 2) while a confirmed erasure runs
 * (infra/local/erasure-lock.ts).
 */
export async function withLocalRuntime<T>(
  fn: (rt: Runtime & { queue: SqliteQueue }) => Promise<T>,
  opts: { materializeCurrent?: boolean; asOf?: string; asKnown?: boolean; createsHome?: boolean; writesLake?: string } = {},
): Promise<T> {
  const home = opts.createsHome ? loadConfig().home : existingHome();
  await checkReconSettings();
  // Loaded here, not at the top: `puddle <command> --help` loads the command's module and nothing it runs.
  const { createLocalRuntime } = await import('../local/runtime.js');
  const lock = opts.writesLake ? (await import('../local/erasure-lock.js')).lockLakeForWriter(home, opts.writesLake) : null;
  try {
    // A sync or an import publishes to the queue as the hub does, so its commits get as far (PUDDLE_DURABILITY).
    const rt = await createLocalRuntime({ home, materializeCurrent: opts.materializeCurrent, asOf: opts.asOf, asKnown: opts.asKnown, durability: loadConfig().durability });
    try {
      return await fn(rt);
    } finally {
      await rt.close();
    }
  } finally {
    lock?.release();
  }
}

/**
 * Only what SQL over the lake needs: the catalog, the lake folder and DuckDB. `puddle query` opens no queue
 * or state store (opening the queue subscribed every puddle and started its checkpoint thread, and closing
 * three WAL files checkpointed each: about a third of the command's time before the query ran).
 * `asOf`: the contract views as at the end of that date, as `withLocalRuntime`'s (snapshots of each contract's
 * state then, the history views holding the versions changed by then); `recon_params` is the caller's to set.
 * `asKnown`: with it, the versions received after the date are left out too (`--as-known`).
 * `confineTo`: DuckDB opens files only in the lake and these folders (DuckDbQueryEngineOptions.confineTo).
 * `materializeCurrent`: each contract a query reads is snapshotted into a table first (always with `asOf`).
 */
export async function withLocalQueryEngine<T>(
  fn: (query: DuckDbQueryEngine) => Promise<T>,
  opts: { asOf?: string; asKnown?: boolean; confineTo?: readonly string[]; materializeCurrent?: boolean } = {},
): Promise<T> {
  const home = existingHome();
  await checkReconSettings();
  const [{ SqliteCatalog }, { FsObjectStore }, { DuckDbQueryEngine }] = await Promise.all([
    import('../local/sqlite-catalog.js'),
    import('../local/fs-object-store.js'),
    import('../local/duckdb-query-engine.js'),
  ]);
  const catalog = new SqliteCatalog(join(home, 'catalog.db'));
  const asOf = opts.asOf === undefined ? { materializeCurrent: opts.materializeCurrent ?? false } : { materializeCurrent: true, asOf: opts.asOf, asKnown: opts.asKnown };
  const confine = opts.confineTo ? { confineTo: opts.confineTo } : {};
  const query = new DuckDbQueryEngine({ catalog, store: new FsObjectStore(home), ...asOf, ...confine });
  try {
    return await fn(query);
  } finally {
    await query.close();
    catalog.close();
  }
}

/**
 * The reconciliation's settings (PUDDLE_RECON_*), which every recon view reads: a wrong one is a ConfigError
 * (exit 2) before anything opens, not a failed query (exit 1) once the views are made.
 */
async function checkReconSettings(): Promise<void> {
  (await import('../../puddles/recon-params.js')).configuredReconParams();
}

/**
 * PUDDLE_HOME for a command that works on what a home holds. Pointed at a folder that does not exist (a
 * mistyped PUDDLE_HOME, or run from another folder than the hub's ./.puddle), such a command made a new,
 * empty home there and answered from it: zero rows, "never synced", after only a note on stderr, and the next
 * command over the typo found the folder and said nothing. It stops instead (a ConfigError: exit code 2).
 *
 * A home a newer Puddle wrote (home-format.ts) stops it the same way, before anything in it is opened. Every
 * command but `backup` opens the home's databases, which writes (WAL files, a schema brought up to date, older
 * dead-letter reasons rewritten), so the format is recorded here too; `backup` only reads, `{ writes: false }`.
 */
export function existingHome(opts: { writes?: boolean } = {}): string {
  const { home } = loadConfig();
  let folder: boolean;
  try {
    folder = statSync(home).isDirectory();
  } catch {
    throw new ConfigError(
      `${home} (PUDDLE_HOME) does not exist: no hub has run there and nothing was synced or imported into it. ` +
        'Check PUDDLE_HOME (by default ./.puddle, in the folder the command runs from); `puddle start` makes a home and runs its hub',
    );
  }
  if (!folder) throw new ConfigError(`${home} (PUDDLE_HOME) is not a folder`);
  checkHomeOwner(home);
  checkHomeFormat(home);
  if (opts.writes !== false) markHomeFormat(home);
  return home;
}
