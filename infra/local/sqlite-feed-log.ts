// The supplier feeds' log in SQLite: one row per (feed, record version), its position an AUTOINCREMENT key,
// so positions only ever grow and a row appended later is always after every position handed out.
import type { FeedEntry, FeedLog } from '../../puddles/feeds.js';
import type { Cell } from '../../puddles/parquet-writer.js';
import { openSqlite, type SqliteDatabase } from './sqlite.js';

export class SqliteFeedLog implements FeedLog {
  readonly #db: SqliteDatabase;
  readonly #insert;
  readonly #read;
  readonly #last;

  constructor(path: string) {
    this.#db = openSqlite(path);
    this.#db.exec(`CREATE TABLE IF NOT EXISTS feed_row (
      position INTEGER PRIMARY KEY AUTOINCREMENT,
      feed TEXT NOT NULL,
      record_id TEXT NOT NULL,
      row TEXT NOT NULL,
      appended_at TEXT NOT NULL,
      UNIQUE (feed, record_id)
    )`);
    this.#insert = this.#db.prepare('INSERT OR IGNORE INTO feed_row (feed, record_id, row, appended_at) VALUES (?, ?, ?, ?)');
    // A feed's last position without visiting its rows (the unique index is ordered by record id, not position).
    this.#db.exec('CREATE INDEX IF NOT EXISTS feed_row_position ON feed_row (feed, position)');
    this.#read = this.#db.prepare('SELECT position, row FROM feed_row WHERE feed = ? AND position > ? ORDER BY position LIMIT ?');
    this.#last = this.#db.prepare('SELECT coalesce(max(position), 0) AS last FROM feed_row WHERE feed = ?');
  }

  append(feed: string, entries: readonly FeedEntry[]): void {
    if (!entries.length) return;
    const now = new Date().toISOString();
    this.#db.transaction(() => {
      for (const e of entries) this.#insert.run(feed, e.recordId, JSON.stringify(e.row), now);
    })();
  }

  read(feed: string, after: number, limit: number): { position: number; row: Record<string, Cell> }[] {
    return (this.#read.all(feed, after, limit) as { position: number; row: string }[]).map((r) => ({ position: r.position, row: JSON.parse(r.row) as Record<string, Cell> }));
  }

  last(feed: string): number {
    return (this.#last.get(feed) as { last: number }).last;
  }

  close(): void {
    this.#db.close();
  }
}
