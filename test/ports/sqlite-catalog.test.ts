import { spawn } from 'node:child_process';
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
  it('takes garbage beside another writer: waits for its lock instead of failing on a stale read (puddle compact beside a hub)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'puddle-catalog-'));
    const db = path.join(dir, 'c.db');
    const catalog = new SqliteCatalog(db);
    try {
      await catalog.addFiles([file('k1')]);
      await catalog.replaceFiles(['k1'], [file('k2')]);
      // Another process (the hub landing) holds the write lock for a moment, then commits a change of its own.
      const other = spawn(process.execPath, ['-e', `
        const db = new (require('better-sqlite3'))(process.argv[1]);
        db.exec('BEGIN IMMEDIATE');
        db.prepare("UPDATE meta SET value = value + 1 WHERE name = 'generation'").run();
        process.stdout.write('locked\\n');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
        db.exec('COMMIT');
      `, db], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((r) => other.on('exit', r));
      await new Promise<void>((r) => other.stdout.once('data', () => r()));
      // A deferred transaction read first, then failed to write (SQLITE_BUSY: its snapshot went stale).
      expect(await catalog.takeGarbage(0)).toEqual(['k1']);
      expect(await exited).toBe(0);
      expect(await catalog.takeGarbage(0)).toEqual([]);
    } finally {
      catalog.close();
      await rm(dir, { recursive: true, force: true });
    }
  });


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
