import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

let addon: string | undefined;

/**
 * A better-sqlite3 database, its addon named directly: the package finds it through `bindings`, which tries a dozen
 * paths (2-4 ms of every command's start), and the CLI's bundle holds the package's JavaScript (bin/build.mjs), where
 * `bindings`, which looks beside its caller, would not find it. Should the addon not be where npm builds it, `bindings`
 * searches the package's folder as it does for the package.
 */
export function newSqlite(path: string, options: Database.Options = {}): SqliteDatabase {
  addon ??= sqliteAddon();
  return new Database(path, { ...options, nativeBinding: addon });
}

function sqliteAddon(): string {
  const req = createRequire(import.meta.url);
  try {
    return req.resolve('better-sqlite3/build/Release/better_sqlite3.node');
  } catch {
    const root = dirname(req.resolve('better-sqlite3/package.json'));
    const bindings = createRequire(join(root, 'package.json'))('bindings') as (opts: object) => string;
    return bindings({ bindings: 'better_sqlite3.node', module_root: root, path: true });
  }
}

/**
 * How far a commit must get before it counts as done.
 * - 'process' (default): WAL with synchronous=NORMAL. A commit is in the WAL file in the OS page cache when
 *   it returns, so it survives the process being killed (SIGKILL, OOM, crash); only a power cut or kernel
 *   panic can lose the last commits. The embedded shape runs on one machine where a process restart is the
 *   failure that happens; an fsync per group commit would block the event loop (better-sqlite3 is synchronous)
 *   and cap the producer well below its target.
 * - 'power': synchronous=FULL, the WAL is fsynced on every commit; survives a power cut, costs an fsync per commit.
 */
export type SqliteDurability = 'process' | 'power';

export interface OpenSqliteOptions {
  durability?: SqliteDurability;
}

/** Open (creating if needed) a database in WAL mode with the pragmas every local adapter wants. */
export function openSqlite(path: string, opts: OpenSqliteOptions = {}): SqliteDatabase {
  const db = newSqlite(path);
  for (const p of sqlitePragmas(opts)) db.pragma(p);
  return db;
}

/** The pragmas openSqlite sets, in order; a worker thread's connection sets the same ones. */
export function sqlitePragmas(opts: OpenSqliteOptions = {}): string[] {
  return [
    // Larger pages: a group commit of queue bodies appends far fewer WAL frames (measured ~20% less publish
    // time than 4 KiB). Only a new file takes it; an existing WAL database keeps its page size, which is fine.
    'page_size = 16384',
    // ':memory:' cannot use WAL (it reports 'memory'); that is fine, nothing there outlives the process anyway.
    'journal_mode = WAL',
    `synchronous = ${opts.durability === 'power' ? 'FULL' : 'NORMAL'}`,
    // Producer, consumers and the CLI may open the same file from different processes: wait, don't fail.
    'busy_timeout = 5000',
    'temp_store = MEMORY',
    'cache_size = -32000',
    // Fewer, larger checkpoints: a checkpoint runs inside some unlucky commit and blocks the event loop.
    'wal_autocheckpoint = 4000',
    // What is deleted is overwritten with zeros, not left on free pages: a landed event's body (a supporter's
    // donation, a redriven dead letter) was still in queue.db's bytes after its row went, and so in every
    // `puddle backup` (the online backup copies free pages too). better-sqlite3 builds SQLite with it off.
    'secure_delete = ON',
  ];
}

/**
 * Whether `table` has `column`: for files made by older code, read by newer (queue.db before packs or with the old
 * `refs` column). sqlite-queue-writer.mjs asks the same in plain JavaScript, as the writer thread cannot load this.
 */
export function hasColumn(db: SqliteDatabase, table: string, column: string): boolean {
  return (db.prepare(`SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`).pluck().get(table, column) as number) > 0;
}

/**
 * Copies the WAL into the database file and cuts it back to nothing (`wal_checkpoint(TRUNCATE)`), trying again while
 * another connection is checkpointing: SQLite then answers busy at once, without calling the busy handler, and the
 * WAL keeps every frame written so far, old bytes included (every SqliteQueue runs a PASSIVE checkpoint each 100 ms,
 * sqlite-checkpointer.ts). Readers and writers are waited for as busy_timeout says, and tried again after too. True
 * once cut; false if something was still in the way after `waitMs`. A database not in WAL mode has nothing to cut: true.
 */
export function truncateWal(db: SqliteDatabase, waitMs = 10_000): boolean {
  const deadline = Date.now() + waitMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    if (!r || r.busy === 0) return true;
    if (Date.now() >= deadline) return false;
    Atomics.wait(pause, 0, 0, 20);
  }
}
