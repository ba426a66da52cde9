import { describe, expect, it } from 'vitest';
import { withConnection } from './duckdb.js';
import { unitsColumnName, unitsDecimalSql } from './report-units.js';

describe('report amounts in currency units', () => {
  it('turns minor units into an exact DECIMAL of the report scale, for every exponent (no double on the way)', async () => {
    const sql =
      `SELECT CAST(${unitsDecimalSql('m', 'e', 3)} AS VARCHAR) AS units, typeof(${unitsDecimalSql('m', 'e', 3)}) AS t ` +
      `FROM (VALUES (2537, 2), (-2537, NULL), (1500, 3), (500, 0), (9007199254740993, 2), (1, 2)) AS v(m, e)`;
    const rows = await withConnection(async (conn) => (await conn.runAndReadAll(sql)).getRowObjectsJS());
    expect(rows.map((r) => r.units)).toEqual(['25.370', '-25.370', '1.500', '500.000', '90071992547409.930', '0.010']);
    expect(new Set(rows.map((r) => r.t))).toEqual(new Set(['DECIMAL(38,3)']));
    const two = await withConnection(async (conn) => (await conn.runAndReadAll(`SELECT CAST(${unitsDecimalSql('2537', '2', 2)} AS VARCHAR) AS u`)).getRowObjectsJS());
    expect(two).toEqual([{ u: '25.37' }]);
  });

  it('names the column for the amount, unless the view has a column of that name', () => {
    expect(unitsColumnName('amount_minor', new Set(['amount_minor']))).toBe('amount');
    expect(unitsColumnName('amount_minor', new Set(['amount_minor', 'amount']))).toBe('amount_units');
  });
});
