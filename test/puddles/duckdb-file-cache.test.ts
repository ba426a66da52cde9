// Every DuckDB Puddle opens reads the lake's files without keeping them: a hub reads thousands of short-lived
// Parquet files over a night, and DuckDB's external file cache kept each one it read (found in a 25-minute soak).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDuckDb } from '../../puddles/duckdb.js';

const dir = mkdtempSync(join(tmpdir(), 'puddle-duckdb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createDuckDb', () => {
  it('keeps nothing of the files it read once they are gone', async () => {
    const instance = await createDuckDb(1, 'writer');
    const conn = await instance.connect();
    try {
      // As a hub does on the night, smaller: land a file, read it (a merge, a query), delete it (garbage).
      for (let i = 0; i < 30; i++) {
        const file = join(dir, `f${i}.parquet`);
        await conn.run(`COPY (SELECT range AS id, md5(range::VARCHAR || '${i}') AS s FROM range(20000)) TO '${file}' (FORMAT parquet)`);
        const read = await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet('${file}')`);
        expect(read.getRowObjects()[0]!.n).toBe(20000);
        rmSync(file);
      }
      const cached = await conn.runAndReadAll('SELECT count(*)::INTEGER AS n FROM duckdb_external_file_cache()');
      expect(cached.getRowObjects()[0]!.n).toBe(0);
      const memory = await conn.runAndReadAll("SELECT coalesce(sum(memory_usage_bytes), 0)::BIGINT AS b FROM duckdb_memory() WHERE tag = 'EXTERNAL_FILE_CACHE'");
      expect(Number(memory.getRowObjects()[0]!.b)).toBe(0);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });
});
