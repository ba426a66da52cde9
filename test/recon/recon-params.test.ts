// recon_params: one table of documented defaults, rendered as a one-row SELECT in the SQL both DuckDB and
// Trino (Athena) accept; overrides are checked and a bad one is named.
import { DuckDBInstance } from '@duckdb/node-api';
import { TrinoSQL } from 'dt-sql-parser';
import { describe, expect, it } from 'vitest';

import { namedViews } from '../../puddles/named-views.js';
import { RECON_PARAMS, reconParamsSql } from '../../puddles/recon-params.js';

describe('recon_params', () => {
  it('renders every default, documented, as one typed row', async () => {
    for (const p of RECON_PARAMS) expect(p.doc.length, p.name).toBeGreaterThan(10);
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    try {
      const [row] = (await conn.runAndReadAll(reconParamsSql({ as_of: '2027-01-20', match_days_after: 5 }))).getRowObjectsJson();
      expect(row).toMatchObject({ as_of: '2027-01-20', match_days_before: 1, match_days_after: 5, grace_sms_days: 45, fee_max_percent: 10, fee_allowance_minor: 30 });
      expect(Object.keys(row!)).toEqual(RECON_PARAMS.map((p) => p.name));
      const [today] = (await conn.runAndReadAll(`SELECT as_of = current_date AS today FROM (${reconParamsSql()}) p`)).getRowObjectsJson();
      expect(today).toEqual({ today: true });
    } finally {
      conn.closeSync();
      inst.closeSync();
    }
  });

  it('names a bad override', () => {
    expect(() => reconParamsSql({ as_of: '20/01/2027' })).toThrow(/as_of must be a date YYYY-MM-DD/);
    // Date.parse rolls it to 2 March; DuckDB would refuse it later with a raw conversion error.
    expect(() => reconParamsSql({ as_of: '2027-02-30' })).toThrow(/as_of must be a date YYYY-MM-DD/);
    expect(() => reconParamsSql({ as_of: "2027-01-20' OR 1=1 --" })).toThrow(/as_of/);
    expect(() => reconParamsSql({ grace_sms_days: 4.5 })).toThrow(/grace_sms_days must be an integer/);
    expect(() => reconParamsSql({ window: 3 })).toThrow(/no parameter window/);
  });

  it('writes every named view in SQL that Trino\'s grammar accepts', () => {
    const trino = new TrinoSQL();
    for (const v of namedViews()) {
      expect(trino.validate(v.sql).map((e) => e.message), v.name).toEqual([]);
      expect(v.sql, v.name).not.toMatch(/\bQUALIFY\b|::|\bstrftime\b|GROUP BY ALL|INTERVAL \d/i);
    }
  });
});
