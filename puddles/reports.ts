// The reports `puddle report <name>` prints: each is one named view (puddles/queries/), the date column that
// --from/--to narrow, and a stable order. The same views are what Tableau reads through Athena.
import type { QueryEngine } from '../core/ports.js';
import { isCalendarDate } from '../core/time.js';
import { reconParamsView } from './named-views.js';
import type { ReconParamValues } from './recon-params.js';

export interface ReportDef {
  view: string;
  /**
   * The column --from/--to compare (as a date); null for a position at the end of the as-of day (`balance`), which
   * --as-of alone dates: a range has nothing to select there (a treasurer's `--from 2026-11-01 --to 2026-11-30`
   * compared the as-of date, today, and printed no rows).
   */
  dateColumn: string | null;
  orderBy: string;
  doc: string;
}

export const REPORTS: Readonly<Record<string, ReportDef>> = {
  journey: { view: 'recon_journey', dateColumn: 'pledged_at', orderBy: 'pledged_at, donation_id', doc: 'one row per donation: click -> payment -> payout -> bank, its stage and open breaks' },
  breaks: { view: 'recon_breaks', dateColumn: 'object_date', orderBy: 'break_type, object_date, object_id', doc: 'every open break, on its object, with amount, age and reason' },
  regular: { view: 'recon_regular', dateColumn: 'received_at', orderBy: 'received_at, donation_id, payment_id', doc: 'money received, one row per gift: regular (the plan and instalment) or one-off, by charge, collection or renewal' },
  duplicates: { view: 'recon_possible_duplicate', dateColumn: 'pledged_at', orderBy: 'pledged_at, donation_id', doc: 'possible duplicate donations: one person, the same amount twice within duplicate_window_minutes, both holding money' },
  payouts: { view: 'recon_payout', dateColumn: 'arrival_date', orderBy: 'arrival_date, payout_id, row_kind DESC, payout_item_id', doc: 'per payout and item: gross, fees, refunds, disputes, net, the bank line' },
  balance: { view: 'recon_provider_balance', dateColumn: null, orderBy: 'provider, currency, row_kind DESC, arrival_date, payout_id', doc: 'per provider and currency at the end of the as-of day: charges, fees, refunds, disputes and payouts rolled forward to the balance still at the provider, and each payout in transit to the bank' },
  controls: { view: 'recon_controls', dateColumn: 'day', orderBy: 'day, provider, account, currency', doc: 'per day, provider and account: lake vs settlement summary vs payouts vs bank' },
  matches: { view: 'recon_matches', dateColumn: 'on_date', orderBy: 'left_kind, left_id, right_kind, right_id', doc: 'every match with its rule and reason' },
  tickets: { view: 'recon_ticket_followup', dateColumn: 'opened_on', orderBy: 'opened_on, ticket_id', doc: 'refund-request and cancellation tickets whose money trail shows no refund or cancellation after grace_ticket_money_days' },
  bank: { view: 'recon_bank_lines', dateColumn: 'booking_date', orderBy: 'account, booking_date, bank_line_id', doc: 'every bank line booked, one row each, with its state (matched, break, reversal, remittance, superseded, unexplained) and why' },
  sms: { view: 'recon_sms', dateColumn: 'month_end', orderBy: 'period, currency, sms_network', doc: 'per text-to-donate month, currency and mobile network: pledged, remitted, short' },
  landing: { view: 'landing_controls', dateColumn: 'day', orderBy: 'day, source, stream, contract', doc: 'per day received, source, stream and contract: raw deliveries against current, superseded, repeated, quarantined and unaccounted' },
  totals: { view: 'totals_by_box', dateColumn: 'box_start', orderBy: 'box_start, channel, campaign, cta, currency', doc: 'pledges per 15-minute box, channel, campaign and call to action' },
};

/** The SELECT of a report, narrowed to [from, to] (dates, inclusive) on its date column. */
export function reportSql(name: string, range: { from?: string; to?: string } = {}): string {
  const r = REPORTS[name];
  if (!r) throw new Error(`no report ${name}: one of ${Object.keys(REPORTS).join(', ')}`);
  const problem = rangeProblem(name, range);
  if (problem) throw new Error(problem);
  const where: string[] = [];
  for (const [op, v] of [['>=', range.from], ['<=', range.to]] as const) {
    if (v === undefined) continue;
    if (!isCalendarDate(v)) throw new Error(`--from/--to take a date YYYY-MM-DD, not ${JSON.stringify(v)}`);
    where.push(`CAST(${r.dateColumn!} AS DATE) ${op} DATE '${v}'`);
  }
  return `SELECT * FROM ${r.view}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${r.orderBy}`;
}

/** Why a report takes no --from/--to (a position, dated by --as-of alone), or null. */
export function rangeProblem(name: string, range: { from?: string; to?: string }): string | null {
  if (REPORTS[name]?.dateColumn !== null || (range.from === undefined && range.to === undefined)) return null;
  return `report ${name} is a position at the end of one day: give that day as --as-of (--as-of 2026-11-30 for November's close), not --from/--to`;
}

/**
 * What `puddle report ... --fail-on-breaks` fails on, as one row: `breaks`, the open breaks whose object date is in
 * [from, to], and `unaccounted`, the records received on a day in [from, to] (and on or before `asOf` when given:
 * landing_controls does not read recon_params) that neither landed nor went to quarantine. A record that went nowhere
 * is money or a gift the reports cannot show, so a scheduled check that passes over one says "all clear" wrongly.
 * Breaks are counted with the recon parameters set (setReconParams) for the as-of date.
 */
export function scheduledCheckSql(range: { from?: string; to?: string } = {}, asOf?: string): string {
  if (asOf !== undefined && !isCalendarDate(asOf)) throw new Error(`--as-of takes a date YYYY-MM-DD, not ${JSON.stringify(asOf)}`);
  const received = asOf === undefined ? '' : ` WHERE CAST(l.day AS DATE) <= DATE '${asOf}'`;
  return `SELECT (SELECT count(*) FROM (${reportSql('breaks', range)}) b) AS breaks,
    (SELECT coalesce(sum(l.unaccounted), 0) FROM (${reportSql('landing', range)}) l${received}) AS unaccounted`;
}

/** Fix the reconciliation's parameters (as-of date, windows, grace) for the queries that follow on this engine. */
export async function setReconParams(engine: QueryEngine, overrides: ReconParamValues): Promise<void> {
  const v = reconParamsView(overrides);
  await engine.query(`CREATE OR REPLACE VIEW ${v.name} AS ${v.sql}`);
}
