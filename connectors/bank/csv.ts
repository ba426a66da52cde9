// Bank CSV exports to Statements. A CSV says nothing about itself: which column is what, the date order
// (03/04/2024 is 3 April in the UK and March 4 in the US) and the currency all come from a layout, either a
// preset for a big UK bank's online-banking export or a JSON column map (CsvColumnMap). Without one the file is
// refused: we never guess DD/MM against MM/DD.
//
// Presets (each implies GBP and day-first dates; --currency overrides the GBP, e.g. for a Barclays euro account):
// - lloyds: `Transaction Date,Transaction Type,Sort Code,Account Number,Transaction Description,Debit Amount,
//   Credit Amount,Balance,` (the header ends with a comma), DD/MM/YYYY, newest first, unsigned Debit/Credit
//   columns, sort code written `'99-88-74` so spreadsheets keep it as text. Source: the Lloyds export sample in
//   test/fixtures/bank/lloyds_online_export.csv (Metasaura/ofxstatement-lloyds).
// - natwest (also RBS, same platform): `Date, Type, Description, Value, Balance, Account Name, Account Number`
//   (spaces after the commas), DD/MM/YYYY, one signed Value column, text cells prefixed with `'`, often a blank
//   first line, rows grouped by account and oldest first within each. Sources: Joshibbotson/bank-statement-parse
//   src/types/NatwestStatement.ts (columns), joesingo/bank-statements bank.py (apostrophes, blank lines, order).
// - barclays: `Number,Date,Account,Amount,Subcategory,Memo`, DD/MM/YYYY, one signed Amount, Account as
//   `20-32-06 13152170`, Subcategory the transaction type (DIRECTDEBIT, FT, ...), Memo the text; no balance
//   column. Source: Barclays online-banking export as parsed by public scripts (column list `Number, Date,
//   Account, Amount, Subcategory, Memo`), our knowledge of the format.
// - hsbc: no header row; three columns date, description, amount (signed, quoted, thousands separators),
//   DD/MM/YYYY, newest first, no balance and no account column (give --account). Source: HSBC UK online banking
//   "download transactions" CSV, from our knowledge of the format; a header row `Date,Description,Amount` is
//   tolerated.
// The natwest/barclays/hsbc samples in test/fixtures/bank/ are made by us from these layouts (SOURCES.md).
//
// Cells: one leading `'` (a spreadsheet's "keep as text" mark) is dropped and whitespace trimmed. Amounts: `£`,
// `$`, `€` signs, spaces and a leading `+` are dropped, commas only as thousands separators in 1,234,567.89
// groups, `(12.50)` is negative; what remains goes to core/money.ts toMinorUnits exactly, never through a float.
// Balances: when a balance column exists the statement's opening and closing balances are derived from it (CSV
// has no statement balances otherwise) and every row's balance must follow from the previous one; the row order
// (newest or oldest first) is read from the dates, else from which way the balances chain, else the preset's.
import { parse } from 'csv-parse/sync';

import { exponentOf, fromMinorUnits, isCurrencyCode, toMinorUnits } from '../../core/money.js';
import {
  BankFileError,
  type BankFileReader,
  type CsvColumnMap,
  type ReadOptions,
  type ReadResult,
  type Statement,
  type StatementEntry,
  type StatementProblem,
  optionName,
} from './statement.js';

type RowOrder = 'newest_first' | 'oldest_first';

/** A layout as the reader uses it: presets and column maps both end up here (a column map's fields, and more). */
interface Layout extends Omit<CsvColumnMap, 'account' | 'skip_lines'> {
  name: string;
  /** Column names by position for a file without a header row. */
  headerless?: string[];
  /** Columns joined with a space to name the account (Lloyds: sort code and account number). */
  account: string[];
  /** The currency the layout implies (presets: GBP). */
  impliedCurrency?: string;
  /** The bank's usual row order, used only when neither dates nor balances tell. */
  order?: RowOrder;
  skip_lines: number;
}

export const CSV_PRESETS: Readonly<Record<string, Layout>> = Object.freeze({
  lloyds: {
    name: 'lloyds',
    date: 'Transaction Date',
    date_format: 'DD/MM/YYYY',
    type: 'Transaction Type',
    account: ['Sort Code', 'Account Number'],
    description: 'Transaction Description',
    debit: 'Debit Amount',
    credit: 'Credit Amount',
    balance: 'Balance',
    impliedCurrency: 'GBP',
    order: 'newest_first',
    skip_lines: 0,
  },
  natwest: {
    name: 'natwest',
    date: 'Date',
    date_format: 'DD/MM/YYYY',
    type: 'Type',
    description: 'Description',
    amount: 'Value',
    balance: 'Balance',
    account: ['Account Number'],
    impliedCurrency: 'GBP',
    order: 'oldest_first',
    skip_lines: 0,
  },
  barclays: {
    name: 'barclays',
    date: 'Date',
    date_format: 'DD/MM/YYYY',
    account: ['Account'],
    amount: 'Amount',
    type: 'Subcategory',
    description: 'Memo',
    impliedCurrency: 'GBP',
    skip_lines: 0,
  },
  hsbc: {
    name: 'hsbc',
    headerless: ['Date', 'Description', 'Amount'],
    date: 'Date',
    date_format: 'DD/MM/YYYY',
    description: 'Description',
    amount: 'Amount',
    account: [],
    impliedCurrency: 'GBP',
    order: 'newest_first',
    skip_lines: 0,
  },
});

const PRESET_NAMES = Object.keys(CSV_PRESETS).join(', ');

function layoutOf(opts: ReadOptions): Layout {
  const l = opts.layout;
  if (l === undefined || l === '') {
    throw new BankFileError(
      `a CSV export needs ${optionName(opts, 'layout')} (${PRESET_NAMES}) or a JSON column map: a CSV does not say which column is what, ` +
        'nor whether 03/04 is 3 April or March 4, and Puddle does not guess',
      'line 1',
    );
  }
  if (typeof l === 'string') {
    const preset = CSV_PRESETS[l.toLowerCase()];
    if (!preset) throw new BankFileError(`unknown CSV layout ${JSON.stringify(l.slice(0, 40))}: the presets are ${PRESET_NAMES}, or give a JSON column map`, optionName(opts, 'layout'));
    return preset;
  }
  return fromColumnMap(l);
}

function fromColumnMap(m: CsvColumnMap): Layout {
  const need = (k: keyof CsvColumnMap) => {
    const v = m[k];
    if (typeof v !== 'string' || !v.trim()) throw new BankFileError(`the column map needs "${k}"`, 'layout');
    return v;
  };
  const date = need('date');
  const date_format = need('date_format');
  dateParser(date_format); // refuse a bad format before reading anything
  const description = need('description');
  if (!m.amount && !(m.debit && m.credit)) {
    throw new BankFileError('the column map needs "amount" (signed), or both "debit" and "credit"', 'layout');
  }
  if (m.amount && (m.debit || m.credit)) throw new BankFileError('the column map gives "amount" and "debit"/"credit": choose one', 'layout');
  const skip = m.skip_lines ?? 0;
  if (!Number.isInteger(skip) || skip < 0) throw new BankFileError('"skip_lines" must be a whole number >= 0', 'layout');
  return {
    name: 'column map',
    date,
    date_format,
    description,
    amount: m.amount,
    debit: m.debit,
    credit: m.credit,
    currency: m.currency,
    type: m.type,
    reference: m.reference,
    balance: m.balance,
    account: m.account ? [m.account] : [],
    skip_lines: skip,
  };
}

/** Date format tokens: what each stands for and the digits it matches (day and month may drop a leading zero). */
const DATE_UNITS: Readonly<Record<string, readonly ['D' | 'M' | 'MMM' | 'Y' | 'YY', string]>> = {
  YYYY: ['Y', '(\\d{4})'],
  YY: ['YY', '(\\d{2})'],
  MMM: ['MMM', '([A-Za-z]{3})'],
  MM: ['M', '(\\d{1,2})'],
  M: ['M', '(\\d{1,2})'],
  DD: ['D', '(\\d{1,2})'],
  D: ['D', '(\\d{1,2})'],
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** `DD/MM/YYYY`, `MM/DD/YYYY`, `YYYY-MM-DD`, `DD MMM YYYY`, `D.M.YY`, ... to a parser returning YYYY-MM-DD or null. */
function dateParser(format: string): (s: string) => string | null {
  const parts: ('D' | 'M' | 'MMM' | 'Y' | 'YY')[] = [];
  let re = '';
  const tokens = /YYYY|YY|MMM|MM|M|DD|D|[^A-Za-z]+/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = tokens.exec(format))) {
    consumed = tokens.lastIndex;
    const t = m[0];
    const unit = DATE_UNITS[t];
    if (unit) {
      parts.push(unit[0]);
      re += unit[1];
    } else {
      re += t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ +/g, ' +');
    }
  }
  const kinds = new Set(parts.map((p) => (p === 'YY' ? 'Y' : p === 'MMM' ? 'M' : p)));
  if (consumed !== format.length || parts.length !== 3 || kinds.size !== 3) {
    throw new BankFileError(`date_format ${JSON.stringify(format.slice(0, 30))} is not a day, month and year pattern such as DD/MM/YYYY`, 'layout');
  }
  const full = new RegExp(`^${re}$`);
  return (s) => {
    const x = full.exec(s);
    if (!x) return null;
    let y = 0;
    let mo = 0;
    let d = 0;
    parts.forEach((p, i) => {
      const v = x[i + 1]!;
      if (p === 'Y') y = Number(v);
      // POSIX strptime's %y window: 69 to 99 are 1969 to 1999, 00 to 68 are 2000 to 2068 (a bank line of
      // 31.12.99 was booked in 1999, never 2099).
      else if (p === 'YY') y = (Number(v) >= 69 ? 1900 : 2000) + Number(v);
      else if (p === 'MMM') mo = MONTHS.indexOf(v.toLowerCase()) + 1;
      else if (p === 'M') mo = Number(v);
      else d = Number(v);
    });
    const iso = `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
    const date = new Date(`${iso}T00:00:00Z`);
    return mo >= 1 && !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === iso ? iso : null;
  };
}

// A cell's text is never quoted in an error: a shifted or mistyped row puts a description (a name, a phone
// number) or a card number where an amount or a date should be, and the message goes to the terminal and to the
// drop folder's .log. The line and column say where to look.
const NOT_AN_AMOUNT = 'not an amount (expected such as 1234.56, 1,234.56, -12.50 or (12.50))';

/** Amount text to minor units; see the header for what is stripped. Null for an empty cell. */
function amountOf(raw: string, currency: string, where: string, column: string): number | null {
  let s = raw.replace(/[£$€\s]/g, '');
  if (s === '') return null;
  let negative = false;
  const paren = /^\((.*)\)$/.exec(s);
  if (paren) {
    // `(12.50)` is the accountants' minus. A sign inside as well (`(-12.50)`) says nothing one can trust: read
    // as two minuses it was a credit of 12.50, the wrong way round, so it is refused like `-(12.50)`.
    if (/^[+-]/.test(paren[1]!)) throw new BankFileError(`column "${column}": ${NOT_AN_AMOUNT}`, where);
    negative = true;
    s = paren[1]!;
  } else if (s.startsWith('+')) s = s.slice(1);
  else if (s.startsWith('-')) {
    negative = true;
    s = s.slice(1);
  }
  if (s.includes(',')) {
    if (!/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) throw new BankFileError(`column "${column}": ${NOT_AN_AMOUNT}`, where);
    s = s.replaceAll(',', '');
  }
  if (!/^\d+(\.\d+)?$/.test(s)) throw new BankFileError(`column "${column}": ${NOT_AN_AMOUNT}`, where);
  const decimals = s.split('.')[1]?.length ?? 0;
  const exponent = exponentOf(currency);
  if (decimals > exponent) throw new BankFileError(`column "${column}": more decimals than ${currency} has (${exponent})`, where);
  let minor: number;
  try {
    minor = toMinorUnits(s, currency);
  } catch {
    // Digits and a point in the currency's decimals: only too many digits is left.
    throw new BankFileError(`column "${column}": too large to be an amount`, where);
  }
  return negative && minor !== 0 ? -minor : minor;
}

/** One cell as text: a leading `'` dropped, whitespace trimmed. */
function cell(v: string | undefined): string {
  const t = (v ?? '').trim();
  return (t.startsWith("'") ? t.slice(1) : t).trim();
}

const norm = (h: string) => cell(h).replace(/^\uFEFF/, '').toLowerCase();

interface Row {
  line: number;
  account: string;
  currency: string;
  date: string;
  amount: number;
  balance: number | null;
  type: string | null;
  description: string | null;
  reference: string;
  /** The reference column's own text (`reference` falls back to the description). */
  referenceCell: string | null;
}

function parseCsv(text: string, skip: number): { cells: string[]; line: number }[] {
  let records: { record: string[]; info: { lines: number }; raw: string }[];
  try {
    records = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, info: true, raw: true, from_line: skip + 1 }) as unknown as typeof records;
  } catch (e) {
    const err = e as { code?: string; lines?: number };
    const what: Record<string, string> = {
      CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed (look for an unmatched " on or before this line)',
      CSV_INVALID_CLOSING_QUOTE: 'a quoted field is followed by text before the next comma',
      CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'a quoted field is followed by text before the next comma',
    };
    throw new BankFileError(`malformed CSV: ${what[err.code ?? ''] ?? err.code ?? 'unreadable'}`, `line ${err.lines ?? '?'}`);
  }
  return records
    .map((r) => {
      // info.lines is where the record ends; a quoted field may span lines, so count back to where it starts.
      // Skipped blank lines before it are part of its raw text, not of the record.
      const body = r.raw.replace(/^(?:[ \t]*(?:\r\n|\n|\r))+/, '').replace(/(?:\r\n|\n|\r)$/, '');
      const spans = body.split(/\r\n|\n|\r/).length;
      return { cells: r.record, line: r.info.lines - spans + 1 };
    })
    .filter((r) => r.cells.some((c) => cell(c) !== ''));
}

/** isCurrencyCode without its type guard, which leaves a string that fails it typed `never`. */
const inUse = (code: string): boolean => isCurrencyCode(code);

export const readCsv: BankFileReader = (text: string, opts: ReadOptions): ReadResult => {
  const layout = layoutOf(opts);
  const parseDate = dateParser(layout.date_format);
  let records = parseCsv(text, layout.skip_lines);

  // Column positions: from the header row, or the layout's fixed names for a headerless export.
  let names: string[];
  if (layout.headerless) {
    names = layout.headerless;
    const first = records[0];
    const dateIdx = names.indexOf(layout.date);
    if (first && norm(first.cells[dateIdx] ?? '') === layout.date.toLowerCase()) records = records.slice(1); // a header after all
  } else {
    const header = records[0];
    // Nothing left after skip_lines: no header to read the columns from.
    if (!header) throw new BankFileError(`no header row${layout.skip_lines ? ` after the ${layout.skip_lines} skipped line(s)` : ''}`, 'line 1');
    names = header.cells.map(cell);
    records = records.slice(1);
    const have = new Set(header.cells.map(norm));
    const wanted = [layout.date, layout.description, layout.amount, layout.debit, layout.credit, layout.balance, layout.type, layout.reference, layout.currency, ...layout.account]
      .filter((c): c is string => !!c);
    const missing = wanted.filter((c) => !have.has(c.toLowerCase()));
    if (missing.length) {
      throw new BankFileError(`the ${layout.name} layout expects column(s) ${missing.map((c) => JSON.stringify(c)).join(', ')}, which this header lacks`, `line ${header.line}`);
    }
  }
  // A row must have the header's cells: an unquoted comma in a description or amount (`GIFT FROM SMITH, 1,25.00`)
  // shifts every cell after it, and the amount read would be another column's. A header may end with unnamed
  // columns (Lloyds writes `Balance,`, its rows stop at the balance), and a row may end with empty cells.
  const named = names.reduce((n, name, i) => (cell(name) ? i + 1 : n), 0);
  for (const { cells, line } of records) {
    const used = cells.reduce((n, c, i) => (cell(c) ? i + 1 : n), 0);
    if (cells.length < named || used > named) {
      throw new BankFileError(
        `malformed CSV: ${cells.length} cells where the header has ${named} (an unquoted comma, or a missing one?); quote a cell that holds a comma`,
        `line ${line}`,
      );
    }
  }
  const index = new Map<string, number>();
  names.forEach((n, i) => {
    const k = norm(n);
    if (k && !index.has(k)) index.set(k, i);
  });
  const col = (cells: string[], name: string | undefined) => (name === undefined ? '' : cell(cells[index.get(name.toLowerCase())!]));

  const optCurrency = (opts.currency ?? '').trim().toUpperCase();
  // A typo in the option (GPB) is the option's fault, not the first row's: checked once, named as the option.
  if (optCurrency && !inUse(optCurrency)) throw new BankFileError(`${JSON.stringify(optCurrency.slice(0, 8))} is not an ISO 4217 currency code`, optionName(opts, 'currency'));
  const rows: Row[] = records.map(({ cells, line }) => {
    const where = `line ${line}`;
    const own = col(cells, layout.currency).toUpperCase();
    const currency = own || optCurrency || layout.impliedCurrency || '';
    if (!currency) {
      // Both named at once when both are missing (a column map of date, text and amount): one try, not two.
      const noAccount = !layout.account.some((c) => col(cells, c)) && !opts.account;
      const also = noAccount ? ` and ${optionName(opts, 'account')} (it has no account column either)` : '';
      throw new BankFileError(`no currency: this layout has no currency column, give ${optionName(opts, 'currency')}${also}`, where);
    }
    if (own && !inUse(own)) throw new BankFileError(`column "${layout.currency}": not an ISO 4217 currency code (such as GBP)`, where);
    const dateText = col(cells, layout.date);
    const date = parseDate(dateText);
    if (!date) throw new BankFileError(`column "${layout.date}": not a ${layout.date_format} date`, where);
    let amount: number;
    if (layout.amount) {
      const a = amountOf(col(cells, layout.amount), currency, where, layout.amount);
      if (a === null) throw new BankFileError(`column "${layout.amount}" is empty`, where);
      amount = a;
    } else {
      const debit = amountOf(col(cells, layout.debit), currency, where, layout.debit!);
      const credit = amountOf(col(cells, layout.credit), currency, where, layout.credit!);
      if ((debit ?? 0) < 0 || (credit ?? 0) < 0) throw new BankFileError('a debit or credit column holds a negative amount; they hold magnitudes', where);
      if (debit && credit) throw new BankFileError(`both "${layout.debit}" and "${layout.credit}" hold an amount`, where);
      if (debit === null && credit === null) throw new BankFileError(`neither "${layout.debit}" nor "${layout.credit}" holds an amount`, where);
      amount = credit ? credit : debit ? -debit : 0;
    }
    const account = layout.account.map((c) => col(cells, c)).filter(Boolean).join(' ') || (opts.account ?? '');
    if (!account) throw new BankFileError(`the ${layout.name} layout has no account column: give ${optionName(opts, 'account')}`, where);
    const description = col(cells, layout.description) || null;
    return {
      line,
      account,
      currency,
      date,
      amount,
      balance: layout.balance ? amountOf(col(cells, layout.balance), currency, where, layout.balance) : null,
      type: col(cells, layout.type) || null,
      description,
      reference: col(cells, layout.reference) || description || '',
      referenceCell: col(cells, layout.reference) || null,
    };
  });

  // One statement per account (and currency), in the order accounts first appear.
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const k = `${r.account}\u0000${r.currency}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(r);
  }
  const problems: (StatementProblem & { line: number })[] = [];
  const statements = [...groups.values()].map((g) => toStatement(g, layout, problems));
  // In the file's line order, whatever order the balances were checked in (a newest-first export's from its last
  // line up, each account's apart): the order someone fixing the file reads it. Until 2026-12-05 line 3 came
  // before line 2 in a newest-first export.
  problems.sort((a, b) => a.line - b.line);
  return { statements, problems: problems.map(({ where, message }) => ({ where, message })) };
};

/** Does each row's balance follow from the previous row's, in this (chronological) order? */
function chains(rows: readonly Row[]): boolean {
  let prev: number | null = null;
  for (const r of rows) {
    if (r.balance === null) {
      if (prev !== null) prev += r.amount;
      continue;
    }
    if (prev !== null && prev + r.amount !== r.balance) return false;
    prev = r.balance;
  }
  return true;
}

function rowOrder(rows: readonly Row[], layout: Layout): RowOrder {
  const first = rows[0]!.date;
  const last = rows.at(-1)!.date;
  if (first < last) return 'oldest_first';
  if (first > last) return 'newest_first';
  if (rows.some((r) => r.balance !== null)) {
    const asc = chains(rows);
    const desc = chains([...rows].reverse());
    if (asc !== desc) return asc ? 'oldest_first' : 'newest_first';
  }
  return layout.order ?? 'oldest_first';
}

function toStatement(fileRows: Row[], layout: Layout, problems: (StatementProblem & { line: number })[]): Statement {
  const rows = rowOrder(fileRows, layout) === 'newest_first' ? [...fileRows].reverse() : fileRows;
  // Opening = the first known balance minus every amount up to it; closing = the last running balance.
  let running: number | null = null;
  let opening: number | null = null;
  let prefix = 0;
  for (const r of rows) {
    prefix += r.amount;
    if (r.balance === null) {
      if (running !== null) running += r.amount;
      continue;
    }
    if (running === null) opening = r.balance - prefix;
    else if (running + r.amount !== r.balance) {
      const m = (n: number) => `${fromMinorUnits(n, r.currency)} ${r.currency}`;
      problems.push({
        line: r.line,
        where: `line ${r.line}`,
        message: `balance ${m(r.balance)} does not follow from the previous balance ${m(running)} and this amount ${m(r.amount)}: expected ${m(running + r.amount)}`,
      });
    }
    running = r.balance;
  }
  const first = rows[0]!;
  const lastDate = rows.reduce((d, r) => (r.date > d ? r.date : d), first.date);
  const firstDate = rows.reduce((d, r) => (r.date < d ? r.date : d), first.date);
  const entries: StatementEntry[] = rows.map((r, i) => ({
    position: i + 1,
    locator: `line ${r.line}`,
    amount_minor: r.amount,
    currency: r.currency,
    booking_date: r.date,
    value_date: null,
    status: 'booked',
    reversal: false,
    entry_reference: null,
    booking_reference: null,
    end_to_end_id: null,
    reference: r.reference,
    description: r.description,
    bank_transaction_code: r.type,
    counterparty: null,
    details: [],
    batch_count: null,
    // A row is the same in every export that holds it: its text tells two rows of one day and amount apart.
    fingerprint: [r.type && `type:${r.type}`, r.description && `desc:${r.description}`, r.referenceCell && `ref:${r.referenceCell}`].filter((v): v is string => !!v),
  }));
  return {
    format: 'csv',
    statement_ref: null,
    account: first.account,
    currency: first.currency,
    // A CSV export has no creation time: the last transaction day, so the same export read twice is the same.
    created_at: `${lastDate}T00:00:00.000Z`,
    period_from: `${firstDate}T00:00:00.000Z`,
    period_to: `${lastDate}T23:59:59.999Z`,
    opening_balance_minor: opening,
    closing_balance_minor: running,
    declared: { entry_count: null, credit_total_minor: null, debit_total_minor: null, control_total_minor: null },
    entries,
  };
}
