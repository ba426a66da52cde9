// The embedded QueryEngine: DuckDB views over the catalog's Parquet files. A query gets the views it names
// (and the views those read), created or rebuilt when the catalog's generation moved and their file list
// changed, so freshness costs a counter read per query. Queries and rebuilds take turns on one lock:
// nobody sees half-rebuilt views.
//
// The turns are not first come, first served. A query someone waits for (the dashboard's first answer, a
// command's, the live totals' rebuild after a start, which the TV waits for) goes first; then background work
// (the drift check, the webhooks' seeding, a bank import's look-back); last, idle work: the dashboard's next
// journey and breaks, whose last answer is served meanwhile (puddles/http/ops-routes.ts). Each kind is first
// come, first served within itself. Until 2026-12-03 all were one FIFO chain: on a loaded hub over a million
// donations, the dashboard's status (two statements of milliseconds) waited minutes behind the journey and
// breaks (61 s and 65 s at load 7, several minutes at load 15) and behind each other's refreshes. Work takes one
// turn per statement (the rebuild's pages are separate turns), so a query waits at most for the one statement
// running. Rejected alternatives: a second DuckDB connection reading concurrently would race the view rebuilds
// (CREATE OR REPLACE VIEW as files land, which each query triggers): every rebuild would need wrapping in a
// transaction, and on a 2-core box the two queries would share the cores anyway; interrupting a running
// statement would let a busy dashboard starve the drift check. Lower kinds are not starved either: after
// MAX_AHEAD turns of a higher kind in a row while a lower one waits, the lower goes. The one interrupt is a
// statement's own caller giving up (queryColumns' signal: the live totals' rebuild when the hub stops).
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { DuckDBInstance, DuckDBConnection } from '@duckdb/node-api';

import type { Catalog, CatalogFile, ColumnarResult, ObjectStore, QueryEngine, QueryOptions, QueryPriority, QueryResult, Row } from '../../core/ports.js';
import { createDuckDb, duckDbMemory, QUERY_THREADS, type DuckDbMemory } from '../../puddles/duckdb.js';
import { ClosedError } from '../../core/errors.js';
import { lakeFileError, recogniseLakeFileError } from '../../puddles/lake-file-error.js';
import { sqlTokens } from '../../puddles/sql-dialect.js';
import { sqlIdent } from '../../puddles/sql-text.js';
import { landedIdsSql, namedViews, namesNamedView, RECON_VIEW_FILES } from '../../puddles/named-views.js';
import { currentViews, fileViews, historyAsOf, type ViewDef } from '../../puddles/views.js';
import { columnarResult, readerResult, type ValueOptions } from './duckdb-json.js';
import { refuseWrites, runReadOnly, streamReadOnly } from './read-only-sql.js';

/** How `puddle query`'s rows are given: printed as they are, a DECIMAL with its scale. */
const PRINTED: ValueOptions = { decimalsAsText: true };

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
  /**
   * For a live hub: a query naming a reconciliation view (puddles/queries/recon_*.sql) gets snapshots of the contracts'
   * current views two or more of its views read, taken at its start and dropped at its end, so that the views
   * reading `payment` work it out once (one reading its state file alone is read again instead: ViewDef.stateOnly).
   * The dashboard's journey took 30-57 s on a 10-20 minute sandbox lake under load without (`puddle query` of the
   * same, snapshotted, 6 s). Taken again for every query, never kept: a file damaged or
   * compacted since the last query is read (and said) as without them.
   */
  snapshotPerQuery?: boolean;
  /**
   * With materializeCurrent: the snapshots hold each contract's state as at the end of this date (YYYY-MM-DD), not
   * today's (`puddle report --as-of`; puddles/views.ts, asOfOrder); with or without it, the history views hold
   * the versions changed by then (historyAsOf).
   */
  asOf?: string;
  /** With asOf: as the hub knew it then, the versions received after the date left out too (historyAsOf's asKnown). */
  asKnown?: boolean;
  /**
   * For an operator's own SQL (`puddle query`): DuckDB may open files only in the lake's folder (`<home>/lake`, or
   * the cache's copy of it) and these folders (where `--format csv` has COPY write), and no URL, so
   * `read_csv('/etc/passwd')` or `glob('/*')` fail with DuckDB's "Permission Error: Cannot access file". Not for
   * the hub, `report` or `export`, which run only Puddle's SQL, and whose COPY writes wherever `--out` says.
   */
  confineTo?: readonly string[];
}

/** SQL that lists or describes what exists: it gets every view. */
const INTROSPECTION = /\b(show|describe|summarize|information_schema|duckdb_views|duckdb_tables|duckdb_columns|pragma)\b/i;

/**
 * What each view reads (the views whose names its SQL mentions) and a pattern for any view name, worked out
 * once from the views' SQL without files: file paths would only add false names, and the names and what
 * reads what are the same for every file list. A view's words and quoted identifiers count, its comments and
 * string literals do not: a comment naming recon_breaks made every query of quarantine_open create every
 * contract's views (until 2026-12-03). A name used as a column still counts, which only ever creates a view
 * more than needed. A query's own text is scanned whole (comments too), for the same reason.
 */
interface ViewGraph {
  /**
   * The views a view (lower case, as every view's is) reads. Each view's SQL is lexed when a query first needs it,
   * not all up front: lexing every view's (about 180 KB) cost a `puddle query "select 1"` 40-150 ms of its start.
   */
  readsOf: (name: string) => readonly string[];
  /** Any view name, as a whole word, in any case (DuckDB's identifiers are case-insensitive). */
  names: RegExp;
}

let graph: ViewGraph | undefined;
function viewGraph(): ViewGraph {
  if (graph) return graph;
  // The definitions, not their SQL: a named view's is read from its file when a query first needs it (named-views.ts).
  const defs = new Map(allViews([]).map((d) => [d.name, d]));
  const names = new RegExp(`\\b(${[...defs.keys()].join('|')})\\b`, 'gi');
  const known = new Set(defs.keys());
  const reads = new Map<string, readonly string[]>();
  const readsOf = (name: string) => {
    let read = reads.get(name);
    if (!read) {
      const def = defs.get(name);
      read = def === undefined ? [] : viewNamesIn(def.sql, known).filter((n) => n !== name);
      reads.set(name, read);
    }
    return read;
  };
  return (graph = { readsOf, names });
}

/** The view names among `sql`'s words and quoted identifiers, lower case, each once. */
function viewNamesIn(sql: string, known: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const t of sqlTokens(sql)) {
    const name = t.text.toLowerCase();
    if ((t.kind === 'word' || t.kind === 'quoted') && known.has(name)) out.add(name);
  }
  return [...out];
}

/** Every view in creation order: file views (history before current), then the reports' views, which read them. */
function allViews(files: readonly CatalogFile[], pathOf: (key: string) => string = (k) => k, asOf?: string, asKnown = false): ViewDef[] {
  const file = fileViews(files, pathOf);
  if (asOf === undefined) return [...file, ...namedViews()];
  // As at the end of asOf: the history views hold the versions changed by then (puddles/views.ts, historyAsOf), and
  // landed_ids reads the whole history, so a version changed later is landed (raw_fate), not unaccounted.
  const whole = new Map(file.map((v) => [v.name, v.sql]));
  const landed = { name: 'landed_ids', sql: landedIdsSql((c) => `(${whole.get(`${c}_history`)!})`) };
  return [...historyAsOf(file, asOf, asKnown), ...namedViews().map((v) => (v.name === landed.name ? landed : v))];
}

/**
 * The views among `wanted` (the views a query reads, viewsReadBy) that two or more of them read, or the query
 * itself and one of them. Each read of a view works it out again: DuckDB works a CTE read twice out once, but
 * not a view read inside two other views (the journey's views read recon_payment_link eleven times).
 */
function readTwice(sql: string, wanted: ReadonlySet<string>): Set<string> {
  const { readsOf, names } = viewGraph();
  const readers = new Map<string, number>();
  const count = (read: Iterable<string>) => {
    for (const name of read) readers.set(name, (readers.get(name) ?? 0) + 1);
  };
  count(new Set([...sql.matchAll(names)].map((m) => m[1]!.toLowerCase())));
  for (const name of wanted) count(readsOf(name));
  return new Set([...readers].filter(([, n]) => n >= 2).map(([name]) => name));
}

/** The views `sql` may read, with the views those read; null: every view (SQL that asks what exists). */
function viewsReadBy(sql: string): Set<string> | null {
  if (INTROSPECTION.test(sql)) return null;
  const { readsOf, names } = viewGraph();
  const out = new Set<string>();
  const visit = (name: string) => {
    if (out.has(name)) return;
    out.add(name);
    for (const dep of readsOf(name)) visit(dep);
  };
  for (const m of sql.matchAll(names)) visit(m[1]!.toLowerCase());
  return out;
}

let currentViewNames: ReadonlySet<string> | undefined;
/** The contracts' current views' names (the same for every lake): what a snapshot is taken of. */
function currentNames(): ReadonlySet<string> {
  return (currentViewNames ??= new Set(currentViews().map((v) => v.name)));
}

const RECON_VIEWS: ReadonlySet<string> = new Set(RECON_VIEW_FILES);

/** Turns of a higher kind taken in a row, while a lower kind waits, before the lower one's turn goes. */
export const MAX_AHEAD = 8;

/** The kinds of turn, highest first. */
const PRIORITIES: readonly QueryPriority[] = ['interactive', 'background', 'idle'];

export class DuckDbQueryEngine implements QueryEngine {
  readonly #catalog: ChangeCountingCatalog;
  readonly #store: ObjectStore;
  readonly #cacheDir: string;
  readonly #threads: number;
  readonly #materialize: boolean;
  readonly #snapshotPerQuery: boolean;
  /** Contract name -> the SQL its snapshot is taken from, when it is not the view's own (asOf). */
  readonly #snapshotSql: ReadonlyMap<string, string>;
  readonly #asOf: string | undefined;
  readonly #asKnown: boolean;
  readonly #confineTo: readonly string[] | undefined;
  #conn: Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> | undefined;
  /** Turns waiting for the lock, per priority, each in the order asked. */
  readonly #waiting: Record<QueryPriority, (() => void)[]> = { interactive: [], background: [], idle: [] };
  #busy = false;
  /** Turns taken in a row while a lower kind waited. */
  #ahead = 0;
  readonly #sides = new Map<QueryPriority, QueryEngine>();
  #generation: number | undefined;
  /** The views as of the catalog's generation `#generation`, in creation order. */
  #defs: ViewDef[] | undefined;
  /** View name -> the definition's SQL it was last created from. */
  readonly #views = new Map<string, string>();
  readonly #cached = new Set<string>();
  #closed = false;

  constructor(opts: DuckDbQueryEngineOptions) {
    this.#catalog = opts.catalog;
    this.#store = opts.store;
    this.#cacheDir = opts.cacheDir ?? path.join(tmpdir(), `puddle-query-cache-${randomBytes(6).toString('hex')}`);
    this.#threads = opts.threads ?? QUERY_THREADS;
    this.#materialize = opts.materializeCurrent ?? false;
    this.#snapshotPerQuery = opts.snapshotPerQuery ?? false;
    this.#asOf = opts.asOf;
    this.#asKnown = opts.asKnown ?? false;
    this.#confineTo = opts.confineTo;
    this.#snapshotSql = new Map(opts.asOf === undefined ? [] : currentViews(opts.asOf).map((v) => [v.name, v.sql]));
  }

  async query(sql: string): Promise<Row[]> {
    return (await this.queryWithColumns(sql)).rows;
  }

  queryWithColumns(sql: string): Promise<QueryResult> {
    return this.#run(sql, 'interactive');
  }

  queryColumns(sql: string, opts: QueryOptions = {}): Promise<ColumnarResult> {
    return this.#columns(sql, 'interactive', opts.signal);
  }

  /**
   * This engine with its queries' turns at `priority` (see the top of this file): `background` for work nobody
   * waits on, `idle` for work that can wait for that too. Same connection, views and temporary tables.
   */
  withPriority(priority: QueryPriority): QueryEngine {
    if (priority === 'interactive') return this;
    let side = this.#sides.get(priority);
    if (!side) {
      side = {
        query: async (sql) => (await this.#run(sql, priority)).rows,
        queryWithColumns: (sql) => this.#run(sql, priority),
        queryColumns: (sql, opts) => this.#columns(sql, priority, opts?.signal),
        close: () => this.close(),
      };
      this.#sides.set(priority, side);
    }
    return side;
  }

  #run(sql: string, priority: QueryPriority): Promise<QueryResult> {
    return this.#exclusive(() => this.#withViews(sql, async (conn) => readerResult(await conn.runAndReadAll(sql))), priority);
  }

  /**
   * queryColumns. Its signal interrupts the statement (connection.interrupt) only during its own turn, once the
   * views it reads exist, so no other statement is ever interrupted: an interrupt arriving after the statement
   * ended, before its turn passes on, finds the connection idle, and DuckDB does not carry it to the next one.
   */
  #columns(sql: string, priority: QueryPriority, signal?: AbortSignal): Promise<ColumnarResult> {
    return this.#exclusive(async () => {
      signal?.throwIfAborted();
      return this.#withViews(sql, async (conn) => {
        signal?.throwIfAborted();
        const interrupt = () => conn.interrupt();
        signal?.addEventListener('abort', interrupt, { once: true });
        try {
          return await columnarResult(await conn.run(sql));
        } finally {
          signal?.removeEventListener('abort', interrupt);
        }
      });
    }, priority);
  }

  /**
   * Throws WriteRefusedError (read-only-sql.ts) unless `sql` only reads: `puddle query --format csv` asks this first. Not
   * part of queryWithColumns, which `puddle export` and `report` use to COPY where they are asked to write.
   */
  refuseWrites(sql: string): Promise<void> {
    return this.#exclusive(async () => refuseWrites(await this.#connWithViews(sql), sql));
  }

  /**
   * queryWithColumns for SQL that must only read (`puddle query`): refuseWrites' check and the run share one
   * preparation. Its rows are printed, so a DECIMAL keeps its scale, as text (`25.10`: duckdb-json.ts ValueOptions).
   */
  queryReadOnly(sql: string): Promise<QueryResult> {
    return this.#exclusive(() => this.#withViews(sql, async (conn) => readerResult(await runReadOnly(conn, sql), PRINTED)));
  }

  /**
   * queryReadOnly's rows a chunk at a time, the engine held for the whole read (`puddle query --format json`,
   * which writes each chunk as it comes instead of holding 3M rows, about 800 MB). Resolves with the columns.
   */
  streamReadOnly(sql: string, onRows: (rows: Row[]) => Promise<void> | void): Promise<string[]> {
    return this.#exclusive(() => this.#withViews(sql, (conn) => streamReadOnly(conn, sql, onRows, PRINTED)));
  }

  /** Rebuild every view now, whatever the generation says. */
  refresh(): Promise<void> {
    return this.#exclusive(async () => {
      const { conn } = await this.#connection();
      this.#generation = undefined;
      await this.#createViews(conn, await this.#viewsIfChanged(), null);
    });
  }

  /** What this engine's DuckDB holds (a turn at idle priority); undefined until a query opened it, or once closed. */
  memory(): Promise<DuckDbMemory | undefined> {
    if (!this.#conn || this.#closed) return Promise.resolve(undefined);
    return this.#exclusive(async () => (this.#closed ? undefined : duckDbMemory((await this.#connection()).conn)), 'idle');
  }

  close(): Promise<void> {
    // Behind what was asked before it, interactive or not (queries asked after it fail: ClosedError).
    return this.#exclusive(async () => {
      if (this.#closed) return;
      this.#closed = true;
      // A DuckDB that never opened (its failure was the query's to report) has nothing to close: until 2026-12-07
      // closing threw that failure again, over the command's own message (`TMPDIR=/nonexistent puddle query`).
      const opened = await this.#conn?.catch(() => undefined);
      if (opened) {
        opened.conn.closeSync();
        opened.instance.closeSync();
      }
      if (!this.#store.localRoot) await rm(this.#cacheDir, { recursive: true, force: true });
    }, 'background');
  }

  /** The connection, with the views `sql` reads created. */
  async #connWithViews(sql: string): Promise<DuckDBConnection> {
    // The views are worked out while DuckDB opens (a command's first query waits for its instance): neither needs
    // the other. A closed engine says so before it reads the catalog, and DuckDB's failure to open comes first.
    const connecting = this.#connection();
    connecting.catch(() => undefined);
    if (this.#closed) await connecting;
    let defs: ViewDef[];
    let wanted: Set<string> | null;
    try {
      defs = await this.#viewsIfChanged();
      // `select 1` needs no view, `FROM donation` two (donation and donation_history), not all 60: creating
      // them all was ~75 ms of every `puddle query` on this host (docs/benchmarks.md, "Start-up").
      wanted = viewsReadBy(sql);
    } catch (err) {
      await connecting;
      throw err;
    }
    const { conn } = await connecting;
    await this.#createViews(conn, defs, wanted);
    return conn;
  }

  /**
   * `work` on the connection with the views `sql` reads created and, when it names a reconciliation view, the
   * views it would otherwise work out more than once (readTwice) snapshotted for it alone: the reconciliation
   * views two or more of its views read (in any engine), and with snapshotPerQuery the contracts' current views
   * too, unless one reads its state file alone (ViewDef.stateOnly). Each such view reads its table
   * (`_query_<name>`) while `work` runs; after it the tables are dropped and the views left to be created again
   * from their own definitions by the next query that reads them (so also after a failure part way).
   * At 1,000,000 donations the journey took 17.5 s without the shared reconciliation views' snapshots.
   */
  async #withViews<T>(sql: string, work: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn = await this.#connWithViews(sql);
    const wanted = namesNamedView(sql, RECON_VIEW_FILES) ? viewsReadBy(sql) : null;
    if (!wanted) return work(conn);
    const shared = readTwice(sql, wanted);
    const current = this.#snapshotPerQuery && !this.#materialize ? currentNames() : new Set<string>();
    const snapshotted = (v: ViewDef) => shared.has(v.name) && (RECON_VIEWS.has(v.name) || (current.has(v.name) && !v.stateOnly));
    const tables: string[] = [];
    try {
      // In creation order: a view reading another reads its snapshot.
      for (const v of this.#defs ?? []) {
        if (!wanted.has(v.name) || !snapshotted(v)) continue;
        const table = sqlIdent(`_query_${v.name}`);
        this.#views.delete(v.name);
        tables.push(table);
        await conn.run(`CREATE OR REPLACE TABLE ${table} AS ${v.sql}`);
        await conn.run(`CREATE OR REPLACE VIEW ${sqlIdent(v.name)} AS SELECT * FROM ${table}`);
      }
      return await work(conn);
    } finally {
      for (const table of tables) await conn.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    }
  }

  /**
   * Runs `work` alone, when its turn comes (highest kind first, see #next), its DuckDB errors about a lake file
   * turned into one that names the file (lake-file-error.ts).
   */
  #exclusive<T>(work: () => Promise<T>, priority: QueryPriority = 'interactive'): Promise<T> {
    const root = this.#store.localRoot ?? this.#cacheDir;
    return new Promise<T>((resolve, reject) => {
      this.#waiting[priority].push(() => {
        work()
          .catch((err: unknown) => Promise.reject(recogniseLakeFileError(err, root) ?? err))
          .then(resolve, reject)
          .finally(() => this.#next());
      });
      if (!this.#busy) this.#next();
    });
  }

  /** Starts the next turn, if any: the oldest of the highest kind waiting, unless a lower one waited MAX_AHEAD turns. */
  #next(): void {
    const waiting = PRIORITIES.filter((p) => this.#waiting[p].length > 0);
    const [highest, lower] = waiting;
    const kind = lower !== undefined && this.#ahead >= MAX_AHEAD ? lower : highest;
    this.#ahead = kind === highest && lower !== undefined ? this.#ahead + 1 : 0;
    const turn = kind === undefined ? undefined : this.#waiting[kind].shift();
    this.#busy = turn !== undefined;
    turn?.();
  }

  #connection(): Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> {
    if (this.#closed) return Promise.reject(new ClosedError('query engine is closed'));
    this.#conn ??= (async () => {
      // Every view reads files under `lake/` (core/ports.ts CatalogFile.key), not the home's databases beside it.
      const lake = path.join(this.#store.localRoot ?? this.#cacheDir, 'lake');
      const access = this.#confineTo ? { onlyFolders: [lake, ...this.#confineTo] } : {};
      const instance = await createDuckDb(this.#threads, 'query', access);
      const conn = await instance.connect();
      return { instance, conn };
    })();
    return this.#conn;
  }

  /** The views for the catalog as it is now: worked out again only when its generation moved. */
  async #viewsIfChanged(): Promise<ViewDef[]> {
    const gen = this.#catalog.generation ? await this.#catalog.generation() : undefined;
    if (this.#defs && gen !== undefined && gen === this.#generation) return this.#defs;
    const files = await this.#catalog.listFiles();
    this.#defs = allViews(files, await this.#localPaths(files), this.#asOf, this.#asKnown);
    this.#generation = gen;
    // A snapshot's definition reads views, not files, so it does not change when they do: take it again.
    if (this.#materialize) for (const name of currentNames()) this.#views.delete(name);
    return this.#defs;
  }

  /** Creates, in dependency order, those of `wanted` (null: all) not yet created from their current definition. */
  async #createViews(conn: DuckDBConnection, defs: readonly ViewDef[], wanted: ReadonlySet<string> | null): Promise<void> {
    if (wanted?.size === 0) return;
    const current = this.#materialize ? currentNames() : null;
    for (const v of defs) {
      if ((wanted && !wanted.has(v.name)) || this.#views.get(v.name) === v.sql) continue;
      let sql = v.sql;
      if (current?.has(v.name)) {
        // The views it reads come before it, so the snapshot reads fresh views.
        const table = sqlIdent(`_current_${v.name}`);
        await conn.run(`CREATE OR REPLACE TABLE ${table} AS ${this.#snapshotSql.get(v.name) ?? v.sql}`);
        sql = `SELECT * FROM ${table}`;
      }
      await conn.run(`CREATE OR REPLACE VIEW ${sqlIdent(v.name)} AS ${sql}`);
      this.#views.set(v.name, v.sql);
    }
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
      if (!body) throw lakeFileError(key);
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
