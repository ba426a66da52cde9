import type { Statement } from 'better-sqlite3';
import { PuddleError } from '../../core/errors.js';
import type { StateStore } from '../../core/ports.js';
import { openSqlite, type SqliteDatabase, type SqliteDurability } from './sqlite.js';

// Table names are prefixed so the state can share a file with the queue if a runtime wants one file.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS state_values (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state_leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
`;

export class SqliteStateStore implements StateStore {
  private readonly db: SqliteDatabase;
  private closed = false;
  private readonly stmt: Record<'get' | 'getMany' | 'set' | 'delete' | 'acquire' | 'release', Statement>;

  constructor(path: string, opts: { durability?: SqliteDurability } = {}) {
    this.db = openSqlite(path, opts);
    this.db.exec(SCHEMA);
    this.stmt = {
      get: this.db.prepare('SELECT value FROM state_values WHERE key = ?').pluck(),
      // A JSON array of keys: one statement for any number of them, no parameter limit.
      getMany: this.db.prepare('SELECT key, value FROM state_values WHERE key IN (SELECT value FROM json_each(?))').raw(),
      set: this.db.prepare(
        'INSERT INTO state_values (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      delete: this.db.prepare('DELETE FROM state_values WHERE key = ?'),
      // One statement, so two processes racing for a lease cannot both win: the row is taken when absent,
      // and only overwritten when it is ours (renew) or has expired.
      acquire: this.db.prepare(
        `INSERT INTO state_leases (name, owner, expires_at) VALUES (@name, @owner, @expires)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE state_leases.owner = excluded.owner OR state_leases.expires_at <= @now`,
      ),
      release: this.db.prepare('DELETE FROM state_leases WHERE name = ? AND owner = ?'),
    };
  }

  async get<T = unknown>(key: string): Promise<T | null> {
    this.assertOpen();
    const value = this.stmt.get.get(key) as string | undefined;
    return value === undefined ? null : (JSON.parse(value) as T);
  }

  async getMany<T = unknown>(keys: readonly string[]): Promise<Map<string, T>> {
    this.assertOpen();
    const out = new Map<string, T>();
    if (keys.length === 0) return out;
    for (const [key, value] of this.stmt.getMany.all(JSON.stringify(keys)) as [string, string][]) out.set(key, JSON.parse(value) as T);
    return out;
  }

  async set(key: string, value: unknown): Promise<void> {
    this.assertOpen();
    this.stmt.set.run(key, JSON.stringify(value) ?? 'null');
  }

  async delete(key: string): Promise<void> {
    this.assertOpen();
    this.stmt.delete.run(key);
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    this.assertOpen();
    // Wall clock on purpose: the lease must mean the same thing to another process on this machine.
    const now = Date.now();
    return this.stmt.acquire.run({ name, owner, expires: now + ttlMs, now }).changes === 1;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    this.assertOpen();
    this.stmt.release.run(name, owner);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new PuddleError('state store is closed');
  }
}
