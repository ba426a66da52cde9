import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Statement } from 'better-sqlite3';
import { PuddleError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import { processExists } from '../../core/process-exists.js';
import type { StateStore } from '../../core/ports.js';
import { damagedFileError } from './sqlite-file.js';
import { openSqlite, type SqliteDatabase, type SqliteDurability } from './sqlite.js';

// Table names are prefixed so the state can share a file with the queue if a runtime wants one file.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS state_values (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state_leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
`;

export class SqliteStateStore implements StateStore {
  private readonly db: SqliteDatabase;
  private closed = false;
  private readonly stmt: Record<'get' | 'getMany' | 'set' | 'delete' | 'acquire' | 'holder' | 'release', Statement>;
  private readonly host = PROCESS_SPACE;

  constructor(path: string, opts: { durability?: SqliteDurability } = {}) {
    try {
      this.db = openSqlite(path, opts);
      this.db.exec(SCHEMA);
    } catch (err) {
      throw damagedFileError(path, err, 'state');
    }
    // Leases made before they recorded their process: add the columns (a NULL holder is never judged dead).
    const columns = new Set((this.db.prepare(`SELECT name FROM pragma_table_info('state_leases')`).pluck().all() as string[]));
    if (!columns.has('host')) this.db.exec('ALTER TABLE state_leases ADD COLUMN host TEXT; ALTER TABLE state_leases ADD COLUMN pid INTEGER;');
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
      // @stale names a holder found dead (see acquireLease): taken over only if it still holds the lease.
      acquire: this.db.prepare(
        `INSERT INTO state_leases (name, owner, expires_at, host, pid) VALUES (@name, @owner, @expires, @host, @pid)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, host = excluded.host, pid = excluded.pid
         WHERE state_leases.owner = excluded.owner OR state_leases.expires_at <= @now OR state_leases.owner = @stale`,
      ),
      holder: this.db.prepare('SELECT owner, host, pid FROM state_leases WHERE name = ?'),
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

  /**
   * Take the lease if it is free, expired or already ours. A lease held by a process of this machine (and
   * pid namespace) that no longer exists (a hub or `puddle sync` that was killed) is taken at once rather than after its
   * expiry: restarting after a crash would otherwise wait out the lease. A holder that may be alive
   * (another machine, a process we cannot signal, or one that has the same pid by reuse) is waited out.
   */
  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    this.assertOpen();
    // Wall clock on purpose: the lease must mean the same thing to another process on this machine.
    const now = Date.now();
    const row = { name, owner, expires: now + ttlMs, now, host: this.host, pid: process.pid, stale: null as string | null };
    if (this.stmt.acquire.run(row).changes === 1) return true;
    const holder = this.stmt.holder.get(name) as { owner: string; host: string | null; pid: number | null } | undefined;
    if (!holder || this.host === null || holder.host !== this.host || holder.pid === null || holder.pid === process.pid || processExists(holder.pid)) {
      return false;
    }
    const taken = this.stmt.acquire.run({ ...row, stale: holder.owner }).changes === 1;
    if (taken) log.info('took over a lease whose process is gone', { lease: name, previous: holder.owner, pid: holder.pid });
    return taken;
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

/**
 * Where a pid means one process: this host name, this boot, this pid namespace (containers that share a
 * host name and a volume each have their own). Null where that cannot be known (not Linux): such a
 * process never judges another's lease dead.
 */
const PROCESS_SPACE = processSpace(); // read once per process, not per store

function processSpace(): string | null {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return `${hostname()}|${boot}|${readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    return null;
  }
}

