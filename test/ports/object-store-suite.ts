// One ObjectStore contract suite, run against every adapter (DESIGN.md rule 6).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { ObjectStore } from '../../core/ports.js';

export interface ObjectStoreSuiteOptions {
  /** The adapter guarantees exactly one winner among concurrent putIfAbsent calls. Default true. */
  atomicPutIfAbsent?: boolean;
}

const text = (bytes: Uint8Array | null): string | null => (bytes === null ? null : new TextDecoder().decode(bytes));

export function objectStoreSuite(
  name: string,
  make: () => Promise<{ store: ObjectStore; cleanup(): Promise<void> }>,
  opts: ObjectStoreSuiteOptions = {},
): void {
  const atomicPutIfAbsent = opts.atomicPutIfAbsent ?? true;

  describe(`ObjectStore port: ${name}`, () => {
    let store: ObjectStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      const made = await make();
      store = made.store;
      cleanup = () => made.cleanup();
    });

    afterEach(async () => {
      await cleanup();
    });

    it('round-trips binary bytes exactly, including zero bytes and every byte value', async () => {
      const body = new Uint8Array(256 * 4);
      for (let i = 0; i < body.length; i++) body[i] = i % 256;
      await store.put('bin/all-bytes.bin', body);
      const got = await store.get('bin/all-bytes.bin');
      expect(got).toBeInstanceOf(Uint8Array);
      expect(Array.from(got!)).toEqual(Array.from(body));
    });

    it('round-trips strings as UTF-8', async () => {
      await store.put('txt/hello.json', '{"name":"Zoë","amount":1250,"currency":"GBP","note":"£ €"}');
      expect(text(await store.get('txt/hello.json'))).toBe('{"name":"Zoë","amount":1250,"currency":"GBP","note":"£ €"}');
    });

    it('stores an empty object', async () => {
      await store.put('empty/zero.bin', new Uint8Array(0));
      const got = await store.get('empty/zero.bin');
      expect(got).not.toBeNull();
      expect(got!.byteLength).toBe(0);
      const [info] = await store.list('empty/');
      expect(info).toMatchObject({ key: 'empty/zero.bin', size: 0 });
    });

    it('overwrites an existing key', async () => {
      await store.put('over/a.txt', 'first version, longer than the second');
      await store.put('over/a.txt', 'second');
      expect(text(await store.get('over/a.txt'))).toBe('second');
      const listed = await store.list('over/');
      expect(listed.map((o) => [o.key, o.size])).toEqual([['over/a.txt', 6]]);
    });

    it('returns null for an absent key, also under an absent folder', async () => {
      expect(await store.get('nope.txt')).toBeNull();
      expect(await store.get('no/such/folder/file.txt')).toBeNull();
    });

    it('lists by prefix: sorted, only matching keys, nested keys, size and lastModified', async () => {
      const before = Date.now();
      const keys = ['b/2.txt', 'a/z.txt', 'a/b/c/deep.txt', 'a/a.txt', 'ab/x.txt', 'a.txt', 'c/ignored.txt'];
      for (const key of keys) await store.put(key, `body of ${key}`);

      const underA = await store.list('a/');
      expect(underA.map((o) => o.key)).toEqual(['a/a.txt', 'a/b/c/deep.txt', 'a/z.txt']);
      for (const o of underA) {
        expect(o.size).toBe(new TextEncoder().encode(`body of ${o.key}`).byteLength);
        expect(o.lastModified).toBeInstanceOf(Date);
        // Allow for second-granular server clocks (S3 Last-Modified has second precision).
        expect(o.lastModified.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
      }

      // A prefix that is not a folder boundary matches names that start with it.
      expect((await store.list('a')).map((o) => o.key)).toEqual(['a.txt', 'a/a.txt', 'a/b/c/deep.txt', 'a/z.txt', 'ab/x.txt']);
      expect((await store.list('a/b/c/d')).map((o) => o.key)).toEqual(['a/b/c/deep.txt']);
      expect((await store.list('a/b/')).map((o) => o.key)).toEqual(['a/b/c/deep.txt']);
      expect((await store.list('')).map((o) => o.key)).toEqual([...keys].sort());
    });

    it('lists nothing for a prefix with no match', async () => {
      await store.put('x/one.txt', '1');
      expect(await store.list('y/')).toEqual([]);
      expect(await store.list('x/two')).toEqual([]);
      expect(await store.list('no/such/deep/prefix/')).toEqual([]);
    });

    it('deletes a key, and deleting an absent key is fine', async () => {
      await store.put('del/a.txt', 'a');
      await store.put('del/b.txt', 'b');
      await store.delete('del/a.txt');
      expect(await store.get('del/a.txt')).toBeNull();
      expect(text(await store.get('del/b.txt'))).toBe('b');
      expect((await store.list('del/')).map((o) => o.key)).toEqual(['del/b.txt']);

      await expect(store.delete('del/a.txt')).resolves.toBeUndefined();
      await expect(store.delete('never/was/here.txt')).resolves.toBeUndefined();
    });

    it('can write a key again after deleting the last object in its folder', async () => {
      await store.put('gone/deep/only.txt', 'one');
      await store.delete('gone/deep/only.txt');
      expect(await store.list('gone/')).toEqual([]);
      await store.put('gone/deep/only.txt', 'two');
      expect(text(await store.get('gone/deep/only.txt'))).toBe('two');
    });

    it('putIfAbsent writes once and keeps the first body', async () => {
      expect(await store.putIfAbsent('once/marker.json', 'first')).toBe(true);
      expect(await store.putIfAbsent('once/marker.json', 'second')).toBe(false);
      expect(text(await store.get('once/marker.json'))).toBe('first');
      expect((await store.list('once/')).map((o) => o.key)).toEqual(['once/marker.json']);
    });

    it('putIfAbsent refuses a key that put already wrote', async () => {
      await store.put('once/put.bin', new Uint8Array([1, 2, 3]));
      expect(await store.putIfAbsent('once/put.bin', new Uint8Array([9]))).toBe(false);
      expect(Array.from((await store.get('once/put.bin'))!)).toEqual([1, 2, 3]);
    });

    it.skipIf(!atomicPutIfAbsent)('concurrent putIfAbsent on one key has exactly one winner, whose body stays', async () => {
      const contenders = 12;
      const results = await Promise.all(
        Array.from({ length: contenders }, (_, i) => store.putIfAbsent('race/lock.json', `contender-${i}`)),
      );
      const winners = results.flatMap((won, i) => (won ? [i] : []));
      expect(winners).toHaveLength(1);
      expect(text(await store.get('race/lock.json'))).toBe(`contender-${winners[0]}`);
      expect((await store.list('race/')).map((o) => o.key)).toEqual(['race/lock.json']);
    });

    it('handles hive-partition keys with "=" in them', async () => {
      const keys = [
        'lake/transactions/donation/v1/dt=2026-11-29/b-aaa.parquet',
        'lake/transactions/donation/v1/dt=2026-11-29/b-bbb.parquet',
        'lake/transactions/donation/v1/dt=2026-11-30/b-ccc.parquet',
        'lake/x/dt=2026-11-29/a.parquet',
      ];
      for (const key of keys) await store.put(key, new Uint8Array([0x50, 0x41, 0x52, 0x31]));
      expect(Array.from((await store.get(keys[3]!))!)).toEqual([0x50, 0x41, 0x52, 0x31]);
      expect((await store.list('lake/transactions/donation/v1/dt=2026-11-29/')).map((o) => o.key)).toEqual(keys.slice(0, 2));
      expect((await store.list('lake/transactions/donation/v1/dt=2026-11-3')).map((o) => o.key)).toEqual([keys[2]]);
      expect((await store.list('lake/')).map((o) => o.key)).toEqual(keys);
      await store.delete(keys[3]!);
      expect(await store.get(keys[3]!)).toBeNull();
    });
  });
}
