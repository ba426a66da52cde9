// Every Parquet the CLI writes (`export`, `report --out`; copy-out.ts): instants as what they are, UTC. The views
// hold every instant as a TIMESTAMP (no zone) in UTC, and DuckDB writes a TIMESTAMP to Parquet with
// isAdjustedToUTC=false: a "local" wall-clock time, which Power BI, pandas/pyarrow and Excel's Power Query take as
// it is and never convert to UK time. Until 2026-12-06 every export was so (user test). A TIMESTAMPTZ is written
// with isAdjustedToUTC=true, the same microseconds since the epoch; DATE columns stay dates. CSV keeps the
// TIMESTAMP: copy-out.ts writes it with a Z.
import type { QueryEngine } from '../../core/ports.js';
import { reselect } from './csv-cells.js';

/** DuckDB's timestamps without a zone, as its column types are named; each a UTC instant in the views. */
const NAIVE_TIMESTAMP = /^TIMESTAMP(_S|_MS|_NS)?$/;

/**
 * `select` with every TIMESTAMP column a TIMESTAMPTZ of the same instant. `timezone('UTC', t)` reads `t` as UTC
 * whatever the session's TimeZone, where a plain cast reads it in that zone (Europe/London's summer time would
 * move each instant an hour). The column types come from the query itself, with no row read.
 */
export async function instantsAsUtc(engine: QueryEngine, select: string): Promise<string> {
  const { columns, types } = await engine.queryWithColumns(`SELECT * FROM (${select}) AS _puddle_typed LIMIT 0`);
  const naive = (i: number) => NAIVE_TIMESTAMP.test(types[i] ?? '');
  if (!columns.some((_, i) => naive(i))) return select;
  return reselect(select, columns, (c, i) => (naive(i) ? `timezone('UTC', ${c})` : c));
}
