import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';

import { expandUnits, unitsSql } from '../../puddles/named-views.js';

describe('@units in query files: a minor-unit amount as text in its currency units', () => {
  it('gives 20.00 for 2000 at exponent 2 or none, 1.500 at 3, 500 at 0, 0.0001 at 4, and signs and zeros kept', async () => {
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const cases: [string, string | null, string][] = [
      ['2000', null, '20.00'],
      ['2000', '2', '20.00'],
      ['1500', '3', '1.500'],
      ['500', '0', '500'],
      ['1', '4', '0.0001'],
      ['-5', '2', '-0.05'],
      ['0', '3', '0.000'],
      ['123456789012345', '2', '1234567890123.45'],
    ];
    for (const [amount, exponent, want] of cases) {
      const sql = `SELECT ${unitsSql(`CAST(${amount} AS BIGINT)`, `CAST(${exponent ?? 'NULL'} AS INTEGER)`)} AS t`;
      const reader = await db.runAndReadAll(sql);
      expect(reader.getRowObjects()[0]!.t, `${amount} at ${exponent}`).toBe(want);
    }
  });

  it('expands every @units, with parentheses and commas inside the amount, and leaves the rest of the text as it was', () => {
    const sql = "SELECT 'a ' || @units(coalesce(r.x, 0), u.exponent) || ' b ' || @units(p.a - p.b, up.exponent) FROM t -- @units alone";
    const out = expandUnits(sql);
    expect(out).not.toContain('@units(');
    expect(out).toBe(`SELECT 'a ' || ${unitsSql('coalesce(r.x, 0)', 'u.exponent')} || ' b ' || ${unitsSql('p.a - p.b', 'up.exponent')} FROM t -- @units alone`);
    expect(() => expandUnits('SELECT @units(x) FROM t')).toThrow('@units needs (amount, exponent)');
  });
});
