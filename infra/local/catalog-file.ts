// catalog.db is the only record of which lake files are live. A new, empty one over a lake that holds files
// reads as an empty lake: after `rm catalog.db` (or a restore that left it out) `puddle query` answered 0
// donations with exit 0, and a hub started on it rebuilt its live total from nothing and showed only what
// came in after, without a word. A damaged one ended in better-sqlite3's stack trace. Both now stop with one
// line saying what is wrong and what to do (a ConfigError: exit code 2).
import { existsSync, readdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

import Database from 'better-sqlite3';

import { ConfigError } from '../../core/errors.js';

/** SQLite's answers for a file that is not a database, or one whose pages are broken. */
const DAMAGED = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

/** True when a .parquet file lies anywhere under `dir` (stops at the first one). */
function holdsParquet(dir: string): boolean {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const e of entries) {
    if (e.isFile() && e.name.endsWith('.parquet')) return true;
    if (e.isDirectory() && holdsParquet(join(dir, e.name))) return true;
  }
  return false;
}

/** A file's size in bytes, or null when there is none. */
function sizeOf(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

/**
 * Refuses to make a new catalog where `<home>/lake` already holds Parquet files: where catalog.db is missing, or
 * is an empty file with no write-ahead log to read (a copy or restore cut short), which SQLite takes for a new
 * database and this class would have given a new, empty catalog's tables.
 */
export function refuseNewCatalogOverLake(path: string): void {
  const size = sizeOf(path);
  if (size !== null && (size > 0 || (sizeOf(`${path}-wal`) ?? 0) > 0)) return;
  const lake = join(dirname(path), 'lake');
  if (!holdsParquet(lake)) return;
  throw new ConfigError(
    `${path} is ${size === null ? 'missing' : 'empty'}, but ${lake} holds Parquet files: the catalog is the only record of which of them are live, ` +
      `and a new, empty one would read as an empty lake (a total of 0). Restore catalog.db from a backup ` +
      `(with its catalog.db-wal file, if the backup has one), or, with none, rebuild it from the lake's raw files: ` +
      `puddle catalog rebuild; nothing was changed`,
  );
}

/** A catalog file SQLite's companions: its write-ahead log and shared-memory index. */
const COMPANIONS = ['-wal', '-shm'];

/**
 * What is wrong with the catalog at `path`, or null when SQLite reads it whole: `missing`, `empty` (0 bytes
 * and no write-ahead log to read: a copy cut short) or `damaged` (not a database, or pages that fail SQLite's
 * quick check). Opened read-only: looking changes nothing.
 */
export function catalogProblem(path: string): 'missing' | 'empty' | 'damaged' | null {
  const size = sizeOf(path);
  if (size === null) return 'missing';
  if (size === 0 && (sizeOf(`${path}-wal`) ?? 0) === 0) return 'empty';
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const check = db.pragma('quick_check', { simple: true });
    return check === 'ok' ? null : 'damaged';
  } catch (err) {
    if (damagedCatalogError(path, err) !== err) return 'damaged';
    throw err;
  } finally {
    db?.close();
  }
}

/**
 * Moves a lost catalog's leftovers out of the way of a new one, never deleting them: catalog.db (when there is
 * one) and its -wal and -shm files become `catalog.db.damaged-<time>` and that name's -wal and -shm, a pair
 * SQLite can still open. A stray -wal beside a missing catalog.db goes too: a new catalog would read it as its own.
 * Returns the name they were moved to, or null when there was nothing to move.
 */
export function moveCatalogAside(path: string, now: Date = new Date()): string | null {
  const aside = `${path}.damaged-${now.toISOString().replace(/[:.]/g, '-')}`;
  let moved = false;
  for (const suffix of ['', ...COMPANIONS]) {
    if (!existsSync(path + suffix)) continue;
    renameSync(path + suffix, aside + suffix);
    moved = true;
  }
  return moved ? aside : null;
}

/** A ConfigError for a catalog SQLite cannot read, else the error itself. */
export function damagedCatalogError(path: string, err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !DAMAGED.has(code)) return err;
  return new ConfigError(`${path} is damaged (${code}): SQLite cannot read it. Restore catalog.db from a backup, or, with none, rebuild it from the lake's raw files: puddle catalog rebuild; nothing was changed`, { cause: err });
}
