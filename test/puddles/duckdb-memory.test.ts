// Each DuckDB Puddle opens has a memory_limit sized by what it does, not DuckDB's 80% of the machine's RAM per
// instance (a hub opens three), and still answers what does not fit in it by spilling to a folder of its own.
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDuckDb, DEFAULT_DUCKDB_MEMORY_MB, duckDbMemory, setDuckDbMemoryMb, type DuckDbRole } from '../../puddles/duckdb.js';
import { createLake } from './lake-fixture.js';

afterEach(() => setDuckDbMemoryMb(undefined));

async function limitOf(role: DuckDbRole): Promise<string> {
  const instance = await createDuckDb(1, role);
  const conn = await instance.connect();
  try {
    return (await duckDbMemory(conn)).limit;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function settingOf(role: DuckDbRole, name: string): Promise<unknown> {
  const instance = await createDuckDb(1, role);
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(`SELECT current_setting('${name}') AS v`)).getRowObjects()[0]!.v;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('createDuckDb allocator', () => {
  // DuckDB's default is off: jemalloc kept what a merge freed until that thread allocated again, 33 to 189 MB at
  // a hub's quiet moments in a soak (docs/benchmarks.md, "A soak", 2026-12-04).
  it("runs jemalloc's background threads, which hand freed memory back to the system", async () => {
    expect(await settingOf('writer', 'allocator_background_threads')).toBe(true);
    expect(await settingOf('query', 'allocator_background_threads')).toBe(true);
  });
});

describe('createDuckDb memory_limit', () => {
  it('gives a writer and a query engine 2 GiB each by default', async () => {
    expect(DEFAULT_DUCKDB_MEMORY_MB).toEqual({ writer: 2048, query: 2048 });
    expect(await limitOf('writer')).toBe('2.0 GiB');
    expect(await limitOf('query')).toBe('2.0 GiB');
  });

  it('gives every instance opened after it PUDDLE_DUCKDB_MEMORY_MB', async () => {
    setDuckDbMemoryMb(3072);
    expect(await limitOf('writer')).toBe('3.0 GiB');
    expect(await limitOf('query')).toBe('3.0 GiB');
  });

  it("is the query engine's instance's limit too, and reads what it holds", async () => {
    const lake = await createLake();
    try {
      expect(await lake.engine.memory()).toBeUndefined(); // not opened yet: reading it opens nothing
      await lake.engine.query('SELECT 1');
      const m = await lake.engine.memory();
      expect(m?.limit).toBe('2.0 GiB');
      expect(m?.usedMb).toBeGreaterThanOrEqual(0);
    } finally {
      await lake.close();
    }
    expect(await lake.engine.memory()).toBeUndefined();
  });

  it('answers a sort larger than its limit by spilling to its own folder, not the working directory', async () => {
    setDuckDbMemoryMb(64);
    const instance = await createDuckDb(1, 'writer');
    const conn = await instance.connect();
    try {
      // About 300 MB of strings, sorted: more than 64 MiB has to go to disk.
      const reader = await conn.runAndReadAll(
        "SELECT count(*)::INTEGER AS n, min(s) AS lo FROM (SELECT md5(range::VARCHAR) || md5((range * 7)::VARCHAR) AS s FROM range(3000000) ORDER BY s DESC LIMIT 2000000)",
      );
      expect(reader.getRowObjects()[0]!.n).toBe(2000000);
      expect(existsSync('.tmp')).toBe(false);
      // In a folder only this user can enter, under a name nobody can make first (until 2026-12-06
      // /tmp/puddle-duckdb-<pid>-<thread>-<n>, made 0755 with its files 0644): the pid, for the sweep, then
      // mkdtemp's random part.
      const spill = String((await conn.runAndReadAll("SELECT current_setting('temp_directory') AS v")).getRowObjects()[0]!.v);
      const root = path.dirname(spill);
      expect(path.dirname(root)).toBe(tmpdir());
      expect(path.basename(root)).toMatch(new RegExp(`^puddle-duckdb-${process.pid}-[A-Za-z0-9]{6}$`));
      expect(statSync(root).mode & 0o777).toBe(0o700);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });
});
