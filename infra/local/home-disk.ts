// Whether the disk of PUDDLE_HOME is full or cannot be written: what an error that does not say so itself (SQLite's
// "disk I/O error" when it cannot grow a WAL index on a full disk, "unable to open database file" on a read-only
// one) comes down to. Until 2026-12-06 the CLI met these with a stack trace, and the catalog's error sent a full
// disk's operator to check the mount flags (a user test: the on-call engineer on a full tmpfs).
import { accessSync, constants, statfsSync } from 'node:fs';
import { failureReason, type FailureReason } from '../../core/repeated-failure.js';

/** Less free space than this is full for the home: SQLite cannot grow a WAL index or write a lock file in it. */
const FULL_BELOW_BYTES = 1024 * 1024;

/** 'disk_full' or 'not_writable' when the home's disk is so, else null (or when it cannot be looked at). */
export function homeDiskReason(home: string): Exclude<FailureReason, 'failed' | 'home_gone'> | null {
  try {
    const fs = statfsSync(home);
    if (fs.bavail * fs.bsize < FULL_BELOW_BYTES) return 'disk_full';
  } catch {
    return null;
  }
  try {
    accessSync(home, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EROFS' || code === 'EACCES' || code === 'EPERM' ? 'not_writable' : null;
  }
  return null;
}

/**
 * Whether the home is on a disk mounted read-only (EROFS): nothing can write it, a hub included, so its files can be
 * copied as they lie (`puddle backup`, where SQLite cannot open a database whose WAL index it may not write).
 */
export function onReadOnlyDisk(home: string): boolean {
  try {
    accessSync(home, constants.W_OK);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EROFS';
  }
}

/** Whether an error came from SQLite or the file system (it has such a code), so the home's disk may explain it. */
function isStorageError(err: unknown): boolean {
  for (let e = err, depth = 0; e !== null && e !== undefined && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^(SQLITE_|E[A-Z]+$)/.test(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * What a command says when it stopped on the home's disk, in one line with what to do, or null for any other error.
 * The error's own words are not shown (they may name a record's path); its code is.
 */
export function homeDiskMessage(err: unknown, home: string): string | null {
  if (!isStorageError(err)) return null;
  const said = failureReason(err);
  const reason = said === 'disk_full' || said === 'not_writable' ? said : homeDiskReason(home);
  if (!reason) return null;
  const code = (err as { code?: unknown }).code;
  const why = typeof code === 'string' ? ` (${code})` : '';
  if (reason === 'disk_full') {
    return `the disk of PUDDLE_HOME (${home}) is full${why}: free some space on it (a few MB lets every command and the hub run again; what is queued and landed stays as it is), then run this again`;
  }
  return (
    `PUDDLE_HOME (${home}) cannot be written${why}: its disk is read-only, or this user may not write it. Remount it writable or fix ` +
    'the permissions, then run this again; to take a copy off it first, puddle backup --to a folder on another disk reads it as it is'
  );
}
