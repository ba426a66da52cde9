// The supplier feeds' log in SQLite: one row per (feed, record version), its position an AUTOINCREMENT key,
// so positions only ever grow and a row appended later is always after every position handed out.
import { CHANGED_AT, type FeedEntry, type FeedLog } from '../../puddles/feeds.js';
import type { Cell } from '../../puddles/parquet-writer.js';
import { openSqlite, type SqliteDatabase } from './sqlite.js';

export class SqliteFeedLog implements FeedLog {
  readonly #db: SqliteDatabase;
  readonly #insert;
  readonly #fillChangedAt;
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
    // A row already logged is kept as it is, at its position, with one exception: a row a hub before 2026-12-02
    // logged has no changed_at (feeds.ts), and was served without one, so a supplier could not tell a correction
    // from the version it corrects. The hub appends every row of the lake again on start (FeedWriter.catchUp),
    // and that fills it in from the lake's _changed_at: an older home's log gets each row's own value, in place.
    this.#fillChangedAt = this.#db.prepare(`UPDATE feed_row SET row = json_set(row, '$.${CHANGED_AT}', json_extract(@row, '$.${CHANGED_AT}'))
      WHERE feed = @feed AND record_id = @recordId
        AND coalesce(json_type(row, '$.${CHANGED_AT}'), 'null') = 'null' AND json_type(@row, '$.${CHANGED_AT}') = 'text'`);
    // Only a row not yet logged is inserted, so only it takes a position. An upsert (INSERT ... ON CONFLICT) or
    // INSERT OR IGNORE takes an AUTOINCREMENT number even when the row is already there: until 2026-12-02 each
    // start's catch-up moved every later position on by the size of the lake.
    this.#insert = this.#db.prepare(`INSERT INTO feed_row (feed, record_id, row, appended_at)
      SELECT @feed, @recordId, @row, @at WHERE NOT EXISTS (SELECT 1 FROM feed_row WHERE feed = @feed AND record_id = @recordId)`);
    // A feed's last position without visiting its rows (the unique index is ordered by record id, not position).
    this.#db.exec('CREATE INDEX IF NOT EXISTS feed_row_position ON feed_row (feed, position)');
    this.#read = this.#db.prepare('SELECT position, row FROM feed_row WHERE feed = ? AND position > ? ORDER BY position LIMIT ?');
    this.#last = this.#db.prepare('SELECT coalesce(max(position), 0) AS last FROM feed_row WHERE feed = ?');
  }

  append(feed: string, entries: readonly FeedEntry[]): void {
    if (!entries.length) return;
    const now = new Date().toISOString();
    this.#db.transaction(() => {
      for (const e of entries) {
        const row = { feed, recordId: e.recordId, row: JSON.stringify(e.row) };
        if (!this.#insert.run({ ...row, at: now }).changes) this.#fillChangedAt.run(row);
      }
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
