// DuckDB result values -> JSON-safe values: BIGINT/HUGEINT as number when safe else string,
// timestamps as ISO strings ending in Z, dates as YYYY-MM-DD.
import { DuckDBTypeId, type DuckDBResultReader } from '@duckdb/node-api';

import type { Row } from '../../core/ports.js';

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

export function readerRows(reader: DuckDBResultReader): Row[] {
  const names = reader.deduplicatedColumnNames();
  const dateCols = new Set(names.filter((_, i) => reader.columnTypeId(i) === DuckDBTypeId.DATE));
  return reader.getRowObjectsJS().map((row) => {
    const out: Row = {};
    for (const name of names) {
      const v = row[name];
      out[name] = dateCols.has(name) && v instanceof Date ? v.toISOString().slice(0, 10) : jsonSafe(v);
    }
    return out;
  });
}
