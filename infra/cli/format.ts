import type { Row } from '../../core/ports.js';

/** What formatRows prints. A CSV is not one of them: copy-out.ts writes every CSV, with DuckDB's COPY. */
export type Format = 'table' | 'json';

/** `columns`: the result's columns in the engine's order; without them, every key any row has. */
export function formatRows(rows: Row[], format: Format, columns?: readonly string[]): string {
  if (format === 'json') return `${JSON.stringify(rows)}\n`;
  const cols = columns ? [...columns] : [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  if (rows.length === 0) return '(no rows)\n';
  // A loop, not Math.max(...lengths): spreading a few hundred thousand rows' lengths overflows the stack.
  const widths = cols.map((c) => rows.reduce((w, r) => Math.max(w, cell(r[c]).length), c.length));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join(' | ');
  return `${[line(cols), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n')}\n(${rowsText(rows.length)})\n`;
}

/** `1 row`, `2 rows`: how many rows a command printed or wrote. */
export function rowsText(n: number): string {
  return `${n} row${n === 1 ? '' : 's'}`;
}
