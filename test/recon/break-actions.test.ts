// Every break recon_breaks can open says what to do next (`action`, from puddles/break-actions.ts): a type added to
// the SQL without an action, or an action left behind for a type the SQL no longer opens, fails here, as does a docs
// table whose action for a type is not the one the CSV carries (a treasurer's user test, L8).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { BREAK_ACTIONS } from '../../puddles/break-actions.js';

const root = join(import.meta.dirname, '..', '..');
const sql = readFileSync(join(root, 'puddles', 'queries', 'recon_breaks.sql'), 'utf8');
const doc = readFileSync(join(root, 'docs', 'reconciliation.md'), 'utf8');

/** The break types recon_breaks.sql can open: its upper-case literals of two or more words (`'FEE_ANOMALY'`), comments left out. */
function typesInSql(text: string): string[] {
  const code = text.replace(/--[^\n]*/g, '');
  return [...new Set([...code.matchAll(/'([A-Z]+(?:_[A-Z]+)+)'/g)].map((m) => m[1]!))].sort();
}

/** The "Break types" table's rows: the type, and its cells after it. */
function docRows(): Map<string, string[]> {
  const at = doc.indexOf('## Break types (`recon_breaks.break_type`)');
  const table = doc.slice(doc.indexOf('\n|', at) + 1, doc.indexOf('\n\n', doc.indexOf('\n|', at)));
  const [head, , ...rows] = table.split('\n');
  expect(head).toBe('| break | on | when (default grace) | `amount_minor` | `action` (what to do next) |');
  return new Map(
    rows.map((r) => {
      const cells = r.slice(1, -1).split(' | ').map((c) => c.trim());
      return [cells[0]!.replaceAll('`', ''), cells.slice(1)];
    }),
  );
}

describe('the action of each break type', () => {
  it('has one for every break type recon_breaks.sql can open, and none for another', () => {
    const types = typesInSql(sql);
    expect(types.length).toBeGreaterThan(25);
    expect(Object.keys(BREAK_ACTIONS).sort()).toEqual(types);
  });

  it('finds a type the SQL opens under a CASE, and leaves out one only a comment names', () => {
    expect(typesInSql(`SELECT CASE WHEN a THEN 'CURRENCY_MISMATCH' ELSE 'AMOUNT_MISMATCH' END -- 'NOT_A_TYPE'`)).toEqual(['AMOUNT_MISMATCH', 'CURRENCY_MISMATCH']);
  });

  it.each(Object.entries(BREAK_ACTIONS))('%s: one short sentence', (_type, action) => {
    expect(action).toMatch(/^[A-Z].*\.$/);
    expect(action.length).toBeLessThan(260);
  });

  it('is the docs\' "Break types" table\'s last column, word for word, with the sign of amount_minor before it', () => {
    const rows = docRows();
    expect([...rows.keys()].sort()).toEqual(Object.keys(BREAK_ACTIONS).sort());
    for (const [type, cells] of rows) {
      expect(cells, type).toHaveLength(4);
      expect(cells[3], type).toBe(BREAK_ACTIONS[type]);
      expect(cells[2], type).not.toBe('');
    }
  });
});
