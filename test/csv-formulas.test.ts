// CSV formula injection: text a stranger chose (a bank line's remittance, a producer's campaign) must reach a
// spreadsheet as text from every CSV the CLI writes, while numbers stay numbers. Run as a user runs it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEnvelope } from '../core/envelope.js';
import { createLocalRuntime } from '../infra/local/runtime.js';
import { PuddleConsumer } from '../puddles/consumer.js';
import { PUDDLES } from '../puddles/definitions.js';
import { runPuddle } from './support/run-cli.js';

const home = mkdtempSync(join(tmpdir(), 'puddle-csv-formulas-'));
const outDir = mkdtempSync(join(tmpdir(), 'puddle-csv-formulas-out-')); // an --out inside the home is refused
const puddle = (args: string[]) => runPuddle(args, { PUDDLE_HOME: home });
const EVIL = '=HYPERLINK("http://evil.example/","Click")';
const line = (id: string, amount: number, reference: string, description: string | null) =>
  makeEnvelope({
    contract: 'bank_line', version: 1, source: 'producer', delivery_id: `req-${id}`,
    payload: { bank_line_id: id, occurred_at: '2026-11-28T09:00:00Z', account: 'acc-1', amount_minor: amount, currency: 'GBP', reference, description },
  });

beforeAll(async () => {
  const rt = await createLocalRuntime({ home });
  try {
    for (const p of PUDDLES) await rt.queue.subscribe(p);
    await rt.queue.publish([
      line('bl-1', 2500, EVIL, '@SUM(1+1)*cmd|\' /C calc\'!A0'),
      line('bl-2', -25, '-25', '\t=1+1'),
      line('bl-3', 1000, 'STRIPE PAYOUT 42', '+44 20 7946 0000'),
      makeEnvelope({
        contract: 'donation', version: 1, source: 'producer', delivery_id: 'req-d',
        payload: { donation_id: 'd-1', occurred_at: '2026-11-27T20:15:03Z', channel: 'sms', amount_minor: 500, currency: 'GBP', campaign: EVIL, cta: '-2+3' },
      }),
      // A journey row with a formula, an empty text, a null, instants and a negative number (the fee).
      makeEnvelope({
        contract: 'donation', version: 1, source: 'producer', delivery_id: 'req-d2',
        payload: { donation_id: 'd-2', occurred_at: '2026-11-29T10:00:00Z', channel: 'online', amount_minor: 1000, currency: 'GBP', campaign: '=1+2', cta: '', payment_provider: 'stripe' },
      }),
      makeEnvelope({
        contract: 'payment', version: 1, source: 'producer', delivery_id: 'req-p2',
        payload: { payment_id: 'p-2', occurred_at: '2026-11-29T10:00:05Z', provider: 'stripe', status: 'succeeded', amount_minor: 1000, currency: 'GBP', fee_minor: -30, donation_id: 'd-2' },
      }),
    ]);
    for (const p of PUDDLES) await new PuddleConsumer({ puddle: p, queue: rt.queue, store: rt.store, catalog: rt.catalog }).drain();
  } finally {
    await rt.close();
  }
}, 60_000);

afterAll(() => {
  for (const dir of [home, outDir]) rmSync(dir, { recursive: true, force: true });
});

/** A CSV's rows as text cells, read by DuckDB's own CSV reader (quotes and embedded commas as a spreadsheet reads them). */
async function readCsv(file: string): Promise<Record<string, string | null>[]> {
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    const reader = await conn.runAndReadAll(`SELECT * FROM read_csv('${file}', header = true, all_varchar = true, quote = '"', escape = '"')`);
    return reader.getRowObjectsJS() as Record<string, string | null>[];
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

const byId = <T extends Record<string, unknown>>(rows: T[], key: string) => Object.fromEntries(rows.map((r) => [String(r[key]), r]));

describe('CSV cells a spreadsheet would run as formulas', () => {
  it('puddle export writes them with a quote before them, and numbers as numbers', async () => {
    const file = join(outDir, 'bl.csv');
    const r = await puddle(['export', 'bank_line', '--format', 'csv', '--out', file]);
    expect(r.code, r.stderr).toBe(0);
    const rows = byId(await readCsv(file), 'bank_line_id');
    expect(rows['bl-1']).toMatchObject({ reference: `'${EVIL}`, description: '\'@SUM(1+1)*cmd|\' /C calc\'!A0', amount_minor: '2500' });
    // -25 in the money column is the number -25; the same text in a text column is text.
    expect(rows['bl-2']).toMatchObject({ reference: "'-25", description: "'\t=1+1", amount_minor: '-25' });
    expect(rows['bl-3']).toMatchObject({ reference: 'STRIPE PAYOUT 42', description: "'+44 20 7946 0000" });
    // Instants keep their format: the CSV is still COPY's, typed, not text made from every column.
    expect(rows['bl-1']!.occurred_at).toBe('2026-11-28T09:00:00.000Z');
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/(^|,)"?=HYPERLINK/m);
  });

  it('--raw-csv writes the text as stored, and Parquet always does', async () => {
    const csv = join(outDir, 'raw.csv');
    const parquet = join(outDir, 'bl.parquet');
    const [a, b] = await Promise.all([
      puddle(['export', 'bank_line', '--format', 'csv', '--out', csv, '--raw-csv']),
      puddle(['export', 'bank_line', '--format', 'parquet', '--out', parquet]),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(byId(await readCsv(csv), 'bank_line_id')['bl-1']!.reference).toBe(EVIL);
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    try {
      const rows = (await conn.runAndReadAll(`SELECT reference FROM read_parquet('${parquet}') WHERE bank_line_id = 'bl-1'`)).getRowObjectsJS();
      expect(rows).toEqual([{ reference: EVIL }]);
    } finally {
      conn.closeSync();
      inst.closeSync();
    }
  });

  it('puddle query --format csv neutralises text columns only, whatever the number', async () => {
    const sql = "SELECT bank_line_id, reference, amount_minor, amount_minor * 1000000000000000 AS big FROM bank_line ORDER BY bank_line_id";
    const [safe, raw] = await Promise.all([puddle(['query', sql, '--format', 'csv']), puddle(['query', sql, '--format', 'csv', '--raw-csv'])]);
    expect(safe.code, safe.stderr).toBe(0);
    expect(safe.stdout.split('\n').slice(0, 3)).toEqual([
      'bank_line_id,reference,amount_minor,big',
      `bl-1,"'=HYPERLINK(""http://evil.example/"",""Click"")",2500,2500000000000000000`,
      // A BIGINT past 2^53 reaches the writer as a string: its type, not its JS value, says it is a number.
      "bl-2,'-25,-25,-25000000000000000",
    ]);
    expect(raw.stdout.split('\n')[1]).toBe('bl-1,"=HYPERLINK(""http://evil.example/"",""Click"")",2500,2500000000000000000');
  });

  it('report, export and query --format csv write the same cells for the same row', async () => {
    const file = join(outDir, 'journey.csv');
    const [report, exported, query] = await Promise.all([
      puddle(['report', 'journey', '--format', 'csv']),
      puddle(['export', 'recon_journey', '--format', 'csv', '--out', file]),
      puddle(['query', "SELECT * FROM recon_journey WHERE donation_id = 'd-2'", '--format', 'csv']),
    ]);
    for (const r of [report, exported, query]) expect(r.code, r.stderr).toBe(0);
    // The header and d-2's line, as text: a parser would read an empty text and a null alike.
    const d2 = (csv: string): [string, string | undefined] => {
      const lines = csv.split('\n');
      return [lines[0]!, lines.find((l) => l.startsWith('d-2,'))];
    };
    const [header, line] = d2(query.stdout);
    // The report adds each amount in its currency's units beside its *_minor (`fee` beside `fee_minor`); the rest
    // of its cells are the view's.
    const [reportHeader, reportLine] = d2(report.stdout);
    const names = reportHeader.split(',');
    const viewNames = header.split(',');
    expect(names.filter((n) => !viewNames.includes(n))).toEqual(viewNames.filter((n) => n.endsWith('_minor')).map((n) => n.slice(0, -'_minor'.length)));
    const cell = Object.fromEntries(names.map((n, i) => [n, reportLine!.split(',')[i]]));
    expect(viewNames.map((n) => cell[n]).join(',')).toBe(line);
    expect(cell).toMatchObject({ fee_minor: '-30', fee: '-0.30' });
    expect(d2(readFileSync(file, 'utf8'))).toEqual([header, line]);
    // No cell of d-2's holds a comma, so a split reads it.
    const cells = Object.fromEntries(header.split(',').map((name, i) => [name, line!.split(',')[i]]));
    // A null is an empty cell and an empty text is "" (query's own writer once wrote both as nothing).
    expect(cells).toMatchObject({ campaign: "'=1+2", cta: '""', click_id: '', pledged_at: '2026-11-29T10:00:00.000Z', paid_at: '2026-11-29T10:00:05.000Z', fee_minor: '-30' });
  });

  it('puddle query --format csv takes what the table takes: DESCRIBE, a trailing semicolon or comment, a list', async () => {
    const [described, ended, list] = await Promise.all([
      puddle(['query', 'DESCRIBE bank_line;', '--format', 'csv']),
      puddle(['query', "SELECT reference FROM bank_line WHERE bank_line_id = 'bl-1' -- the evil one", '--format', 'csv']),
      // A list of texts is no text column: it is written [...], and has no first character to test.
      puddle(['query', "SELECT ['=a', 'b'] AS tags", '--format', 'csv']),
    ]);
    expect(list.stdout, list.stderr).toBe(`tags\n"['=a', b]"\n`);
    expect(described.code, described.stderr).toBe(0);
    expect(described.stdout).toMatch(/^column_name,column_type,.*\nbank_line_id,VARCHAR,/);
    expect(ended.code, ended.stderr).toBe(0);
    expect(ended.stdout).toBe(`reference\n"'=HYPERLINK(""http://evil.example/"",""Click"")"\n`);
    const pragma = await puddle(['query', 'PRAGMA version', '--format', 'csv']);
    expect(pragma.code).toBe(1);
    expect(pragma.stderr).toContain('--format csv takes one query');
  });

  it('puddle report --format csv, to standard output and to a file, neutralises a campaign and keeps the sums', async () => {
    const file = join(outDir, 'totals.csv');
    const [out, toFile] = await Promise.all([
      puddle(['report', 'totals', '--as-of', '2026-12-01', '--format', 'csv']),
      puddle(['report', 'totals', '--as-of', '2026-12-01', '--format', 'csv', '--out', file]),
    ]);
    expect(out.code, out.stderr).toBe(0);
    expect(toFile.code, toFile.stderr).toBe(0);
    expect(out.stdout).toBe(readFileSync(file, 'utf8'));
    const [row] = await readCsv(file);
    expect(row).toMatchObject({ campaign: `'${EVIL}`, cta: "'-2+3", pledges: '1', amount_minor: '500', box_start: '2026-11-27T20:15:00.000Z' });
  });
});
