// What is wrong with one of the home's SQLite files (queue.db, state.db, feeds.db, catalog.db), in words a user can act
// on: the reading `puddle catalog verify`, `puddle restore` and the queue's open share. catalog-file.ts says what the
// catalog's own problems mean.
import { statSync } from 'node:fs';

import { ConfigError } from '../../core/errors.js';
import { newSqlite, type SqliteDatabase } from './sqlite.js';

/** SQLite's answers for a file that is not a database, or one whose pages are broken. */
export const DAMAGED = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

/** An error's code: SQLite's (SQLITE_CANTOPEN...) or the system's (EACCES...), when it has one. */
export function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A file's size in bytes, or null when there is none. */
export function sizeOf(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

/**
 * What is wrong with any of the home's SQLite files (catalogProblem's reading, for queue.db, state.db and feeds.db
 * too): `missing`, `empty`, `damaged`, or null when SQLite reads it whole. Opened read-only; another failure to
 * open it (no permission, busy) is thrown as it is.
 */
export function sqliteFileProblem(path: string): 'missing' | 'empty' | 'damaged' | null {
  const size = sizeOf(path);
  if (size === null) return 'missing';
  if (size === 0 && (sizeOf(`${path}-wal`) ?? 0) === 0) return 'empty';
  let db: SqliteDatabase | undefined;
  try {
    db = newSqlite(path, { readonly: true, fileMustExist: true });
    const check = db.pragma('quick_check', { simple: true });
    return check === 'ok' ? null : 'damaged';
  } catch (err) {
    if (DAMAGED.has(codeOf(err) ?? '')) return 'damaged';
    throw err;
  } finally {
    db?.close();
  }
}

/** What each of the home's databases (other than the catalog: catalog-file.ts) holds, and what a new, empty one means. */
const LOSING = {
  queue: { holds: 'the events accepted and not landed yet', without: 'to start with an empty queue: what had not landed is then lost, except what producers and connectors send again' },
  state: { holds: "the connectors' bookmarks", without: 'to start without them: each connector then reads again from its start date (a full backfill; nothing lands twice)' },
  feeds: { holds: "the supplier feeds' rows", without: 'to start without it: the hub rebuilds them from the lake, numbered afresh (see docs/supplier-feeds.md)' },
} as const;

/**
 * For queue.db, state.db or feeds.db SQLite cannot read (not a database, a damaged header or schema: a file written
 * over), a ConfigError (one line, exit 2) saying what it holds and the two ways on; any other error as it is. Until
 * 2026-12-07 `puddle start` ended in better-sqlite3's stack trace with exit 1, which the docs' systemd unit restarts in a
 * loop (a disaster-recovery drill).
 */
export function damagedFileError(path: string, err: unknown, kind: keyof typeof LOSING): unknown {
  const code = codeOf(err);
  if (code === undefined || !DAMAGED.has(code)) return err;
  return new ConfigError(
    `${path} is damaged (${code}): SQLite cannot read it. It holds ${LOSING[kind].holds}. Restore the home from a backup ` +
      `(puddle restore, into a new folder), or move ${path} and its -wal and -shm files aside (keep them) ${LOSING[kind].without}; nothing was changed`,
    { cause: err },
  );
}
