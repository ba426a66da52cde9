// The embedded QueryEngine: DuckDB views over the catalog's Parquet files. Views are rebuilt only when
// the catalog's generation moved, and only the views whose file list changed, so freshness costs a
// counter read per query. Queries and rebuilds take turns on one lock: nobody sees half-rebuilt views.
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

import type { Catalog, CatalogFile, ObjectStore, QueryEngine, Row } from '../../core/ports.js';
import { sqlIdent } from '../../puddles/duckdb.js';
import { namedViews } from '../../puddles/named-views.js';
import { currentViews, fileViews } from '../../puddles/views.js';
import { readerRows } from './duckdb-json.js';

const currentViewNames = () => currentViews().map((v) => v.name);

/** A catalog that can say cheaply whether anything changed (SqliteCatalog does). */
export type ChangeCountingCatalog = Catalog & { generation?(): number | Promise<number> };

export interface DuckDbQueryEngineOptions {
  catalog: ChangeCountingCatalog;
  store: ObjectStore;
  /** Where objects are copied when the store has no local folder (DuckDB here cannot read s3://). */
  cacheDir?: string;
  /** DuckDB threads for queries. */
  threads?: number;
  /**
   * Snapshot each contract's current view into a table whenever the views are rebuilt, so a query that names
   * a contract several times works it out once. For one-shot reports (`puddle report`, `puddle export`) over
   * a lake that does not change meanwhile; a live hub rebuilds too often for it (its current views read the
   * current state compaction keeps, puddles/current-state.ts).
   */
  materializeCurrent?: boolean;
}

/** A query that may read a named view: names one, or lists or describes what exists. */
let namesNamedView: RegExp | undefined;
function mayReadNamedView(sql: string): boolean {
  namesNamedView ??= new RegExp(`${namedViews().map((v) => v.name).join('|')}|\\b(show|describe|summarize|information_schema|duckdb_views|duckdb_tables|pragma)\\b`, 'i');
  return namesNamedView.test(sql);
}

export class DuckDbQueryEngine implements QueryEngine {
  readonly #catalog: ChangeCountingCatalog;
  readonly #store: ObjectStore;
  readonly #cacheDir: string;
  readonly #threads: number;
  readonly #materialize: boolean;
  #conn: Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> | undefined;
  #lock: Promise<unknown> = Promise.resolve();
  #generation: number | undefined;
  /** View name -> the SQL it was last created with. */
  readonly #views = new Map<string, string>();
  readonly #cached = new Set<string>();
  #closed = false;
  #named = false;

  constructor(opts: DuckDbQueryEngineOptions) {
    this.#catalog = opts.catalog;
    this.#store = opts.store;
    this.#cacheDir = opts.cacheDir ?? path.join(tmpdir(), `puddle-query-cache-${randomBytes(6).toString('hex')}`);
    this.#threads = opts.threads ?? 2;
    this.#materialize = opts.materializeCurrent ?? false;
  }

  query(sql: string): Promise<Row[]> {
    return this.#exclusive(async () => {
      const { conn } = await this.#connection();
      await this.#refreshIfChanged(conn);
      if (!this.#named && mayReadNamedView(sql)) await this.#createNamedViews(conn);
      return readerRows(await conn.runAndReadAll(sql));
    });
  }

  /** Rebuild the views now, whatever the generation says. */
  refresh(): Promise<void> {
    return this.#exclusive(async () => {
      const { conn } = await this.#connection();
      this.#generation = undefined;
      await this.#refreshIfChanged(conn);
    });
  }

  close(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#closed) return;
      this.#closed = true;
      if (this.#conn) {
        const { instance, conn } = await this.#conn;
        conn.closeSync();
        instance.closeSync();
      }
      if (!this.#store.localRoot) await rm(this.#cacheDir, { recursive: true, force: true });
    });
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  #connection(): Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> {
    if (this.#closed) return Promise.reject(new Error('query engine is closed'));
    this.#conn ??= (async () => {
      const instance = await DuckDBInstance.create(':memory:', { threads: String(this.#threads) });
      const conn = await instance.connect();
      return { instance, conn };
    })();
    return this.#conn;
  }

  async #refreshIfChanged(conn: DuckDBConnection): Promise<void> {
    const gen = this.#catalog.generation ? await this.#catalog.generation() : undefined;
    if (gen !== undefined && gen === this.#generation) return;
    const files = await this.#catalog.listFiles();
    const pathOf = await this.#localPaths(files);
    const wanted = fileViews(files, pathOf);
    const current = new Set(currentViewNames());
    for (const v of wanted) {
      let sql = v.sql;
      if (this.#materialize && current.has(v.name)) {
        // Views come in dependency order (history before current), so the snapshot reads fresh views.
        const table = sqlIdent(`_current_${v.name}`);
        await conn.run(`CREATE OR REPLACE TABLE ${table} AS ${v.sql}`);
        sql = `SELECT * FROM ${table}`;
      }
      if (this.#views.get(v.name) === sql) continue;
      await conn.run(`CREATE OR REPLACE VIEW ${sqlIdent(v.name)} AS ${sql}`);
      this.#views.set(v.name, sql);
    }
    this.#generation = gen;
  }

  /**
   * The reports' views, on first use: binding their SQL is most of a fresh engine's set-up (~0.1 s of the
   * 0.3 s budget for `puddle query "select 1"`), and most queries name none of them.
   */
  async #createNamedViews(conn: DuckDBConnection): Promise<void> {
    for (const v of namedViews()) await conn.run(`CREATE OR REPLACE VIEW ${sqlIdent(v.name)} AS ${v.sql}`);
    this.#named = true;
  }

  /** Paths DuckDB can open: in the store's folder, or copies in the cache for a remote store. */
  async #localPaths(files: readonly CatalogFile[]): Promise<(key: string) => string> {
    const root = this.#store.localRoot;
    if (root) return (key) => path.join(root, ...key.split('/'));
    const cachePath = (key: string) => path.join(this.#cacheDir, ...key.split('/'));
    const live = new Set(files.map((f) => f.key));
    for (const key of live) {
      if (this.#cached.has(key)) continue;
      const body = await this.#store.get(key);
      if (!body) throw new Error(`catalog lists an object the store does not have: ${key}`);
      await mkdir(path.dirname(cachePath(key)), { recursive: true });
      await writeFile(cachePath(key), body);
      this.#cached.add(key);
    }
    // No query runs during a rebuild (same lock), so copies the catalog dropped can go now.
    for (const key of [...this.#cached]) {
      if (live.has(key)) continue;
      await rm(cachePath(key), { force: true });
      this.#cached.delete(key);
    }
    return cachePath;
  }
}
