import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { SqliteCatalog } from '../../infra/local/sqlite-catalog.js';
import { catalogSuite, file } from './catalog-suite.js';

catalogSuite('SqliteCatalog', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'puddle-catalog-'));
  const catalog = new SqliteCatalog(path.join(dir, 'catalog.db'));
  return {
    catalog,
    cleanup: async () => {
      catalog.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteCatalog specifics', () => {
  it('counts changes across connections to the same file, and keeps state across reopen', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'puddle-catalog-'));
    try {
      const a = new SqliteCatalog(path.join(dir, 'c.db'));
      const b = new SqliteCatalog(path.join(dir, 'c.db'));
      const g0 = b.generation();
      await a.addFiles([file('k1')]);
      expect(b.generation()).toBeGreaterThan(g0);
      const g1 = b.generation();
      await a.addFiles([]);
      expect(b.generation()).toBe(g1); // no change, no rebuild
      await a.replaceFiles(['k1'], [file('k2')]);
      expect(b.generation()).toBeGreaterThan(g1);
      a.close();
      b.close();
      const c = new SqliteCatalog(path.join(dir, 'c.db'));
      expect((await c.listFiles()).map((f) => f.key)).toEqual(['k2']);
      expect(await c.takeGarbage(0)).toEqual(['k1']);
      c.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
