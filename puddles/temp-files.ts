// Where the Parquet writer puts its passing files (a CSV it hands DuckDB, a Parquet file DuckDB writes before it is
// read back): one private folder per process, made by mkdtemp (a name no other process or user has, mode 0700),
// with a subfolder per thread, and removed with everything in it when the process exits.
//
// Until 2026-12-07 each thread made `puddle-parquet-<pid>-<thread>` (mode 0755) and removed it on its own 'exit',
// which a landing thread's end never fired: every hub stop left a folder (7,943 on the test machine), readable by
// every user, and a later process given the same pid as another user's leftover could not write into it (a user
// test of the going-live guide). The threads now write under the process's folder, which the main thread removes;
// a hub's start also removes the folders of processes that are gone (sweepTempFolders).
//
// DuckDB's spill folders (duckdb.ts) and the copies of lake files read from S3 (local-files.ts) are made here too,
// named `puddle-duckdb-<pid>-` and `puddle-read-<pid>-`, so that the same sweep finds what a killed process left of
// them. Until 2026-12-07 neither name carried a pid and nothing removed them after a kill; nor did anything on
// Lambda, where no exit hook runs, a timed-out runtime restarts in the same environment keeping /tmp, and the new
// process may be given the same pid: the DuckDB-using functions now sweep at their cold start as the hub does.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isMainThread, threadId } from 'node:worker_threads';

import { ConfigError } from '../core/errors.js';
import { log } from '../core/log.js';
import { processExists } from '../core/process-exists.js';

/** What a temporary folder holds: the writer's passing files, one DuckDB instance's spills, copies of lake files. */
export type TempFolderKind = 'parquet' | 'duckdb' | 'read';
/** A folder of any kind, and the pid of the process that made it. */
const TEMP_FOLDER = /^puddle-(?:parquet|duckdb|read)-(\d+)-/;
/** Names the process's folder for the worker threads started after it was made (a worker's env is a copy taken then). */
const ENV = 'PUDDLE_PARQUET_TMP';

let threadDir: string | null = null;

/**
 * A new folder `puddle-<kind>-<pid>-XXXXXX` under the system's tmp: mkdtemp's name, which no other process or user
 * can make first, mode 0700. The pid lets sweepTempFolders tell whose it is; the caller removes it (or at its exit).
 */
export function makeTempFolder(kind: TempFolderKind): string {
  try {
    return mkdtempSync(path.join(tmpdir(), `puddle-${kind}-${process.pid}-`));
  } catch (err) {
    // A setting to fix, said as one: node's own message named only mkdtemp's pattern (a review, 2026-12-07: TMPDIR=/nonexistent).
    const why = UNUSABLE[(err as NodeJS.ErrnoException).code ?? ''];
    if (!why) throw err;
    throw new ConfigError(
      `the temporary folder ${tmpdir()} (TMPDIR, else /tmp) ${why}: Puddle writes passing files there (Parquet being written, DuckDB's spills). Set TMPDIR to a folder this user may write`,
      { cause: err },
    );
  }
}

/** mkdtemp's failures that say the temporary folder cannot be used at all. */
const UNUSABLE: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist',
  ENOTDIR: 'is not a folder',
  EACCES: 'may not be written by this user',
  EPERM: 'may not be written by this user',
  EROFS: 'is on a read-only disk',
};

/**
 * The process's folder: made at the first call (the hub makes it before it starts its landing threads) and named in
 * the environment with the pid it belongs to, so a child process that inherits the variable makes its own.
 */
export function processTempFolder(): string {
  const named = process.env[ENV];
  const [pid, folder] = named ? [named.slice(0, named.indexOf(':')), named.slice(named.indexOf(':') + 1)] : [];
  if (folder && pid === String(process.pid)) return folder;
  const made = makeTempFolder('parquet');
  process.env[ENV] = `${process.pid}:${made}`;
  // A worker that had to make one (started before the main thread's) removes its own when it ends, if it ends well.
  process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  return made;
}

/** A path for a passing file in this thread's folder; the caller unlinks it. */
export function tempPath(ext: string): string {
  if (!threadDir) {
    threadDir = path.join(processTempFolder(), isMainThread ? 'main' : `thread-${threadId}`);
    mkdirSync(threadDir, { recursive: true, mode: 0o700 });
  }
  return path.join(threadDir, `${randomBytes(8).toString('hex')}.${ext}`);
}

/**
 * Removes this user's `puddle-parquet-`, `puddle-duckdb-` and `puddle-read-<pid>-...` folders that no running process
 * owns; returns how many. Those of a process that is gone (killed, or left by a version before 2026-12-07) are; and
 * those bearing this process's own pid that it did not make: left by an earlier process given the same pid, as a
 * Lambda runtime restarted after a timeout may be. A folder with this pid changed since this process started is its
 * own (any thread's: every folder it made is), so call it at a process's start, before another thread runs.
 * Another user's, and a running process's, are left alone.
 * What it removed is logged.
 */
export function sweepTempFolders(): number {
  let removed = 0;
  const uid = process.getuid?.();
  const startedAt = Date.now() - process.uptime() * 1000;
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return 0;
  }
  for (const name of names) {
    const pid = Number(TEMP_FOLDER.exec(name)?.[1]);
    if (!Number.isSafeInteger(pid)) continue;
    const folder = path.join(tmpdir(), name);
    if (pid !== process.pid && processExists(pid)) continue;
    try {
      const stat = statSync(folder);
      if (uid !== undefined && stat.uid !== uid) continue;
      if (pid === process.pid && stat.mtimeMs >= startedAt) continue;
      rmSync(folder, { recursive: true, force: true });
      removed++;
    } catch {
      // Gone meanwhile, or not ours to remove: left.
    }
  }
  if (removed) log.info('removed temporary folders that ended processes left', { folders: removed });
  return removed;
}
