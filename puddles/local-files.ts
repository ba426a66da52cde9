// DuckDB reads local paths only (no httpfs here): use the store's folder when it has one, else copy first.
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { ObjectStore } from '../core/ports.js';

/** Call `fn` with a local path per key (same order); copies are removed afterwards. */
export async function withLocalFiles<T>(
  store: ObjectStore,
  keys: readonly string[],
  fn: (paths: string[]) => Promise<T>,
): Promise<T> {
  if (store.localRoot) return fn(keys.map((k) => path.join(store.localRoot!, ...k.split('/'))));
  const dir = path.join(tmpdir(), `puddle-read-${randomBytes(8).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  try {
    const paths: string[] = [];
    for (const [i, key] of keys.entries()) {
      const body = await store.get(key);
      if (!body) throw new Error(`object missing from the store: ${key}`);
      const file = path.join(dir, `${i}.parquet`);
      await writeFile(file, body);
      paths.push(file);
    }
    return await fn(paths);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
