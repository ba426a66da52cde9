import { accountKey } from '../../core/bank-account.js';
import { fromMinorUnits } from '../../core/money.js';
import { statementWhere } from './checks.js';
import { type Statement, type StatementProblem, movesBalance } from './statement.js';

// A camt.053 is the statement of record, and ISO 20022's usage guidelines (CGI-MP, and the banks' own built on it)
// have it carry the booked opening balance (OPBD, or PRCD, the previous closing) and the booked closing balance
// (CLBD, or ITBD). Without one of them "opening + booked entries = closing" cannot be checked: such a file has
// nothing that is wrong, and nothing that shows it is whole (an entry left out, a day missing). Until 2026-12-03
// it imported as adding up, exit 0, with nothing to check. What a finance lead needs is both: the lines, since
// the money they show is real and reconciliation matches payouts to them (refusing the file would hold back the
// month's matching until the bank sends another), and to be told, each time, that this statement was not
// checked. So the file imports whole, `puddle import bank` names what is missing and exits 1, and recon_breaks
// shows a STATEMENT_UNVERIFIABLE break on it until an issue of the statement with its balances is imported.
// A camt.052 (intraday, balances optional) and a camt.054 (no balances) are not statements of record.
//
// A CSV export without a balance column (Barclays, HSBC) and a BAI2 file without ledger balances (010, 015) are
// another matter: neither format promises balances, and a bank that sends none sends none every day, so no
// re-issue will ever close a break and an exit code of 1 on every import would teach the user to ignore it (and
// miss the file that really does not add up). Such a file imports with exit 0 and no break, and the import says
// plainly, every time, that it was not verified and how to check it by hand (noBalances below): the net movement
// and days, to compare with the account's balances in online banking. Until 2026-12-03 it said nothing.
//
// Some banks send no booked balance in any camt.053 (only CLAV, or their own Prtry types), for every account and
// every day: a re-issue never comes, so exit 1 and a break on every file are the same lesson in ignoring them. A
// charity names such accounts in the recon parameter accounts_without_balances (PUDDLE_RECON_ACCOUNTS_WITHOUT_BALANCES,
// the one setting recon_breaks reads too): a camt.053 of one of them imports as a CSV without balances does, exit 0,
// no break, and what to check by hand (withoutBalances below). Any other account's file still exits 1.

/** The booked balances a camt.053 lacks, in words; empty when it has both (or is no camt.053). */
function missingBookedBalances(s: Statement): string[] {
  if (s.format !== 'camt.053') return [];
  const missing: string[] = [];
  if (s.opening_balance_minor === null) missing.push('no booked opening balance (Bal/Tp/CdOrPrtry/Cd OPBD or PRCD)');
  if (s.closing_balance_minor === null) missing.push('no booked closing balance (CLBD or ITBD)');
  return missing;
}

/**
 * A BAI2 correction (group status 3) without both ledger balances: the bank says it corrects a report it sent before,
 * but Puddle cannot tell which, nor that it holds every entry of the day (a bank may spread a day over several files
 * or 03 records), so it replaces none (its id is its file's, bai2.ts reportRef) and its lines stand beside the
 * earlier report's: a corrected entry may count twice, the original amount and the corrected one. Withdrawing the
 * earlier report's lines on a guess could lose money that moved, so the import says so and exits 1, naming the
 * account and day, for finance to compare the two by hand or to ask the bank for the corrected report with both
 * ledger balances (010, 015), which replaces the day's whole. Corrections are rare, so exit 1 is not the every-day
 * exit the note on files without balances avoids. Until 2026-12-03 such a correction imported with only the
 * every-day "not verified" note, the money counted twice in silence. Null for any other statement.
 */
export function correctionBeside(s: Statement, index: number): StatementProblem | null {
  if (!s.correction || (s.opening_balance_minor !== null && s.closing_balance_minor !== null)) return null;
  const day = s.period_from?.slice(0, 10) ?? '?';
  return {
    where: `${statementWhere(s, index)}: correction`,
    message:
      `a correction (BAI2 group status 3) without both ledger balances (010, 015) replaces no earlier report: its lines stand beside ` +
      `those of any report of the account ${ending(s)} on ${day} imported before, and an entry it corrects counts twice; compare them ` +
      `(puddle query "SELECT bank_line_id, amount_minor, statement_id FROM bank_line WHERE booking_date = DATE '${day}' ORDER BY statement_id"), ` +
      `or ask the bank for the corrected report with both ledger balances, which replaces the day's report whole`,
  };
}

/** The account by its last four characters, as online banking shows it: enough to tell a file's accounts apart. */
export function ending(s: Statement): string {
  const account = accountKey(s.account);
  return account.length > 4 ? `ending ${account.slice(-4)}` : account;
}

const listed = (s: Statement, accounts: readonly string[]) => accounts.includes(accountKey(s.account));

/**
 * What a statement of record lacks for its balances to be checked; null when nothing (or when it is no camt.053,
 * or of an account in `accountsWithoutBalances`, whose bank never sends them: see withoutBalances).
 */
export function unverifiable(s: Statement, index: number, accountsWithoutBalances: readonly string[] = []): StatementProblem | null {
  const missing = missingBookedBalances(s);
  if (!missing.length || listed(s, accountsWithoutBalances)) return null;
  const types = [...new Set(s.balance_types ?? [])].map((t) => (t === 'Prtry' ? "a bank's own type (Prtry)" : t));
  const carries = types.length ? `it carries only ${types.join(', ')}` : 'it carries no Bal';
  return {
    where: `${statementWhere(s, index)}: balances`,
    message: `${missing.join(' and ')} (${carries}): its entries cannot be checked against the bank's balances; ask the bank for the statement with them`,
  };
}

/**
 * A CSV export or BAI2 statement imported without the balances to check it (see above): what it lacks, and the net
 * movement and days to check by hand. Null when it has both balances, and for any other format.
 */
export function noBalances(s: Statement, index: number): StatementProblem | null {
  if (s.format !== 'csv' && s.format !== 'bai2') return null;
  if (s.opening_balance_minor !== null && s.closing_balance_minor !== null) return null;
  let why: string;
  if (s.format === 'csv') why = 'no running balance (no balance column, or an empty one)';
  else {
    const missing = [s.opening_balance_minor === null && 'opening (010)', s.closing_balance_minor === null && 'closing (015)'].filter(Boolean);
    const available = (s.balance_types ?? []).filter((t) => t === '040' || t === '045');
    why = `no ${missing.join(' or ')} ledger balance${available.length ? ` (available balances, ${available.sort().join(' and ')}, move with float: not checked)` : ''}`;
  }
  return { where: `${statementWhere(s, index)}: balances`, message: byHand(s, why) };
}

/**
 * A camt.053 without booked balances of an account whose bank never sends them (`accountsWithoutBalances`, the
 * recon parameter accounts_without_balances): what it lacks, and the net movement and days to check by hand, as
 * for a CSV export without balances. Null for any other statement.
 */
export function withoutBalances(s: Statement, index: number, accountsWithoutBalances: readonly string[]): StatementProblem | null {
  const missing = missingBookedBalances(s);
  if (!missing.length || !listed(s, accountsWithoutBalances)) return null;
  return { where: `${statementWhere(s, index)}: balances`, message: byHand(s, `${missing.join(' and ')} (the account's bank never sends them)`) };
}

/** Why a statement was not checked, then what shows it is whole by hand: its net movement over its days. */
function byHand(s: Statement, why: string): string {
  const net = s.entries.reduce((n, e) => n + (movesBalance(s, e) && e.currency === s.currency ? e.amount_minor : 0), 0);
  // The statement's period, else (a camt.053 without FrToDt) the booking days of its entries, else its creation day.
  const booked = s.entries.map((e) => e.booking_date).filter((d): d is string => d !== null).sort();
  const first = s.period_from ?? booked[0] ?? s.created_at;
  const last = s.period_to ?? booked.at(-1) ?? s.created_at;
  const day = (t: string | null) => t?.slice(0, 10) ?? '?';
  const days = day(first) === day(last) ? `on ${day(first)}` : `from ${day(first)} to ${day(last)}`;
  return (
    `${why}, so nothing shows it holds every entry of the account ${ending(s)} ${days}: ` +
    `check that its net, ${net > 0 ? '+' : ''}${fromMinorUnits(net, s.currency)} ${s.currency}, is what the account's balance moved by in online banking`
  );
}
