// `puddle report` gives finance each amount in its currency's units beside the minor units the views hold:
// `amount_minor` 2537 and `amount` 25.37 for GBP (1500 and 1.500 for KWD, 500 and 500 for JPY). The views stay
// as they are (minor units, BIGINT): Tableau, Athena and `puddle export` read them, and a program wants the
// exact integer. Only the report adds the columns, as a spreadsheet reader needs them.
//
// The added column is a DECIMAL, never a double, so a CSV cell is exact (25.37, not 25.370000000000001), and
// never text, which the CSV formula guard (csv-cells.ts) would write as `'-25.37`. A DECIMAL has one scale per
// column: the largest exponent among the report's currencies (2 for a GBP-only report: 25.37; a report that
// also holds KWD writes GBP as 25.370). So the report's rows are kept in a temporary table first, and the scale
// read from them: the view runs once.
import type { QueryEngine } from '../core/ports.js';
import { CURRENCY_EXPONENTS } from '../core/currency-exponents.js';
import { REPORTS, reportSql } from './reports.js';

const TABLE = '_puddle_report';
const INTEGER = /^(BIGINT|INTEGER|HUGEINT|SMALLINT|TINYINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT|INT\d*)$/i;

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The column of a `*_minor` column in units: `amount_minor` -> `amount`, or `amount_units` when `amount` is taken. */
export function unitsColumnName(minor: string, taken: ReadonlySet<string>): string {
  const base = minor.slice(0, -'_minor'.length);
  return taken.has(base) ? `${base}_units` : base;
}

/**
 * An integer of minor units as DECIMAL(38, scale) in its currency's units, exactly: DECIMAL times 0.01 is exact
 * in DuckDB (the scales add), where a division would go through a double. `exponent` may be null (2).
 */
export function unitsDecimalSql(amount: string, exponent: string, scale: number): string {
  const exps = [...new Set([2, ...Object.values(CURRENCY_EXPONENTS)])].filter((e) => e <= scale).sort();
  const asUnits = (e: number) =>
    `CAST(${e === 0 ? `CAST(${amount} AS DECIMAL(38, 0))` : `CAST(${amount} AS DECIMAL(38, 0)) * ${(10 ** -e).toFixed(e)}`} AS DECIMAL(38, ${scale}))`;
  return `CASE coalesce(${exponent}, 2)${exps.map((e) => ` WHEN ${e} THEN ${asUnits(e)}`).join('')} END`;
}

/**
 * The report's SELECT with a units column beside each integer `*_minor` column, for a report with a `currency`
 * column; the report's rows are computed once, into a temporary table on this engine's connection (DuckDB).
 * `asText`: the units as text, for a table a person reads (a DECIMAL reaches JavaScript as a double, and 25.10
 * would print 25.1); never for a CSV, whose formula guard would quote a negative text.
 */
export async function reportWithUnitsSql(
  engine: QueryEngine,
  name: string,
  range: { from?: string; to?: string } = {},
  opts: { asText?: boolean } = {},
): Promise<string> {
  const def = REPORTS[name];
  const sql = reportSql(name, range);
  return def ? withUnitsSql(engine, sql, def.orderBy, opts) : sql;
}

/** `sql`'s rows, in `orderBy`'s order, with a units column beside each `*_minor` column (reportWithUnitsSql). */
export async function withUnitsSql(engine: QueryEngine, sql: string, orderBy: string, opts: { asText?: boolean } = {}): Promise<string> {
  await engine.query(`CREATE OR REPLACE TEMP TABLE ${TABLE} AS ${sql}`);
  const { columns, types } = await engine.queryWithColumns(`SELECT * FROM ${TABLE} LIMIT 0`);
  const minor = columns.filter((c, i) => c.endsWith('_minor') && INTEGER.test(types[i] ?? ''));
  const ordered = `SELECT * FROM ${TABLE} ORDER BY ${orderBy}`;
  if (!columns.includes('currency') || !minor.length) return ordered;
  const [row] = await engine.query(`SELECT max(coalesce(e.exponent, 2)) AS s FROM ${TABLE} r LEFT JOIN currency_exponents e ON e.currency = r.currency`);
  const scale = row?.s === null || row?.s === undefined ? 2 : Number(row.s);
  const taken = new Set(columns);
  const cells = columns.flatMap((c) => {
    if (!minor.includes(c)) return [ident(c)];
    const units = unitsColumnName(c, taken);
    taken.add(units);
    const decimal = unitsDecimalSql(ident(c), '_puddle_exponent', scale);
    return [ident(c), `${opts.asText ? `CAST(${decimal} AS VARCHAR)` : decimal} AS ${ident(units)}`];
  });
  return (
    `SELECT ${cells.join(', ')} FROM (SELECT r.*, e.exponent AS _puddle_exponent FROM ${TABLE} r ` +
    `LEFT JOIN currency_exponents e ON e.currency = r.currency) AS _puddle_units ORDER BY ${orderBy}`
  );
}
