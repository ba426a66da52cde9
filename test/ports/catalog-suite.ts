// One Catalog contract suite, run against every adapter (DESIGN.md rule 6).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { Catalog, CatalogFile } from '../../core/ports.js';

export function file(key: string, over: Partial<CatalogFile> = {}): CatalogFile {
  return { puddle: 'transactions', contract: 'donation', version: 1, key, dt: '2026-11-29', rows: 10, bytes: 1000, added_at: '2026-11-29T20:00:00.000Z', ...over };
}

export interface CatalogSuiteOptions {
  /** The adapter keeps current-state files and fold marks (puddles/current-state.ts); default true. */
  currentState?: boolean;
}

export function catalogSuite(name: string, make: () => Promise<{ catalog: Catalog; cleanup(): Promise<void> }>, opts: CatalogSuiteOptions = {}): void {
  const currentState = opts.currentState ?? true;
  describe(`Catalog port: ${name}`, () => {
    let catalog: Catalog;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      const made = await make();
      catalog = made.catalog;
      cleanup = () => made.cleanup();
    });
    afterEach(async () => {
      await cleanup();
    });

    it('registers files idempotently by key and lists them by filter', async () => {
      await catalog.addFiles([file('a'), file('b', { dt: '2026-11-30' }), file('c', { contract: 'payment' })]);
      await catalog.addFiles([file('a', { rows: 11 })]);
      expect((await catalog.listFiles()).map((f) => f.key)).toEqual(['a', 'b', 'c']);
      expect((await catalog.listFiles({ contract: 'donation' })).map((f) => f.key)).toEqual(['a', 'b']);
      expect((await catalog.listFiles({ contract: 'donation', dt: '2026-11-30' })).map((f) => f.key)).toEqual(['b']);
      expect((await catalog.listFiles({ version: 2 })).length).toBe(0);
      expect((await catalog.listFiles({ contract: 'donation', dt: '2026-11-29' }))[0]).toEqual(file('a', { rows: 11 }));
      expect(await catalog.tables()).toEqual([
        { puddle: 'transactions', contract: 'donation', version: 1 },
        { puddle: 'transactions', contract: 'payment', version: 1 },
      ]);
    });

    it('replaces files atomically and hands removed keys back as garbage once old enough', async () => {
      await catalog.addFiles([file('a'), file('b'), file('keep')]);
      await catalog.replaceFiles(['a', 'b', 'never-registered'], [file('m')]);
      expect((await catalog.listFiles()).map((f) => f.key)).toEqual(['keep', 'm']);
      expect(await catalog.takeGarbage(60_000)).toEqual([]);
      expect(await catalog.takeGarbage(0)).toEqual(['a', 'b']);
      expect(await catalog.takeGarbage(0)).toEqual([]); // forgotten once taken
    });

    it('replaces only if every key to remove is still there, when asked', async () => {
      await catalog.addFiles([file('a'), file('b')]);
      expect(await catalog.replaceFiles(['a', 'gone'], [file('m')], { ifAllPresent: true })).toBe(false);
      expect((await catalog.listFiles()).map((f) => f.key)).toEqual(['a', 'b']);
      expect(await catalog.replaceFiles(['a', 'b'], [file('m')], { ifAllPresent: true })).toBe(true);
      expect((await catalog.listFiles()).map((f) => f.key)).toEqual(['m']);
    });

    it.skipIf(!currentState)('registers current-state files and marks folded files in the same swap, only if all are still there', async () => {
      await catalog.addFiles([file('a'), file('b'), file('s1', { dt: '', current: true })]);
      expect(await catalog.replaceFiles(['s1'], [file('s2', { dt: '', current: true })], { ifAllPresent: true, fold: ['a', 'gone'] })).toBe(false);
      expect((await catalog.listFiles()).filter((f) => f.folded)).toEqual([]);
      expect(await catalog.replaceFiles(['s1'], [file('s2', { dt: '', current: true })], { ifAllPresent: true, fold: ['a', 'b'] })).toBe(true);
      expect(await catalog.listFiles()).toEqual([file('a', { folded: true }), file('b', { folded: true }), file('s2', { dt: '', current: true })]);
      // A redelivered batch registers the same key again with the same rows: still folded.
      await catalog.addFiles([file('a')]);
      expect((await catalog.listFiles({ dt: '2026-11-29' })).map((f) => [f.key, !!f.folded])).toEqual([['a', true], ['b', true]]);
      expect(await catalog.takeGarbage(0)).toEqual(['s1']);
    });

    it('never hands back a key that is live again', async () => {
      await catalog.addFiles([file('a'), file('b')]);
      await catalog.replaceFiles(['a', 'b'], [file('b')]); // b removed and re-added in one step
      await catalog.replaceFiles(['a2'], []);
      await catalog.addFiles([file('x')]);
      await catalog.replaceFiles(['x'], [file('y')]);
      await catalog.addFiles([file('x')]); // a redelivered batch lands x again after compaction retired it
      expect((await catalog.listFiles()).map((f) => f.key)).toEqual(['b', 'x', 'y']);
      expect(await catalog.takeGarbage(0)).toEqual(['a']);
    });
  });
}
