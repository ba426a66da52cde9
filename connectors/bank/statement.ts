// What every bank file reader (camt.052/053/054, BAI2, CSV) returns: statements of one account each, with
// their entries, before any contract or envelope is made. One shape, so checks (balances, counts), ids and
// envelopes are written once for every format (issue #9).
import type { BANK_SOURCE_FORMATS } from '../../core/contracts/bank.js';

export type BankSourceFormat = (typeof BANK_SOURCE_FORMATS)[number];

export interface StatementEntry {
  /** 1-based position in its statement, for position-based ids and for naming it in errors. */
  position: number;
  /** Where in the file (a line number, or an XML element path with its line), for errors and `source_position`. */
  locator: string;
  /** Signed minor units: credits positive, debits negative (from the credit/debit indicator, never guessed). */
  amount_minor: number;
  currency: string;
  /** YYYY-MM-DD: booking date (camt BookgDt, BAI2 the group's as-of date, CSV the transaction date). */
  booking_date: string | null;
  value_date: string | null;
  status: 'booked' | 'pending' | 'info';
  reversal: boolean;
  /** The bank's own reference for the entry (camt AcctSvcrRef, else NtryRef; BAI2 bank reference), when it gives one. */
  entry_reference: string | null;
  /**
   * The bank's reference for the booking, repeated in every report of the entry and never given to another (camt
   * AcctSvcrRef, BAI2 bank reference): the line id is `account/<it>`. Null without one, and for a camt entry that
   * has only an NtryRef: ISO 20022 calls NtryRef a "unique reference for the entry" without saying unique where,
   * and banks number it per statement (1, 2, 3 in every file) or fill it with what many entries share (UBS: the
   * QR-IBAN paid), so it cannot be an id across files; such an entry gets a content id (to-envelopes.ts lineIds).
   */
  booking_reference: string | null;
  end_to_end_id: string | null;
  /** What the statement line says: remittance info, reference text, description. */
  reference: string;
  description: string | null;
  bank_transaction_code: string | null;
  counterparty: string | null;
  /** Transactions of a batch booking (camt Btch/TxDtls); empty for a single entry. */
  details: StatementEntryDetail[];
  batch_count: number | null;
  /**
   * What tells this entry from another of the same day, amount and currency when the bank gives it no reference
   * of its own: the payment's references (end-to-end id, transaction id), remittance text, the counterparty's name
   * and account (camt); the customer reference and text (BAI2); the row's type, description and reference (CSV).
   * Labelled (`e2e:...`), in a fixed order, only what the payer or the payment carries (the same in every report of
   * the entry), not the bank's per-report wording; empty when the entry has a booking_reference, which is its id.
   * It holds names: it is only ever hashed into the line id (to-envelopes.ts lineIds), never kept, logged or put
   * in an error.
   */
  fingerprint: string[];
}

export interface StatementEntryDetail {
  amount_minor: number | null;
  currency: string | null;
  end_to_end_id: string | null;
  reference: string | null;
  counterparty: string | null;
}

export interface Statement {
  format: BankSourceFormat;
  /** The statement's own id when the file has one (camt Stmt/Id, BAI2 file id + group), else null. */
  statement_ref: string | null;
  /**
   * camt: whether this is the statement's last page (StmtPgntn/LastPgInd; true on a statement of one page, whose
   * id has no `/p<n>`). Formats without pages leave it out.
   */
  last_page?: boolean;
  /** Where the statement is in the file, for problems (`Stmt[1] (line 13)`, `line 3 (03 record)`); optional. */
  locator?: string;
  /** Account identifier as the file gives it (IBAN, sort code + number, BAI2 customer account). */
  account: string;
  currency: string;
  /** When the bank created it (camt CreDtTm, BAI2 file creation date/time), UTC ISO. */
  created_at: string;
  period_from: string | null;
  period_to: string | null;
  /** Opening booked balance (camt OPBD/PRCD, BAI2 010; never an available balance), signed minor units; null when the file has none. */
  opening_balance_minor: number | null;
  closing_balance_minor: number | null;
  /** The balance types the file carries (camt `Bal/Tp/CdOrPrtry/Cd`, `Prtry` for a bank's own), to name them when the booked ones are missing. */
  balance_types?: string[];
  /**
   * Entry count and sums the file itself declares (camt TxsSummry, BAI2 49/98/99), checked against the entries by
   * checks.ts: `credit_total_minor` and `debit_total_minor` are magnitudes (both >= 0), `control_total_minor` the
   * signed net of the entries (camt TtlNetNtry). BAI2's 49/98/99 control totals also add the 03 record's balance
   * amounts, so they are not this net: its reader checks them itself and leaves this null.
   */
  declared: {
    entry_count: number | null;
    credit_total_minor: number | null;
    debit_total_minor: number | null;
    control_total_minor: number | null;
    /** Number of credit / debit entries (camt TtlCdtNtries / TtlDbtNtries NbOfNtries). */
    credit_count?: number | null;
    debit_count?: number | null;
    /** Sum of the entries' amounts without sign (camt TtlNtries/Sum). */
    absolute_total_minor?: number | null;
  };
  entries: StatementEntry[];
  /**
   * The bank's interim report, not its statement of record (BAI2 as-of-date modifier 1 interim previous-day or 3
   * interim same-day): its entries are `pending` until a final report books them (the same ids, created later), so
   * an entry the final report does not carry is never counted as money that moved. Its balances are interim too:
   * opening + its pending entries = closing is still checked (movesBalance).
   */
  interim?: boolean;
  /**
   * The bank marks the report a correction of one it sent before (BAI2 group status 3). With both ledger balances
   * it replaces the earlier report of its account and day (its id is the day's); without them it cannot, and the
   * import says so (unverifiable.ts, correctionBeside).
   */
  correction?: boolean;
}

/** Whether an entry moves its statement's balances: booked, or pending on an interim report (its balances are interim). */
export const movesBalance = (s: Pick<Statement, 'interim'>, e: Pick<StatementEntry, 'status'>): boolean =>
  e.status === 'booked' || (s.interim === true && e.status === 'pending');

/** A bank file that parsed but whose numbers do not add up: nothing of it is imported. */
export interface StatementProblem {
  /** The element or line at fault, e.g. `Stmt[1]/Bal[CLBD]` or `line 17 (49 record)`. */
  where: string;
  message: string;
}

/** Malformed input (bad XML/CSV, a missing required element, an unknown layout): exit code 2, nothing imported. */
export class BankFileError extends Error {
  constructor(
    message: string,
    readonly where: string,
  ) {
    super(`${where}: ${message}`);
    this.name = 'BankFileError';
  }
}

/** The options a file may need, as a message names them. */
export type ImportOptionName = 'format' | 'layout' | 'account' | 'currency';

/** What a reader needs that the file may not say: never default a currency or guess a date order. */
export interface ReadOptions {
  account?: string;
  currency?: string;
  /** CSV layout preset name (lloyds, natwest, barclays, hsbc) or a column map. */
  layout?: string | CsvColumnMap;
  /**
   * How the caller spells an option in messages ("give --currency"): the CLI's flag by default; the drop folder
   * and the AWS import read PUDDLE_BANK_CURRENCY instead, and a log telling the user to pass a flag there misleads.
   */
  optionName?: (option: ImportOptionName) => string;
}

/** The option as the caller spells it (`--layout`, or `PUDDLE_BANK_LAYOUT` for the drop folder). */
export function optionName(opts: ReadOptions, option: ImportOptionName): string {
  return opts.optionName?.(option) ?? `--${option}`;
}

/** A JSON column map for CSV exports no preset covers. */
export interface CsvColumnMap {
  date: string;
  /** `DD/MM/YYYY`, `MM/DD/YYYY`, `YYYY-MM-DD`, ... : required, because 03/04 is ambiguous. */
  date_format: string;
  description: string;
  /** Either one signed amount column, or separate debit and credit columns. */
  amount?: string;
  debit?: string;
  credit?: string;
  currency?: string;
  type?: string;
  reference?: string;
  balance?: string;
  account?: string;
  /** How many lines precede the header. */
  skip_lines?: number;
}

/**
 * What a reader returns: the statements, and the numbers in the file that do not add up (a format's own controls,
 * such as BAI2's 49/98/99 totals, are checked by its reader; balances and counts common to all formats by the importer).
 */
export interface ReadResult {
  statements: Statement[];
  problems: StatementProblem[];
}

/** A reader of one format: the whole file's text in, statements out; throws BankFileError on malformed input. */
export type BankFileReader = (text: string, opts: ReadOptions) => ReadResult;
