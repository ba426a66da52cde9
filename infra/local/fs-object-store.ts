// ObjectStore on a local folder: the embedded lake. Keys map 1:1 to relative file paths so DuckDB can read
// the same files in place (localRoot) with hive-partition globs.
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, readdir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

import { FatalError } from '../../core/errors.js';
import type { ObjectInfo, ObjectStore } from '../../core/ports.js';

/** Temp files are hidden dot-files with this marker; list() skips them and keys may not use it. */
const TEMP_MARKER = '.puddle-tmp-';

/** How often put retries when a concurrent delete pruned the directory under it. */
const DIR_RACE_RETRIES = 10;

export interface FsObjectStoreOptions {
  /** fsync each object before it becomes visible, so a power cut cannot leave a renamed but empty file. */
  fsync?: boolean;
}

export class FsObjectStore implements ObjectStore {
  readonly localRoot: string;
  readonly #fsync: boolean;

  constructor(root: string, opts: FsObjectStoreOptions = {}) {
    this.localRoot = path.resolve(root);
    this.#fsync = opts.fsync ?? true;
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    const file = this.#pathOf(key);
    const temp = await this.#writeTemp(file, body);
    try {
      // rename() within one directory is atomic: readers see the old object or the new one, never half.
      await rename(temp, file);
    } catch (err) {
      await unlinkQuietly(temp);
      throw err;
    }
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    const file = this.#pathOf(key);
    const temp = await this.#writeTemp(file, body);
    try {
      // link() refuses an existing name (EEXIST) atomically, unlike rename() which would overwrite,
      // so of many concurrent callers exactly one wins and the object is always complete.
      await link(temp, file);
      return true;
    } catch (err) {
      if (errCode(err) === 'EEXIST') return false;
      throw err;
    } finally {
      await unlinkQuietly(temp);
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    const file = this.#pathOf(key);
    try {
      const buf = await readFile(file);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (err) {
      // A directory or a path through a file is "no such object", as in S3.
      if (isAbsent(err) || errCode(err) === 'EISDIR') return null;
      throw err;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const { dirParts, namePrefix } = this.#splitPrefix(prefix);
    const startDir = path.join(this.localRoot, ...dirParts);
    const keyBase = dirParts.length > 0 ? dirParts.join('/') + '/' : '';
    const out: ObjectInfo[] = [];
    await this.#walk(startDir, keyBase, namePrefix, out);
    out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out;
  }

  async delete(key: string): Promise<void> {
    const file = this.#pathOf(key);
    try {
      await unlink(file);
    } catch (err) {
      if (isAbsent(err) || errCode(err) === 'EISDIR') return;
      throw err;
    }
    await this.#pruneEmptyDirs(path.dirname(file));
  }

  // ------------------------------------------------------------------ internals

  /** Resolve a key to its file path, refusing anything that could land outside the root. */
  #pathOf(key: string): string {
    const parts = validKeyParts(key, 'key');
    if (parts.length === 0) throw new FatalError('Object key must not be empty');
    return path.join(this.localRoot, ...parts);
  }

  #splitPrefix(prefix: string): { dirParts: string[]; namePrefix: string } {
    if (prefix === '') return { dirParts: [], namePrefix: '' };
    const slash = prefix.lastIndexOf('/');
    const dirParts = slash < 0 ? [] : validKeyParts(prefix.slice(0, slash), 'prefix');
    const namePrefix = prefix.slice(slash + 1);
    if (namePrefix === '..' || namePrefix.includes('\0')) throw new FatalError('Object prefix escapes the store root');
    return { dirParts, namePrefix };
  }

  /** Walk only the subtree the prefix can match: at the start dir filter by name, below it take everything. */
  async #walk(dir: string, keyBase: string, namePrefix: string, out: ObjectInfo[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      // A prefix whose directory does not exist (or was pruned mid-walk) simply matches nothing.
      if (isAbsent(err)) return;
      throw err;
    }
    for (const entry of entries) {
      if (!entry.name.startsWith(namePrefix)) continue;
      if (entry.name.startsWith(TEMP_MARKER)) continue;
      const full = path.join(dir, entry.name);
      const key = keyBase + entry.name;
      if (entry.isDirectory()) {
        await this.#walk(full, key + '/', '', out);
      } else if (entry.isFile()) {
        try {
          const st = await stat(full);
          out.push({ key, size: st.size, lastModified: st.mtime });
        } catch (err) {
          if (isAbsent(err)) continue; // deleted between readdir and stat
          throw err;
        }
      }
    }
  }

  async #writeTemp(file: string, body: Uint8Array | string): Promise<string> {
    const dir = path.dirname(file);
    const temp = path.join(dir, `${TEMP_MARKER}${randomBytes(8).toString('hex')}`);
    for (let attempt = 0; ; attempt++) {
      try {
        await mkdir(dir, { recursive: true });
        const handle = await open(temp, 'wx');
        try {
          await handle.writeFile(body);
          if (this.#fsync) await handle.sync();
        } finally {
          await handle.close();
        }
        return temp;
      } catch (err) {
        // A concurrent delete() may prune a folder while mkdir builds the path, or between mkdir and
        // open: build it again.
        if (errCode(err) === 'ENOENT' && attempt < DIR_RACE_RETRIES) continue;
        await unlinkQuietly(temp);
        throw err;
      }
    }
  }

  /** Remove now-empty parents up to (not including) the root; a concurrent put simply makes rmdir fail. */
  async #pruneEmptyDirs(dir: string): Promise<void> {
    let current = dir;
    while (current !== this.localRoot && current.startsWith(this.localRoot + path.sep)) {
      try {
        await rmdir(current);
      } catch (err) {
        const code = errCode(err);
        if (code === 'ENOENT') {
          // Someone else removed it: carry on upwards.
        } else if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EBUSY' || code === 'EPERM') {
          return;
        } else {
          throw err;
        }
      }
      current = path.dirname(current);
    }
  }
}

/** Split a '/'-separated key and refuse segments that escape the root or collide with temp files. */
function validKeyParts(key: string, what: 'key' | 'prefix'): string[] {
  if (key.includes('\0')) throw new FatalError(`Object ${what} must not contain NUL`);
  if (key.startsWith('/') || path.isAbsolute(key)) throw new FatalError(`Object ${what} must be relative, not absolute`);
  if (key === '') return [];
  const parts = key.split('/');
  for (const part of parts) {
    if (part === '' || part === '.') throw new FatalError(`Object ${what} has an empty or '.' path segment`);
    if (part === '..') throw new FatalError(`Object ${what} escapes the store root ('..' segment)`);
    if (part.includes('\\')) throw new FatalError(`Object ${what} must use '/' separators, not '\\'`);
    if (part.startsWith(TEMP_MARKER)) throw new FatalError(`Object ${what} uses the reserved temp-file marker`);
  }
  return parts;
}

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

function isAbsent(err: unknown): boolean {
  const code = errCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function unlinkQuietly(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch {
    // Best effort: a leftover temp file is harmless, list() never shows it.
  }
}
