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
        '(2 rows, a block each: the table is wider than the terminal)',
        '',
      ].join('\n'),
    );
  });

  it('keeps a word longer than the room whole on a line of its own, and wraps no narrower than 20 characters', () => {
    const id = 'DE14740618130000033626/camt.053/0352C5320131227220503';
    const out = formatRows([{ statement_id: id, note: `see ${id} now` }], 'table', undefined, { width: 10 });
    expect(out.split('\n').slice(1, 5)).toEqual([`statement_id | ${id}`, 'note         | see', `             | ${id}`, '             | now']);
  });

  it("keeps a value's own lines, spaces and tabs, and counts a value of several lines by its longest", () => {
    // An EXPLAIN's plan: one cell of many lines, each narrower than the terminal, is a table as before.
    const plan = ['┌───────────┐', '│ PROJECTION │', '└───────────┘'].join('\n');
    expect(formatRows([{ explain_key: 'physical_plan', explain_value: plan }], 'table', undefined, { width: 40 })).toBe(
      formatRows([{ explain_key: 'physical_plan', explain_value: plan }], 'table'),
    );
    const out = formatRows([{ ref: 'AB  12\tCD', blank: '   ', text: 'line one\n  line two, indented, which runs past the room' }], 'table', undefined, { width: 30 });
    expect(out.split('\n').slice(1, 7)).toEqual(['ref   | AB  12\tCD', 'blank |    ', 'text  | line one', '      |   line two, indented,', '      | which runs past the', '      | room']);
  });
});
