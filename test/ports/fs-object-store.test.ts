import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { FatalError } from '../../core/errors.js';
import { FsObjectStore } from '../../infra/local/fs-object-store.js';
import { objectStoreSuite } from './object-store-suite.js';

async function tempRoot(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'puddle-fs-store-'));
}

objectStoreSuite('FsObjectStore', async () => {
  const root = await tempRoot();
  return { store: new FsObjectStore(root), cleanup: () => rm(root, { recursive: true, force: true }) };
});

describe('FsObjectStore specifics', () => {
  let root: string;
  let store: FsObjectStore;

  beforeEach(async () => {
    root = await tempRoot();
    store = new FsObjectStore(path.join(root, 'lake-root'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('exposes the absolute root as localRoot and writes keys as plain files under it', async () => {
    expect(store.localRoot).toBe(path.join(root, 'lake-root'));
    await store.put('lake/x/dt=2026-11-29/a.parquet', 'PAR1');
    expect((await stat(path.join(store.localRoot, 'lake', 'x', 'dt=2026-11-29', 'a.parquet'))).size).toBe(4);
  });

  it.each(['../outside.txt', 'a/../../outside.txt', '/etc/passwd', 'a//b.txt', './a.txt', 'a/./b', '', 'dir/', 'a\\..\\b'])(
    'rejects the unsafe key %j on every operation',
    async (key) => {
      await expect(store.put(key, 'x')).rejects.toBeInstanceOf(FatalError);
      await expect(store.putIfAbsent(key, 'x')).rejects.toBeInstanceOf(FatalError);
      await expect(store.get(key)).rejects.toBeInstanceOf(FatalError);
      await expect(store.delete(key)).rejects.toBeInstanceOf(FatalError);
      // Nothing escaped: the parent of the root holds only the root (if it was created at all).
      expect((await readdir(root)).filter((n) => n !== 'lake-root')).toEqual([]);
    },
  );

  it('rejects prefixes that escape the root', async () => {
    await expect(store.list('../')).rejects.toThrow(/escapes the store root/);
    await expect(store.list('a/../..')).rejects.toThrow(/escapes the store root/);
    await expect(store.list('/etc/')).rejects.toThrow(/relative/);
  });

  it('does not list a leftover temp file from a crashed write, nor let a key collide with one', async () => {
    await store.put('p/dt=2026-11-29/real.parquet', 'ok');
    // What a crash between write and rename leaves behind.
    await writeFile(path.join(store.localRoot, 'p', 'dt=2026-11-29', '.puddle-tmp-0123456789abcdef'), 'half');
    expect((await store.list('p/')).map((o) => o.key)).toEqual(['p/dt=2026-11-29/real.parquet']);
    expect((await store.list('')).map((o) => o.key)).toEqual(['p/dt=2026-11-29/real.parquet']);
    await expect(store.put('p/.puddle-tmp-x', 'no')).rejects.toBeInstanceOf(FatalError);
  });

  it('leaves no temp files behind after put, putIfAbsent won and lost', async () => {
    await store.put('t/a.txt', 'a');
    expect(await store.putIfAbsent('t/b.txt', 'b')).toBe(true);
    expect(await store.putIfAbsent('t/b.txt', 'c')).toBe(false);
    expect((await readdir(path.join(store.localRoot, 't'))).sort()).toEqual(['a.txt', 'b.txt']);
  });

  it('delete prunes now-empty folders up to the root but keeps the root and non-empty folders', async () => {
    await store.put('lake/x/dt=2026-11-29/a.parquet', 'a');
    await store.put('lake/x/dt=2026-11-30/b.parquet', 'b');
    await store.delete('lake/x/dt=2026-11-29/a.parquet');
    expect(await readdir(path.join(store.localRoot, 'lake', 'x'))).toEqual(['dt=2026-11-30']);
    await store.delete('lake/x/dt=2026-11-30/b.parquet');
    expect(await readdir(store.localRoot)).toEqual([]);
  });

  it('concurrent puts and deletes in one folder never lose a put to directory pruning', async () => {
    // Each folder keeps emptying (delete prunes it) while other puts target it: a put must recreate it.
    const rounds = 60;
    await Promise.all(
      Array.from({ length: rounds }, async (_, i) => {
        const dir = `churn/dt=2026-11-${10 + (i % 3)}`;
        await store.put(`${dir}/drop-${i}.txt`, `d${i}`);
        await store.delete(`${dir}/drop-${i}.txt`);
        await store.put(`${dir}/keep-${i}.txt`, `k${i}`);
        await store.delete(`${dir}/keep-${i}.txt`);
        expect(await store.putIfAbsent(`${dir}/keep-${i}.txt`, `k${i}`)).toBe(true);
      }),
    );
    const keys = (await store.list('churn/')).map((o) => o.key);
    expect(keys).toHaveLength(rounds);
    expect(keys.every((k) => k.includes('/keep-'))).toBe(true);
  });

  it('treats a folder as no object for get and delete', async () => {
    await store.put('folder/inner.txt', 'x');
    expect(await store.get('folder')).toBeNull();
    await expect(store.delete('folder')).resolves.toBeUndefined();
    expect(await store.get('folder/inner.txt')).not.toBeNull();
  });
});
