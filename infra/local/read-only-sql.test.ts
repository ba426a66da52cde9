// The read-only check on a real DuckDB: each way of slipping a write past the EXPLAIN prefix, and one
// preparation per statement for the check and the run.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { WriteRefusedError } from '../../core/errors.js';
import { createDuckDb } from '../../puddles/duckdb.js';
import { readerResult } from './duckdb-json.js';
import { refuseWrites, runReadOnly, streamReadOnly } from './read-only-sql.js';

let instance: DuckDBInstance;
let conn: DuckDBConnection;
let dir: string;
beforeAll(async () => {
  instance = await createDuckDb(1, 'query');
  conn = await instance.connect();
  dir = mkdtempSync(path.join(tmpdir(), 'puddle-read-only-'));
});
afterAll(() => {
  conn.closeSync();
  instance.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

const evil = () => path.join(dir, 'evil.csv');
const copy = () => `COPY (SELECT 1 AS x) TO '${evil()}' (FORMAT csv)`;

describe('refuseWrites and runReadOnly', () => {
  const writes: [string, () => string][] = [
    ['a COPY', () => copy()],
    ['a COPY after a query', () => `SELECT 1; ${copy()}`],
    ['a COPY after a `;` inside a string', () => `SELECT ';' AS s; ${copy()}`],
    ['EXPLAIN ANALYZE of a COPY after a comment', () => `/* a look */ -- and a line\n eXpLaIn AnAlYzE ${copy()}`],
    ['EXPLAIN with options of a COPY', () => `EXPLAIN (FORMAT json) ${copy()}`],
    ['EXPLAIN (ANALYZE) of a COPY', () => `EXPLAIN (ANALYZE, FORMAT json) ${copy()}`],
    ['two EXPLAINs, the second of a COPY', () => `EXPLAIN SELECT 1; EXPLAIN ANALYZE ${copy()}`],
    // DuckDB ends a `--` comment at a carriage return: the old prefix read the COPY as part of the comment,
    // checked the SELECT after the block comment DuckDB sees, and ran the COPY.
    ['a COPY after a `--` comment ended by a carriage return', () => `-- c\rEXPLAIN ANALYZE ${copy()} /*\nEXPLAIN ANALYZE SELECT 1 -- */`],
    // DuckDB nests block comments: the old prefix ended this one at its first `*/`.
    ['a COPY after a nested block comment', () => `/* /* */ EXPLAIN ANALYZE SELECT 1 -- */ EXPLAIN ANALYZE ${copy()}`],
  ];

  for (const [name, sql] of writes) {
    it(`refuses ${name}, writing nothing`, async () => {
      await expect(refuseWrites(conn, sql())).rejects.toThrow(WriteRefusedError);
      await expect(runReadOnly(conn, sql())).rejects.toThrow(WriteRefusedError);
      expect(existsSync(evil())).toBe(false);
    });
  }

  it('refuses a write DuckDB cannot even bind (DELETE FROM a view) as a write, and a query it cannot bind with its own error', async () => {
    await conn.run('CREATE OR REPLACE VIEW donation AS SELECT 1 AS amount_minor');
    // Until 2026-12-03 these said "Binder Error: Can only delete from base table" (exit 1), not the rule.
    for (const sql of ['DELETE FROM donation', 'insert into donation VALUES (2)', '/* fix */ UPDATE donation SET amount_minor = 0', 'SELECT 1; DELETE FROM donation']) {
      await expect(runReadOnly(conn, sql), sql).rejects.toThrow(WriteRefusedError);
    }
    for (const sql of ['SELECT * FROM no_such_view', "SELECT 'DELETE'; SELECT * FROM no_such_view"]) {
      const err = await runReadOnly(conn, sql).catch((e: unknown) => e);
      expect(err, sql).not.toBeInstanceOf(WriteRefusedError);
      expect(String(err), sql).toContain('no_such_view');
    }
    expect((await runReadOnly(conn, 'SELECT amount_minor FROM donation')).getRowObjectsJS()).toEqual([{ amount_minor: 1 }]);
  });

  it('runs one query; several statements are refused before any runs (the rows of all but the last were dropped unsaid)', async () => {
    expect((await runReadOnly(conn, "SELECT ';' AS s, 2 AS y; -- a note")).getRowObjectsJS()).toEqual([{ s: ';', y: 2 }]);
    for (const sql of ["SELECT 1 AS x; SELECT ';' AS s, 2 AS y", 'SELECT 1; SELECT 2; SELECT 3']) {
      const err = await runReadOnly(conn, sql).catch((e: unknown) => e);
      expect(err, sql).toBeInstanceOf(WriteRefusedError);
      expect(String(err), sql).toMatch(/one statement at a time: this SQL holds [23] /);
      await expect(refuseWrites(conn, sql), sql).rejects.toThrow(WriteRefusedError);
    }
    expect((await runReadOnly(conn, 'DESCRIBE SELECT 1 AS x')).getRowObjectsJS()[0]).toMatchObject({ column_name: 'x' });
  });

  it('runs EXPLAIN and EXPLAIN ANALYZE of a query, comments and options as written', async () => {
    for (const sql of ['-- why\nexplain analyze SELECT 42', 'EXPLAIN (FORMAT json) SELECT 42', 'EXPLAIN SELECT 42;']) {
      const rows = (await runReadOnly(conn, sql)).getRowObjectsJS();
      expect(rows.length, sql).toBeGreaterThan(0);
    }
  });

  it('streams the rows a chunk at a time, each value as the whole result gives it, and refuses writes the same way', async () => {
    const sql = `SELECT i, CAST(i AS VARCHAR) AS s, 9007199254740993 + i AS big, DATE '2026-01-01' + CAST(i % 30 AS INTEGER) AS d,
      TIMESTAMP '2026-11-27 19:40:04.67' AS t, CAST(i AS DECIMAL(12, 2)) / 3 AS dec, [i, NULL] AS l, {'a': i} AS st,
      CASE WHEN i % 2 = 0 THEN NULL ELSE 'x' END AS n, CAST('NaN' AS DOUBLE) AS nan, 'ab'::BLOB AS b FROM range(5000) r(i)`;
    const batches: number[] = [];
    const streamed: unknown[] = [];
    const columns = await streamReadOnly(conn, sql, (rows) => {
      batches.push(rows.length);
      streamed.push(...rows);
    });
    const whole = readerResult(await runReadOnly(conn, sql));
    expect(columns).toEqual(whole.columns);
    expect(streamed).toEqual(whole.rows);
    expect(batches.length).toBeGreaterThan(1);
    expect(await streamReadOnly(conn, 'SELECT 1 AS x WHERE false', () => expect.fail('no rows'))).toEqual(['x']);
    await expect(streamReadOnly(conn, copy(), () => undefined)).rejects.toThrow(WriteRefusedError);
    await expect(streamReadOnly(conn, 'SELECT 1; SELECT 2', () => undefined)).rejects.toThrow(WriteRefusedError);
    expect(existsSync(evil())).toBe(false);
  });

  it('prepares each statement once, for the check and the run', async () => {
    const calls: string[] = [];
    // The real connection, each call it gets noted: nothing should run SQL text a second time.
    const noted = new Proxy(conn, {
      get(target, name, receiver) {
        const v: unknown = Reflect.get(target, name, receiver);
        if (typeof v !== 'function') return v;
        return async (...args: unknown[]) => {
          calls.push(String(name));
          const out: unknown = await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          if (name !== 'extractStatements') return out;
          const extracted = out as { prepare(i: number): Promise<unknown> };
          return { count: (out as { count: number }).count, prepare: (i: number) => (calls.push('prepare'), extracted.prepare(i)) };
        };
      },
    });
    const reader = await runReadOnly(noted, 'SELECT 2 AS y');
    expect(reader.getRowObjectsJS()).toEqual([{ y: 2 }]);
    expect(calls).toEqual(['extractStatements', 'prepare']);
  });
});
