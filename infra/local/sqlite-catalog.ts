// The embedded catalog: which Parquet files make up each table, in SQLite (WAL) next to the lake.
// Removed files are remembered as garbage for a while, because a reader that listed them a moment
// ago may still be reading them; the caller deletes the objects once takeGarbage hands them back.
import type { Catalog, CatalogFile, TableRef } from '../../core/ports.js';
import { catalogOpenError, refuseNewCatalogOverLake } from './catalog-file.js';
import { openSqlite, type SqliteDatabase } from './sqlite.js';

interface FileRow {
  key: string;
  puddle: string;
  contract: string;
  version: number;
  dt: string;
  rows: number;
  bytes: number;
  added_at: string;
  current: number;
  folded: number;
}

export class SqliteCatalog implements Catalog {
  readonly #db: SqliteDatabase;
  readonly #upsert: (f: CatalogFile) => void;
  readonly #delete: (key: string) => number;
  readonly #markGarbage: (key: string, at: number) => void;
  readonly #unmarkGarbage: (key: string) => void;
  readonly #fold: (key: string) => void;
  readonly #bump: () => void;
  readonly #generation: () => number;

  /** `rebuilding`: only for `puddle catalog rebuild`, which makes a new catalog over a lake on purpose. */
  constructor(path: string, opts: { rebuilding?: boolean } = {}) {
    if (!opts.rebuilding) refuseNewCatalogOverLake(path);
    try {
      this.#db = openSqlite(path);
      this.#db.exec(`
      CREATE TABLE IF NOT EXISTS files (
        key TEXT PRIMARY KEY, puddle TEXT NOT NULL, contract TEXT NOT NULL, version INTEGER NOT NULL,
        dt TEXT NOT NULL, rows INTEGER NOT NULL, bytes INTEGER NOT NULL, added_at TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS files_by_table ON files (contract, version, dt);
      CREATE TABLE IF NOT EXISTS garbage (key TEXT PRIMARY KEY, removed_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT OR IGNORE INTO meta (name, value) VALUES ('generation', 0);
    `);
    } catch (err) {
      throw catalogOpenError(path, err);
    }
    // Catalogs made before current state existed lack its two columns: every file there is unfolded history.
    const have = new Set((this.#db.prepare(`PRAGMA table_info(files)`).all() as { name: string }[]).map((c) => c.name));
    for (const col of ['current', 'folded']) {
      if (!have.has(col)) this.#db.exec(`ALTER TABLE files ADD COLUMN ${col} INTEGER NOT NULL DEFAULT 0`);
    }
    const upsert = this.#db.prepare(`
      INSERT INTO files (key, puddle, contract, version, dt, rows, bytes, added_at, current, folded)
      VALUES (@key, @puddle, @contract, @version, @dt, @rows, @bytes, @added_at, @current, @folded)
      ON CONFLICT (key) DO UPDATE SET rows = excluded.rows, bytes = excluded.bytes`);
    // A key registered again (a redelivered batch) holds the same rows, so it keeps its folded mark.
    const fold = this.#db.prepare(`UPDATE files SET folded = 1 WHERE key = ?`);
    const del = this.#db.prepare(`DELETE FROM files WHERE key = ?`);
    const mark = this.#db.prepare(
      `INSERT INTO garbage (key, removed_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET removed_at = excluded.removed_at`,
    );
    const unmark = this.#db.prepare(`DELETE FROM garbage WHERE key = ?`);
    const bump = this.#db.prepare(`UPDATE meta SET value = value + 1 WHERE name = 'generation'`);
    const gen = this.#db.prepare(`SELECT value FROM meta WHERE name = 'generation'`).pluck();
    this.#upsert = (f) =>
      upsert.run({
        key: f.key, puddle: f.puddle, contract: f.contract, version: f.version, dt: f.dt, rows: f.rows, bytes: f.bytes, added_at: f.added_at,
        current: f.current ? 1 : 0, folded: f.folded ? 1 : 0,
      });
    this.#fold = (key) => fold.run(key);
    this.#delete = (key) => del.run(key).changes;
    this.#markGarbage = (key, at) => mark.run(key, at);
    this.#unmarkGarbage = (key) => unmark.run(key);
    this.#bump = () => bump.run();
    this.#generation = () => Number(gen.get());
  }

  async addFiles(files: readonly CatalogFile[]): Promise<void> {
    if (!files.length) return;
    this.#db.transaction(() => {
      for (const f of files) this.#add(f);
      this.#bump();
    })();
  }

  async replaceFiles(remove: readonly string[], add: readonly CatalogFile[], opts: { ifAllPresent?: boolean; fold?: readonly string[] } = {}): Promise<boolean> {
    const fold = opts.fold ?? [];
    if (!remove.length && !add.length && !fold.length) return true;
    const now = Date.now();
    const adding = new Set(add.map((f) => f.key));
    const has = this.#db.prepare('SELECT 1 FROM files WHERE key = ?').pluck();
    return this.#db.transaction(() => {
      if (opts.ifAllPresent && [...remove, ...fold].some((key) => has.get(key) === undefined)) return false;
      for (const key of remove) {
        // A replay or compaction that produces the same key again keeps it live, not garbage.
        if (adding.has(key)) continue;
        if (this.#delete(key) > 0) this.#markGarbage(key, now);
      }
      for (const f of add) this.#add(f);
      for (const key of fold) this.#fold(key);
      this.#bump();
      return true;
    }).immediate();
  }

  async listFiles(filter: Partial<TableRef> & { dt?: string } = {}): Promise<CatalogFile[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    for (const col of ['puddle', 'contract', 'version', 'dt'] as const) {
      const v = filter[col];
      if (v !== undefined) {
        where.push(`${col} = ?`);
        params.push(v);
      }
    }
    const sql = `SELECT key, puddle, contract, version, dt, rows, bytes, added_at, current, folded FROM files
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY key`;
    // The two marks appear only when set, so a history file reads back exactly as it was registered.
    return (this.#db.prepare(sql).all(...params) as FileRow[]).map(({ current, folded, ...r }) => ({
      ...r,
      ...(current ? { current: true } : {}),
      ...(folded ? { folded: true } : {}),
    }));
  }

  async tables(): Promise<TableRef[]> {
    return this.#db
      .prepare(`SELECT DISTINCT puddle, contract, version FROM files ORDER BY puddle, contract, version`)
      .all() as TableRef[];
  }

  async takeGarbage(olderThanMs: number): Promise<string[]> {
    const cutoff = Date.now() - olderThanMs;
    return this.#db.transaction(() => {
      const keys = this.#db.prepare(`SELECT key FROM garbage WHERE removed_at <= ? ORDER BY key`).pluck().all(cutoff) as string[];
      this.#db.prepare(`DELETE FROM garbage WHERE removed_at <= ?`).run(cutoff);
      return keys;
      // IMMEDIATE, as replaceFiles: a deferred transaction that reads and then writes cannot wait for another
      // writer (the hub landing beside `puddle compact`); SQLite fails its write at once with "database is locked".
    }).immediate();
  }

  /**
   * Goes up on every change to the file list (from any process sharing the file): the query engine
   * rebuilds its views only when this moved. A single indexed read, cheap enough to call per query.
   */
  generation(): number {
    return this.#generation();
  }

  /** When the latest file was added (epoch ms), null for an empty catalog: no row in the lake was received after it. */
  lastAddedAt(): number | null {
    const v = this.#db.prepare(`SELECT max(added_at) FROM files`).pluck().get() as string | null;
    const ms = v === null ? Number.NaN : Date.parse(v);
    return Number.isFinite(ms) ? ms : null;
  }

  close(): void {
    this.#db.close();
  }

  #add(f: CatalogFile): void {
    this.#upsert(f);
    // A key landed again (a redelivered batch) after compaction retired it is live again: never delete it.
    this.#unmarkGarbage(f.key);
  }
}
