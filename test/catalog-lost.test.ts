// catalog.db lost or damaged (a bad disk, a restore that left it out) under a lake that holds files. A new,
// empty catalog read as an empty lake: `puddle query` answered 0 donations with exit 0 and made the empty
// file, and a hub started on it rebuilt its live total from nothing. Now every command stops, exit code 2,
// saying what is wrong and what to do, and changes nothing.
import { chmodSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runPuddle } from './support/run-cli.js';
import { createLake, donation, type Lake } from './puddles/lake-fixture.js';

let lake: Lake;
let catalogPath: string;
let env: Record<string, string>;

beforeAll(async () => {
  lake = await createLake();
  await lake.subscribeAll();
  env = { PUDDLE_HOME: lake.dir, PORT: '0', PUDDLE_API_KEYS: 'catalog-lost-key' };
  catalogPath = path.join(lake.dir, 'catalog.db');
  await lake.queue.publish(Array.from({ length: 4 }, (_, i) => donation(`lost-${i}`, 100 + i)));
  for (const name of ['transactions', 'raw']) await lake.consumer(name).drain();
  await lake.engine.close();
  lake.catalog.close();
}, 60_000);

afterAll(async () => {
  await lake?.queue.close();
  if (lake) rmSync(lake.dir, { recursive: true, force: true });
});

describe('a lake whose catalog.db is gone', () => {
  it('stops query and start with exit 2 naming the catalog, and makes no empty one', async () => {
    const before = await runPuddle(['query', 'SELECT count(*) AS n FROM donation', '--format', 'json'], env);
    expect(before.code, before.stderr).toBe(0);
    expect(JSON.parse(before.stdout)).toEqual([{ n: 4 }]);

    for (const suffix of ['', '-wal', '-shm']) rmSync(catalogPath + suffix, { force: true });
    const query = await runPuddle(['query', 'SELECT count(*) AS n FROM donation'], env);
    expect(query.code).toBe(2);
    expect(query.stdout).toBe('');
    expect(query.stderr).toContain(`puddle query: ${catalogPath} is missing, but ${path.join(lake.dir, 'lake')} holds Parquet files`);
    expect(query.stderr).toContain('Restore catalog.db from a backup');
    expect(existsSync(catalogPath)).toBe(false);

    const start = await runPuddle(['start', '--no-schedule'], env, { timeoutMs: 60_000 });
    expect(start.code).toBe(2);
    expect(start.stderr).toContain(`puddle start: ${catalogPath} is missing`);
    expect(existsSync(catalogPath)).toBe(false);
  }, 120_000);

  it('stops query with exit 2 when catalog.db is damaged, not with a stack trace', async () => {
    const fd = openSync(catalogPath, 'w');
    writeSync(fd, Buffer.alloc(8192, 0x5a));
    closeSync(fd);
    const query = await runPuddle(['query', 'SELECT count(*) AS n FROM donation'], env);
    expect(query.code).toBe(2);
    expect(query.stderr.trim()).toBe(`puddle query: ${catalogPath} is damaged (SQLITE_NOTADB): SQLite cannot read it. Restore catalog.db from a backup, or, with none, rebuild it from the lake's raw files: puddle catalog rebuild; nothing was changed`);
  });

  it('stops query with exit 2 when catalog.db is an empty file (a copy or restore cut short), and leaves it empty', async () => {
    // SQLite takes an empty file for a new database: it was given the tables of a new, empty catalog, and the
    // lake read as empty (0 donations, exit 0), as when the file is gone.
    for (const suffix of ['-wal', '-shm']) rmSync(catalogPath + suffix, { force: true });
    closeSync(openSync(catalogPath, 'w'));
    const query = await runPuddle(['query', 'SELECT count(*) AS n FROM donation', '--format', 'json'], env);
    expect(query.code, query.stdout).toBe(2);
    expect(query.stderr).toContain(`puddle query: ${catalogPath} is empty, but ${path.join(lake.dir, 'lake')} holds Parquet files`);
    expect(statSync(catalogPath).size).toBe(0);
  });

  it('stops query and start with exit 2 naming the file and the code when catalog.db cannot be opened, not with a stack trace', async () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(catalogPath + suffix, { force: true });
    // No permission to it; as root, which reads anything, a directory where the file should be.
    if (process.getuid?.() === 0) mkdirSync(catalogPath);
    else {
      const fd = openSync(catalogPath, 'w');
      writeSync(fd, Buffer.alloc(8192, 0x5a));
      closeSync(fd);
      chmodSync(catalogPath, 0o000);
    }
    const said = `${catalogPath} cannot be opened (SQLITE_CANTOPEN): check that it is a file (with its folder) the user running puddle can read and write, and that the disk is mounted writable; nothing was changed`;
    const query = await runPuddle(['query', 'SELECT count(*) AS n FROM donation'], env);
    expect(query.code).toBe(2);
    expect(query.stderr.trim()).toBe(`puddle query: ${said}`);
    const start = await runPuddle(['start', '--no-schedule'], env, { timeoutMs: 60_000 });
    expect(start.code).toBe(2);
    expect(start.stderr.trim()).toBe(`puddle start: ${said}`);
  }, 120_000);
});
