// Where the Parquet writer puts its passing files (a CSV it hands DuckDB, a Parquet file DuckDB writes before it is
// read back): one private folder per process, made by mkdtemp (a name no other process or user has, mode 0700),
// with a subfolder per thread, and removed with everything in it when the process exits.
//
// Until 2026-12-07 each thread made `puddle-parquet-<pid>-<thread>` (mode 0755) and removed it on its own 'exit',
// which a landing thread's end never fired: every hub stop left a folder (7,943 on the test machine), readable by
// every user, and a later process given the same pid as another user's leftover could not write into it (a user
// test of the going-live guide). The threads now write under the process's folder, which the main thread removes;
// a hub's start also removes the folders of processes that are gone (sweepTempFolders).
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isMainThread, threadId } from 'node:worker_threads';

import { processExists } from '../core/process-exists.js';

const PREFIX = 'puddle-parquet-';
/** Names the process's folder for the worker threads started after it was made (a worker's env is a copy taken then). */
const ENV = 'PUDDLE_PARQUET_TMP';

let threadDir: string | null = null;

/**
 * The process's folder: made at the first call (the hub makes it before it starts its landing threads) and named in
 * the environment with the pid it belongs to, so a child process that inherits the variable makes its own.
 */
export function processTempFolder(): string {
  const named = process.env[ENV];
  const [pid, folder] = named ? [named.slice(0, named.indexOf(':')), named.slice(named.indexOf(':') + 1)] : [];
  if (folder && pid === String(process.pid)) return folder;
  const made = mkdtempSync(path.join(tmpdir(), `${PREFIX}${process.pid}-`));
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
 * Removes this user's `puddle-parquet-<pid>-...` folders whose process is gone (killed, or left by a version before
 * 2026-12-07); returns how many. Another user's, and a running process's, are left alone.
 */
export function sweepTempFolders(): number {
  let removed = 0;
  const uid = process.getuid?.();
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return 0;
  }
  for (const name of names) {
    const pid = Number(/^puddle-parquet-(\d+)-/.exec(name)?.[1]);
    if (!Number.isSafeInteger(pid) || pid === process.pid || processExists(pid)) continue;
    const folder = path.join(tmpdir(), name);
    try {
      if (uid !== undefined && statSync(folder).uid !== uid) continue;
      rmSync(folder, { recursive: true, force: true });
      removed++;
    } catch {
      // Gone meanwhile, or not ours to remove: left.
    }
  }
  return removed;
}
