import { describe, expect, it } from 'vitest';

import { formatRows } from './format.js';

describe('formatRows', () => {
  it('lays out a table as wide as its widest cell, for a result of any size', () => {
    expect(formatRows([{ n: 1, name: 'a' }, { n: 22, name: null }], 'table')).toBe('n  | name\n---+-----\n1  | a   \n22 |     \n(2 rows)\n');
    // 300,000 rows: the widths once came from Math.max(...lengths), which overflowed the stack.
    const rows = Array.from({ length: 300_000 }, (_, i) => ({ range: i }));
    const out = formatRows(rows, 'table');
    expect(out.split('\n')[1]).toBe('------');
    expect(out.endsWith('(300000 rows)\n')).toBe(true);
  });
});
