import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../core/config.js';
import type { QueryEngine } from '../../core/ports.js';
import type { Runtime } from '../../core/runtime.js';

/**
 * Open the embedded runtime at PUDDLE_HOME, run `fn`, always close. `materializeCurrent`: for one-shot
 * reports, snapshot each contract's current state once instead of de-duplicating history in every query.
 */
export async function withLocalRuntime<T>(fn: (rt: Runtime) => Promise<T>, opts: { materializeCurrent?: boolean; reads?: boolean } = {}): Promise<T> {
  // Loaded here, not at the top: `puddle <command> --help` loads the command's module and nothing it runs.
  const { createLocalRuntime } = await import('../local/runtime.js');
  const { home } = loadConfig();
  if (opts.reads) noteNewHome(home);
  const rt = await createLocalRuntime({ home, materializeCurrent: opts.materializeCurrent });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

/**
 * Only what SQL over the lake needs: the catalog, the lake folder and DuckDB. `puddle query` opens no queue
 * or state store (opening the queue subscribed every puddle and started its checkpoint thread, and closing
 * three WAL files checkpointed each: about a third of the command's time before the query ran).
 */
export async function withLocalQueryEngine<T>(fn: (query: QueryEngine) => Promise<T>): Promise<T> {
  const [{ SqliteCatalog }, { FsObjectStore }, { DuckDbQueryEngine }] = await Promise.all([
    import('../local/sqlite-catalog.js'),
    import('../local/fs-object-store.js'),
    import('../local/duckdb-query-engine.js'),
  ]);
  const { home } = loadConfig();
  noteNewHome(home);
  mkdirSync(home, { recursive: true });
  const catalog = new SqliteCatalog(join(home, 'catalog.db'));
  const query = new DuckDbQueryEngine({ catalog, store: new FsObjectStore(home) });
  try {
    return await fn(query);
  } finally {
    await query.close();
    catalog.close();
  }
}

/**
 * A command that reads the lake, pointed at a home that does not exist (a mistyped PUDDLE_HOME, or run from
 * another folder than the hub's ./.puddle), would answer from a new, empty one: zero rows, "never synced". Say so.
 */
function noteNewHome(home: string): void {
  if (!existsSync(home)) process.stderr.write(`note: ${home} (PUDDLE_HOME) did not exist: this is a new, empty home, with nothing synced or landed yet\n`);
}
