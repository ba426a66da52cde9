import { exponentOf, fromMinorUnits } from '../../core/money.js';
import type { QueryEngine } from '../../core/ports.js';
import { sqlString } from '../../puddles/sql-text.js';
import { statementWhere } from './checks.js';
import { afterAmount, contentIdDay, lakeTime as iso, type LakeLine } from './earlier-ids.js';
import { optionName, type ReadOptions, type Statement, type StatementProblem } from './statement.js';
import { fingerprintHash } from './to-envelopes.js';
import { ending } from './unverifiable.js';

// What the lake already holds of a file's statements (every bank_statement version landed), read before anything
// of the file is published, for two things the lines' ids cannot show:
//
// - The same file read in another currency. A CSV says no currency: the layout or --currency gives it, and the
//   statement id (`account/csv/sha256:<hash>/<n>`) is the file's, not the currency's. A GBP export imported again
//   with --currency EUR got the same statement id with EUR on it and new line ids (the currency is in a line id
//   without a bank reference), so its lines were added again beside the GBP ones, counted twice, exit 0 (until
//   2026-12-05). The file is refused (exit 2): nothing of it is published. The same holds for a camt account
//   without Ccy, whose currency --currency gives too.
// - Another file with the same statement id and creation time (a STATEMENT_CONFLICT, recon_bank_issue.sql): until
//   2026-12-05 the import said nothing, and the break appeared only in recon_breaks.
//
// Only what has landed is seen: an import still on the queue (`puddle import bank` run twice before `puddle land`)
// is not. An identical file imported again (the same bytes, the same currency) meets none of these rules.
//
// The statement id knows a file by its bytes: the export saved again (Excel's re-save: CRLF line endings, a byte
// order mark) is a new file to it. So the lines are compared too (linesInOtherCurrency, below): until 2026-12-05
// such a re-saved GBP export imported with --currency EUR landed every line a second time, exit 0.
//
// A file that does not add up lands no line, so when the first import was one, bank_line holds nothing to know the
// re-saved file by: its unbalanced statement is what the lake holds (unbalancedInOtherCurrency, below). Until
// 2026-12-05 such a re-saved export imported with another --currency went in as a second STATEMENT_UNBALANCED
// break in the other currency (exit 1), where the same bytes were refused.

/** A statement version the lake holds, as recon_bank_issue reads it. */
export interface EarlierIssue {
  bank_statement_id: string;
  /** When the bank created it (camt CreDtTm, BAI2 file creation), ISO 8601 in UTC with Z. */
  created_at: string;
  currency: string;
  file_sha256: string;
  file_name: string | null;
  balanced: boolean;
  closing_balance_minor: number | null;
  /** When it was imported, ISO 8601 in UTC with Z. */
  received_at: string;
  account: string;
  source_format: string;
  /** The period it covers, ISO 8601 in UTC with Z; null when the file gives none. */
  period_from: string | null;
  period_to: string | null;
  opening_balance_minor: number | null;
  entry_count: number;
}


const orNull = <T>(v: unknown, f: (v: unknown) => T): T | null => (v === null || v === undefined ? null : f(v));

/**
 * The versions of these statements imported from bank files (not POST /v1/events), in DuckDB's and Athena's SQL
 * alike; and, in the same query, every version that did not add up of a statement of these `accounts` (those of a
 * file that does not add up either, for unbalancedInOtherCurrency: few, each a break someone must clear).
 */
export async function earlierIssues(lake: QueryEngine, ids: readonly string[], accounts: readonly string[] = []): Promise<EarlierIssue[]> {
  const which = [
    ...(ids.length ? [`bank_statement_id IN (${[...new Set(ids)].map(sqlString).join(', ')})`] : []),
    ...(accounts.length ? [`(balanced = false AND account IN (${[...new Set(accounts)].map(sqlString).join(', ')}))`] : []),
  ];
  if (!which.length) return [];
  const rows = await lake.query(
    'SELECT bank_statement_id, occurred_at, currency, file_sha256, file_name, balanced, closing_balance_minor, _received_at, ' +
      'account, source_format, period_from, period_to, opening_balance_minor, entry_count ' +
      `FROM bank_statement_history WHERE _source = 'bank' AND ${which.length > 1 ? `(${which.join(' OR ')})` : which[0]} ` +
      'ORDER BY _received_at',
  );
  return rows.map((r) => ({
    bank_statement_id: String(r.bank_statement_id),
    created_at: iso(r.occurred_at),
    currency: String(r.currency),
    file_sha256: String(r.file_sha256),
    file_name: r.file_name === null || r.file_name === undefined ? null : String(r.file_name),
    balanced: r.balanced === true,
    closing_balance_minor: orNull(r.closing_balance_minor, Number),
    received_at: iso(r._received_at),
    account: String(r.account),
    source_format: String(r.source_format),
    period_from: orNull(r.period_from, iso),
    period_to: orNull(r.period_to, iso),
    opening_balance_minor: orNull(r.opening_balance_minor, Number),
    entry_count: Number(r.entry_count),
  }));
}

const named = (s: Statement) => `the account ${ending(s)}${s.statement_ref ? `, statement ${s.statement_ref}` : ''}`;

/**
 * Why this file may not be imported: one of its statements was imported before from this very file in another
 * currency. Null when none was. `ids[i]` is statement i's bank_statement_id, `sha256` the file's.
 */
export function currencyChanged(statements: readonly Statement[], ids: readonly string[], sha256: string, earlier: readonly EarlierIssue[], opts: ReadOptions): string | null {
  for (const [i, s] of statements.entries()) {
    const mine = earlier.filter((e) => e.bank_statement_id === ids[i] && e.file_sha256 === sha256 && e.currency !== s.currency);
    if (!mine.length) continue;
    // An import that did not add up landed its statement marked unbalanced and none of its lines.
    const before = mine.find((e) => e.balanced) ?? mine[0]!;
    const option = optionName(opts, 'currency');
    const head = `${statementWhere(s, i)}: this file was imported on ${before.received_at} as ${before.currency} (${named(s)}) and is read now as ${s.currency}: `;
    // Refused even so: the same bytes do not add up in any currency (amounts and balances scale alike), so no line
    // would land and nothing count twice, but the statement's break would then say the other currency, one of the
    // two imports being wrong. The fix is the same either way: a file that adds up, which is new bytes, and so is
    // met by no refusal while no line of it landed.
    if (!before.balanced) return head + unbalancedThen(before.currency, s.currency, option);
    // No option imports a file again in another currency: the lines the first import gave are in the lake (and
    // the raw trail) for good, and no import withdraws a CSV export's lines (its id is the file's, so nothing
    // re-issues it). Letting the second currency in would only count the money twice.
    return (
      head +
      `imported again, its lines would stand beside the ${before.currency} ones, the money counted twice. If ${before.currency} is right, nothing ` +
      `needs doing (with ${option} ${before.currency} it imports again unchanged). If the file really is ${s.currency}, the ${before.currency} import ` +
      `was the mistake and no import undoes it (no option imports a file again in another currency): its ${before.currency} lines stay in ` +
      `bank_line, so reconcile that account's days by hand`
    );
  }
  return null;
}

/** A statement's days as its period gives them: `2026-12-01 to 2026-12-03`, or one day. */
const days = (from: string | null, to: string | null) => {
  const [a, b] = [from?.slice(0, 10) ?? '?', to?.slice(0, 10) ?? '?'];
  return a === b ? a : `${a} to ${b}`;
};

/**
 * Why this file may not be imported: one of its statements was imported before from this very file, in the same
 * currency, with other dates: a CSV layout whose date_format reads the file's dates otherwise (DD/MM/YYYY as
 * MM/DD/YYYY). A line's id holds its day, so until 2026-12-05 (user test) every line landed again beside the first
 * import's under other days, exit 0, and a report as of an earlier date counted them. Null when none was.
 */
export function datesChanged(statements: readonly Statement[], ids: readonly string[], sha256: string, earlier: readonly EarlierIssue[], opts: ReadOptions): string | null {
  for (const [i, s] of statements.entries()) {
    const before = earlier.find(
      (e) => e.bank_statement_id === ids[i] && e.file_sha256 === sha256 && e.currency === s.currency && !(sameTime(e.period_from, s.period_from) && sameTime(e.period_to, s.period_to)),
    );
    if (!before) continue;
    return (
      `${statementWhere(s, i)}: this file was imported on ${before.received_at} with its entries dated ${days(before.period_from, before.period_to)} (${named(s)}) ` +
      `and is read now as ${days(s.period_from, s.period_to)}: ${optionName(opts, 'layout')} reads its dates otherwise (its date_format). Imported, its lines ` +
      `would stand beside the first import's under other days, the money counted twice. If the first dates are right, nothing needs doing (the ` +
      `layout used then imports it again unchanged). If they were wrong, no import undoes them: their lines stay in bank_line, so reconcile ` +
      `that account's days by hand`
    );
  }
  return null;
}

/** Why a statement that did not add up in `then` is refused in `now`: what of it landed, and what to do. */
const unbalancedThen = (then: string, now: string, option: string) =>
  `it did not add up then, so none of its lines landed (its statement is marked unbalanced), and read again it would not add up ` +
  `either. If ${then} is right, nothing needs doing. If the file really is ${now}, correct it (or export it again) ` +
  `so that it adds up, and import that with ${option} ${now}; that does not close the ${then} import's STATEMENT_UNBALANCED break in ` +
  `recon_breaks, if it is still open (only a ${then} statement of that account that adds up closes it): ` +
  `tell whoever reviews the breaks that the ${then} import was the mistake`;

/**
 * Whether a statement's currency is compared with what the lake holds (linesInOtherCurrency,
 * unbalancedInOtherCurrency): a CSV's always (it says no currency, or states it in a column), another format's only
 * when --currency is given. A statement whose currency the file itself states (a camt Ccy, a BAI2 currency) could
 * not have been put in the wrong currency by any option, and an account holding several currencies under one
 * number (a camt IBAN with a statement per currency) may well have two statements alike but for the currency.
 */
export const currencyCompared = (s: Statement, opts: ReadOptions) => s.format === 'csv' || opts.currency !== undefined;

/** Whether two amounts, each in minor units of its own currency, are the same as written: 125000 GBP and 1250 JPY are (1250). */
const sameMoney = (a: number | null, aCurrency: string, b: number | null, bCurrency: string) =>
  a === null || b === null ? a === b : a * 10 ** exponentOf(bCurrency) === b * 10 ** exponentOf(aCurrency);
const sameTime = (a: string | null, b: string | null) => (a === null || b === null ? a === b : iso(a) === iso(b));

/**
 * Why this file, which does not add up, may not be imported: one of the statements it would mark unbalanced
 * (`unbalanced[i]`) is, by its content, one imported before from another file in another currency that did not add
 * up either. Null when none is. `ids[i]` is statement i's bank_statement_id; `earlier` holds the unbalanced versions
 * of these statements' accounts (earlierIssues' `accounts`).
 *
 * The first import landed no line, so linesInOtherCurrency has nothing in bank_line to compare; its bank_statement
 * is what the lake holds, and it is compared by what a re-save leaves alone: the account and format, the period's
 * days (a CSV's are its first and last rows' dates), the entry count, and the opening and closing balances as
 * written, each in its own currency's units: `1250.00` GBP (125000 minor units) is `1250` JPY (1250), which minor
 * units alone would tell apart by the currency's scale; a re-save that drops the zeros (`1,250.00` -> `1250`) reads
 * the same amount either way. Not the bytes nor the statement id (a CSV's is its file's hash), nor the problems'
 * text (it names amounts in the currency), nor the credit and debit totals (they count only entries in the
 * statement's currency: a camt without Acct/Ccy read with another --currency has its entries in their Amt's
 * currency, and totals of nothing). The lines' content hashes would be the sharpest measure, but a bank_statement
 * carries none, and these fields are there for every unbalanced statement landed before today too.
 *
 * False alarms: at least one balance must be there to compare, unless the statement id is the same (a camt Stmt/Id,
 * a BAI2 file and group, which a re-save keeps): a period and entry count alone could be another statement's. A
 * statement of another currency on a multi-currency account that is no copy (other balances, other days or another
 * number of entries) is not refused; nor, as for lines, one whose currency the file states (currencyCompared). A
 * file that adds up is never asked: a corrected export, in whichever currency, imports, its statement being new.
 */
export function unbalancedInOtherCurrency(statements: readonly Statement[], ids: readonly string[], unbalanced: readonly boolean[], earlier: readonly EarlierIssue[], opts: ReadOptions): string | null {
  for (const [i, s] of statements.entries()) {
    if (!unbalanced[i] || !currencyCompared(s, opts)) continue;
    const before = unbalancedCopyOf(s, ids[i]!, earlier, (e) => e.currency !== s.currency);
    if (!before) continue;
    return (
      `${statementWhere(s, i)}: ${named(s)} was imported on ${before.received_at} as ${before.currency} from another file (this one saved ` +
      `again: the same days, entry count and balances) and is read now as ${s.currency}: ` +
      unbalancedThen(before.currency, s.currency, optionName(opts, 'currency'))
    );
  }
  return null;
}

/**
 * The first import (versions come oldest first) of statement `s` (its id `id`) that did not add up, by the content a
 * re-save leaves alone (see unbalancedInOtherCurrency), among `earlier` versions that `also` keeps; undefined if none.
 */
function unbalancedCopyOf(s: Statement, id: string, earlier: readonly EarlierIssue[], also: (e: EarlierIssue) => boolean): EarlierIssue | undefined {
  const anchored = (e: EarlierIssue) => e.bank_statement_id === id || s.opening_balance_minor !== null || s.closing_balance_minor !== null;
  return earlier.find((e) =>
    !e.balanced && also(e) && e.account === s.account && e.source_format === s.format && anchored(e) &&
    e.entry_count === s.entries.length && sameTime(e.period_from, s.period_from) && sameTime(e.period_to, s.period_to) &&
    sameMoney(e.opening_balance_minor, e.currency, s.opening_balance_minor, s.currency) &&
    sameMoney(e.closing_balance_minor, e.currency, s.closing_balance_minor, s.currency));
}

/**
 * The statements of this file, which does not add up, that were imported before from another file in the same
 * currency and did not add up then either (a CSV export re-saved: its statement id is its bytes' hash, so another
 * id), by the content unbalancedInOtherCurrency compares: one problem each, saying which import it was. Publishing
 * them would open a second STATEMENT_UNBALANCED break for the same statement, its amount at stake counted twice on
 * the dashboard (until 2026-12-05, found by a user test); the caller publishes nothing for them.
 */
export function unbalancedResaved(statements: readonly Statement[], ids: readonly string[], unbalanced: readonly boolean[], earlier: readonly EarlierIssue[], opts: ReadOptions): (StatementProblem | null)[] {
  return statements.map((s, i) => {
    if (!unbalanced[i] || !currencyCompared(s, opts)) return null;
    const before = unbalancedCopyOf(s, ids[i]!, earlier, (e) => e.currency === s.currency && e.bank_statement_id !== ids[i]);
    if (!before) return null;
    return {
      where: statementWhere(s, i),
      message:
        `${named(s)} was imported on ${before.received_at} from ${before.file_name ? `another file (${before.file_name})` : 'another file'} and did not add up then either ` +
        `(this one saved again: the same days, entry count and balances): nothing of it is published, and its STATEMENT_UNBALANCED break is that ` +
        `import's, not a second one; import a ${s.currency} statement of that account that adds up to close it`,
    };
  });
}

/** An entry's content id without its n: `account/day/amount currency/h` (to-envelopes.ts lineIds) less the currency. */
const contentKey = (account: string, day: string, amount: number, h: string) => JSON.stringify([account, day, amount, h]);

/**
 * Why this file may not be imported: lines the lake holds (`lines`, earlier-ids.ts spanLines over the file's
 * content-id entries) have the account, day, amount and row-text hash h of entries of this file, in another
 * currency. Null when none do. `ids[i][j]` is statement i's entry j's line id (lineIds).
 *
 * One such line is enough. A CSV import carries one currency per account (its layout's or --currency): an entry of
 * the same account, day and amount whose text hashes the same (h is 64 bits) is the same row, read in another
 * currency, and in no other way can a line of another currency share its id but for the currency. Were the file
 * let in, every such line would count twice. Two cases are left out, so that no file is refused for a twin that is
 * not a mistake:
 * - A statement whose currency the file itself states (a camt Ccy or a BAI2 currency), unless --currency is given
 *   (it fills in what the file leaves out): an account holding several currencies under one account number (a camt
 *   IBAN with a statement per currency) can book the same fee, of the same digits and text, in two of them on one day.
 *   No option could have put such a file's lines in the wrong currency. A CSV says no currency, or states it in a
 *   column; it is always compared.
 * - An entry whose twin in the lake's currency is in this file too: a multi-currency export (a currency column)
 *   listing the same fee in both; the lake's line is that twin's own.
 * Not seen: a multi-currency account exported one currency at a time to CSV files without a currency column, each
 * imported with its --currency, whose two exports hold such a twin; that file is refused (a false alarm), and its
 * lines cannot be imported. Judged rarer than the mistake caught (most banks give each currency its own account number).
 */
export function linesInOtherCurrency(statements: readonly Statement[], ids: readonly (readonly (string | null)[])[], lines: readonly LakeLine[], opts: ReadOptions): string | null {
  // The lake's content-id lines by key: `account/day/amount currency/` then h (16 hex digits) and n.
  const lake = new Map<string, LakeLine[]>();
  for (const l of lines) {
    const h = /^([0-9a-f]{16})\/\d+$/.exec(afterAmount(l) ?? '')?.[1];
    if (!h) continue;
    const k = contentKey(l.account, l.day, l.amount_minor, h);
    let list = lake.get(k);
    if (!list) lake.set(k, (list = []));
    list.push(l);
  }
  if (!lake.size) return null;
  // The currencies this file has each key in.
  const keys = statements.map((s, i) => s.entries.map((e, j) => {
    const day = contentIdDay(e, ids[i]![j]);
    return day ? contentKey(s.account, day, e.amount_minor, fingerprintHash(e.fingerprint)) : null;
  }));
  const inFile = new Map<string, Set<string>>();
  statements.forEach((s, i) => s.entries.forEach((e, j) => {
    const k = keys[i]![j];
    if (!k) return;
    let set = inFile.get(k);
    if (!set) inFile.set(k, (set = new Set()));
    set.add(e.currency);
  }));
  for (const [i, s] of statements.entries()) {
    if (!currencyCompared(s, opts)) continue;
    const matched: LakeLine[] = [];
    s.entries.forEach((e, j) => {
      const k = keys[i]![j];
      const twin = k ? lake.get(k)?.find((l) => l.currency !== e.currency && !inFile.get(k)!.has(l.currency)) : undefined;
      if (twin) matched.push(twin);
    });
    if (!matched.length) continue;
    // The currency most of them are in, and when they were imported (the latest version of each line).
    const count = (c: string) => matched.filter((l) => l.currency === c).length;
    const currency = [...new Set(matched.map((l) => l.currency))].sort((a, b) => count(b) - count(a))[0]!;
    const theirs = matched.filter((l) => l.currency === currency);
    const times = theirs.map((l) => l.received_at).sort();
    const when = times[0] === times.at(-1) ? `on ${times[0]}` : `between ${times[0]} and ${times.at(-1)}`;
    const others = matched.length - theirs.length;
    const option = optionName(opts, 'currency');
    const counted = s.entries.filter((_, j) => keys[i]![j]).length;
    return (
      `${statementWhere(s, i)}: ${matched.length} of its ${counted} line${counted === 1 ? '' : 's'} (${named(s)}) ${matched.length === 1 ? 'was' : 'were'} imported ${when} as ` +
      `${currency}${others ? ` (and ${others} in another currency)` : ''}, from another file (this export saved again, or one overlapping it: ` +
      `the same day, amount and text), and ${matched.length === 1 ? 'is' : 'are'} read now as ${s.currency}: imported, ${matched.length === 1 ? 'it' : 'they'} would stand beside ` +
      `the ${currency} ${matched.length === 1 ? 'one' : 'ones'}, the money counted twice. If ${currency} is right, import it with ${option} ${currency}: its lines are the ones ` +
      `imported then, and nothing counts twice. If the file really is ${s.currency}, the ${currency} import was the mistake and no import ` +
      `undoes it (no option imports lines again in another currency): its ${currency} lines stay in bank_line, so reconcile that ` +
      `account's days by hand`
    );
  }
  return null;
}

/**
 * The statements of this file (all of which add up) that another file imported before carries under the same
 * statement id and creation time, with other content: each a STATEMENT_CONFLICT break (recon_breaks) once landed.
 */
export function conflicts(statements: readonly Statement[], ids: readonly string[], sha256: string, earlier: readonly EarlierIssue[]): StatementProblem[] {
  return statements.flatMap((s, i) => {
    const created = iso(s.created_at);
    // recon_bank_issue's rule: issues that add up, the same id and creation time, another file; and none created
    // later (the bank's re-issue, imported already, stands, and no break opens).
    const issues = earlier.filter((e) => e.bank_statement_id === ids[i] && e.balanced);
    const other = issues.find((e) => e.created_at === created && e.file_sha256 !== sha256);
    if (!other || issues.some((e) => Date.parse(e.created_at) > Date.parse(created))) return [];
    const money = (n: number | null) => (n === null ? 'none' : `${fromMinorUnits(n, s.currency)} ${s.currency}`);
    const closing = other.closing_balance_minor === s.closing_balance_minor ? '' : ` (closing balance ${money(other.closing_balance_minor)} there, ${money(s.closing_balance_minor)} here)`;
    return [{
      where: statementWhere(s, i),
      message:
        `${named(s)} created at ${created} conflicts with ${other.file_name ?? 'a file'} imported on ${other.received_at}, another file with the same ` +
        `statement id and creation time${closing}: a bank's re-issue is created later, so one of them is not the statement as the bank issued it. ` +
        `Both files' lines are kept, so money may count twice; recon_breaks shows a STATEMENT_CONFLICT break until an issue created later ` +
        `is imported: ask the bank to re-issue the statement`,
    }];
  });
}
