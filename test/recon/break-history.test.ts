// `puddle report break-history`: when each break was listed, read from each day's `report breaks --as-of <day>
// --as-known`. Until 2026-12-06 a closed break left no trace: finance could list any past day's breaks, but not
// say when one opened or closed without running the report for every day by hand.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEnvelope } from '../../core/envelope.js';
import { BREAK_ACTIONS } from '../../puddles/break-actions.js';
import { breakSpells, type ListedBreak } from '../../puddles/break-history.js';
import { donation } from '../puddles/lake-fixture.js';
import { landInHome } from '../support/land-home.js';
import { runPuddle } from '../support/run-cli.js';

const home = mkdtempSync(join(tmpdir(), 'puddle-break-history-'));
const outDir = mkdtempSync(join(tmpdir(), 'puddle-break-history-out-'));
const puddle = (args: string[]) => runPuddle(args, { PUDDLE_HOME: home });
const TEST_MS = 180_000;

const payment = (id: string, donationId: string, amount: number, at: string, receivedAt: string) =>
  makeEnvelope({
    contract: 'payment',
    version: 1,
    source: 'stripe',
    stream: 'charges',
    payload: { payment_id: id, occurred_at: at, provider: 'stripe', status: 'succeeded', amount_minor: amount, currency: 'GBP', donation_id: donationId },
    received_at: receivedAt,
    delivery_id: `del-${id}`,
  });

// DONATION_NOT_PAID lists a card donation more than 2 days (grace_donation_not_paid_days) after it with no payment.
const envelopes = [
  // Pledged on the 1st, its payment sent on the 6th: listed on the 4th and 5th, gone on the 6th.
  donation('d-paid-late', 2_500, { occurred_at: '2026-12-01T20:00:00Z', received_at: '2026-12-01T20:00:01.000Z', delivery: 'r1' }),
  payment('ch-late', 'd-paid-late', 2_500, '2026-12-05T09:00:00Z', '2026-12-06T09:00:00.000Z'),
  // Pledged on the 2nd, never paid: listed from the 5th, still at the end.
  donation('d-never-paid', 1_000, { occurred_at: '2026-12-02T20:00:00Z', received_at: '2026-12-02T20:00:01.000Z', delivery: 'r2' }),
  // Paid at once: never listed.
  donation('d-paid', 700, { occurred_at: '2026-12-01T21:00:00Z', received_at: '2026-12-01T21:00:01.000Z', delivery: 'r3' }),
  payment('ch-paid', 'd-paid', 700, '2026-12-01T21:00:05Z', '2026-12-01T21:00:06.000Z'),
  // Pledged 30.00 on the 8th, charged 20.00 at once: AMOUNT_MISMATCH from the 8th, amount_minor payment - donation,
  // -1000 (after every range the tests above read, so their lists stay as they are).
  donation('d-short', 3_000, { occurred_at: '2026-12-08T10:00:00Z', received_at: '2026-12-08T10:00:01.000Z', delivery: 'r4' }),
  payment('ch-short', 'd-short', 2_000, '2026-12-08T10:00:05Z', '2026-12-08T10:00:06.000Z'),
];

beforeAll(() => landInHome(home, envelopes), TEST_MS);
afterAll(() => {
  for (const dir of [home, outDir]) rmSync(dir, { recursive: true, force: true });
});

describe('puddle report break-history', { timeout: TEST_MS }, () => {
  const history = async (args: string[]) => {
    const r = await puddle(['report', 'break-history', ...args, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    return { rows: JSON.parse(r.stdout) as Record<string, unknown>[], stderr: r.stderr };
  };
  const spell = (r: Record<string, unknown>) => [r.object_id, r.opened_on, r.open_before, r.closed_on, r.days_listed];

  it('gives each break the day it was first listed, the day it was gone, and the days between', async () => {
    const { rows, stderr } = await history(['--from', '2026-12-03', '--to', '2026-12-07']);
    expect(rows.map((r) => r.break_type)).toEqual(['DONATION_NOT_PAID', 'DONATION_NOT_PAID']);
    expect(rows.map(spell)).toEqual([
      ['d-paid-late', '2026-12-04', false, '2026-12-06', 2],
      ['d-never-paid', '2026-12-05', false, null, 3],
    ]);
    // As the breaks report gives them: the amount in units beside the minor units, and the reason.
    expect(rows[1]).toMatchObject({
      amount_minor: 1000,
      amount: '10.00',
      at_stake_minor: 1000,
      at_stake: '10.00',
      currency: 'GBP',
      reason: 'card-channel donation has no payment',
      action: BREAK_ACTIONS.DONATION_NOT_PAID,
      donation_id: 'd-never-paid',
    });
    expect(stderr).toContain('2026-12-05 (3 of 5): 2 breaks listed');
    expect(stderr).toContain('2026-12-03 to 2026-12-07: 0 break(s) listed on 2026-12-03, 2 opened after it, 1 closed, 1 open at the end of 2026-12-07');
  });

  it('marks what was already listed on the first day, and writes CSV as the other reports do', async () => {
    const { rows } = await history(['--from', '2026-12-05', '--to', '2026-12-06']);
    expect(rows.map(spell)).toEqual([
      ['d-never-paid', '2026-12-05', true, null, 2],
      ['d-paid-late', '2026-12-05', true, '2026-12-06', 1],
    ]);
    const out = join(outDir, 'history.csv');
    const r = await puddle(['report', 'break-history', '--from', '2026-12-05', '--to', '2026-12-06', '--format', 'csv', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`wrote 2 rows to ${out}`);
    expect(readFileSync(out, 'utf8').split('\n')[0]).toBe(
      'break_type,object_kind,object_id,opened_on,open_before,closed_on,days_listed,amount_minor,amount,at_stake_minor,at_stake,currency,reason,action,donation_id,payment_id,payout_id,bank_line_id',
    );
  });

  // A finance lead sums what is at stake over the month's spells, and reads what to do, as in `report breaks`:
  // at_stake_minor is abs(amount_minor) (recon_breaks.sql), so a break whose amount is negative adds, not nets.
  it('gives each spell the amount at stake, never negative, and its break type\'s action', async () => {
    const { rows } = await history(['--from', '2026-12-07', '--to', '2026-12-08']);
    expect(rows.map((r) => [r.break_type, r.object_id, r.amount_minor, r.at_stake_minor, r.at_stake, r.action])).toEqual([
      ['DONATION_NOT_PAID', 'd-never-paid', 1000, 1000, '10.00', BREAK_ACTIONS.DONATION_NOT_PAID],
      ['AMOUNT_MISMATCH', 'd-short', -1000, 1000, '10.00', BREAK_ACTIONS.AMOUNT_MISMATCH],
    ]);
    const out = join(outDir, 'at-stake.csv');
    const r = await puddle(['report', 'break-history', '--from', '2026-12-07', '--to', '2026-12-08', '--format', 'csv', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    try {
      const csv = (await conn.runAndReadAll(`SELECT amount, at_stake_minor, at_stake, action FROM read_csv('${out}', header = true, all_varchar = true)`)).getRowObjectsJS();
      // Numbers a spreadsheet sums, not the text '-10.00' nor minor units: the amount at stake is positive.
      expect(csv).toEqual([
        { amount: '10.00', at_stake_minor: '1000', at_stake: '10.00', action: BREAK_ACTIONS.DONATION_NOT_PAID },
        { amount: '-10.00', at_stake_minor: '1000', at_stake: '10.00', action: BREAK_ACTIONS.AMOUNT_MISMATCH },
      ]);
    } finally {
      conn.closeSync();
      inst.closeSync();
    }
    // The table prints the action whole, in the column after the reason, as `report breaks --format table` does.
    const t = await puddle(['report', 'break-history', '--from', '2026-12-08', '--to', '2026-12-08']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout.split('\n')[0]!.split('|').map((c) => c.trim())).toEqual([
      'break_type', 'object_kind', 'object_id', 'opened_on', 'open_before', 'closed_on', 'days_listed', 'amount_minor', 'amount', 'at_stake_minor', 'at_stake', 'currency', 'reason', 'action', 'donation_id', 'payment_id', 'payout_id', 'bank_line_id',
    ]);
    expect(t.stdout).toContain(BREAK_ACTIONS.AMOUNT_MISMATCH);
  });

  it('refuses what it cannot answer, with exit 2 before it reads anything', async () => {
    for (const [args, says] of [
      [[], 'break-history needs --from'],
      [['--from', '2026-12-05', '--as-of', '2026-12-06'], '--as-of does not apply to break-history'],
      [['--from', '2026-12-05', '--as-known'], '--as-known does not apply to break-history'],
      [['--from', '2025-01-01', '--to', '2026-12-06'], 'at most 366 days a run'],
      [['--from', '2026-12-06', '--to', '2026-12-05'], '--to is before --from'],
      [['--from', '2999-01-01'], 'is after --to'],
    ] as const) {
      const r = await puddle(['report', 'break-history', ...args]);
      expect(r.code, says).toBe(2);
      expect(r.stderr).toContain(says);
    }
  });
});

describe('break spells', () => {
  const listed = (id: string, amount = 100): ListedBreak => ({
    break_type: 'DONATION_NOT_PAID', object_kind: 'donation', object_id: id, amount_minor: amount, at_stake_minor: Math.abs(amount), currency: 'GBP', reason: 'r', action: 'a', donation_id: id, payment_id: null, payout_id: null, bank_line_id: null,
  });

  it('opens a second spell for a break that closes and comes back, with the last amount listed', () => {
    const spells = breakSpells([
      { day: '2026-12-01', breaks: [listed('a', 100)] },
      { day: '2026-12-02', breaks: [listed('a', 150)] },
      { day: '2026-12-03', breaks: [] },
      { day: '2026-12-04', breaks: [listed('a', 200), listed('a', 200)] },
    ]);
    expect(spells.map((s) => [s.opened_on, s.open_before, s.closed_on, s.days_listed, s.amount_minor])).toEqual([
      ['2026-12-01', true, '2026-12-03', 2, 150],
      ['2026-12-04', false, null, 1, 200],
    ]);
  });

  it('keeps the amount at stake and the action the last day listed', () => {
    const spells = breakSpells([
      { day: '2026-12-01', breaks: [listed('a', -100)] },
      { day: '2026-12-02', breaks: [{ ...listed('a', -150), action: 'b' }] },
    ]);
    expect(spells.map((s) => [s.amount_minor, s.at_stake_minor, s.action])).toEqual([[-150, 150, 'b']]);
  });

  it('keeps one break per currency apart', () => {
    const eur = { ...listed('a'), currency: 'EUR' };
    const spells = breakSpells([{ day: '2026-12-01', breaks: [listed('a'), eur] }, { day: '2026-12-02', breaks: [eur] }]);
    expect(spells.map((s) => [s.currency, s.closed_on])).toEqual([['GBP', '2026-12-02'], ['EUR', null]]);
  });
});
