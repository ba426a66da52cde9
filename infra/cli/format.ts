import type { Row } from '../../core/ports.js';

/** What formatRows prints. A CSV is not one of them: copy-out.ts writes every CSV, with DuckDB's COPY. */
export type Format = 'table' | 'json';

/**
 * `columns`: the result's columns in the engine's order; without them, every key any row has. `width`: the terminal's
 * (stdout.ts, rowsForStdout), for output a person reads there. A table wider than it is printed a block a row instead, each column
 * on a line of its own and a long value wrapped at its spaces, as psql's expanded display does: `puddle report
 * breaks` is 600-700 characters wide (its reasons and actions are sentences), which a terminal folded into lines no
 * one could read (until 2026-12-08). Nothing is cut or changed: a value's spaces and lines are kept, and a word longer
 * than the room (an id, a statement reference) keeps a line of its own, whole, for the terminal to fold, so that it
 * reads and copies as one. Output to a pipe or a file (no width) is the table, one line a row, as before.
 */
export function formatRows(rows: Row[], format: Format, columns?: readonly string[], opts: { width?: number } = {}): string {
  if (format === 'json') return `${JSON.stringify(rows)}\n`;
  const cols = columns ? [...columns] : [...new Set(rows.flatMap((r) => Object.keys(r)))];
  if (rows.length === 0) return '(no rows)\n';
  // A value of several lines (an EXPLAIN's plan) is as wide on the terminal as its longest line.
  if (opts.width !== undefined && tableWidth(rows, cols) > opts.width) return blocks(rows, cols, opts.width);
  // A loop, not Math.max(...lengths): spreading a few hundred thousand rows' lengths overflows the stack.
  const widths = cols.map((c) => rows.reduce((w, r) => Math.max(w, cell(r[c]).length), c.length));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join(' | ');
  return `${[line(cols), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n')}\n(${rowsText(rows.length)})\n`;
}

const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** How wide the table's widest line is on a terminal, a value of several lines counted by its longest. */
function tableWidth(rows: Row[], cols: readonly string[]): number {
  const longestLine = (text: string) => text.split('\n').reduce((w, l) => Math.max(w, l.length), 0);
  return cols.reduce((sum, c) => sum + rows.reduce((w, r) => Math.max(w, longestLine(cell(r[c]))), c.length), 3 * (cols.length - 1));
}

/** The narrowest a wrapped value gets, however narrow the terminal: below it, lines of a few letters read worse. */
const MIN_VALUE_WIDTH = 20;

/** A block a row: `-[ row 1 of 3 ]---`, then `column | value` a line each, a long value wrapped under itself. */
function blocks(rows: Row[], cols: readonly string[], width: number): string {
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
  return `${out.join('\n')}\n(${rowsText(rows.length)}, a block each: the table is wider than the terminal)\n`;
}

/**
 * `text` in lines of at most `width` characters where it can be: each of its own lines in turn, broken at a space
 * (the one space a break replaces is the only character not shown). A word longer than `width` keeps a line of its
 * own, whole. Every other space, tab and line is kept.
 */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (let rest of text.split('\n')) {
    while (rest.length > width) {
      // The last space that leaves at most `width` before it, else the first after: a long word stays whole.
      let at = rest.lastIndexOf(' ', width);
      if (at <= 0) at = rest.indexOf(' ', width);
      if (at <= 0) break;
      lines.push(rest.slice(0, at));
      rest = rest.slice(at + 1);
    }
    lines.push(rest);
  }
  return lines;
}

/** `1 row`, `2 rows`: how many rows a command printed or wrote. */
export function rowsText(n: number): string {
  return `${n} row${n === 1 ? '' : 's'}`;
}
