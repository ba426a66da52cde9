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

  it('keeps the table on a terminal it fits', () => {
    // 8 characters wide: `n  | name`.
    const rows = [{ n: 1, name: 'a' }, { n: 22, name: null }];
    expect(formatRows(rows, 'table', undefined, { width: 9 })).toBe(formatRows(rows, 'table'));
  });

  it('prints a block a row, every value whole and a long one wrapped at spaces, on a terminal narrower than the table', () => {
    const rows = [
      { break_type: 'AMOUNT_MISMATCH', action: 'Compare the donation with its charge: refund the difference', bank_line_id: null },
      { break_type: 'BANK_LINE_NO_PAYOUT', action: 'Find the payout', bank_line_id: 'bl_0011w' },
    ];
    expect(formatRows(rows, 'table', ['break_type', 'action', 'bank_line_id'], { width: 40 })).toBe(
      [
        '-[ row 1 of 2 ]-------------------------',
        'break_type   | AMOUNT_MISMATCH',
        'action       | Compare the donation with',
        '             | its charge: refund the',
        '             | difference',
        'bank_line_id |',
        '-[ row 2 of 2 ]-------------------------',
        'break_type   | BANK_LINE_NO_PAYOUT',
        'action       | Find the payout',
        'bank_line_id | bl_0011w',
        '(2 rows; a block a row: the table is 96 characters wide, the terminal 40; --format json or csv, or a pipe, for a line a row)',
        '',
      ].join('\n'),
    );
  });

  it('wraps a value no narrower than 20 characters however narrow the terminal, cutting a word longer than that', () => {
    const out = formatRows([{ id: 'x'.repeat(45), note: 'short' }], 'table', undefined, { width: 10 });
    expect(out.split('\n').slice(1, 5)).toEqual(['id   | xxxxxxxxxxxxxxxxxxxx', '     | xxxxxxxxxxxxxxxxxxxx', '     | xxxxx', 'note | short']);
  });
});
