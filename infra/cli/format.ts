import type { Row } from '../../core/ports.js';
import { isTextType, neutraliseCell } from './csv-cells.js';

export type Format = 'table' | 'json' | 'csv';

export interface CsvOptions {
  /** Each column's type (QueryResult.types): only text columns' cells can be formulas. Unknown: every string cell is text. */
  types?: readonly string[];
  /** Write text cells exactly as stored, formulas and all (`--raw-csv`). */
  raw?: boolean;
}

/**
 * `columns` names the columns when there may be no rows to learn them from (a CSV keeps its header). A CSV's
 * text cells that a spreadsheet would run as formulas are neutralised (csv-cells.ts) unless `csv.raw`.
 */
export function formatRows(rows: Row[], format: Format, columns?: readonly string[], csv: CsvOptions = {}): string {
  if (format === 'json') return `${JSON.stringify(rows)}\n`;
  const cols = columns ? [...columns] : [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  if (format === 'csv') {
    const esc = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const text = cols.map((_, i) => !csv.raw && (csv.types ? isTextType(csv.types[i] ?? '') : true));
    const csvCell = (v: unknown, i: number) => esc(typeof v === 'string' && text[i] ? neutraliseCell(v) : cell(v));
    return `${[cols.map(esc).join(','), ...rows.map((r) => cols.map((c, i) => csvCell(r[c], i)).join(','))].join('\n')}\n`;
  }
  if (rows.length === 0) return '(no rows)\n';
  // A loop, not Math.max(...lengths): spreading a few hundred thousand rows' lengths overflows the stack.
  const widths = cols.map((c) => rows.reduce((w, r) => Math.max(w, cell(r[c]).length), c.length));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join(' | ');
  return `${[line(cols), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n')}\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
}
