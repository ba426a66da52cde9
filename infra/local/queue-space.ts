// Giving back the disk a drained backlog left in queue.db. SQLite keeps a file at its largest: the pages a night's
// backlog used go to its free list when they are acked, and are reused, but the file never shrinks (no
// auto_vacuum). After a burst of 200,000 events landed, queue.db stayed 112 MB with 96% of its pages free, across
// restarts, until someone vacuumed it by hand. `puddle start` now does it before anything else opens the queue.
import { log } from '../../core/log.js';
import { openSqlite } from './sqlite.js';

export interface QueueSpace {
  /** The file's size (pages × page size) before and after, and how much of it was free before. */
  bytesBefore: number;
  bytesAfter: number;
  freeBefore: number;
  /** Whether it was rewritten (VACUUM). */
  vacuumed: boolean;
  ms: number;
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
    const vacuumed = freeBefore >= (opts.minFreeBytes ?? RECLAIM_MIN_FREE_BYTES) && free * 2 >= pages;
    if (vacuumed) {
      try {
        db.exec('VACUUM');
        // VACUUM wrote the new file through the WAL: copy it in and cut the WAL back to nothing.
        db.pragma('wal_checkpoint(TRUNCATE)');
      } catch (err) {
        // It needs room for a copy of what waits; without it (a full disk) the queue stays as it was and the
        // hub starts all the same: its free pages are still reused.
        log.warn('queue.db keeps its free space: it could not be rewritten', { file, error: err });
        return { bytesBefore, bytesAfter: bytesBefore, freeBefore, vacuumed: false, ms: Date.now() - started };
      }
    }
    const bytesAfter = (db.pragma('page_count', { simple: true }) as number) * pageSize;
    const result = { bytesBefore, bytesAfter, freeBefore, vacuumed, ms: Date.now() - started };
    if (vacuumed) log.info('queue.db gave back the free space a drained backlog left', { file, mb_before: mb(bytesBefore), mb_after: mb(bytesAfter), ms: result.ms });
    return result;
  } finally {
    db.close();
  }
}

function mb(bytes: number): number {
  return Math.round(bytes / 1e5) / 10;
}
