// The supplier feeds' log in SQLite: one row per (feed, record version), its position an AUTOINCREMENT key,
// so positions only ever grow and a row appended later is always after every position handed out.
import { CHANGED_AT, type FeedEntry, type FeedLog } from '../../puddles/feeds.js';
import type { Cell } from '../../puddles/parquet-writer.js';
import { damagedFileError } from './sqlite-file.js';
import { hasColumn, openSqlite, type SqliteDatabase } from './sqlite.js';

export class SqliteFeedLog implements FeedLog {
  readonly #db: SqliteDatabase;
  readonly #insert;
  readonly #fillChangedAt;
  readonly #fillKey;
  readonly #has;
  readonly #shown;
  readonly #keptOutOfSight;
  readonly #remove;
  readonly #read;
  readonly #last;

  constructor(path: string) {
    try {
      this.#db = openSqlite(path);
      this.#db.exec(`CREATE TABLE IF NOT EXISTS feed_row (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        feed TEXT NOT NULL,
        record_id TEXT NOT NULL,
        row TEXT NOT NULL,
        appended_at TEXT NOT NULL,
        record_key TEXT,
        hidden INTEGER NOT NULL DEFAULT 0,
        UNIQUE (feed, record_id)
      )`);
    } catch (err) {
      throw damagedFileError(path, err, 'feeds');
    }
    // A log made before 2026-12-06 has neither: its rows were all served (a version that did not pass was never
    // logged), and the catch-up on start fills in their keys (#fillKey).
    if (!hasColumn(this.#db, 'feed_row', 'record_key')) this.#db.exec('ALTER TABLE feed_row ADD COLUMN record_key TEXT');
    if (!hasColumn(this.#db, 'feed_row', 'hidden')) this.#db.exec('ALTER TABLE feed_row ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0');
    this.#db.exec('CREATE INDEX IF NOT EXISTS feed_row_key ON feed_row (feed, record_key)');
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
    this.#insert = this.#db.prepare(`INSERT INTO feed_row (feed, record_id, record_key, hidden, row, appended_at)
      SELECT @feed, @recordId, @key, @hidden, @row, @at WHERE NOT EXISTS (SELECT 1 FROM feed_row WHERE feed = @feed AND record_id = @recordId)`);
    this.#fillKey = this.#db.prepare('UPDATE feed_row SET record_key = @key WHERE feed = @feed AND record_id = @recordId AND record_key IS NULL');
    this.#has = this.#db.prepare('SELECT 1 FROM feed_row WHERE feed = ? AND record_id = ?');
    this.#shown = this.#db.prepare('SELECT 1 FROM feed_row WHERE feed = ? AND record_key = ? AND hidden = 0 LIMIT 1');
    this.#keptOutOfSight = this.#db.prepare('SELECT record_id AS recordId, row FROM feed_row WHERE feed = ? AND record_key = ? AND hidden = 1 ORDER BY position');
    this.#remove = this.#db.prepare('DELETE FROM feed_row WHERE feed = ? AND record_id = ?');
    // A feed's last position without visiting its rows (the unique index is ordered by record id, not position).
    this.#db.exec('CREATE INDEX IF NOT EXISTS feed_row_position ON feed_row (feed, position)');
    this.#read = this.#db.prepare('SELECT position, row FROM feed_row WHERE feed = ? AND position > ? AND hidden = 0 ORDER BY position LIMIT ?');
    this.#last = this.#db.prepare('SELECT coalesce(max(position), 0) AS last FROM feed_row WHERE feed = ?');
  }

  append(feed: string, entries: readonly FeedEntry[]): void {
    if (!entries.length) return;
    const now = new Date().toISOString();
    this.#db.transaction(() => {
      for (const e of entries) {
        const row = { feed, recordId: e.recordId, row: JSON.stringify(e.row) };
        if (this.#has.get(feed, e.recordId) !== undefined) {
          this.#fillChangedAt.run(row);
          this.#fillKey.run({ ...row, key: e.key });
          continue;
        }
        const show = e.passes || this.#shown.get(feed, e.key) !== undefined;
        this.#insert.run({ ...row, key: e.key, hidden: show ? 0 : 1, at: now });
        if (!e.passes) continue;
        // The record's versions kept out of sight so far (they landed before it, none passing): appended again, now
        // to be served, after every position handed out, so a supplier reading on from its cursor gets them.
        for (const kept of this.#keptOutOfSight.all(feed, e.key) as { recordId: string; row: string }[]) {
          this.#remove.run(feed, kept.recordId);
          this.#insert.run({ feed, recordId: kept.recordId, key: e.key, hidden: 0, row: kept.row, at: now });
        }
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
