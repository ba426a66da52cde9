// The one place DuckDB's errors about a lake file are recognised. A damaged file (a Parquet cut to 100 bytes)
// failed a query with DuckDB's own words, "No magic bytes found at end of file '/srv/puddle/lake/...'" and a
// fragment of the generated SQL, and the read API with a bare 500; a deleted one with "No files found that
// match the pattern". Both become a LakeFileError naming the file by its key and saying what to do.
import path from 'node:path';

import { LakeFileError } from '../core/errors.js';
import { isRawTable } from './layout.js';

/**
 * DuckDB's error types for a file it could not open or read, then the file in quotes. Only a path under the
 * lake's folder counts: a user's own read_parquet('elsewhere.parquet') keeps DuckDB's message.
 */
const FILE_ERROR = /^(?:IO|Invalid Input) Error: [^\n]*?['"]([^'"\n]+\.parquet)['"]/;

/** EMFILE and ENFILE in the words DuckDB (strerror) and node give them. */
const OUT_OF_DESCRIPTORS = /too many open files|EMFILE|ENFILE/i;

/** Says what happened to `key` and what to do about it. */
export function lakeFileError(key: string, cause?: unknown): LakeFileError {
  const [, puddle = '', contract = '', version = ''] = key.split('/');
  const table = { puddle, contract, version: Number(version.replace(/^v/, '')) };
  // Raw is the trail everything else is re-derived from: nothing in the lake can make it again.
  const todo = isRawTable(table)
    ? 'raw is the trail replays read, so restore this file from a backup'
    : `re-derive it from raw with puddle replay --contract ${contract}, which replaces it (or restore it from a backup)`;
  return new LakeFileError(key, `lake file ${key} is listed in the catalog but is missing or damaged: ${todo}`, { cause });
}

/**
 * A LakeFileError for a DuckDB error about a file under `root` (the folder lake keys are relative to), else
 * undefined. `root` as the store's localRoot or a cache folder holding copies under the same keys.
 */
export function recogniseLakeFileError(err: unknown, root: string): LakeFileError | undefined {
  if (err instanceof LakeFileError) return err;
  if (!(err instanceof Error)) return undefined;
  const file = FILE_ERROR.exec(err.message)?.[1];
  // The process was out of file descriptors (a flood of connections): the file is fine, and a replay would fix
  // nothing. Until 2026-12-06 maintenance called it damaged and said to re-derive it (a security review).
  if (!file || OUT_OF_DESCRIPTORS.test(err.message)) return undefined;
  const rel = path.relative(root, file);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return lakeFileError(rel.split(path.sep).join('/'), err);
}

/**
 * Run one piece of the lake's maintenance (a partition's merge, a contract's fold). With `unreadable`, a
 * damaged or missing input file is collected there and the piece skipped (undefined), so one bad file stops
 * only its own partition or contract: until 2026-12-02 it failed the whole run, every 30 s all night, and
 * nothing else was compacted, folded or deleted. Without it, the error goes on as before.
 */
export async function skipUnreadable<T>(work: () => Promise<T>, unreadable: LakeFileError[] | undefined): Promise<T | undefined> {
  try {
    return await work();
  } catch (err) {
    if (!unreadable || !(err instanceof LakeFileError)) throw err;
    if (!unreadable.some((e) => e.key === err.key)) unreadable.push(err);
    return undefined;
  }
}
