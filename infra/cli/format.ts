import type { Row } from '../../core/ports.js';

/** What formatRows prints. A CSV is not one of them: copy-out.ts writes every CSV, with DuckDB's COPY. */
export type Format = 'table' | 'json';

/**
 * `columns`: the result's columns in the engine's order; without them, every key any row has. `width`: the terminal's
 * (stdoutWidth), for output a person reads there. A table wider than it is printed a block a row instead, each column
 * on a line of its own and a long value wrapped, as psql's expanded display does: `puddle report breaks` is about 650
 * characters wide (its reasons and actions are sentences), which a terminal folded into lines no one could read
 * (until 2026-12-08). Nothing is cut: a break's ids and action are what finance acts on. Output to a pipe or a file
 * (no width) is the table, one line a row, as before.
 */
export function formatRows(rows: Row[], format: Format, columns?: readonly string[], opts: { width?: number } = {}): string {
  if (format === 'json') return `${JSON.stringify(rows)}\n`;
  const cols = columns ? [...columns] : [...new Set(rows.flatMap((r) => Object.keys(r)))];
  if (rows.length === 0) return '(no rows)\n';
  // A loop, not Math.max(...lengths): spreading a few hundred thousand rows' lengths overflows the stack.
  const widths = cols.map((c) => rows.reduce((w, r) => Math.max(w, cell(r[c]).length), c.length));
  const tableWidth = widths.reduce((a, b) => a + b, 0) + 3 * (cols.length - 1);
  if (opts.width !== undefined && tableWidth > opts.width) return blocks(rows, cols, opts.width, tableWidth);
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join(' | ');
  return `${[line(cols), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n')}\n(${rowsText(rows.length)})\n`;
}

const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** The narrowest a wrapped value gets, however narrow the terminal: below it, lines of a few letters read worse. */
const MIN_VALUE_WIDTH = 20;

/** A block a row: `-[ row 1 of 3 ]---`, then `column | value` a line each, a long value wrapped under itself. */
function blocks(rows: Row[], cols: readonly string[], width: number, tableWidth: number): string {
  const nameWidth = cols.reduce((w, c) => Math.max(w, c.length), 0);
  const valueWidth = Math.max(MIN_VALUE_WIDTH, width - nameWidth - 3);
  const out: string[] = [];
  rows.forEach((r, i) => {
    const head = `-[ row ${i + 1} of ${rows.length} ]`;
    out.push(head + '-'.repeat(Math.max(0, Math.min(width, nameWidth + 3 + valueWidth) - head.length)));
    for (const c of cols) {
      wrap(cell(r[c]), valueWidth).forEach((part, k) => out.push(`${(k === 0 ? c : '').padEnd(nameWidth)} |${part ? ` ${part}` : ''}`));
    }
  });
  const note = `a block a row: the table is ${tableWidth} characters wide, the terminal ${width}; --format json or csv, or a pipe, for a line a row`;
  return `${out.join('\n')}\n(${rowsText(rows.length)}; ${note})\n`;
}

/** `text` in lines of at most `width` characters, broken at spaces where it can be (a longer word is cut). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let rest = text.replace(/\s+/g, ' ').trim();
  while (rest.length > width) {
    const space = rest.lastIndexOf(' ', width);
    const at = space > 0 ? space : width;
    lines.push(rest.slice(0, at));
    rest = rest.slice(at).trimStart();
  }
  lines.push(rest);
  return lines;
}

/** `1 row`, `2 rows`: how many rows a command printed or wrote. */
export function rowsText(n: number): string {
  return `${n} row${n === 1 ? '' : 's'}`;
}
