import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';

import { setParquetRoute, writeParquet, writeParquetWithAppender, type Cell, type ColumnSpec } from '../../puddles/parquet-writer.js';

const COLUMNS: ColumnSpec[] = [
  { name: 's', type: 'VARCHAR' },
  { name: 'n', type: 'BIGINT' },
  { name: 'b', type: 'BOOLEAN' },
  { name: 't', type: 'TIMESTAMP' },
  { name: 'd', type: 'DATE' },
];

const ROWS: Cell[][] = [
  ['plain', 1, true, '2026-11-29T20:15:00.000Z', '2026-11-29'],
  ['', 0, false, '2026-11-30T00:30:00+01:00', '2026-02-28'],
  [null, null, null, null, null],
  ['a "quoted", comma\nnew line\r\n and ünïcödé 💷', -9007199254740991, true, '2026-11-29T20:15:00.123456Z', '1999-12-31'],
  ['  spaces kept  ', 9007199254740991, false, 'not a time', null],
  ['NULL', 2, true, '2026-11-29T20:15:00Z', null],
];

async function readBack(bytes: Uint8Array): Promise<Record<string, unknown>[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'puddle-writer-test-'));
  const file = path.join(dir, 'x.parquet');
  await writeFile(file, bytes);
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    const types = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM '${file}'`)).getRowObjectsJS().map((r) => r.column_type);
    expect(types).toEqual(['VARCHAR', 'BIGINT', 'BOOLEAN', 'TIMESTAMP', 'DATE']);
    return (
      await conn.runAndReadAll(`SELECT s, n, b, strftime(t, '%Y-%m-%dT%H:%M:%S.%fZ') AS t, CAST(d AS VARCHAR) AS d FROM '${file}'`)
    ).getRowObjectsJS();
  } finally {
    conn.closeSync();
    inst.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

const EXPECTED = [
  { s: 'plain', n: 1n, b: true, t: '2026-11-29T20:15:00.000000Z', d: '2026-11-29' },
  { s: '', n: 0n, b: false, t: '2026-11-29T23:30:00.000000Z', d: '2026-02-28' },
  { s: null, n: null, b: null, t: null, d: null },
  // Sub-millisecond digits are dropped: JavaScript times (and the contracts) carry milliseconds.
  { s: 'a "quoted", comma\nnew line\r\n and ünïcödé 💷', n: -9007199254740991n, b: true, t: '2026-11-29T20:15:00.123000Z', d: '1999-12-31' },
  { s: '  spaces kept  ', n: 9007199254740991n, b: false, t: null, d: null },
  { s: 'NULL', n: 2n, b: true, t: '2026-11-29T20:15:00.000000Z', d: null },
];

describe('parquet writer', () => {
  it('keeps every value exact through the CSV route', async () => {
    expect(await readBack(await writeParquet(COLUMNS, ROWS))).toEqual(EXPECTED);
  });

  it('keeps a leading byte order mark (the JS client drops it when decoding a result; the file has it)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'puddle-writer-bom-'));
    const file = path.join(dir, 'x.parquet');
    await writeFile(file, await writeParquet([{ name: 's', type: 'VARCHAR' }], [['\ufeffpasted'], ['plain']]));
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    try {
      const rows = (await conn.runAndReadAll(`SELECT length(s) AS n, unicode(s) AS first FROM '${file}'`)).getRowObjectsJS();
      expect(rows).toEqual([{ n: 7n, first: 0xfeff }, { n: 5n, first: 112 }]);
    } finally {
      conn.closeSync();
      inst.closeSync();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes the same through the appender route', async () => {
    expect(await readBack(await writeParquetWithAppender(COLUMNS, ROWS))).toEqual(EXPECTED);
  });

  it('takes the appender route for writeParquet where a thread asks for it (the landing threads of the hub)', async () => {
    setParquetRoute('appender');
    try {
      expect(await readBack(await writeParquet(COLUMNS, ROWS))).toEqual(EXPECTED);
    } finally {
      setParquetRoute('csv');
    }
  });
});
