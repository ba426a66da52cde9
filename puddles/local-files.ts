// DuckDB reads local paths only (no httpfs here): use the store's folder when it has one, else copy first.
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { ObjectStore } from '../core/ports.js';
import { lakeFileError, recogniseLakeFileError } from './lake-file-error.js';
import { makeTempFolder } from './temp-files.js';

/** Call `fn` with a local path per key (same order); copies are removed afterwards. */
export async function withLocalFiles<T>(
  store: ObjectStore,
  keys: readonly string[],
  fn: (paths: string[]) => Promise<T>,
): Promise<T> {
  // DuckDB's words for a damaged file name its path on this machine and quote the SQL: say which lake file
  // instead, and what to do (puddles/lake-file-error.ts), as queries do.
  const root = store.localRoot;
  if (root) return fn(keys.map((k) => path.join(root, ...k.split('/')))).catch((err: unknown) => Promise.reject(recogniseLakeFileError(err, root) ?? err));
  // A folder of this process's own (temp-files.ts), for the sweep to find if the process is killed meanwhile.
  const dir = makeTempFolder('read');
  try {
    const paths: string[] = [];
    for (const [i, key] of keys.entries()) {
      const body = await store.get(key);
      if (!body) throw lakeFileError(key);
      const file = path.join(dir, `${i}.parquet`);
      await writeFile(file, body);
      paths.push(file);
    }
    return await fn(paths).catch((err: unknown) => {
      // The copies are named by their place in `keys`.
      const copy = recogniseLakeFileError(err, dir)?.key;
      throw copy === undefined ? err : lakeFileError(keys[Number(copy.replace(/\.parquet$/, ''))] ?? copy, err);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
