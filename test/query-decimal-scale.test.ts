// `puddle query` prints a DECIMAL with its scale, in every format. A DECIMAL reached JavaScript as a double, so
// until 2026-12-03 the table and JSON printed 25.10 as 25.1 (money read as another amount) and a DECIMAL(38, 3)
// past 2^53 with its last digits changed; only CSV, written by DuckDB's COPY, kept them. JSON gives the exact
// text as a string, as `puddle report`'s amounts are: a JSON number is a double to most programs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPuddle } from './support/run-cli.js';

const SQL = `SELECT 25.10::DECIMAL(18, 2) AS gbp, 1.500::DECIMAL(9, 3) AS kwd, -0.05 AS refund,
  12345678901234567890.123::DECIMAL(38, 3) AS big, NULL::DECIMAL(9, 2) AS none, 2510 AS amount_minor`;

describe('puddle query keeps a DECIMAL\'s scale', { timeout: 120_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'puddle-decimal-'));
  const query = (format: string, sql = SQL) => runPuddle(['query', '--format', format, sql], { PUDDLE_HOME: home });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('table', async () => {
    const r = await query('table');
    expect(r.code, r.stderr).toBe(0);
    const [, , row] = r.stdout.split('\n');
    expect(row!.split('|').map((c) => c.trim())).toEqual(['25.10', '1.500', '-0.05', '12345678901234567890.123', '', '2510']);
  });

  it('json: the exact text, as a string; integers stay numbers', async () => {
    const r = await query('json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ gbp: '25.10', kwd: '1.500', refund: '-0.05', big: '12345678901234567890.123', none: null, amount_minor: 2510 }]);
    // Streamed a chunk at a time: the same in every chunk.
    const many = await query('json', 'SELECT CAST(i AS DECIMAL(12, 2)) AS x FROM range(3000) r(i) WHERE i IN (0, 2999)');
    expect(JSON.parse(many.stdout)).toEqual([{ x: '0.00' }, { x: '2999.00' }]);
  });

  // A DECIMAL inside a list, struct or map (`SELECT list(amount)`, a struct of amounts): until 2026-12-03 the table
  // and JSON printed [25.1] and {"a":1.5}; the nested value is the exact text too, as a top-level one is.
  const NESTED = `SELECT [25.10::DECIMAL(18, 2), 3] AS l, {'kwd': 1.500::DECIMAL(9, 3), 'n': 7} AS s,
    MAP {'gbp': 0.50::DECIMAL(9, 2)} AS m, [[1.10::DECIMAL(9, 2)], [NULL]] AS ll, [12345678901234567890.123::DECIMAL(38, 3)] AS big`;

  it('keeps the scale of a DECIMAL inside a list, struct or map in table, JSON and CSV', async () => {
    const json = await query('json', NESTED);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([
      { l: ['25.10', '3.00'], s: { kwd: '1.500', n: 7 }, m: [{ key: 'gbp', value: '0.50' }], ll: [['1.10'], [null]], big: ['12345678901234567890.123'] },
    ]);
    // Streamed a chunk at a time (past DuckDB's 2048 rows): the same in every chunk.
    const many = await query('json', 'SELECT [CAST(i AS DECIMAL(12, 2))] AS x FROM range(3000) r(i) WHERE i IN (0, 2999)');
    expect(JSON.parse(many.stdout)).toEqual([{ x: ['0.00'] }, { x: ['2999.00'] }]);
    const table = await query('table', NESTED);
    expect(table.code, table.stderr).toBe(0);
    const [, , row] = table.stdout.split('\n');
    expect(row!.split(' | ').map((c) => c.trim())).toEqual([
      '["25.10","3.00"]', '{"kwd":"1.500","n":7}', '[{"key":"gbp","value":"0.50"}]', '[["1.10"],[null]]', '["12345678901234567890.123"]',
    ]);
    const csv = await query('csv', NESTED);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toBe(`l,s,m,ll,big\n"[25.10, 3.00]","{'kwd': 1.500, 'n': 7}",{gbp=0.50},"[[1.10], [NULL]]",[12345678901234567890.123]\n`);
  });

  it('csv', async () => {
    const r = await query('csv');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('gbp,kwd,refund,big,none,amount_minor\n25.10,1.500,-0.05,12345678901234567890.123,,2510\n');
  });
});
