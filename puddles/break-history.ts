// When each reconciliation break was open: `puddle report break-history --from D --to D`. The breaks list has no
// history of its own (a closed break is simply no longer listed), but `report breaks --as-of D --as-known`
// reproduces the list any past day showed, from what the hub had received by the end of that day. Reading that
// list for each day of a range gives every break's spells: the day it was first listed, the day it no longer was,
// and the days in between. Finance's month-end question, "what opened this month, what closed, what is still open
// and since when", is then a query, and the answer is the same whenever it is asked, as every day's list is.
import { dayAfter } from '../core/time.js';

/** What each day's list gives of a break (recon_breaks' columns). */
export interface ListedBreak {
  break_type: string;
  object_kind: string;
  object_id: string;
  amount_minor: number | null;
  /** abs(amount_minor): the money the break puts at risk, never negative, the figure to add up. */
  at_stake_minor: number | null;
  currency: string | null;
  reason: string | null;
  /** What to do or check next about a break of its type (puddles/break-actions.ts). */
  action: string | null;
  donation_id: string | null;
  payment_id: string | null;
  payout_id: string | null;
  bank_line_id: string | null;
}

/** A break on the list day after day: its first day, the day it was gone (null: still listed on the last day). */
export interface BreakSpell extends ListedBreak {
  opened_on: string;
  /** Listed on the range's first day: it may have opened before (a range from an earlier day says when). */
  open_before: boolean;
  closed_on: string | null;
  days_listed: number;
}

/** The columns `recon_breaks` is read for, in the order BreakSpell's rows give them. */
export const LISTED_COLUMNS = ['break_type', 'object_kind', 'object_id', 'amount_minor', 'at_stake_minor', 'currency', 'reason', 'action', 'donation_id', 'payment_id', 'payout_id', 'bank_line_id'] as const;

// A break is one per type, object and currency (CANCELLED_BUT_PAID has one per currency a donation's payments hold).
const keyOf = (b: ListedBreak) => JSON.stringify([b.break_type, b.object_kind, b.object_id, b.currency]);

/** The most days one run reads: each is a run of the breaks report (a few seconds on a night's lake). */
export const MAX_HISTORY_DAYS = 366;

/** The days from `from` to `to`, both included. */
export function daysOf(from: string, to: string): string[] {
  const days: string[] = [];
  for (let d = from; d <= to; d = dayAfter(d)) days.push(d);
  return days;
}

/**
 * The spells of every break listed on any of `days` (consecutive days, in order, each with that day's list). The
 * amounts (amount_minor, at_stake_minor), reason, action and ids are as the spell's last day listed them. A break that closes and opens again has two.
 */
export function breakSpells(days: readonly { day: string; breaks: readonly ListedBreak[] }[]): BreakSpell[] {
  const open = new Map<string, BreakSpell>();
  const spells: BreakSpell[] = [];
  days.forEach(({ day, breaks }, i) => {
    const listed = new Set<string>();
    for (const b of breaks) {
      const key = keyOf(b);
      if (listed.has(key)) continue;
      listed.add(key);
      const was = open.get(key);
      const latest = Object.fromEntries(LISTED_COLUMNS.map((c) => [c, b[c] ?? null])) as unknown as ListedBreak;
      if (was) Object.assign(was, latest, { days_listed: was.days_listed + 1 });
      else open.set(key, { ...latest, opened_on: day, open_before: i === 0, closed_on: null, days_listed: 1 });
    }
    for (const [key, spell] of open) {
      if (listed.has(key)) continue;
      spells.push({ ...spell, closed_on: day });
      open.delete(key);
    }
  });
  return [...spells, ...open.values()];
}

/** The columns of the report, in order: the listed ones in `report breaks`' order, the spell's after the object. */
export const SPELL_COLUMNS = ['break_type', 'object_kind', 'object_id', 'opened_on', 'open_before', 'closed_on', 'days_listed', 'amount_minor', 'at_stake_minor', 'currency', 'reason', 'action', 'donation_id', 'payment_id', 'payout_id', 'bank_line_id'] as const;

const TYPES: Record<(typeof SPELL_COLUMNS)[number], string> = {
  break_type: 'VARCHAR',
  object_kind: 'VARCHAR',
  object_id: 'VARCHAR',
  opened_on: 'DATE',
  open_before: 'BOOLEAN',
  closed_on: 'DATE',
  days_listed: 'INTEGER',
  amount_minor: 'BIGINT',
  at_stake_minor: 'BIGINT',
  currency: 'VARCHAR',
  reason: 'VARCHAR',
  action: 'VARCHAR',
  donation_id: 'VARCHAR',
  payment_id: 'VARCHAR',
  payout_id: 'VARCHAR',
  bank_line_id: 'VARCHAR',
};

function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  // A standard SQL string: DuckDB reads no backslash escapes in one, so doubling the quote is all there is.
  return `'${String(v).replaceAll("'", "''")}'`;
}

/** The spells as a SELECT (typed, in SPELL_COLUMNS' order), for the report writers that take SQL. */
export function spellsSql(spells: readonly BreakSpell[]): string {
  const rows = spells.length ? spells.map((s) => `(${SPELL_COLUMNS.map((c) => literal(s[c])).join(', ')})`) : [`(${SPELL_COLUMNS.map(() => 'NULL').join(', ')})`];
  const cells = SPELL_COLUMNS.map((c) => `CAST(${c} AS ${TYPES[c]}) AS ${c}`).join(', ');
  return `SELECT ${cells} FROM (VALUES ${rows.join(', ')}) AS spells(${SPELL_COLUMNS.join(', ')})${spells.length ? '' : ' WHERE false'}`;
}

/** The order the report's rows come in. */
export const SPELL_ORDER = 'opened_on, break_type, object_id, currency';
