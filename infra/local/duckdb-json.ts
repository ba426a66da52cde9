// DuckDB result values -> JSON-safe values: BIGINT/HUGEINT as number when safe else string,
// timestamps as ISO strings ending in Z, dates as YYYY-MM-DD.
import { DuckDBTypeId, JSDuckDBValueConverter, type DuckDBResult, type DuckDBResultReader, type DuckDBType, type DuckDBValueConverter, type JS } from '@duckdb/node-api';

import type { ColumnarResult, QueryResult, Row } from '../../core/ports.js';

export function jsonSafe(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = jsonSafe(v);
    return out;
  }
  return value;
}

/** Types whose JS values are already JSON-safe (or null): no per-value conversion needed. */
const PLAIN = new Set<DuckDBTypeId>([
  DuckDBTypeId.VARCHAR,
  DuckDBTypeId.BOOLEAN,
  DuckDBTypeId.DOUBLE,
  DuckDBTypeId.FLOAT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UTINYINT,
]);

const toDate = (v: unknown): unknown => (v instanceof Date ? v.toISOString().slice(0, 10) : jsonSafe(v));
const plain = (v: unknown): unknown => (v === undefined ? null : typeof v === 'number' && !Number.isFinite(v) ? null : v);
/** How a column of this type turns into JSON-safe values: one choice for whole results and streamed ones. */
const converterFor = (type: DuckDBTypeId): ((v: unknown) => unknown) => (type === DuckDBTypeId.DATE ? toDate : PLAIN.has(type) ? plain : jsonSafe);

/**
 * How a result's values are given. `decimalsAsText`: a DECIMAL column's values as their exact text with the column's
 * scale (`25.10`, `1.500`, `-0.05`), DuckDB's own printing, for output a person or a program reads (`puddle query`):
 * a DECIMAL reaches JavaScript as a double, which prints 25.10 as 25.1 and loses digits past 2^53, and money without
 * its scale reads as another amount (until 2026-12-03 `puddle query` printed `25.1`). Text, not a JSON number, in
 * JSON too, as `puddle report`'s amounts are: most programs read a JSON number as a double. A DECIMAL inside a
 * list, struct, map, array or union too (`["25.10","3.00"]`, `{"a":"1.500"}`): until 2026-12-03 only top-level
 * columns kept their scale, and `SELECT list(amount)` printed `[25.1]`. Off for the code's own queries, whose
 * callers do arithmetic on the numbers.
 */
export interface ValueOptions {
  decimalsAsText?: boolean;
}

/** The package's JS conversion, but a DECIMAL at any depth as its exact text with its scale (DuckDBDecimalValue's). */
const decimalsAsText: DuckDBValueConverter<JS> = (value, type, converter) =>
  type.typeId === DuckDBTypeId.DECIMAL && value !== null ? value.toString() : JSDuckDBValueConverter(value, type, converter);

const NESTED = new Set<DuckDBTypeId>([DuckDBTypeId.LIST, DuckDBTypeId.STRUCT, DuckDBTypeId.MAP, DuckDBTypeId.ARRAY, DuckDBTypeId.UNION]);

/** Whether decimalsAsText changes this type's values: a DECIMAL, or a nested type (which may hold one). */
const takesDecimalText = (type: DuckDBType): boolean => type.typeId === DuckDBTypeId.DECIMAL || NESTED.has(type.typeId);

/**
 * Rows as JSON-safe objects, and the column names they are keyed by (deduplicated, as the keys are: `a`, `a_1`),
 * which the reader has even when no row came back. Column by column, so each column converts with its own
 * function: the live totals' rebuild turns millions of rows into objects, and strings and small numbers need
 * no work at all.
 */
export function readerResult(reader: DuckDBResultReader, opts: ValueOptions = {}): QueryResult {
  const names = reader.deduplicatedColumnNames();
  const columns = reader.getColumnsJS();
  const convert = names.map((_, i) => converterFor(reader.columnTypeId(i)));
  const n = reader.currentRowCount;
  if (opts.decimalsAsText) {
    names.forEach((_, c) => {
      const type = reader.columnType(c);
      if (!takesDecimalText(type)) return;
      for (let r = 0; r < n; r++) columns[c]![r] = decimalsAsText(reader.value(c, r), type, decimalsAsText);
      if (type.typeId === DuckDBTypeId.DECIMAL) convert[c] = plain;
    });
  }
  const rows: Row[] = new Array<Row>(n);
  for (let r = 0; r < n; r++) {
    const out: Row = {};
    for (let c = 0; c < names.length; c++) out[names[c]!] = convert[c]!(columns[c]![r]);
    rows[r] = out;
  }
  return { columns: names, types: reader.columnTypes().map((t) => t.toString()), rows };
}

/**
 * A streamed result's rows, a chunk (DuckDB's 2048 rows) at a time, each row as readerResult gives it: for
 * output that need not hold every row at once (`puddle query --format json`). `onRows` is awaited before the
 * next chunk is fetched, so a slow reader (a pipe) holds DuckDB back instead of the rows piling up here.
 */
export async function eachRows(result: DuckDBResult, onRows: (rows: Row[]) => Promise<void> | void, opts: ValueOptions = {}): Promise<string[]> {
  const names = result.deduplicatedColumnNames();
  const convert = names.map((_, i) => (opts.decimalsAsText === true && result.columnTypeId(i) === DuckDBTypeId.DECIMAL ? plain : converterFor(result.columnTypeId(i))));
  const asText = names.map((_, i) => opts.decimalsAsText === true && takesDecimalText(result.columnType(i)));
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const n = chunk.rowCount;
    const rows: Row[] = Array.from({ length: n }, () => ({}));
    for (let c = 0; c < names.length; c++) {
      const values = chunk.convertColumnValues(c, asText[c] ? decimalsAsText : JSDuckDBValueConverter);
      const name = names[c]!;
      const f = convert[c]!;
      for (let r = 0; r < n; r++) rows[r]![name] = f(values[r]);
    }
    await onRows(rows);
  }
  return names;
}

/** Types whose vectors give readerResult's values item by item (getItem): a plain value, or a BIGINT's bigint. */
const DIRECT = new Set<DuckDBTypeId>([...PLAIN, DuckDBTypeId.BIGINT]);

/**
 * readerResult's values column by column (QueryEngine.queryColumns), with no object per row and, for text and
 * numbers, straight from each chunk's vectors: the package's own conversion (getColumnsJS) calls a converter per
 * value, which was half the live totals' rebuild at 1,000,000 donations. Other types take that conversion and
 * readerResult's per-column function, so every value is the one readerResult gives.
 */
export async function columnarResult(result: DuckDBResult): Promise<ColumnarResult> {
  const names = result.deduplicatedColumnNames();
  const types = names.map((_, i) => result.columnTypeId(i));
  const columns: unknown[][] = names.map(() => []);
  // fetchChunk, not a materialized result's getChunk: the chunk is copied out on DuckDB's thread, not this one.
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const n = chunk.rowCount;
    for (let c = 0; c < names.length; c++) {
      const out = columns[c]!;
      const type = types[c]!;
      if (DIRECT.has(type)) {
        const vector = chunk.getColumnVector(c);
        const convert = type === DuckDBTypeId.BIGINT ? jsonSafe : plain;
        for (let r = 0; r < n; r++) out.push(convert(vector.getItem(r)));
      } else {
        const convert = type === DuckDBTypeId.DATE ? toDate : jsonSafe;
        for (const v of chunk.convertColumnValues(c, JSDuckDBValueConverter)) out.push(convert(v));
      }
    }
  }
  return { names, columns, rowCount: columns[0]?.length ?? 0 };
}
