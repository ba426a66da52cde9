// BAI2 (Bank Administration Institute cash management balance reporting, version 2) to Statements.
//
// Records: 01 file header, 02 group header (as-of date = booking date of every entry in the group), 03 account
// identifier with summary/balance triples, 16 transaction detail, 88 continuation, 49 account trailer, 98 group
// trailer, 99 file trailer. One Statement per 03 account.
//
// Rules taken from the BAI2 specification, as banks apply them:
// - Fields are comma separated; a record ends with `/`, except a 16 record whose text field runs to the end of the
//   line. An 88 record continues the previous record: when that one ended with `/` the 88 starts a new field,
//   otherwise (a 16 whose text was cut at the line length) it carries on the same text, joined without a separator
//   (NatWest's `...INTERNATIONAL-5373 CLIE` + `NT SECCY AC TFR`).
// - Amounts are unsigned digits in the currency's minor units (the implied decimals); 03 amounts may carry a sign.
// - 16 type codes 100-399 are credits, 400-699 debits; 890 carries information only. Anything else has no direction
//   we could know, so it is refused rather than guessed.
// - Funds type 0/1/2/Z (or empty) adds no field; S adds 3 (immediate, one-day, two-or-more-day amounts), V adds 2
//   (value date, value time), D adds a count n and n pairs (days, amount). They shift the bank and customer
//   references and the text, so they are read before them.
// - Controls: 49 total = every amount of the account's 03 (and its 88s) and 16 records, 49 count = the account's
//   physical records from 03 to 49; 98 = the group's 49 totals, its account count and records from 02 to 98; 99 =
//   the 98 totals, group count and all records. Each mismatch is a StatementProblem naming the trailer's line; they
//   are compared with what the file holds, so one wrong 49 is one problem, not three.
// - Currency: the 03 record's, else the 02 group's. The spec defaults an empty one to USD; we never do: without
//   one, --currency (opts.currency) is required. A currency in the file wins over opts.currency.
// - The 02 record's group status: 1 update and 3 correction are read; 2 deletion and 4 test only refuse the file.
// - The 02 record's as-of-date modifier: 1 interim previous-day, 2 final previous-day, 3 interim same-day, 4 final
//   same-day (empty: final, as before it was read). An interim report's entries are pending, its statement
//   `interim`: the final report books them under the same ids (created later, it wins), and one it does not carry
//   (a wire returned before the day closed) was never money in the bank. Until 2026-12-03 it was not read, and an
//   intraday entry missing from the next morning's file stayed booked beside it, counted in reconciliation.
// - A report with both ledger balances is `<sender>/<as-of date>/<currency>/final` (or `interim`), whichever file
//   carries it, so a later file of that account and day (a correction, group status 3, or a file sent again)
//   replaces it whole in reconciliation, as a re-issued camt.053 does (reportRef).
// - Dates are YYMMDD (years 70-99 are 19xx, else 20xx); times HHMM (some banks write HH:MM:SS), 2400 and 9999
//   meaning end of day. BAI2 carries no time zone: created_at is read as UTC.
import {
  BankFileError,
  type BankFileReader,
  type ReadOptions,
  type ReadResult,
  type Statement,
  type StatementEntry,
  type StatementProblem,
  optionName,
} from './statement.js';

interface LogicalRecord {
  code: string;
  /** First physical line (1-based). */
  line: number;
  /** Physical records it spans (the record and its 88s), for the trailers' record counts. */
  physical: number;
  text: string;
}

/** Physical lines joined into logical records (88s folded into the record they continue). */
function logicalRecords(text: string): LogicalRecord[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const out: LogicalRecord[] = [];
  lines.forEach((raw, i) => {
    const line = raw.trimEnd();
    if (!line.trim()) return;
    const m = /^(\d{2}),/.exec(line) ?? /^(\d{2})$/.exec(line);
    if (!m) throw new BankFileError('not a BAI2 record (each line starts with a two-digit record code and a comma)', `line ${i + 1}`);
    const code = m[1]!;
    const body = line.slice(3);
    if (code === '88') {
      const prev = out.at(-1);
      if (!prev) throw new BankFileError('an 88 continuation record with nothing before it to continue', `line ${i + 1}`);
      prev.physical++;
      if (prev.text.endsWith('/')) prev.text = `${prev.text.slice(0, -1)},${body}`;
      else if (prev.code === '16') prev.text += body; // the text field goes on
      else prev.text += `,${body}`;
      return;
    }
    out.push({ code, line: i + 1, physical: 1, text: line });
  });
  return out;
}

/** Fields of a non-16 record: its text without the record code and the closing `/`. */
function fields(r: LogicalRecord): string[] {
  const t = r.text.endsWith('/') ? r.text.slice(0, -1) : r.text;
  return t.split(',').slice(1);
}

/**
 * Where in the file, for errors and problems: the line, the record type and, for an error about one field, its
 * position (the record code is field 1). Errors name the field, never its value: bank files carry names and account
 * numbers (as the CSV reader names the column, not what it holds).
 */
const where = (r: LogicalRecord, field?: number) => `line ${r.line} (${r.code} record${field === undefined ? '' : `, field ${field}`})`;

/** One field of a record, for the parsers: its record, its position (record code = 1) and what it is. */
interface Field {
  r: LogicalRecord;
  n: number;
  what: string;
}

function parseAmount(s: string, at: Field, signed: boolean): number | null {
  const v = s.trim();
  if (v === '') return null;
  if (!(signed ? /^[+-]?\d+$/ : /^\d+$/).test(v)) {
    throw new BankFileError(`${at.what} is not ${signed ? 'a signed' : 'an unsigned'} whole number of minor units`, where(at.r, at.n));
  }
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new BankFileError(`${at.what} is too large`, where(at.r, at.n));
  return n === 0 ? 0 : n; // never -0
}

function parseCount(s: string | undefined, at: Field): number | null {
  const v = (s ?? '').trim();
  if (v === '') return null;
  if (!/^\d+$/.test(v)) throw new BankFileError(`${at.what} is not a count`, where(at.r, at.n));
  return Number(v);
}

function parseDate(s: string | undefined, at: Field): string {
  const v = (s ?? '').trim();
  const m = /^(\d{2})(\d{2})(\d{2})$/.exec(v);
  if (!m) throw new BankFileError(`${at.what} is not a YYMMDD date`, where(at.r, at.n));
  const yy = Number(m[1]);
  const year = yy >= 70 ? 1900 + yy : 2000 + yy;
  const iso = `${year}-${m[2]}-${m[3]}`;
  const d = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== iso) throw new BankFileError(`${at.what} is not a calendar date`, where(at.r, at.n));
  return iso;
}

/** HHMM, HH:MM or HH:MM:SS; 2400 and 9999 are the end of the day. Empty means the start of the day. */
function parseTime(s: string | undefined, at: Field): string {
  const v = (s ?? '').trim();
  if (v === '') return '00:00:00.000';
  if (v === '2400' || v === '9999' || v === '24:00' || v === '24:00:00') return '23:59:59.999';
  const m = /^(\d{2}):?(\d{2})(?::(\d{2}))?$/.exec(v);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3] ?? 0) > 59) {
    throw new BankFileError(`${at.what} is not a time (HHMM)`, where(at.r, at.n));
  }
  return `${m[1]}:${m[2]}:${m[3] ?? '00'}.000`;
}

/**
 * How many fields a funds type adds after itself, reading from `rest` (the fields after the funds type); `n` is the
 * funds type's field position.
 */
function fundsExtra(funds: string, rest: readonly string[], r: LogicalRecord, n: number): number {
  switch (funds.trim().toUpperCase()) {
    case '':
    case '0':
    case '1':
    case '2':
    case 'Z':
      return 0;
    case 'S':
      return 3;
    case 'V':
      return 2;
    case 'D': {
      const count = parseCount(rest[0], { r, n: n + 1, what: 'distribution count (funds type D)' });
      if (count === null) throw new BankFileError('funds type D without its number of distributions', where(r, n + 1));
      return 1 + 2 * count;
    }
    default:
      throw new BankFileError('funds type is not one BAI2 knows (0, 1, 2, S, V, D, Z)', where(r, n));
  }
}

/**
 * The 02 record's group status (field 4): 1 update and 3 correction are imported (a correction's entries replace
 * the earlier report's under the same ids: see docs/bank-statements.md, "Line ids"); 2 deletion and 4 test only are refused
 * whole, because imported they were money: a test group's entries as if the bank had booked them, a deletion's as
 * the very entries it takes back. Until 2026-12-03 the status was not read and both imported as booked lines.
 */
function groupStatus(v: string | undefined, r: LogicalRecord): { correction: boolean } {
  const s = (v ?? '').trim();
  if (s === '' || s === '1' || s === '3') return { correction: s === '3' };
  if (s === '4') throw new BankFileError('group status 4 (test only): the bank marks this group as test data, not money it booked; nothing imported (ask the bank for the live file)', where(r, 4));
  if (s === '2') {
    throw new BankFileError(
      'group status 2 (deletion): the bank takes back a group it sent before; Puddle cannot apply a deletion, and imported its entries would count as money; nothing imported (ask the bank for the corrected file)',
      where(r, 4),
    );
  }
  throw new BankFileError('group status is not one BAI2 knows (1 update, 2 deletion, 3 correction, 4 test only)', where(r, 4));
}

/**
 * The 02 record's as-of-date modifier (field 8): whether the group is an interim report (1 interim previous-day, 3
 * interim same-day) rather than a final one (2, 4, or empty as many banks leave it).
 */
function asOfModifier(v: string | undefined, r: LogicalRecord): boolean {
  const m = (v ?? '').trim();
  if (m === '' || m === '2' || m === '4') return false;
  if (m === '1' || m === '3') return true;
  throw new BankFileError('as-of-date modifier is not one BAI2 knows (1 interim previous-day, 2 final previous-day, 3 interim same-day, 4 final same-day)', where(r, 8));
}

const CURRENCY = /^[A-Z]{3}$/;
/** The ledger and available balances of an 03 record, kept as the statement's balance_types to name them. */
const BALANCE_CODES = new Set(['010', '015', '040', '045']);

interface AccountState {
  record: LogicalRecord;
  statement: Statement;
  /** Sum of every amount in the 03 and 16 records, and physical records so far (for the 49). */
  total: number;
  records: number;
  groupCurrency: string;
}

interface GroupState {
  record: LogicalRecord;
  index: number;
  asOf: string;
  asOfTime: string;
  currency: string;
  /** As-of-date modifier 1 or 3: an interim report, not the statement of record. */
  interim: boolean;
  /** Group status 3: a correction of a group the bank sent before. */
  correction: boolean;
  accounts: number;
  /** Sum of the accounts' computed totals, and physical records so far (for the 98). */
  total: number;
  records: number;
}

/**
 * Summary triples of an 03 record: type code, amount, item count, funds type (and its extra fields). `first` is the
 * field position of f[0].
 */
function readSummaries(f: readonly string[], r: LogicalRecord, first: number): { code: string; amount: number | null }[] {
  const out: { code: string; amount: number | null }[] = [];
  let i = 0;
  while (i < f.length) {
    const code = f[i]!.trim();
    if (code === '' && f.slice(i).every((x) => x.trim() === '')) break; // trailing empty fields
    if (!/^\d{3}$/.test(code)) throw new BankFileError('summary type code is not three digits', where(r, first + i));
    const amount = parseAmount(f[i + 1] ?? '', { r, n: first + i + 1, what: `amount of type ${code}` }, true);
    const funds = f[i + 3] ?? '';
    i += 4 + fundsExtra(funds, f.slice(i + 4), r, first + i + 3);
    out.push({ code, amount });
  }
  return out;
}

/**
 * The statement's reference (its bank_statement_id is `account/bai2/<this>`), which decides what a later file
 * replaces. A report that carries both ledger balances (010, 015) is the bank's report of the account's day, whole:
 * `<sender>/<as-of date>/<currency>/final` (or `interim`), whichever file carries it. So a file the bank sends again for
 * that account and day, created later (a group marked 3 correction, or a re-sent file), is a re-issue of the same
 * statement and replaces the earlier report whole in reconciliation, as a camt.053 re-issued under its Stmt/Id does
 * (recon_bank_issue, recon_bank_booked): a corrected amount on an entry without a bank reference gets a new line id
 * (the amount is in it), and until 2026-12-03, when the reference named the file (`<sender>/<file date>/<file
 * id>/g1/a1`), the wrong line stayed booked beside the right one, the money counted twice. Interim and final reports
 * are two statements: a final report books what an interim one announced (under the same line ids: to-envelopes.ts), and an interim report received
 * after the final one must not withdraw the final one's lines; nor is an interim report compared for STATEMENT_GAP.
 * A report without both ledger balances keeps the file's own reference (`fileRef`): nothing shows it holds every
 * entry of the day (a bank may split a day's entries over files or 03 records, as the CAD sample lists one account
 * twice), so it never withdraws another file's lines. The same account, day and currency a second time in one file
 * is told apart by its count (`.../final/2`).
 */
function reportRef(s: Statement, sender: string, group: GroupState, fileRef: string, earlier: readonly Statement[]): string {
  if (s.opening_balance_minor === null || s.closing_balance_minor === null) return [sender, fileRef].join('/');
  const ref = [sender, group.asOf, s.currency, group.interim ? 'interim' : 'final'].join('/');
  const n = earlier.filter((e) => e.statement_ref === ref || e.statement_ref?.startsWith(`${ref}/`)).length;
  return n === 0 ? ref : `${ref}/${n + 1}`;
}

export const readBai2: BankFileReader = (text: string, opts: ReadOptions): ReadResult => {
  const records = logicalRecords(text);
  const statements: Statement[] = [];
  const problems: StatementProblem[] = [];
  const mismatch = (r: LogicalRecord, what: string, declared: number | null, actual: number) => {
    if (declared !== actual) problems.push({ where: where(r), message: `${what}: the file declares ${declared ?? 'nothing'}, it holds ${actual}` });
  };

  const first = records[0];
  if (!first || first.code !== '01') throw new BankFileError('a BAI2 file starts with an 01 file header', first ? where(first) : 'line 1');
  const header = fields(first);
  const version = (header[7] ?? '').trim();
  if (version !== '2') throw new BankFileError('the version is not 2: only BAI version 2 is read', where(first, 9));
  const sender = (header[0] ?? '').trim();
  const fileDate = parseDate(header[2], { r: first, n: 4, what: 'file creation date' });
  const created_at = `${fileDate}T${parseTime(header[3], { r: first, n: 5, what: 'file creation time' })}Z`;
  const fileId = (header[4] ?? '').trim();

  let group: GroupState | undefined;
  let account: AccountState | undefined;
  let groups = 0;
  let fileTotal = 0;
  let fileRecords = first.physical;
  let ended = false;

  for (const r of records.slice(1)) {
    if (ended) throw new BankFileError('a record after the 99 file trailer', where(r));
    fileRecords += r.physical;
    if (group) group.records += r.physical;
    if (account) account.records += r.physical;
    const f = r.code === '16' ? [] : fields(r);
    switch (r.code) {
      case '02': {
        if (group) throw new BankFileError('a new group starts before the previous one ended with 98', where(r));
        const { correction } = groupStatus(f[2], r);
        const asOf = parseDate(f[3], { r, n: 5, what: 'as-of date' });
        group = {
          record: r,
          index: ++groups,
          asOf,
          asOfTime: parseTime(f[4], { r, n: 6, what: 'as-of time' }),
          currency: (f[5] ?? '').trim().toUpperCase(),
          interim: asOfModifier(f[6], r),
          correction,
          accounts: 0,
          total: 0,
          records: r.physical,
        };
        break;
      }
      case '03': {
        if (!group) throw new BankFileError('an 03 account record outside a group (no 02 before it)', where(r));
        if (account) throw new BankFileError('a new account starts before the previous one ended with 49', where(r));
        const accountId = (f[0] ?? '').trim() || opts.account || '';
        if (!accountId) throw new BankFileError(`the 03 record names no account; give ${optionName(opts, 'account')}`, where(r, 2));
        const currency = (f[1] ?? '').trim().toUpperCase() || group.currency || (opts.currency ?? '').trim().toUpperCase();
        if (!currency) {
          throw new BankFileError(
            `neither this 03 record nor its 02 group names a currency; BAI2 would default to USD, Puddle does not guess: give ${optionName(opts, 'currency')}`,
            where(r),
          );
        }
        if (!CURRENCY.test(currency)) {
          throw new BankFileError('currency is not an ISO 4217 code', (f[1] ?? '').trim() ? where(r, 3) : group.currency ? where(group.record, 7) : optionName(opts, 'currency'));
        }
        const summaries = readSummaries(f.slice(2), r, 4);
        const amountOf = (code: string) => summaries.find((s) => s.code === code)?.amount ?? null;
        // Opening and closing are the ledger balances (010/015), the booked ones, as camt's OPBD/CLBD: available
        // balances (040/045) also move with items not yet available (float), so opening available + entries is not
        // closing available, and until 2026-12-03 a file with only those was refused as "does not add up", its real
        // money held back. Without 010 and 015 the file is imported unchecked, and the import says so (unverifiable.ts).
        group.accounts++;
        account = {
          record: r,
          total: summaries.reduce((n, s) => n + (s.amount ?? 0), 0),
          records: r.physical,
          groupCurrency: group.currency,
          statement: {
            format: 'bai2',
            statement_ref: null, // reportRef, below
            account: accountId,
            currency,
            created_at,
            period_from: `${group.asOf}T00:00:00.000Z`,
            period_to: `${group.asOf}T${group.asOfTime === '00:00:00.000' ? '23:59:59.999' : group.asOfTime}Z`,
            opening_balance_minor: amountOf('010'),
            closing_balance_minor: amountOf('015'),
            balance_types: summaries.filter((s) => s.amount !== null && BALANCE_CODES.has(s.code)).map((s) => s.code),
            // BAI2's controls are not entry counts or net sums (they add the 03 balances): checked here instead.
            declared: { entry_count: null, credit_total_minor: null, debit_total_minor: null, control_total_minor: null },
            entries: [],
            ...(group.interim ? { interim: true } : {}),
            ...(group.correction ? { correction: true } : {}),
          },
        };
        account.statement.statement_ref = reportRef(account.statement, sender, group, [fileDate, fileId, `g${group.index}`, `a${group.accounts}`].join('/'), statements);
        statements.push(account.statement);
        break;
      }
      case '16': {
        if (!account || !group) throw new BankFileError('a 16 transaction outside an account (no 03 before it)', where(r));
        const entry = readDetail(r, account.statement, group.asOf);
        if (group.interim && entry.status === 'booked') entry.status = 'pending';
        account.total += Math.abs(entry.amount_minor);
        account.statement.entries.push(entry);
        break;
      }
      case '49': {
        if (!account || !group) throw new BankFileError('a 49 account trailer with no account open', where(r));
        // The account by its place in the group, not its number: problems are shown and kept with the file.
        const name = `group ${group.index} account ${group.accounts}`;
        mismatch(r, `${name} control total`, parseAmount(f[0] ?? '', { r, n: 2, what: 'control total' }, true), account.total);
        mismatch(r, `${name} record count`, parseCount(f[1], { r, n: 3, what: 'record count' }), account.records);
        group.total += account.total;
        account = undefined;
        break;
      }
      case '98': {
        if (!group) throw new BankFileError('a 98 group trailer with no group open', where(r));
        if (account) throw new BankFileError('the group ends before its last account ended with 49', where(r));
        mismatch(r, `group ${group.index} control total`, parseAmount(f[0] ?? '', { r, n: 2, what: 'control total' }, true), group.total);
        mismatch(r, `group ${group.index} number of accounts`, parseCount(f[1], { r, n: 3, what: 'number of accounts' }), group.accounts);
        mismatch(r, `group ${group.index} record count`, parseCount(f[2], { r, n: 4, what: 'record count' }), group.records);
        fileTotal += group.total;
        group = undefined;
        break;
      }
      case '99': {
        if (group) throw new BankFileError('the file ends before its last group ended with 98', where(r));
        mismatch(r, 'file control total', parseAmount(f[0] ?? '', { r, n: 2, what: 'control total' }, true), fileTotal);
        mismatch(r, 'file number of groups', parseCount(f[1], { r, n: 3, what: 'number of groups' }), groups);
        mismatch(r, 'file record count', parseCount(f[2], { r, n: 4, what: 'record count' }), fileRecords);
        ended = true;
        break;
      }
      case '01':
        throw new BankFileError('a second 01 file header (one file per BAI2 file)', where(r));
      default:
        throw new BankFileError(`unknown BAI2 record code ${r.code}`, where(r));
    }
  }
  if (!ended) throw new BankFileError('the file ends without its 99 file trailer (cut short?)', `line ${records.at(-1)!.line}`);
  return { statements, problems };
};

/** One 16 record (with its 88s) to an entry. */
function readDetail(r: LogicalRecord, s: Statement, asOf: string): StatementEntry {
  // Split only as far as the text field: the text itself may hold commas and slashes.
  const parts = r.text.split(',');
  const typeCode = (parts[1] ?? '').trim();
  if (!/^\d{3}$/.test(typeCode)) throw new BankFileError('type code is not three digits', where(r, 2));
  const code = Number(typeCode);
  const amount = parseAmount(parts[2] ?? '', { r, n: 3, what: 'amount' }, false);
  const funds = parts[3] ?? '';
  const extra = fundsExtra(funds, parts.slice(4), r, 4);
  const extras = parts.slice(4, 4 + extra);
  const refAt = 4 + extra;
  if (parts.length < refAt + 2) throw new BankFileError('the 16 record ends before its bank and customer references', where(r));
  const clean = (v: string) => {
    const t = v.replace(/\/$/, '').trim();
    return t === '' ? null : t;
  };
  const bankRef = clean(parts[refAt]!);
  const customerRef = clean(parts[refAt + 1]!);
  // Everything after the customer reference is text; a closing `/` is the record delimiter, not text.
  const text = parts.length > refAt + 2 ? clean(parts.slice(refAt + 2).join(',')) : null;

  let sign: 1 | -1 | 0;
  if (code >= 100 && code <= 399) sign = 1;
  else if (code >= 400 && code <= 699) sign = -1;
  else if (code === 890) sign = 0;
  else throw new BankFileError('type code is neither a credit (100-399) nor a debit (400-699): its direction is unknown', where(r, 2));
  if (amount === null && sign !== 0) throw new BankFileError('a credit or debit without an amount', where(r, 3));

  const fundsCode = funds.trim().toUpperCase();
  const value_date = fundsCode === 'V' && (extras[0] ?? '').trim() !== '' ? parseDate(extras[0], { r, n: 5, what: 'value date' }) : null;
  const signed = sign === 0 ? (amount ?? 0) : sign * amount!;
  return {
    position: s.entries.length + 1,
    locator: `line ${r.line}`,
    amount_minor: signed === 0 ? 0 : signed,
    currency: s.currency,
    booking_date: asOf,
    value_date,
    status: sign === 0 ? 'info' : 'booked',
    reversal: false,
    entry_reference: bankRef,
    booking_reference: bankRef,
    end_to_end_id: null,
    reference: text ?? customerRef ?? bankRef ?? '',
    description: text,
    bank_transaction_code: typeCode,
    counterparty: null,
    details: [],
    batch_count: null,
    // Without a bank reference, what the 16 record says tells entries apart (the bank reference wins when given).
    fingerprint: bankRef ? [] : [customerRef && `cref:${customerRef}`, text && `text:${text.replace(/\s+/g, ' ')}`].filter((v): v is string => !!v),
  };
}
