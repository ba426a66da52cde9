// A PUDDLE_HOME as the hub of 2026-11-30 (before 2026-12-02) left it, written directly with that hub's schemas:
// for the tests of what today's code makes of such a home after an upgrade.
import { join } from 'node:path';
import { openSqlite, type SqliteDatabase } from '../../infra/local/sqlite.js';

/** That hub's queue.db, with the subscription `transactions` (id 1); the caller adds rows and closes it. */
export function olderQueue(home: string): SqliteDatabase {
  const db = openSqlite(join(home, 'queue.db'));
  db.exec(`
    CREATE TABLE queue_meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
    INSERT INTO queue_meta (k, v) VALUES ('subscriptions', 48);
    CREATE TABLE queue_subscriptions (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, contracts TEXT NOT NULL, max_attempts INTEGER NOT NULL);
    CREATE TABLE queue_messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
    CREATE TABLE queue_deliveries (sub_id INTEGER NOT NULL, seq INTEGER NOT NULL, visible_at INTEGER NOT NULL, attempts INTEGER NOT NULL, PRIMARY KEY (sub_id, seq)) WITHOUT ROWID;
    CREATE TABLE queue_dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, sub_id INTEGER NOT NULL, body TEXT NOT NULL, attempts INTEGER NOT NULL, reason TEXT NOT NULL, failed_at TEXT NOT NULL);
    CREATE INDEX queue_dead_letters_sub ON queue_dead_letters (sub_id, id);
    INSERT INTO queue_subscriptions (id, name, contracts, max_attempts) VALUES (1, 'transactions', '["donation"]', 5);`);
  return db;
}

/** That hub's catalog.db; the caller adds rows and closes it. */
export function olderCatalog(home: string): SqliteDatabase {
  const db = openSqlite(join(home, 'catalog.db'));
  db.exec(`
    CREATE TABLE files (
      key TEXT PRIMARY KEY, puddle TEXT NOT NULL, contract TEXT NOT NULL, version INTEGER NOT NULL,
      dt TEXT NOT NULL, rows INTEGER NOT NULL, bytes INTEGER NOT NULL, added_at TEXT NOT NULL, current INTEGER NOT NULL DEFAULT 0, folded INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX files_by_table ON files (contract, version, dt);
    CREATE TABLE garbage (key TEXT PRIMARY KEY, removed_at INTEGER NOT NULL);
    CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    INSERT INTO meta (name, value) VALUES ('generation', 1);`);
  return db;
}
