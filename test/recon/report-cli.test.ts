// `puddle report` and `puddle export` as a user runs them, over a home where the recon world has landed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fromMinorUnits } from '../../core/money.js';
import { reconWorld } from '../../core/scenario/recon-world.js';
import { createLocalRuntime } from '../../infra/local/runtime.js';
import { BREAK_ACTIONS } from '../../puddles/break-actions.js';
import { PuddleConsumer } from '../../puddles/consumer.js';
import { PUDDLES } from '../../puddles/definitions.js';
import { runPuddle } from '../support/run-cli.js';

const home = mkdtempSync(join(tmpdir(), 'puddle-report-'));
const outDir = mkdtempSync(join(tmpdir(), 'puddle-report-out-')); // an --out inside the home is refused
const world = reconWorld({ seed: 9, donations: 120 });
const puddle = (args: string[]) => runPuddle(args, { PUDDLE_HOME: home });
/**
 * Each test runs `puddle report` or `export` as child processes (up to four at once), each computing the recon
 * views over the lake: 10-25 s a test on a loaded two-core machine, more under heavier load than the default 60 s
 * allowed. A bound for a hang, not a speed.
 */
const TEST_MS = 240_000;


beforeAll(async () => {
  const rt = await createLocalRuntime({ home });
  try {
    for (const p of PUDDLES) await rt.queue.subscribe(p);
    await rt.queue.publish(world.envelopes);
    for (const puddle of PUDDLES) await new PuddleConsumer({ puddle, queue: rt.queue, store: rt.store, catalog: rt.catalog }).drain();
  } finally {
    await rt.close();
  }
}, TEST_MS);

afterAll(() => {
  for (const dir of [home, outDir]) rmSync(dir, { recursive: true, force: true });
});

describe('puddle report and export', { timeout: TEST_MS }, () => {
  it('prints the breaks as one JSON array and fails a scheduled check when any is open', async () => {
    const r = await puddle(['report', 'breaks', '--as-of', world.asOf, '--format', 'json', '--fail-on-breaks']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${world.truth.breaks.length} breaks open`);
    const rows = JSON.parse(r.stdout) as { break_type: string; object_id: string }[];
    expect(rows.map((b) => `${b.break_type}|${b.object_id}`).sort()).toEqual(world.truth.breaks.map((b) => `${b.break_type}|${b.object_id}`).sort());
  });

  // A treasurer hands the CSV on (M8, L8): each row says what is at stake, never negative, in units beside its minor
  // units, so a spreadsheet's sum of the column is the money at risk, and what to do next.
  it('writes each break\'s amount at stake and its action into the CSV', async () => {
    const file = join(outDir, 'breaks-at-stake.csv');
    const r = await puddle(['report', 'breaks', '--as-of', world.asOf, '--format', 'csv', '--out', file]);
    expect(r.code, r.stderr).toBe(0);
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    try {
      const rows = (
        await conn.runAndReadAll(`SELECT break_type, amount_minor, amount, at_stake_minor, at_stake, currency, action FROM read_csv('${file}', header = true, all_varchar = true)`)
      ).getRowObjectsJS() as Record<string, string>[];
      expect(rows).toHaveLength(world.truth.breaks.length);
      expect(rows.some((b) => Number(b.amount_minor) < 0)).toBe(true);
      for (const b of rows) {
        expect(Number(b.at_stake_minor), b.break_type).toBe(Math.abs(Number(b.amount_minor)));
        expect(b.at_stake, b.break_type).toBe(fromMinorUnits(Number(b.at_stake_minor), b.currency!));
        expect(b.action, b.break_type).toBe(BREAK_ACTIONS[b.break_type!]);
      }
    } finally {
      conn.closeSync();
      inst.closeSync();
    }
  });

  it('narrows by --from/--to and passes the check when nothing is open in range', async () => {
    const r = await puddle(['report', 'breaks', '--as-of', world.asOf, '--from', '2027-01-01', '--to', '2027-01-20', '--format', 'csv', '--fail-on-breaks']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['break_type,object_kind,object_id,amount_minor,amount,at_stake_minor,at_stake,currency,object_date,age_days,reason,action,donation_id,payment_id,payout_id,bank_line_id,related_ids,open_tickets,open_ticket_id']);
  });

  it('writes a typed Parquet report and export that DuckDB reads back', async () => {
    const file = join(outDir, 'journey.parquet');
    const r = await puddle(['report', 'journey', '--as-of', world.asOf, '--format', 'parquet', '--out', file]);
    expect(r.code).toBe(0);
    const csv = join(outDir, 'breaks.csv');
    expect((await puddle(['export', 'recon_breaks', '--as-of', world.asOf, '--format', 'csv', '--out', csv])).code).toBe(0);
    expect(readFileSync(csv, 'utf8').trim().split('\n')).toHaveLength(world.truth.breaks.length + 1);
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    try {
      const types = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).getRowObjectsJS();
      const byName = Object.fromEntries(types.map((t) => [t.column_name, t.column_type]));
      expect(byName).toMatchObject({ amount_minor: 'BIGINT', pledged_at: 'TIMESTAMP WITH TIME ZONE', banked_on: 'DATE', stage: 'VARCHAR' });
      const [n] = (await conn.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${file}')`)).getRowObjectsJS();
      expect(Number(n!.n)).toBe(world.truth.stages.size);
      // Sums of minor units and counts are BIGINT too, not the DOUBLE DuckDB's writer makes of a HUGEINT sum
      // (until 2026-12-05 every summed column of these was DOUBLE).
      const written = { totals: join(outDir, 'totals.parquet'), payouts: join(outDir, 'payouts.parquet'), box: join(outDir, 'box.parquet') };
      const runs = await Promise.all([
        puddle(['report', 'totals', '--as-of', world.asOf, '--format', 'parquet', '--out', written.totals]),
        puddle(['report', 'payouts', '--as-of', world.asOf, '--format', 'parquet', '--out', written.payouts]),
        puddle(['export', 'totals_by_box', '--as-of', world.asOf, '--format', 'parquet', '--out', written.box]),
      ]);
      for (const run of runs) expect(run.code, run.stderr).toBe(0);
      for (const [name, f] of Object.entries(written)) {
        const cols = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${f}')`)).getRowObjectsJS();
        const summed = cols.filter((c) => /_minor$|^pledges$/.test(String(c.column_name)));
        expect(summed.length, name).toBeGreaterThan(0);
        expect(summed.filter((c) => c.column_type !== 'BIGINT').map((c) => c.column_name), name).toEqual([]);
        expect(cols.filter((c) => c.column_type === 'DOUBLE').map((c) => c.column_name), name).toEqual([]);
      }
    } finally {
      conn.closeSync();
      inst.closeSync();
    }
  });

  it('writes the same CSV from report and export, instants as ISO 8601 UTC with a Z, as the JSON has them', async () => {
    const file = join(outDir, 'journey.csv');
    const [csv, exported, json] = await Promise.all([
      puddle(['report', 'journey', '--as-of', world.asOf, '--format', 'csv']),
      puddle(['export', 'recon_journey', '--as-of', world.asOf, '--format', 'csv', '--out', file]),
      puddle(['report', 'journey', '--as-of', world.asOf, '--format', 'json']),
    ]);
    for (const r of [csv, exported, json]) expect(r.code, r.stderr).toBe(0);
    const lines = csv.stdout.trimEnd().split('\n');
    const header = lines[0]!.split(',');
    const at = header.indexOf('pledged_at');
    expect(at).toBeGreaterThan(-1);
    // No cell of the journey holds a comma or a quote, so a split reads it.
    const pledged = lines.slice(1).map((l) => l.split(',')[at]!).filter(Boolean);
    expect(pledged.length).toBeGreaterThan(0);
    for (const v of pledged) expect(v).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    // The same text as the JSON report's, row for row (both in the report's order).
    const rows = JSON.parse(json.stdout) as { pledged_at: string | null }[];
    expect(pledged).toEqual(rows.map((r) => r.pledged_at).filter(Boolean));
    // Export writes the view in its own order; line for line it is the report, less the report's amounts in
    // units (`amount` beside `amount_minor`), which only the report adds.
    const viewLines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const viewHeader = viewLines[0]!.split(',');
    const keep = viewHeader.map((c) => header.indexOf(c));
    expect(keep).not.toContain(-1);
    expect(header.filter((c) => !viewHeader.includes(c))).toEqual(['amount', 'fee', 'net', 'refunded', 'disputed', 'kept', 'parts_fee', 'parts_net'].filter((c) => header.includes(c)));
    // In the view's own key order (every column from the first on), so two exports compare line by line: until
    // 2026-12-06 the rows came as the files were read.
    const keys = viewLines.slice(1).map((l) => l.split(',')[0]!);
    expect(keys.length).toBeGreaterThan(1);
    expect(keys.every(Boolean)).toBe(true);
    expect(keys).toEqual([...keys].sort());
    expect(viewLines.sort()).toEqual(lines.map((l) => keep.map((i) => l.split(',')[i]).join(',')).sort());
  });

  // Finance reads amounts in a spreadsheet: 25.37, not 2537. The views (Tableau, Athena, `puddle export`) keep
  // minor units; the report adds, beside each *_minor, the amount in its currency's units, an exact DECIMAL.
  it('gives every amount in its currency units beside its minor units, exact in CSV, table and JSON, the view unchanged', async () => {
    const [csv, table, json, view] = await Promise.all([
      puddle(['report', 'payouts', '--as-of', world.asOf, '--format', 'csv']),
      puddle(['report', 'payouts', '--as-of', world.asOf, '--format', 'table']),
      puddle(['report', 'payouts', '--as-of', world.asOf, '--format', 'json']),
      puddle(['query', '--format', 'csv', 'SELECT * FROM recon_payout LIMIT 0']),
    ]);
    for (const r of [csv, table, json, view]) expect(r.code, r.stderr).toBe(0);
    expect(view.stdout).toContain('amount_minor,');
    expect(view.stdout).not.toMatch(/(^|,)amount(,|\n)/);
    const [head, ...rows] = csv.stdout.trimEnd().split('\n');
    const header = head!.split(',');
    const viewColumns = view.stdout.trim().split(',');
    const minor = header.filter((c) => c.endsWith('_minor'));
    expect(minor).toEqual(viewColumns.filter((c) => c.endsWith('_minor')));
    expect(minor.length).toBeGreaterThan(3);
    // Each *_minor is followed by its amount in units, named without `_minor`, or `_units` where the view has a
    // column of that name (recon_payout's `bank_lines` lists the lines).
    for (const c of minor) {
      const base = c.slice(0, -'_minor'.length);
      expect(header[header.indexOf(c) + 1], c).toBe(viewColumns.includes(base) ? `${base}_units` : base);
    }
    expect(header.slice(header.indexOf('bank_lines_minor'), header.indexOf('bank_lines_minor') + 2)).toEqual(['bank_lines_minor', 'bank_lines_units']);
    expect(rows.length).toBeGreaterThan(10);
    const cur = header.indexOf('currency');
    let checked = 0;
    for (const line of rows) {
      const cells = line.split(',');
      for (const c of minor) {
        const m = cells[header.indexOf(c)]!;
        const units = cells[header.indexOf(c) + 1]!; // the column after it, as checked above
        if (m === '') expect(units).toBe('');
        else {
          // Exact: the text fromMinorUnits writes (no double's 25.370000000000001), and a number, not text.
          expect(units, `${c} ${m}`).toBe(fromMinorUnits(Number(m), cells[cur]!));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
    // The table prints the same text (as text: a DECIMAL read into JavaScript would print 25.1 for 25.10).
    const unitsAt = header.indexOf(minor[0]!) + 1;
    const amounts = rows.map((l) => l.split(',')[unitsAt]!).filter((v) => v !== '');
    expect(amounts.length).toBeGreaterThan(0);
    for (const a of amounts.slice(0, 20)) expect(table.stdout).toMatch(new RegExp(`\\| ${a.replace('.', '\\.')} +\\|`));
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(parsed.length).toBe(rows.length);
    expect(Object.keys(parsed[0]!)).toEqual(header);
    // JSON gives the units as the same exact text (a string: "25.10", never the float 25.1), the minor units as
    // integers; the report's order is the same in every format.
    let trailingZero = 0;
    rows.forEach((line, i) => {
      const cells = line.split(',');
      for (const c of minor) {
        const units = header[header.indexOf(c) + 1]!;
        const text = cells[header.indexOf(c) + 1]!;
        expect(parsed[i]![units], `${units} row ${i}`).toBe(text === '' ? null : text);
        if (text.endsWith('0')) trailingZero++;
        if (cells[header.indexOf(c)] !== '') expect(typeof parsed[i]![c]).toBe('number');
      }
    });
    expect(trailingZero).toBeGreaterThan(0);
  });

  it('says how many rows it wrote to every --out, whatever the format', async () => {
    const formats = ['json', 'table', 'csv', 'parquet'];
    const results = await Promise.all(formats.map((f) => puddle(['report', 'breaks', '--as-of', world.asOf, '--format', f, '--out', join(outDir, `breaks-out.${f}`)])));
    results.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(0);
      // (A line before it may say the sources were compiled first.)
      expect(r.stderr, formats[i]).toMatch(new RegExp(`(^|\\n)puddle report: wrote ${world.truth.breaks.length} rows to [^\\n]*breaks-out\\.${formats[i]}\\n$`));
      expect(r.stdout, formats[i]).toBe('');
    });
    expect(JSON.parse(readFileSync(join(outDir, 'breaks-out.json'), 'utf8'))).toHaveLength(world.truth.breaks.length);
  });

  it('refuses a bad command line with exit code 2', async () => {
    expect((await puddle(['report', 'nope'])).code).toBe(2);
    expect((await puddle(['report', 'breaks', '--as-of', '20/01/2027'])).stderr).toContain('YYYY-MM-DD');
    expect((await puddle(['report', 'journey', '--format', 'parquet'])).code).toBe(2);
    expect((await puddle(['export', 'no_such_view', '--out', join(outDir, 'x.csv')])).code).toBe(2);
    // A position at the end of one day: a range selected nothing and printed no rows, exit 0 (a treasurer's retest).
    const range = await puddle(['report', 'balance', '--from', '2026-11-01', '--to', '2026-11-30']);
    expect(range.code).toBe(2);
    expect(range.stderr).toContain('--as-of 2026-11-30');
  });
});
