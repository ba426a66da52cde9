// One in-memory DuckDB per process for writing Parquet: creating an instance costs far more than a connection.
import { rmSync } from 'node:fs';
import path from 'node:path';

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

import { log } from '../core/log.js';
import { sqlString } from './sql-text.js';
import { makeTempFolder } from './temp-files.js';

let shared: Promise<DuckDBInstance> | undefined;

/**
 * What an instance does, which sizes its memory_limit (DuckDB's own is 80% of the machine's RAM per instance,
 * and a hub has three: one per landing thread and the query engine's). `writer`: Parquet out of a batch, and
 * compaction's merges of one partition's small files; `query`: the views over the whole lake (the dashboard,
 * the drift check, `puddle query`, reports).
 */
export type DuckDbRole = 'writer' | 'query';

/**
 * memory_limit per role, MiB, unless PUDDLE_DUCKDB_MEMORY_MB sets one for all (setDuckDbMemoryMb). Not less than
 * 2 GiB for either: Parquet written by the CSV route (parquet-writer.ts, off the landing threads) had read_csv take
 * a 1 GiB buffer (16 times its max_line_size of 64 MiB; now its buffer_size is 128 MiB), and at 512 MiB every batch of test/landing-controls.test.ts
 * failed with "could not allocate block of size 1.0 GiB (768.0 KiB/512.0 MiB used)" and went to the dead letters. Compaction's merges peaked at 347 MB in a 25-minute soak (docs/benchmarks.md, "A soak").
 */
export const DEFAULT_DUCKDB_MEMORY_MB: Readonly<Record<DuckDbRole, number>> = { writer: 2048, query: 2048 };

let memoryMbSetting: number | undefined;

/** PUDDLE_DUCKDB_MEMORY_MB for the instances this thread opens from now on; undefined: each role's default. */
export function setDuckDbMemoryMb(mb: number | undefined): void {
  memoryMbSetting = mb;
}

export function duckDbMemoryMb(role: DuckDbRole): number {
  return memoryMbSetting ?? DEFAULT_DUCKDB_MEMORY_MB[role];
}

let instanceSeq = 0;
let spillRoot: string | undefined;

/**
 * A folder for one instance's spills, inside a folder of this process's (thread's) own that mkdtemp made: a random
 * name, readable by this user only, removed when the process exits. What spills is lake rows (donations,
 * supporters, bank lines). Until 2026-12-06 it was `/tmp/puddle-duckdb-<pid>-<thread>-<n>`, which DuckDB made 0755
 * with its files 0644, readable by every user of the machine, and which another user could make first, for a
 * process id to come, and read (a security review). Its name, `puddle-duckdb-<pid>-XXXXXX` (temp-files.ts), carries
 * the pid again behind mkdtemp's random part, for sweepTempFolders to find what a killed process left.
 */
function spillFolder(): string {
  if (spillRoot === undefined) {
    const root = makeTempFolder('duckdb');
    process.once('exit', () => rmSync(root, { recursive: true, force: true }));
    spillRoot = root;
  }
  return path.join(spillRoot, String(instanceSeq++));
}

export interface DuckDbAccess {
  /**
   * The only folders the instance may open files in (read_parquet, read_csv, glob, COPY ... TO, ATTACH), and no URL:
   * for an instance that runs an operator's SQL (`puddle query`), which could read any file of the machine
   * (`read_csv('/etc/passwd')`, `glob('/*')`). Set with enable_external_access = false, which also refuses INSTALL
   * and LOAD, then lock_configuration, so SQL cannot SET either back. Spills still work: DuckDB adds the instance's
   * temp_directory to allowed_directories itself.
   */
  onlyFolders?: readonly string[];
}

/**
 * A new in-memory DuckDB whose connections read and write times in UTC (DESIGN.md rule 7): every DuckDB
 * Puddle opens comes from here. DuckDB takes the machine's zone otherwise, so `current_date` (recon_params'
 * default as_of, "today") was the local date, and a TIMESTAMPTZ was cast to a date or text in local time.
 */
export async function createDuckDb(threads: number, role: DuckDbRole, access: DuckDbAccess = {}): Promise<DuckDBInstance> {
  const key = earlyKey(threads, role);
  const started = early?.key === key ? early.instance : undefined;
  if (started) early = undefined;
  const instance = await (started ?? newInstance(threads, role));
  await settle(instance, access);
  return instance;
}

/**
 * An instance whose creation began before it was asked for (prestartDuckDb), taken by the next createDuckDb of the
 * same threads, role and memory limit. The settings that follow creation (the zone, the allowed folders) are
 * createDuckDb's, made when it is taken, so an early instance is the same as one made then.
 */
let early: { key: string; instance: Promise<DuckDBInstance> } | undefined;

const earlyKey = (threads: number, role: DuckDbRole) => `${role}/${threads}/${duckDbMemoryMb(role)}`;

/**
 * Start creating the instance the next createDuckDb(threads, role) will ask for, now. Creating one takes DuckDB
 * about 40 ms on a thread of its own, which `puddle query` overlaps with loading its modules (infra/cli/main.ts;
 * docs/benchmarks.md, "Start-up"). Its failure is createDuckDb's to report.
 */
export function prestartDuckDb(threads: number, role: DuckDbRole): void {
  // One not taken (its command stopped before it queried) is closed, not dropped open.
  early?.instance.then((unused) => unused.closeSync(), () => undefined);
  const instance = newInstance(threads, role);
  instance.catch(() => undefined);
  early = { key: earlyKey(threads, role), instance };
}

/** The query engine's DuckDB threads, unless its options say otherwise (infra/local/duckdb-query-engine.ts). */
export const QUERY_THREADS = 2;

function newInstance(threads: number, role: DuckDbRole): Promise<DuckDBInstance> {
  // A limit per instance: with DuckDB's default, each of the hub's three could take 80% of the machine's RAM
  // before it let go of anything. What goes past the limit spills to a folder of the instance's own (DuckDB
  // removes its files when done; an in-memory database otherwise spills to `.tmp` in the working directory).
  return DuckDBInstance.create(':memory:', {
    threads: String(threads),
    memory_limit: `${duckDbMemoryMb(role)}MiB`,
    temp_directory: spillFolder(),
    // jemalloc's background threads (DuckDB's default: off; one switch for the whole process) return the pages a
    // merge or fold freed to the system within seconds. Without them jemalloc returns a thread's freed pages
    // only when that thread allocates again, and DuckDB's threads sit idle between maintenance runs: in
    // 18-minute soaks (docs/benchmarks.md, "A soak", 2026-12-04) it held 33 to 189 MB freed at the probes, and a purge at
    // minute 17 gave back 40 MB of RSS; with them, mostly 8 to 37 MB, and 1 MB. The lowest RSS of each 3 minutes
    // was 5 MB higher to 57 MB lower (25 lower on average); it still rose over the run as before (part of that is
    // the live totals' state, about 175 bytes a donation then and about 95 since (docs/benchmarks.md, "A soak"), which this does not touch).
    allocator_background_threads: 'true',
    // A hub never downloads code at run time: by default DuckDB installs a known extension from
    // extensions.duckdb.org the first time SQL needs it (`sqlite_scan(...)` in a `puddle query` tried to). What
    // Puddle uses (parquet, json, icu, core_functions) is built into @duckdb/node-api's binary and loaded at start,
    // so autoloading is off too: nothing installed by hand under ~/.duckdb is loaded behind Puddle's back. SQL
    // that needs any other extension fails with DuckDB's "... exists in the <name> extension" error.
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
}

/** What every instance is set to once created: UTC, no file cache, Trino's array_join, and `access`. */
async function settle(instance: DuckDBInstance, access: DuckDbAccess): Promise<void> {
  // Set after create, not in its options: TimeZone is ICU's setting, and create refuses it before ICU loads.
  const conn = await instance.connect();
  try {
    await conn.run("SET GLOBAL TimeZone = 'UTC'");
    // DuckDB keeps what it reads of every Parquet file in its external file cache (on by default since 1.3), for
    // local files too, and drops an entry only under memory pressure: memory_limit is 80% of the machine's RAM
    // per instance, so on a hub every file ever landed, merged or queried (a few a second on the night, and
    // compaction deletes them minutes later) kept its bytes in memory until the hub stopped. The OS caches the
    // lake's files anyway.
    await conn.run('SET GLOBAL enable_external_file_cache = false');
    // Trino's array_join(array, separator), which DuckDB calls array_to_string: the one portable way to list a
    // group's values in one column (string_agg and listagg have no common form; puddles/sql-dialect.ts).
    await conn.run('CREATE MACRO array_join(a, sep) AS array_to_string(a, sep)');
    if (access.onlyFolders) {
      // Each folder's whole path, ending in a separator: DuckDB 1.5.6 adds one itself, so `/x/lake` does not let
      // `/x/lake2` in; given here so that it stays so should DuckDB stop adding it.
      const folders = access.onlyFolders.map((f) => sqlString(path.resolve(f) + path.sep));
      await conn.run(`SET GLOBAL allowed_directories = [${folders.join(', ')}]`);
      await conn.run('SET GLOBAL enable_external_access = false');
      await conn.run('SET GLOBAL lock_configuration = true');
    }
  } finally {
    conn.closeSync();
  }
}

export function sharedDuckDb(): Promise<DuckDBInstance> {
  // Writers share the machine with the queue and producer: two threads is what the box has.
  shared ??= createDuckDb(2, 'writer');
  return shared;
}

/** Run `fn` on a fresh connection of the shared instance (temp tables are per connection, so no name clashes). */
export async function withConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const conn = await (await sharedDuckDb()).connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
  }
}

/** What one DuckDB instance holds (duckdb_memory()), for the debug log line an operator reads (see docs/benchmarks.md, "A soak"). */
export interface DuckDbMemory {
  /** memory_limit, as DuckDB prints it (`512.0 MiB`). */
  limit: string;
  /** Memory DuckDB's buffer manager counts as used, MB. */
  usedMb: number;
  /** Spilled to its temp folder, MB. */
  spilledMb: number;
  /** The tags holding more than 1 MB, MB each (BASE_TABLE, HASH_TABLE, ORDER_BY, PARQUET_READER...). */
  tags: Record<string, number>;
}

const MB = 1024 * 1024;

export async function duckDbMemory(conn: DuckDBConnection): Promise<DuckDbMemory> {
  const reader = await conn.runAndReadAll(
    "SELECT tag, memory_usage_bytes::DOUBLE AS used, temporary_storage_bytes::DOUBLE AS spilled, current_setting('memory_limit') AS lim FROM duckdb_memory()",
  );
  const out: DuckDbMemory = { limit: '', usedMb: 0, spilledMb: 0, tags: {} };
  for (const [tag, used, spilled, lim] of reader.getRows() as [string, number, number, string][]) {
    out.limit = lim;
    out.usedMb += used / MB;
    out.spilledMb += spilled / MB;
    if (used > MB) out.tags[tag] = Math.round(used / MB);
  }
  out.usedMb = Math.round(out.usedMb);
  out.spilledMb = Math.round(out.spilledMb);
  return out;
}

/** How often each thread logs its DuckDB's memory at debug (PUDDLE_LOG_LEVEL=debug). */
export const DUCKDB_MEMORY_LOG_MS = 60_000;

/**
 * Every DUCKDB_MEMORY_LOG_MS, a debug line `duckdb memory` with what `instance` holds (read: undefined while it
 * is not open), its thread's JavaScript heap and the process's RSS: where a hub's memory goes, per instance, over a night (docs/benchmarks.md, "A soak").
 */
export function logDuckDbMemory(instance: string, read: () => Promise<DuckDbMemory | undefined>): NodeJS.Timeout {
  const timer = setInterval(() => {
    if (!log.enabled('debug')) return;
    read().then(
      (m) => {
        if (!m) return;
        // heap: this thread's JavaScript heap (each landing thread has its own); rss: the whole process's.
        const { rss, heapUsed } = process.memoryUsage();
        log.debug('duckdb memory', { instance, ...m, heap_mb: Math.round(heapUsed / MB), rss_mb: Math.round(rss / MB) });
      },
      (err: unknown) => log.debug('duckdb memory not read', { instance, error: err }),
    );
  }, DUCKDB_MEMORY_LOG_MS);
  timer.unref();
  return timer;
}
