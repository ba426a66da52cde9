// `--as-of` rewinds each record to its state at the end of that date (puddles/views.ts, asOfOrder): a gift
// cancelled in January still counts in a report as of 31 December. Until 2026-12-03 objects dated later were left
// out, but the others kept their latest state.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createLocalRuntime } from '../../infra/local/runtime.js';
import { donation } from '../puddles/lake-fixture.js';
import { landInHome } from '../support/land-home.js';
import { runPuddle } from '../support/run-cli.js';

/** Stderr less the note an --as-of after today gets (infra/cli/options.ts futureAsOfNote): these dates are ahead of today until 2027. */
const withoutFutureNote = (stderr: string) => stderr.replace(/^puddle \w+: --as-of \d{4}-\d{2}-\d{2} is after today \(\d{4}-\d{2}-\d{2}\): [^\n]*\n/gm, '');

const home = mkdtempSync(join(tmpdir(), 'puddle-as-of-'));
const outDir = mkdtempSync(join(tmpdir(), 'puddle-as-of-out-')); // an --out inside the home is refused
const puddle = (args: string[]) => runPuddle(args, { PUDDLE_HOME: home });
const TEST_MS = 120_000;

const at = (occurred: string, updated: string, status: string, delivery: string) => ({ occurred_at: occurred, updated_at: updated, status, delivery, received_at: '2027-01-06T09:00:00.000Z' });
const envelopes = [
  // Pledged on the 30th, cancelled on 2 January.
  donation('d-cancelled', 2_500, at('2026-12-30T20:00:00Z', '2026-12-30T20:00:00Z', 'pledged', 'r1')),
  donation('d-cancelled', 2_500, at('2026-12-30T20:00:00Z', '2027-01-02T09:00:00Z', 'cancelled', 'r2')),
  // Its last change inside the day counts; one at midnight after it does not.
  donation('d-late-night', 1_000, at('2026-12-31T10:00:00Z', '2026-12-31T23:59:59.999Z', 'pledged', 'r3')),
  donation('d-late-night', 1_000, at('2026-12-31T10:00:00Z', '2027-01-01T00:00:00Z', 'cancelled', 'r4')),
  // Known only by a version changed after the date (a sync that began later): kept, as the lake knows it.
  donation('d-known-later', 700, at('2026-12-29T12:00:00Z', '2027-01-03T08:00:00Z', 'paid', 'r5')),
  // Made on 4 January: it did not exist at the end of the 31st, in any view (until 2026-12-05 the contract and
  // history views kept it as "known only later", and a query's year-end figure counted it).
  donation('d-made-later', 900, at('2027-01-04T10:00:00Z', '2027-01-04T10:00:00Z', 'pledged', 'r6')),
];

beforeAll(() => landInHome(home, envelopes), TEST_MS);

afterAll(() => {
  for (const dir of [home, outDir]) rmSync(dir, { recursive: true, force: true });
});

describe('--as-of rewinds state', { timeout: TEST_MS }, () => {
  const statuses = async (asOf?: string) => {
    const rt = await createLocalRuntime({ home, materializeCurrent: true, asOf });
    try {
      return await rt.query.query(`SELECT donation_id, status FROM donation ORDER BY donation_id`);
    } finally {
      await rt.close();
    }
  };

  it("snapshots each donation's state as at the end of the date, and today's without one", async () => {
    expect(await statuses('2026-12-31')).toEqual([
      { donation_id: 'd-cancelled', status: 'pledged' },
      { donation_id: 'd-known-later', status: 'paid' },
      { donation_id: 'd-late-night', status: 'pledged' },
    ]);
    expect(await statuses()).toEqual([
      { donation_id: 'd-cancelled', status: 'cancelled' },
      { donation_id: 'd-known-later', status: 'paid' },
      { donation_id: 'd-late-night', status: 'cancelled' },
      { donation_id: 'd-made-later', status: 'pledged' },
    ]);
    expect(await statuses('2027-01-05')).toEqual(await statuses());
    expect((await statuses('2027-01-02')).map((r) => r.donation_id)).not.toContain('d-made-later');
  });

  it('puddle report and export count the pledges that stood at the end of the date', async () => {
    const pledged = async (args: string[]) => {
      const r = await puddle(args);
      expect(withoutFutureNote(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      return (JSON.parse(r.stdout) as { pledges: number; amount_minor: number }[]).reduce((s, b) => s + Number(b.amount_minor), 0);
    };
    expect(await pledged(['report', 'totals', '--as-of', '2026-12-31', '--format', 'json'])).toBe(2_500 + 1_000 + 700);
    expect(await pledged(['report', 'totals', '--as-of', '2027-01-05', '--format', 'json'])).toBe(700 + 900);
    const out = join(outDir, 'totals.csv');
    expect((await puddle(['export', 'totals_by_box', '--as-of', '2026-12-31', '--format', 'csv', '--out', out])).code).toBe(0);
    const rows = readFileSync(out, 'utf8').trim().split('\n');
    const amount = rows[0]!.split(',').indexOf('amount_minor');
    expect(rows.slice(1).reduce((s, r) => s + Number(r.split(',')[amount]), 0)).toBe(4_200);
  });

  it('puddle query --as-of reads the same rewound lake: state, history and recon_params', async () => {
    const json = async (sql: string, asOf?: string) => {
      const r = await puddle(['query', sql, '--format', 'json', ...(asOf ? ['--as-of', asOf] : [])]);
      expect(withoutFutureNote(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as Record<string, unknown>[];
    };
    const states = 'SELECT donation_id, status FROM donation ORDER BY donation_id';
    expect(await json(states, '2026-12-31')).toEqual([
      { donation_id: 'd-cancelled', status: 'pledged' },
      { donation_id: 'd-known-later', status: 'paid' },
      { donation_id: 'd-late-night', status: 'pledged' },
    ]);
    expect((await json(states)).map((r) => r.status)).toEqual(['cancelled', 'paid', 'cancelled', 'pledged']);
    // The versions changed by the date, and the one kept for a record made by then but known only later.
    const versions = 'SELECT donation_id, count(*)::INT AS n FROM donation_history GROUP BY donation_id ORDER BY donation_id';
    expect(await json(versions, '2026-12-31')).toEqual([
      { donation_id: 'd-cancelled', n: 1 },
      { donation_id: 'd-known-later', n: 1 },
      { donation_id: 'd-late-night', n: 1 },
    ]);
    expect((await json(versions)).map((r) => r.n)).toEqual([2, 1, 2, 1]);
    expect((await json(states, '2027-01-05')).map((r) => r.donation_id)).toContain('d-made-later');
    // A figure as at the year end of one's own SQL, over the contract view: the pledges made by then.
    expect(await json('SELECT sum(amount_minor)::INT AS made FROM donation', '2026-12-31')).toEqual([{ made: 2_500 + 1_000 + 700 }]);
    expect(await json('SELECT CAST(as_of AS VARCHAR) AS as_of FROM recon_params', '2026-12-31')).toEqual([{ as_of: '2026-12-31' }]);
    // The pledges that stood, as `puddle report totals --as-of` counts them.
    expect(await json('SELECT sum(amount_minor)::INT AS pledged FROM totals_by_box', '2026-12-31')).toEqual([{ pledged: 4_200 }]);
    // `puddle export donation --as-of` writes the same rewound state (until 2026-12-06 it was refused, and its message
    // offered a WHERE on occurred_at, which keeps the correction made after the date: d-cancelled read cancelled).
    const out = join(outDir, 'donation-2026.csv');
    const exported = await puddle(['export', 'donation', '--as-of', '2026-12-31', '--format', 'csv', '--out', out]);
    expect(exported.stderr).toContain('wrote 3 rows of donation');
    expect(exported.code).toBe(0);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    const at = lines[0]!.split(',');
    const stood = lines.slice(1).map((l) => {
      const c = l.split(',');
      return `${c[at.indexOf('donation_id')]} ${c[at.indexOf('status')]}`;
    });
    expect(stood).toEqual(['d-cancelled pledged', 'd-known-later paid', 'd-late-night pledged']);
  });

  it('puddle query --as-of refuses what is not a date, before it opens anything', async () => {
    const r = await puddle(['query', 'SELECT 1', '--as-of', '31/12/2026']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--as-of takes a date YYYY-MM-DD, not "31/12/2026"');
  });
});
