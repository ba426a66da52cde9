import type { Row } from '../../core/ports.js';

export type Format = 'table' | 'json' | 'csv';

/** `columns` names the columns when there may be no rows to learn them from (a CSV keeps its header). */
export function formatRows(rows: Row[], format: Format, columns?: readonly string[]): string {
  if (format === 'json') return `${JSON.stringify(rows)}\n`;
  const cols = columns ? [...columns] : [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  if (format === 'csv') {
    const esc = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    return `${[cols.map(esc).join(','), ...rows.map((r) => cols.map((c) => esc(cell(r[c]))).join(','))].join('\n')}\n`;
  }
  if (rows.length === 0) return '(no rows)\n';
  // A loop, not Math.max(...lengths): spreading a few hundred thousand rows' lengths overflows the stack.
  const widths = cols.map((c) => rows.reduce((w, r) => Math.max(w, cell(r[c]).length), c.length));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join(' | ');
  return `${[line(cols), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n')}\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
}
