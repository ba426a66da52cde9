// One in-memory DuckDB per process for writing Parquet: creating an instance costs far more than a connection.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

let shared: Promise<DuckDBInstance> | undefined;

/**
 * A new in-memory DuckDB whose connections read and write times in UTC (DESIGN.md rule 7): every DuckDB
 * Puddle opens comes from here. DuckDB takes the machine's zone otherwise, so `current_date` (recon_params'
 * default as_of, "today") was the local date, and a TIMESTAMPTZ was cast to a date or text in local time.
 */
export async function createDuckDb(threads: number): Promise<DuckDBInstance> {
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
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
  } finally {
    conn.closeSync();
  }
  return instance;
}

export function sharedDuckDb(): Promise<DuckDBInstance> {
  // Writers share the machine with the queue and producer: two threads is what the box has.
  shared ??= createDuckDb(2);
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
