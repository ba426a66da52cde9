// Giving back the disk a drained backlog left in queue.db. SQLite keeps a file at its largest: the pages a night's
// backlog used go to its free list when they are acked, and are reused, but the file never shrinks (no
// auto_vacuum). After a burst of 200,000 events landed, queue.db stayed 112 MB with 96% of its pages free, across
// restarts, until someone vacuumed it by hand. `puddle start` now does it before anything else opens the queue.
import { log } from '../../core/log.js';
import { openSqlite, truncateWal, type SqliteDatabase } from './sqlite.js';

export interface QueueSpace {
  /** The file's size (pages × page size) before and after, and how much of it was free before. */
  bytesBefore: number;
  bytesAfter: number;
  freeBefore: number;
  /** Whether it was rewritten (VACUUM). */
  vacuumed: boolean;
  ms: number;
}

/**
 * queue_meta's mark that every delete this file has seen overwrote what it deleted (secure_delete, on since
 * 2026-12-03): a queue made before then may keep landed events' bodies on its free pages until it is rewritten once.
 */
const ZEROED_DELETES = 'zeroed_deletes';

/** The queue's own settings and marks (sqlite-queue.ts makes it with the rest of its schema). */
export const QUEUE_META_DDL = `CREATE TABLE IF NOT EXISTS queue_meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);`;

export function markZeroedDeletes(db: SqliteDatabase): void {
  db.exec(QUEUE_META_DDL);
  db.prepare(`INSERT OR IGNORE INTO queue_meta (k, v) VALUES (?, 1)`).run(ZEROED_DELETES);
}

function zeroedDeletes(db: SqliteDatabase): boolean {
  const meta = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'queue_meta'`).get() !== undefined;
  return meta && db.prepare(`SELECT 1 FROM queue_meta WHERE k = ?`).get(ZEROED_DELETES) !== undefined;
}

/** Free space at or above which a start rewrites the queue, when it is also at least half the file. */
export const RECLAIM_MIN_FREE_BYTES = 16 * 1024 * 1024;

/**
 * Rewrite queue.db without its free pages when they are at least half the file and `minFreeBytes` (16 MiB).
 * The cost is a copy of what still waits, which is then at most the size of what is given back; on a queue
 * that is mostly waiting work nothing happens (the free pages will be used again). Run with the home's lock
 * held and before the hub opens the queue: VACUUM needs no one else writing.
 */
export function reclaimQueueSpace(file: string, opts: { minFreeBytes?: number } = {}): QueueSpace {
  const started = Date.now();
  const db = openSqlite(file);
  try {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const pages = db.pragma('page_count', { simple: true }) as number;
    const free = db.pragma('freelist_count', { simple: true }) as number;
    const bytesBefore = pages * pageSize;
    const freeBefore = free * pageSize;
    const large = freeBefore >= (opts.minFreeBytes ?? RECLAIM_MIN_FREE_BYTES) && free * 2 >= pages;
    // A queue from before secure_delete is rewritten once, whatever its free space, so that no landed event's
    // bytes stay behind (they were readable with `strings queue.db`, and copied into every backup): on its free
    // pages, and in the unused space of pages still in use, where a deleted row's bytes stay too.
    const older = !zeroedDeletes(db);
    const vacuumed = large || older;
    if (vacuumed) {
      try {
        db.exec('VACUUM');
        // VACUUM wrote the new file through the WAL: copy it in and cut the WAL back to nothing (the old file's pages,
        // landed events' bytes among them, are in it until then).
        if (!truncateWal(db)) log.warn('queue.db-wal keeps the rewrite until a later checkpoint: another process was checkpointing queue.db', { file });
      } catch (err) {
        // It needs room for a copy of what waits; without it (a full disk) the queue stays as it was and the
        // hub starts all the same: its free pages are still reused.
        log.warn('queue.db keeps its free space: it could not be rewritten', { file, error: err });
        return { bytesBefore, bytesAfter: bytesBefore, freeBefore, vacuumed: false, ms: Date.now() - started };
      }
    }
    if (older) markZeroedDeletes(db);
    const bytesAfter = (db.pragma('page_count', { simple: true }) as number) * pageSize;
    const result = { bytesBefore, bytesAfter, freeBefore, vacuumed, ms: Date.now() - started };
    if (large) log.info('queue.db gave back the free space a drained backlog left', { file, mb_before: mb(bytesBefore), mb_after: mb(bytesAfter), ms: result.ms });
    else if (vacuumed) log.info("queue.db rewritten once, so that no landed event's bytes stay in it", { file, mb_before: mb(bytesBefore), mb_after: mb(bytesAfter), ms: result.ms });
    return result;
  } finally {
    db.close();
  }
}

function mb(bytes: number): number {
  return Math.round(bytes / 1e5) / 10;
}
