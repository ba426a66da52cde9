// The reconciliation's parameters, in one place: a table with documented defaults, rendered as the
// one-row `recon_params` view every recon_* view reads (CROSS JOIN recon_params). A report run may
// override any of them (`--as-of` fixes "now"), by replacing that one view before it queries.
// Defaults are what a UK charity's finance lead expects of Stripe, Braintree, BACS and SMS giving.
import { DISPUTE_STATUSES, PAYMENT_STATUS_SPELLINGS, PAYOUT_STATUS_SPELLINGS } from '../core/contracts/money-status.js';
import { accountKey } from '../core/bank-account.js';
import { RECON_PROVIDERS } from '../core/recon-providers.js';
import { envSettings } from '../core/settings.js';
import { isCalendarDate } from '../core/time.js';

export interface ReconParam {
  name: string;
  /** An integer, or for a `date` parameter a date `YYYY-MM-DD` or null (`as_of`: today, `current_date`; any other: none). */
  default: number | string | null;
  doc: string;
  /** A date (`YYYY-MM-DD`, a DATE in the view) rather than a whole number. */
  date?: true;
  /** A list of bank accounts, comma-separated (a VARCHAR in the view, each account as accountKey gives it), rather than a whole number. */
  accounts?: true;
}

export const RECON_PARAMS: readonly ReconParam[] = [
  { name: 'as_of', default: null, date: true, doc: '"Now" for ages and grace periods; objects dated after it are left out (default: today, UTC)' },
  { name: 'match_days_before', default: 1, doc: 'A bank line may be booked this many days before the payout\'s arrival_date' },
  { name: 'match_days_after', default: 3, doc: 'and this many days after it (weekends, BACS, Braintree\'s 1-2 business days)' },
  { name: 'match_days_after_reference', default: 10, doc: 'A line carrying the payout\'s bank_reference or id and its exact amount may be booked this many days after arrival_date (a bank holiday weekend: Christmas, Easter), when the payout and the line have no candidate in the window above and the line quotes no other payout' },
  { name: 'grace_donation_not_paid_days', default: 2, doc: 'DONATION_NOT_PAID once a card-channel donation is older than this' },
  { name: 'grace_cancelled_but_paid_days', default: 7, doc: 'CANCELLED_BUT_PAID this many days after a donation was cancelled (or failed) while a payment for it still holds money (time for the refund)' },
  { name: 'grace_payment_without_donation_days', default: 1, doc: 'PAYMENT_WITHOUT_DONATION this many days after a successful payment that names a donation no producer has sent (a late batch)' },
  { name: 'grace_paid_not_paid_out_days', default: 3, doc: 'PAID_NOT_PAID_OUT this many days after the payment\'s available_on' },
  { name: 'grace_paid_not_paid_out_no_available_days', default: 10, doc: 'PAID_NOT_PAID_OUT this many days after the payment when it has no available_on (Braintree)' },
  { name: 'grace_payout_no_bank_line_days', default: 3, doc: 'PAYOUT_NO_BANK_LINE this many days after arrival_date' },
  { name: 'grace_bank_line_no_payout_days', default: 3, doc: 'BANK_LINE_NO_PAYOUT this many days after the booking date (a payout synced late)' },
  { name: 'grace_payout_items_days', default: 2, doc: 'PAYOUT_ITEMS_MISMATCH this many days after arrival_date (items are read after the payout)' },
  { name: 'grace_refund_not_netted_days', default: 10, doc: 'REFUND_NOT_NETTED this many days after the refund or dispute' },
  { name: 'grace_control_total_days', default: 2, doc: 'CONTROL_TOTAL_MISMATCH this many days after the settlement date' },
  { name: 'grace_payout_failed_days', default: 0, doc: 'PAYOUT_FAILED this many days after the failed payout\'s arrival_date (0: at once, bank details may be wrong)' },
  { name: 'grace_sms_days', default: 45, doc: 'SMS_PLEDGE_UNCOLLECTED this many days after the month ends (aggregators pay ~45 days after month end)' },
  { name: 'grace_gift_missing_days', default: 7, doc: 'GIFT_MISSING this many days after a paid provider payment that no CRM gift payment names (gifts are keyed in batches)' },
  { name: 'gift_missing_from', default: null, date: true, doc: 'GIFT_MISSING only for payments on or after this date (YYYY-MM-DD): the day the charity began keying gifts into its CRM, so earlier payments, which have no CRM gift, are no breaks (default: none, every payment)' },
  { name: 'grace_gift_not_paid_days', default: 7, doc: 'GIFT_NOT_PAID this many days after a won gift\'s close date while it has no paid payment' },
  { name: 'grace_crm_refund_missing_days', default: 7, doc: 'CRM_REFUND_MISSING this many days after a provider refund the CRM has not recorded' },
  { name: 'accounts_without_balances', default: null, accounts: true, doc: 'Bank accounts (IBAN or the statement\'s account id, comma-separated) whose bank never sends booked balances in its camt.053: such a statement imports with exit 0 and the net to check by hand, and is no STATEMENT_UNVERIFIABLE break (default: none)' },
  { name: 'grace_ticket_money_days', default: 5, doc: 'A refund-request or cancellation ticket shows in `puddle report tickets` once this many days old with no refund or cancellation behind it' },
  { name: 'duplicate_window_minutes', default: 15, doc: 'recon_possible_duplicate lists two donations of one person, amount and currency, both holding money, this many minutes apart or less (a double click, a pledge keyed twice)' },
  { name: 'fee_max_percent', default: 10, doc: 'FEE_ANOMALY when fee > fee_max_percent % of the amount + fee_allowance_minor' },
  { name: 'fee_allowance_minor', default: 30, doc: '(so 1.5% + 20p on a GBP 1 gift does not flag)' },
];

export type ReconParamValues = Partial<Record<string, number | string | null>>;

/**
 * A charity's own values for the parameters, from its environment: `PUDDLE_RECON_<NAME>` (upper case), say
 * `PUDDLE_RECON_GRACE_GIFT_MISSING_DAYS=35` for gifts keyed once a month, or `PUDDLE_RECON_GIFT_MISSING_FROM=2026-07-01`
 * for a charity that began keying gifts into its CRM that day (a date parameter takes a date YYYY-MM-DD). Every view that reads recon_params
 * takes them (`puddle report`, `export`, `query`, the dashboard, the hub; on AWS the function's environment),
 * and `--as-of` goes on top. Until 2026-12-03 the only way to change one was to edit this file. A value that is
 * not a whole number of 0 or more (for a date parameter, not a date; for a list of accounts, no account), or a name that is no parameter (a typo would otherwise be a default silently
 * kept), is refused with every wrong one named: a ConfigError, exit 2. `as_of` is no setting: it is today, or
 * the run's `--as-of`.
 */
export const RECON_ENV_PREFIX = 'PUDDLE_RECON_';

export function configuredReconParams(env: NodeJS.ProcessEnv = process.env): ReconParamValues {
  const settings = envSettings(env);
  const out: ReconParamValues = {};
  for (const name of Object.keys(env)) {
    if (!name.startsWith(RECON_ENV_PREFIX) || settings.text(name) === undefined) continue;
    const param = RECON_PARAMS.find((p) => p.name !== 'as_of' && RECON_ENV_PREFIX + p.name.toUpperCase() === name);
    if (param === undefined) {
      const known = RECON_PARAMS.filter((p) => p.name !== 'as_of').map((p) => RECON_ENV_PREFIX + p.name.toUpperCase());
      settings.problem(name, `one of the reconciliation's parameters (${known.join(', ')}); the as-of date is each run's --as-of`);
      continue;
    }
    if (param.accounts) {
      // A list of accounts (ACCOUNTS_WITHOUT_BALANCES): compared without spaces and case (accountKey).
      const list = accountList(settings.text(name)!);
      if (list.length && list.every((a) => !a.includes("'"))) out[param.name] = list.join(',');
      else settings.problem(name, 'bank accounts (IBAN or account id) separated by commas', settings.text(name)!);
      continue;
    }
    if (param.date) {
      // A date setting (GIFT_MISSING_FROM): a calendar date, read as --as-of is.
      const text = settings.text(name)!;
      if (isCalendarDate(text)) out[param.name] = text;
      else settings.problem(name, 'a date YYYY-MM-DD on the calendar', text);
      continue;
    }
    out[param.name] = settings.number(name, param.default as number, { min: 0, whole: true });
  }
  settings.check();
  return out;
}

/** A comma-separated list of accounts, each as accountKey gives it, empty items dropped. */
function accountList(text: string): string[] {
  return text.split(',').map(accountKey).filter((a) => a !== '');
}

/**
 * The accounts whose bank sends no booked balances (accounts_without_balances, PUDDLE_RECON_ACCOUNTS_WITHOUT_BALANCES),
 * for the bank import: a camt.053 of one of them is imported unchecked with exit 0, as recon_breaks opens no
 * STATEMENT_UNVERIFIABLE on it. Refuses a wrong recon setting, as every command does (ConfigError).
 */
export function accountsWithoutBalances(configured: ReconParamValues = configuredReconParams()): string[] {
  const v = configured.accounts_without_balances;
  return typeof v === 'string' ? accountList(v) : [];
}

/**
 * The one-row SELECT for `recon_params`: the defaults, replaced by the environment's settings
 * (configuredReconParams), then by `overrides` (checked: a bad value is named).
 */
export function reconParamsSql(overrides: ReconParamValues = {}, configured: ReconParamValues = configuredReconParams()): string {
  for (const name of Object.keys(overrides)) {
    if (!RECON_PARAMS.some((p) => p.name === name)) throw new Error(`recon_params: no parameter ${name}`);
  }
  const values: ReconParamValues = { ...configured, ...overrides };
  const cols = RECON_PARAMS.map((p) => {
    const v = p.name in values ? values[p.name] : p.default;
    if (p.accounts) {
      if (v === null || v === undefined) return `CAST(NULL AS VARCHAR) AS ${p.name}`;
      if (typeof v !== 'string' || v.includes("'") || accountList(v).join(',') !== v) {
        throw new Error(`recon_params: ${p.name} must be accounts separated by commas, not ${JSON.stringify(v)}`);
      }
      return `'${v}' AS ${p.name}`;
    }
    if (p.date) {
      if (v === null || v === undefined) return p.name === 'as_of' ? 'current_date AS as_of' : `CAST(NULL AS DATE) AS ${p.name}`;
      if (!isCalendarDate(v)) {
        throw new Error(`recon_params: ${p.name} must be a date YYYY-MM-DD, not ${JSON.stringify(v)}`);
      }
      return `DATE '${v}' AS ${p.name}`;
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Error(`recon_params: ${p.name} must be an integer, not ${JSON.stringify(v)}`);
    return `CAST(${v} AS INTEGER) AS ${p.name}`;
  });
  return `SELECT ${cols.join(', ')}`;
}

/** The providers and aggregators a bank line's text is searched for (defined in core: the bank_line contract uses them too). */
export { RECON_PROVIDERS };

/**
 * The view `recon_providers` (provider, bank_text, kind, refund_taken_when): how a bank statement names each provider
 * and aggregator, and when each takes a refund's money from its balance (`created` or `succeeded`, RefundTakenWhen).
 */
export function reconProvidersSql(): string {
  const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
  return RECON_PROVIDERS.map(
    (p) => `SELECT ${q(p.provider)} AS provider, ${q(p.bank_text)} AS bank_text, ${q(p.kind)} AS kind, ${q(p.refund_taken_when)} AS refund_taken_when`,
  ).join(' UNION ALL ');
}

/**
 * The view `recon_statuses` (status, outcome): what each payment or refund status means (succeeded, pending or
 * failed), every spelling a landed row may hold, from core/contracts/money-status.ts, the list the contracts take.
 */
export function reconStatusesSql(): string {
  const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
  return PAYMENT_STATUS_SPELLINGS.map((p) => `SELECT ${q(p.status)} AS status, ${q(p.outcome)} AS outcome`).join(' UNION ALL ');
}

/** The view `dispute_statuses` (status, takes_money): which dispute statuses took the money from the charity. */
export function disputeStatusesSql(): string {
  const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
  return DISPUTE_STATUSES.map((d) => `SELECT ${q(d.status)} AS status, ${d.takes_money ? 'true' : 'false'} AS takes_money`).join(' UNION ALL ');
}

/**
 * The view `payout_statuses` (status, to_bank, carries_items, left_provider): which payout statuses sent the money to
 * the bank (a bank line is expected), which carry their items' money and which took it from the provider's balance,
 * every spelling a landed payout may hold.
 */
export function payoutStatusesSql(): string {
  const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
  const b = (v: boolean) => (v ? 'true' : 'false');
  return PAYOUT_STATUS_SPELLINGS.map((p) => `SELECT ${q(p.status)} AS status, ${b(p.to_bank)} AS to_bank, ${b(p.carries_items)} AS carries_items, ${b(p.left_provider)} AS left_provider`).join(' UNION ALL ');
}
