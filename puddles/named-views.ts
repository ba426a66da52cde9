// Named views: reports defined once as SQL in puddles/queries/ and created, under the file's name, after the
// contract views, so `puddle query`, `puddle report`, the API and Tableau (through Athena in the AWS shape)
// all read the same definition. Listed in dependency order: a view may read only the views above it.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { CONTRACTS } from '../core/contracts/index.js';
import { DONATION_STATUS_SPELLINGS } from '../core/contracts/donation-status.js';
import { CLOSED_PLAN_STATUSES } from '../core/contracts/regular-giving.js';
import { CURRENCY_EXPONENTS } from '../core/currency-exponents.js';
import { breakActionsSql } from './break-actions.js';
import { disputeStatusesSql, payoutStatusesSql, reconParamsSql, reconProvidersSql, reconStatusesSql, type ReconParamValues } from './recon-params.js';
import type { ViewDef } from './views.js';

export const QUERIES_DIR = path.join(import.meta.dirname, 'queries');

/** Views made from a SQL file `puddles/queries/<name>.sql`, in creation order. */
export const NAMED_VIEW_FILES: readonly string[] = [
  'recon_bank_superseded',
  'recon_bank_issue',
  'recon_statement_corrected',
  'recon_bank_booked',
  'recon_bank_text',
  'recon_sms_remittance',
  'recon_sms',
  'recon_payment_link',
  'recon_payment_attempts',
  'recon_standing_payment',
  'recon_donation_charges',
  'recon_gift_link',
  'recon_bank_candidates',
  'recon_matches',
  'recon_controls',
  'recon_tickets',
  'recon_breaks',
  'recon_bank_lines',
  'recon_journey',
  'recon_regular',
  'recon_possible_duplicate',
  'recon_payout',
  'recon_provider_balance',
  'recon_ticket_followup',
  'totals_by_box',
  'quarantine_open',
  'raw_fate',
  'landing_controls',
  'recon_trail',
];

/** The reconciliation's views: each reads many contracts, several of them more than once. */
export const RECON_VIEW_FILES: readonly string[] = NAMED_VIEW_FILES.filter((name) => name.startsWith('recon_'));

/** Whether `sql` names one of `views` (as a word: `recon_breaks`, not `my_recon_breaks_copy`). */
export function namesNamedView(sql: string, views: readonly string[] = NAMED_VIEW_FILES): boolean {
  const words = new Set(sql.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []);
  return views.some((name) => words.has(name));
}

/** readQuery's answers: the query files do not change while a process runs (a build's copies never do). */
const queries = new Map<string, string>();

/** The SQL of a query file, as a view body: the header comment kept, the closing semicolon dropped, macros written out. */
export function readQuery(name: string): string {
  let sql = queries.get(name);
  if (sql === undefined) {
    sql = expandMacros(readFileSync(path.join(QUERIES_DIR, `${name}.sql`), 'utf8').trim().replace(/;\s*$/, ''));
    queries.set(name, sql);
  }
  return sql;
}

/** Every macro a query file may use (`@units`, `@whole_word`, `@plan_closed`), written out as SQL both engines speak. */
export function expandMacros(sql: string): string {
  return expandPlanClosed(expandWholeWord(expandUnits(sql)));
}

/**
 * Each `@<name>(a, b, ...)` in `sql` replaced by `render` of its arguments (split at the commas at the top level
 * of its parentheses), or an error naming the macro when `render` says the arguments are wrong (undefined).
 */
function expandMacro(sql: string, name: string, render: (args: string[]) => string | undefined, usage: string): string {
  const open = `@${name}(`;
  let out = '';
  let from = 0;
  for (let at = sql.indexOf(open, from); at >= 0; at = sql.indexOf(open, from)) {
    let depth = 0;
    const commas: number[] = [];
    let end = at + open.length - 1;
    for (; end < sql.length; end++) {
      const c = sql[end];
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) break;
      else if (c === ',' && depth === 1) commas.push(end);
    }
    const bounds = [at + open.length - 1, ...commas, end];
    const args = bounds.slice(1).map((b, i) => sql.slice(bounds[i]! + 1, b).trim());
    const text = end < sql.length ? render(args) : undefined;
    if (text === undefined) throw new Error(`@${name} needs ${usage}: ${sql.slice(at, at + 60)}`);
    out += sql.slice(from, at) + text;
    from = end + 1;
  }
  return out + sql.slice(from);
}

/**
 * `@units(amount_minor, exponent)` in a query file, written out as unitsSql: SQL shared with Athena has no
 * functions of its own, and a sentence for finance names an amount in its currency's units (20.00 GBP, not 2000).
 */
export function expandUnits(sql: string): string {
  return expandMacro(sql, 'units', (a) => (a.length === 2 ? unitsSql(a[0]!, a[1]!) : undefined), '(amount, exponent)');
}

/**
 * `@whole_word(text)` in a query file: a regular expression that finds the upper-cased `text` in an upper-cased
 * text only as a whole, bounded by the start or end of that text or by a character that is neither a letter nor
 * a digit (`EE` is in "DONR EE 2026-11" but not in "FEES"), for `regexp_extract`. The one definition of a whole
 * word, read by the reversals' quoted references (recon_bank_booked) and the SMS networks a remittance names
 * (recon_sms). The text is escaped with plain replace(), as the engines write a replacement's groups differently
 * ($1 and \1); a backslash before punctuation is a literal in both RE2 (DuckDB) and Java/Joni (Trino).
 */
export function expandWholeWord(sql: string): string {
  return expandMacro(sql, 'whole_word', (a) => (a.length === 1 && a[0] ? wholeWordSql(a[0]) : undefined), '(text)');
}

/**
 * `@plan_closed(status)` in a query file: true when a regular gift's status (any case) is one that takes no more
 * money (CLOSED_PLAN_STATUSES), false when it is another, null when it is null.
 */
export function expandPlanClosed(sql: string): string {
  const list = CLOSED_PLAN_STATUSES.map((s) => `'${s}'`).join(', ');
  return expandMacro(sql, 'plan_closed', (a) => (a.length === 1 && a[0] ? `(lower(${a[0]}) IN (${list}))` : undefined), '(status)');
}

export function wholeWordSql(text: string): string {
  let escaped = text;
  for (const c of ['\\', '.', '^', '$', '|', '?', '*', '+', '(', ')', '[', ']', '{', '}']) escaped = `replace(${escaped}, '${c}', '\\${c}')`;
  return `('(^|[^A-Z0-9])' || ${escaped} || '([^A-Z0-9]|$)')`;
}

/**
 * A minor-unit amount as text in its currency's units (2000 -> 20.00, KWD 1500 -> 1.500, JPY 500 -> 500), for an
 * exponent that may be null (a code with none listed: 2). One CASE over the exponents core/currency-exponents.ts
 * lists, in SQL both engines speak; DECIMAL keeps the trailing zeros a double would drop.
 */
export function unitsSql(amount: string, exponent: string): string {
  const scales = [...new Set(Object.values(CURRENCY_EXPONENTS))].filter((e) => e !== 2).sort();
  const asUnits = (e: number) => (e === 0 ? `CAST(${amount} AS VARCHAR)` : `CAST(CAST(${amount} AS DECIMAL(38, 0)) * ${(10 ** -e).toFixed(e)} AS VARCHAR)`);
  return `CASE coalesce(${exponent}, 2)${scales.map((e) => ` WHEN ${e} THEN ${asUnits(e)}`).join('')} ELSE ${asUnits(2)} END`;
}

/** The `recon_params` view, with some parameters overridden for one report run. */
export function reconParamsView(overrides: ReconParamValues = {}): ViewDef {
  return { name: 'recon_params', sql: reconParamsSql(overrides) };
}

/**
 * The view `donation_statuses` (status, pledged, stage): what each status a donation may hold means, from
 * core/contracts/donation-status.ts, the definition the live totals read too. totals_by_box and the SMS
 * remittance check count a donation unless its status is listed here as not pledged; recon_journey takes its
 * `clicked` stage from here.
 */
export function donationStatusesSql(): string {
  const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
  return DONATION_STATUS_SPELLINGS.map((s) => `SELECT ${q(s.status)} AS status, ${s.pledged ? 'true' : 'false'} AS pledged, ${q(s.stage)} AS stage`).join(' UNION ALL ');
}

/**
 * The view `currency_exponents` (currency, exponent): the ISO 4217 codes whose minor unit is not a hundredth
 * (core/currency-exponents.ts, the table the hub and the web pages read); any other code has 2. For the
 * sentences that name an amount (`recon_breaks.reason`), which say 1300.00 GBP, not 130000.
 */
export function currencyExponentsSql(): string {
  return Object.entries(CURRENCY_EXPONENTS)
    .map(([currency, exponent]) => `SELECT '${currency}' AS currency, ${exponent} AS exponent`)
    .join(' UNION ALL ');
}

const quotedName = (s: string) => `"${s.replaceAll('"', '""')}"`;

/**
 * The view `landed_ids` (contract, _id, current): every version each contract's history holds (quarantine aside),
 * and whether it is its key's current version. Generated from the contract list, so a new contract is in it; the
 * completeness control (`raw_fate`, `landing_controls`) ties the raw trail to it. `historyOf`: the FROM item of a
 * contract's whole history (the query engine's `--as-of` gives the history views the date's versions only, and a
 * version changed later is still landed, not unaccounted).
 */
export function landedIdsSql(historyOf: (contract: string) => string = (c) => quotedName(`${c}_history`)): string {
  return [...CONTRACTS.keys()]
    .filter((c) => c !== 'quarantine')
    .sort()
    .map(
      (c) =>
        `SELECT '${c}' AS contract, h._id, CASE WHEN s._id IS NULL THEN false ELSE true END AS current ` +
        `FROM ${historyOf(c)} h LEFT JOIN (SELECT DISTINCT _id FROM ${quotedName(c)}) s ON s._id = h._id`,
    )
    .join(' UNION ALL ');
}

/**
 * Every named view, parameters first, in the order they must be created. A query file's SQL is read when first asked
 * for: `puddle query "select 1"` needs the views' names only (which views its SQL names), none of their SQL.
 */
export function namedViews(): ViewDef[] {
  return [
    reconParamsView(),
    { name: 'recon_providers', sql: reconProvidersSql() },
    { name: 'recon_statuses', sql: reconStatusesSql() },
    { name: 'dispute_statuses', sql: disputeStatusesSql() },
    { name: 'payout_statuses', sql: payoutStatusesSql() },
    { name: 'donation_statuses', sql: donationStatusesSql() },
    { name: 'currency_exponents', sql: currencyExponentsSql() },
    { name: 'recon_break_actions', sql: breakActionsSql() },
    { name: 'landed_ids', sql: landedIdsSql() },
    ...NAMED_VIEW_FILES.map((name) => ({
      name,
      get sql() {
        return readQuery(name);
      },
    })),
  ];
}

/**
 * The views `--as-of` changes: `recon_params` and every named view that reads it, directly or through another
 * (every `recon_*` view and `totals_by_box`). Contract views have no "as of": they are the lake as it is.
 * Comments are left out of the reading, so a view that only names another in its header does not count.
 */
export function asOfViews(): string[] {
  const out = ['recon_params'];
  for (const v of namedViews()) {
    const body = v.sql.replace(/--[^\n]*/g, '');
    if (out.some((name) => new RegExp(`\\b${name}\\b`, 'i').test(body)) && !out.includes(v.name)) out.push(v.name);
  }
  return out;
}
