// Spreadsheet formula injection ("CSV injection", OWASP): Excel, LibreOffice and Google Sheets run a CSV cell
// that starts with = + - @ (or a tab or carriage return before one) as a formula. Some text in the lake is
// chosen by strangers: a bank line's remittance text, a donor's campaign field, a ticket's type. So
// `=HYPERLINK("http://evil.example/","Click")` in a remittance must reach finance's spreadsheet as text.
// OWASP's remedy: a single quote before such a cell, which spreadsheets take as "this is text" and do not show.
// Only text columns: a number column's -25 is a number, written as one, and never a formula.
import { sqlIdent } from '../../puddles/sql-text.js';

/** The first characters that make a spreadsheet read a cell as a formula. */
const FORMULA_START: readonly string[] = ['=', '+', '-', '@', '\t', '\r'];

/**
 * A column whose cells are free text: DuckDB's VARCHAR (and ENUM). Not a list of them (`VARCHAR[]`), which has
 * no first character to test and is written `[...]`, never read as a formula.
 */
function isTextType(type: string): boolean {
  return /^(varchar|char|string|text|enum)(\(.*\))?$/i.test(type.trim());
}

/**
 * `select` with every text column neutralised in SQL, for DuckDB's COPY to write: the other columns keep their
 * types (COPY writes a BIGINT as a number and a TIMESTAMP in its own format). The columns are renamed by
 * position first, so a result with two columns of one name still reads; the header keeps the original names.
 */
export function neutralisedSelect(select: string, columns: readonly string[], types: readonly string[]): string {
  if (!types.some(isTextType)) return select;
  const starts = FORMULA_START.map((c) => `chr(${c.charCodeAt(0)})`).join(', ');
  return reselect(select, columns, (c, i) => (isTextType(types[i] ?? '') ? `CASE WHEN left(${c}, 1) IN (${starts}) THEN '''' || ${c} ELSE ${c} END` : c));
}

/**
 * `select` again, each column under its own name as `cell` writes it from the column (by a positional alias, so a
 * name any SQL may give is never parsed here): what the CSV and Parquet writers change of a query's columns.
 */
export function reselect(select: string, columns: readonly string[], cell: (column: string, i: number) => string): string {
  const alias = columns.map((_, i) => `_puddle_c${i}`);
  const cells = columns.map((name, i) => `${cell(alias[i]!, i)} AS ${sqlIdent(name)}`);
  return `SELECT ${cells.join(', ')} FROM (${select}) AS _puddle_out(${alias.join(', ')})`;
}
