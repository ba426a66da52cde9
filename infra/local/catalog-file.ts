// catalog.db is the only record of which lake files are live. A new, empty one over a lake that holds files
// reads as an empty lake: after `rm catalog.db` (or a restore that left it out) `puddle query` answered 0
// donations with exit 0, and a hub started on it rebuilt its live total from nothing and showed only what
// came in after, without a word. A damaged one ended in better-sqlite3's stack trace. Both now stop with one
// line saying what is wrong and what to do (a ConfigError: exit code 2), as does one SQLite cannot open at all.
import { existsSync, readdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { ConfigError } from '../../core/errors.js';
import { homeDiskReason } from './home-disk.js';
import { codeOf, DAMAGED, sizeOf, sqliteFileProblem } from './sqlite-file.js';

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
  try {
    return sqliteFileProblem(path);
  } catch (err) {
    throw catalogOpenError(path, err);
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

/**
 * A ConfigError (one line, exit 2) for a catalog SQLite cannot open or read, naming the file and the code of
 * what stopped it; an error without a code is returned as it is. Damaged (not a database, broken pages): what to
 * restore. Busy (held by another process past SQLite's wait): try again. Anything else (no permission, a directory
 * in its place, a read-only disk): what to check. Until
 * 2026-12-02 these ended in better-sqlite3's stack trace on every command. The error's own words are not
 * shown: the code says which, and they may name paths.
 */
export function catalogOpenError(path: string, err: unknown): unknown {
  const code = codeOf(err);
  if (code === undefined) return err;
  // Another process held its write lock past busy_timeout (sqlite.ts): nothing is wrong with the file.
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new ConfigError(`${path} is busy (${code}): another process (a hub or a puddle command on this home) held it longer than SQLite waits; try again once it has finished; nothing was changed`, { cause: err });
  }
  if (DAMAGED.has(code)) {
    return new ConfigError(`${path} is damaged (${code}): SQLite cannot read it. Restore catalog.db from a backup, or, with none, rebuild it from the lake's raw files: puddle catalog rebuild; nothing was changed`, { cause: err });
  }
  // A full disk says "disk I/O error" (SQLite cannot grow the WAL index): until 2026-12-06 it was sent to the mount flags.
  if (homeDiskReason(dirname(path)) === 'disk_full') {
    return new ConfigError(`${path} cannot be opened (${code}): the disk of PUDDLE_HOME is full; free some space on it (a few MB is enough), then run this again; nothing was changed`, { cause: err });
  }
  return new ConfigError(`${path} cannot be opened (${code}): check that it is a file (with its folder) the user running puddle can read and write, and that the disk is mounted writable; nothing was changed`, { cause: err });
}
