// A confirmed erasure against the commands that write the lake beside a hub: `puddle replay`, `puddle compact`
// and `puddle quarantine retry`. The hub's own lock (home-lock.ts) cannot keep them out: they are documented to
// run beside a hub, which holds that lock for hours. Yet one beside an erasure writes the person back: a replay
// that read `raw` before the erasure's swap registers the person's rows after it (its swap is unconditional), and
// a quarantine retry publishes records it read before the swap to a queue the erasure has already rewritten.
//
// So a second lock, a readers-writer one: those commands hold it shared for their run (any number of them at
// once, and beside a hub), a confirmed erasure exclusive (none of them, and the hub's lock besides). It is
// SQLite's own lock on the empty file `erasure.lock`, as the hub's is on `hub.lock`: a read transaction holds a
// SHARED fcntl lock, BEGIN EXCLUSIVE (in the default rollback journal mode) an EXCLUSIVE one, and the kernel
// drops either when the process ends in any way, kill -9 included, so nothing on disk outlives a crash.
// Neither side waits: each refuses at once (exit 2), naming the other where it can.
import { join } from 'node:path';

import { ConfigError } from '../../core/errors.js';
import { newSqlite, type SqliteDatabase } from './sqlite.js';
import { describeHolder } from './home-lock.js';

/** The lock's file: an empty SQLite database, only ever locked, never written. */
export const ERASURE_LOCK_FILE = 'erasure.lock';

export interface HeldLock {
  release(): void;
}

function open(home: string): SqliteDatabase {
  return newSqlite(join(home, ERASURE_LOCK_FILE), { timeout: 0 });
}

function busy(err: unknown): boolean {
  return (err as { code?: string }).code === 'SQLITE_BUSY';
}

function held(db: SqliteDatabase): HeldLock {
  let on = true;
  return {
    release() {
      if (!on) return;
      on = false;
      db.exec('ROLLBACK');
      db.close();
    },
  };
}

/**
 * For `puddle erase --confirm`, once it holds the hub's lock (whose holder file then names it to the others):
 * refused while a replay, compaction or quarantine retry runs on the home.
 */
export function lockLakeForErasure(home: string): HeldLock {
  const db = open(home);
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if (!busy(err)) throw err;
    throw new ConfigError(
      `${home} (PUDDLE_HOME): a puddle replay, compact or quarantine retry is writing this home's lake; an erasure beside it could have the person written back. Nothing was changed: run the erasure again once it has finished`,
    );
  }
  return held(db);
}

/**
 * For a command that writes the lake (or republishes what it reads from it) and may run beside a hub: refused
 * while a confirmed erasure runs. `command` is how the refusal names it (`puddle replay`).
 */
export function lockLakeForWriter(home: string, command: string): HeldLock {
  const db = open(home);
  try {
    db.exec('BEGIN');
    // A read takes SQLite's SHARED lock, held until the transaction ends.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    db.close();
    if (!busy(err)) throw err;
    throw new ConfigError(
      `${home} (PUDDLE_HOME) is being erased by ${describeHolder(home)}: ${command} now could write the person's values back after the erasure. Nothing was changed: run it again once the erasure has finished`,
    );
  }
  return held(db);
}
