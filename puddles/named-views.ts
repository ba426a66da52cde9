// Named views: reports defined once as SQL in puddles/queries/ and created, under the file's name, after the
// contract views, so `puddle query`, `puddle report`, the API and Tableau (through Athena in the AWS shape)
// all read the same definition. Listed in dependency order: a view may read only the views above it.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { DONATION_STATUS_SPELLINGS } from '../core/contracts/donation-status.js';
import { CURRENCY_EXPONENTS } from '../core/currency-exponents.js';
import { disputeStatusesSql, payoutStatusesSql, reconParamsSql, reconProvidersSql, reconStatusesSql, type ReconParamValues } from './recon-params.js';
import type { ViewDef } from './views.js';

export const QUERIES_DIR = path.join(import.meta.dirname, 'queries');

/** Views made from a SQL file `puddles/queries/<name>.sql`, in creation order. */
export const NAMED_VIEW_FILES: readonly string[] = [
  'recon_bank_issue',
  'recon_statement_corrected',
  'recon_bank_booked',
  'recon_bank_text',
  'recon_payment_link',
  'recon_standing_payment',
  'recon_donation_charges',
  'recon_gift_link',
  'recon_bank_candidates',
  'recon_matches',
  'recon_controls',
  'recon_tickets',
  'recon_breaks',
  'recon_journey',
  'recon_payout',
  'recon_ticket_followup',
  'totals_by_box',
  'quarantine_open',
];

/** The SQL of a query file, as a view body: the header comment kept, the closing semicolon dropped. */
export function readQuery(name: string): string {
  const sql = readFileSync(path.join(QUERIES_DIR, `${name}.sql`), 'utf8');
  return sql.trim().replace(/;\s*$/, '');
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

/** Every named view, parameters first, in the order they must be created. */
export function namedViews(): ViewDef[] {
  return [
    reconParamsView(),
    { name: 'recon_providers', sql: reconProvidersSql() },
    { name: 'recon_statuses', sql: reconStatusesSql() },
    { name: 'dispute_statuses', sql: disputeStatusesSql() },
    { name: 'payout_statuses', sql: payoutStatusesSql() },
    { name: 'donation_statuses', sql: donationStatusesSql() },
    { name: 'currency_exponents', sql: currencyExponentsSql() },
    ...NAMED_VIEW_FILES.map((name) => ({ name, sql: readQuery(name) })),
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
