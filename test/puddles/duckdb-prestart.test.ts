// An instance whose creation began early (prestartDuckDb, which `puddle query` calls before loading its modules) is
// the one the next createDuckDb of the same threads, role and memory limit gets, set up as any other: UTC, and
// confined to the folders it is given. Another createDuckDb makes its own.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClosedError } from '../../core/errors.js';
import { createDuckDb, prestartDuckDb, setDuckDbMemoryMb } from '../../puddles/duckdb.js';
import { useLake } from './lake-fixture.js';

const lake = useLake();

afterEach(() => {
  vi.restoreAllMocks();
  setDuckDbMemoryMb(undefined);
});

async function one(instance: DuckDBInstance, sql: string): Promise<unknown> {
  const conn = await instance.connect();
  try {
    return Object.values((await conn.runAndReadAll(sql)).getRowObjects()[0]!)[0];
  } finally {
    conn.closeSync();
  }
}

describe('prestartDuckDb', () => {
  it('hands its instance to the next createDuckDb of the same threads and role, set up as any other', async () => {
    const create = vi.spyOn(DuckDBInstance, 'create');
    prestartDuckDb(2, 'query');
    expect(create).toHaveBeenCalledTimes(1);
    const early = create.mock.results[0]!.value as Promise<DuckDBInstance>;
    const dir = mkdtempSync(path.join(tmpdir(), 'puddle-prestart-'));
    writeFileSync(path.join(dir, 'in.csv'), 'a\n1\n');
    try {
      const instance = await createDuckDb(2, 'query', { onlyFolders: [dir] });
      expect(create).toHaveBeenCalledTimes(1);
      expect(instance).toBe(await early);
      expect(await one(instance, "SELECT current_setting('TimeZone')")).toBe('UTC');
      expect(await one(instance, `SELECT count(*)::INTEGER FROM read_csv('${path.join(dir, 'in.csv')}')`)).toBe(1);
      await expect(one(instance, "SELECT count(*) FROM read_csv('/etc/passwd')")).rejects.toThrow(/Permission Error/);
      instance.closeSync();
      // Taken once: the next one is made when asked.
      (await createDuckDb(2, 'query')).closeSync();
      expect(create).toHaveBeenCalledTimes(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is not given to a createDuckDb with other threads, another role or another memory limit, which makes its own', async () => {
    const create = vi.spyOn(DuckDBInstance, 'create');
    prestartDuckDb(2, 'query');
    (await createDuckDb(1, 'query')).closeSync();
    (await createDuckDb(2, 'writer')).closeSync();
    setDuckDbMemoryMb(3000);
    (await createDuckDb(2, 'query')).closeSync();
    expect(create).toHaveBeenCalledTimes(4);
    setDuckDbMemoryMb(undefined);
    // Still waiting for its own kind.
    const early = await create.mock.results[0]!.value;
    const instance = await createDuckDb(2, 'query');
    expect(instance).toBe(early);
    expect(create).toHaveBeenCalledTimes(4);
    instance.closeSync();
  });

  it('closes an instance nobody took when another is started', async () => {
    const create = vi.spyOn(DuckDBInstance, 'create');
    prestartDuckDb(1, 'query');
    const first = (await create.mock.results[0]!.value) as DuckDBInstance;
    prestartDuckDb(1, 'query');
    const second = (await create.mock.results[1]!.value) as DuckDBInstance;
    await expect(first.connect()).rejects.toThrow();
    const taken = await createDuckDb(1, 'query');
    expect(taken).toBe(second);
    taken.closeSync();
  });
});

describe('DuckDbQueryEngine opening while it works out the views', () => {
  it('still refuses a query once closed, with ClosedError, before reading the catalog', async () => {
    const { DuckDbQueryEngine } = await import('../../infra/local/duckdb-query-engine.js');
    const engine = new DuckDbQueryEngine({ catalog: lake.catalog, store: lake.store });
    expect(await engine.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await engine.close();
    const generation = vi.spyOn(lake.catalog, 'generation');
    const listFiles = vi.spyOn(lake.catalog, 'listFiles');
    await expect(engine.query('SELECT 1')).rejects.toBeInstanceOf(ClosedError);
    expect(generation).not.toHaveBeenCalled();
    expect(listFiles).not.toHaveBeenCalled();
  });
});
