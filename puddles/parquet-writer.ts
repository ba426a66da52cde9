// Rows to Parquet bytes with DuckDB (zstd, proper logical types).
// Two ways in, both measured (test/bench/landing-bench.ts): the appender (a temp table, then COPY) is
// DuckDB's fastest *total* path, but every cell is a synchronous native call on the event loop (~190 ns),
// which the producer and queue share. A CSV text built in JS (~half the event-loop time) and parsed by
// DuckDB on its own threads leaves the event loop free sooner, so landing uses CSV; the appender stays
// for the benchmark's baseline and for anyone who wants it.
import { readFile, unlink, writeFile } from 'node:fs/promises';

import { DuckDBDateValue, DuckDBTimestampValue, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';

import { dateParse } from '../core/time.js';
import { withConnection } from './duckdb.js';
import { sqlIdent, sqlString } from './sql-text.js';

// The column lists live in columns.ts (no DuckDB import there, so the AWS shape and CDK can read them).
export { contractColumns, ENVELOPE_COLUMNS, RAW_COLUMNS, type ColumnSpec, type ColumnType } from './columns.js';
import type { ColumnSpec } from './columns.js';
// Passing files go in the process's private temporary folder.
import { tempPath } from './temp-files.js';

/** Cell values: strings, numbers, booleans, null. TIMESTAMP cells are ISO strings, DATE cells `YYYY-MM-DD`. */
export type Cell = string | number | boolean | null;

let tableSeq = 0;

/**
 * Which way writeParquet goes on this thread. CSV suits an event loop shared with the producer (see the top);
 * a thread that only lands (the hub's landing threads, infra/local/landing-worker.ts) has no one to leave the
 * event loop to and takes the appender, which costs far less CPU in all: measured per row, raw 10.5 µs against
 * 48 µs by CSV (its envelope text has every quote doubled, then parsed back), donation rows 8 against 9.5 µs.
 */
let route: 'csv' | 'appender' = 'csv';

export function setParquetRoute(to: 'csv' | 'appender'): void {
  route = to;
}

/** Write rows (arrays in `columns` order) as one zstd Parquet file and return its bytes. */
export async function writeParquet(columns: readonly ColumnSpec[], rows: readonly (readonly Cell[])[]): Promise<Uint8Array> {
  if (route === 'appender') return writeParquetWithAppender(columns, rows);
  const csv = tempPath('csv');
  await writeFile(csv, toCsv(columns, rows));
  try {
    // Timestamps arrive as canonical ISO text and are cast here: DuckDB's ISO cast honours the `Z`. buffer_size is
    // twice the longest line: by default read_csv asks for 16 times max_line_size (1 GiB) in one block, and under
    // DuckDB's memory_limit (puddles/duckdb.ts) two puddles landing at once failed with "Out of Memory Error".
    const read =
      `read_csv(${sqlString(csv)}, header = false, auto_detect = false, delim = ',', quote = '"', escape = '"', ` +
      `allow_quoted_nulls = false, max_line_size = 67108864, buffer_size = 134217728, ` +
      `columns = {${columns.map((c) => `${sqlString(c.name)}: '${c.type === 'TIMESTAMP' ? 'VARCHAR' : c.type}'`).join(', ')}})`;
    const select = columns
      .map((c) => (c.type === 'TIMESTAMP' ? `CAST(${sqlIdent(c.name)} AS TIMESTAMP) AS ${sqlIdent(c.name)}` : sqlIdent(c.name)))
      .join(', ');
    return await withConnection((conn) => copyToBytes(conn, `(SELECT ${select} FROM ${read})`));
  } finally {
    await unlink(csv).catch(() => undefined);
  }
}

/**
 * CSV with every string quoted, so an empty string ("") and NULL (nothing) stay apart
 * (with allow_quoted_nulls off) and no delimiter, quote or newline inside a value can break a row.
 */
export function toCsv(columns: readonly ColumnSpec[], rows: readonly (readonly Cell[])[]): string {
  const types = columns.map((c) => c.type);
  const width = types.length;
  const lines: string[] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    let line = '';
    for (let i = 0; i < width; i++) {
      if (i) line += ',';
      const v = row[i];
      if (v === null || v === undefined) continue;
      switch (types[i]) {
        case 'VARCHAR': {
          const s = typeof v === 'string' ? v : String(v);
          line += s.includes('"') ? `"${s.replaceAll('"', '""')}"` : `"${s}"`;
          break;
        }
        case 'TIMESTAMP': {
          const iso = canonicalInstant(v);
          if (iso) line += iso;
          break;
        }
        case 'DATE':
          if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) line += v;
          break;
        case 'BIGINT':
          if (typeof v === 'number' && Number.isSafeInteger(v)) line += String(v);
          break;
        case 'DOUBLE':
          if (typeof v === 'number' && Number.isFinite(v)) line += String(v);
          break;
        case 'BOOLEAN':
          line += v ? 'true' : 'false';
          break;
      }
    }
    lines[r] = line;
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC) for any parseable time, else null (lands as NULL). */
function canonicalInstant(v: unknown): string | null {
  const s = String(v);
  if (CANONICAL.test(s)) return s;
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return null;
  const iso = new Date(ms).toISOString();
  return CANONICAL.test(iso) ? iso : null;
}

/** The appender route: rows into a temp table cell by cell, then COPY. */
export async function writeParquetWithAppender(columns: readonly ColumnSpec[], rows: readonly (readonly Cell[])[]): Promise<Uint8Array> {
  return withConnection(async (conn) => {
    const table = `w_${++tableSeq}`;
    const ddl = columns.map((c) => `${sqlIdent(c.name)} ${c.type}`).join(', ');
    await conn.run(`CREATE TEMP TABLE ${table} (${ddl})`);
    try {
      const appender = await conn.createAppender(table, 'main', 'temp');
      try {
        appendRows(appender, columns, rows);
      } finally {
        appender.closeSync();
      }
      return await copyToBytes(conn, table);
    } finally {
      await conn.run(`DROP TABLE IF EXISTS temp.main.${table}`);
    }
  });
}

/** COPY a table name or a `(SELECT ...)` to Parquet and return the bytes (and the row count DuckDB reports). */
export async function copyToBytes(conn: DuckDBConnection, source: string): Promise<Uint8Array> {
  return (await copyToBytesCounted(conn, source)).bytes;
}

export async function copyToBytesCounted(conn: DuckDBConnection, source: string): Promise<{ bytes: Uint8Array; rows: number }> {
  const file = tempPath('parquet');
  try {
    const res = await conn.runAndReadAll(`COPY ${source} TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`);
    const count = res.getRowsJS()[0]?.[0];
    const buf = await readFile(file);
    return { bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), rows: Number(count ?? 0) };
  } finally {
    await unlink(file).catch(() => undefined);
  }
}

function appendRows(appender: DuckDBAppender, columns: readonly ColumnSpec[], rows: readonly (readonly Cell[])[]): void {
  const types = columns.map((c) => c.type);
  for (const row of rows) {
    for (let i = 0; i < types.length; i++) {
      const v = row[i];
      if (v === null || v === undefined) {
        appender.appendNull();
        continue;
      }
      switch (types[i]) {
        case 'VARCHAR':
          appender.appendVarchar(typeof v === 'string' ? v : String(v));
          break;
        case 'BIGINT':
          appender.appendBigInt(BigInt(v as number));
          break;
        case 'BOOLEAN':
          appender.appendBoolean(Boolean(v));
          break;
        case 'DOUBLE':
          appender.appendDouble(Number(v));
          break;
        case 'TIMESTAMP': {
          const ms = dateParse(String(v));
          if (Number.isNaN(ms)) appender.appendNull();
          else appender.appendTimestamp(new DuckDBTimestampValue(BigInt(ms) * 1000n));
          break;
        }
        case 'DATE': {
          const ms = Date.parse(`${String(v)}T00:00:00Z`);
          if (Number.isNaN(ms)) appender.appendNull();
          else appender.appendDate(new DuckDBDateValue(Math.floor(ms / 86_400_000)));
          break;
        }
      }
    }
    appender.endRow();
  }
}
