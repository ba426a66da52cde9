import { hash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Envelope } from '../../core/envelope.js';
import { fromMinorUnits, isCurrencyCode, isCurrencyShaped } from '../../core/money.js';
import { systemClock, type Clock, type QueryEngine, type Queue } from '../../core/ports.js';
import { receivedAt } from '../../core/received-clock.js';
import { checkStatement, statementWhere } from './checks.js';
import { decodeBankFile } from './decode.js';
import { detectFormat, isBankFormat, notAStatement, type BankFormat } from './detect.js';
import { READERS } from './readers.js';
import { BankFileError, optionName, type CsvColumnMap, type ImportOptionName, type ReadOptions, type ReadResult, type StatementProblem } from './statement.js';
import { earlierIdLines, entriesSpan, keepEarlierIds, spanLines } from './earlier-ids.js';
import { correctionBeside, noBalances, unverifiable, withoutBalances } from './unverifiable.js';
import { checkedRecords, lineIds, recordEnvelope, statementId, unbalancedEnvelopes, type BankFile, type CheckedRecord } from './to-envelopes.js';
import { conflicts, currencyChanged, currencyCompared, datesChanged, earlierIssues, linesInOtherCurrency, unbalancedInOtherCurrency, unbalancedResaved, type EarlierIssue } from './imported-before.js';
import { linesFromOtherKind } from './other-kind.js';

// One bank file in, envelopes on the queue: the path behind `puddle import bank`, the hub's drop folder and the
// benchmark. A file is imported whole or not at all: malformed input publishes nothing, a file that does not add up
// publishes only its statements marked unbalanced and a quarantine row (so the break is visible in SQL).

export interface ImportOptions extends ReadOptions {
  /** Skip detection (`--format`). */
  format?: string;
  /**
   * Accounts (as core/bank-account.ts accountKey gives them) whose bank never sends booked balances in a camt.053:
   * the recon parameter accounts_without_balances (PUDDLE_RECON_ACCOUNTS_WITHOUT_BALANCES). Such a statement is
   * `unchecked` (exit 0, no break), not `unverified` (unverifiable.ts).
   */
  accountsWithoutBalances?: readonly string[];
}

/** The options as text (the CLI's flags, the hub's PUDDLE_BANK_* settings), and the name each goes by there. */
export type ImportOptionsText = Partial<Record<ImportOptionName, string>>;

/**
 * Why a file cannot be read, in words rather than the errno code alone: a statement named to `puddle import bank`
 * and a `--layout` column map file.
 */
export function whyUnreadable(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'a folder, not a file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied: this user cannot read it';
  return `cannot read it (${code ?? (err as Error).message})`;
}

/**
 * Parse import options given as text: a layout is a preset name or a JSON column map file; a currency an ISO 4217
 * code. Throws an Error naming the option (as `name` spells it) that is wrong; the options keep `name`, so a file's
 * message asking for an option ("give --currency") spells it the same way.
 */
export function parseImportOptions(text: ImportOptionsText, name: (option: keyof ImportOptionsText) => string): ImportOptions {
  let layout: string | CsvColumnMap | undefined = text.layout || undefined;
  if (layout !== undefined && (layout.endsWith('.json') || existsSync(layout))) {
    const file = layout;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      // Said in words, as for a statement file: until 2026-12-03 "--layout: ENOENT: no such file or directory, open ...".
      throw new Error(`${name('layout')} ${file}: ${whyUnreadable(err)}; give a layout (lloyds, natwest, barclays, hsbc) or a JSON column map file`);
    }
    try {
      layout = JSON.parse(text) as CsvColumnMap;
    } catch (err) {
      throw new Error(`${name('layout')} ${file}: not a JSON column map (${(err as Error).message}); docs/bank-statements.md, "CSV exports", shows one`);
    }
  }
  const currency = text.currency?.trim().toUpperCase() || undefined;
  // A well-formed code not in use (GPB for GBP) is refused here too, naming the option, before any file is read.
  if (currency !== undefined && !isCurrencyCode(currency)) {
    throw new Error(`${name('currency')} must be an ISO 4217 code such as GBP${isCurrencyShaped(currency) ? `: ${currency} is not one in use` : ''}`);
  }
  return { format: text.format || undefined, layout, account: text.account?.trim() || undefined, currency, optionName: name };
}

export interface CurrencyTotals {
  currency: string;
  credits: number;
  credits_minor: number;
  debits: number;
  debits_minor: number;
}

export interface ImportOutcome {
  /**
   * imported: every line published; unbalanced: it does not add up (exit 1); malformed: unreadable (exit 2);
   * refused: readable, but imported before in another currency (exit 2): this file, or its lines from another file
   * (imported-before.ts); imported, its lines would count twice. Or, of a file that does not add up, its statement
   * from another file (a re-save) that did not add up either: no line counts twice, but a break would say the other currency.
   */
  status: 'imported' | 'unbalanced' | 'malformed' | 'refused';
  format: string | null;
  file_sha256: string;
  statements: number;
  entries: number;
  /** bank_line envelopes published (booked and pending entries). */
  lines: number;
  /** Of those, lines that kept the id an import under an earlier id rule gave them (earlier-ids.ts). */
  kept_earlier_ids: number;
  /** Lines and batch details whose text held a card number or an email address, masked as they land (to-envelopes.ts maskedText). */
  masked_records: number;
  totals: CurrencyTotals[];
  /** Statements that are the bank's interim report (BAI2 as-of-date modifier 1 or 3): their lines land pending. */
  interim: number;
  problems: StatementProblem[];
  /**
   * Statements of record imported whose balances could not be checked (a camt.053 without a booked opening or
   * closing balance, unverifiable.ts): their lines are imported, and the CLI exits 1 naming what is missing.
   */
  unverified: StatementProblem[];
  /**
   * Statements imported that carry no balances to check them, in a format that does not promise any (a CSV export
   * without a balance column, BAI2 without 010/015; unverifiable.ts noBalances), or a camt.053 without booked
   * balances of an account whose bank never sends them (accountsWithoutBalances): said on every import, exit 0, no break.
   */
  unchecked: StatementProblem[];
  /**
   * BAI2 corrections (group status 3) without both ledger balances: imported, replacing no earlier report, so an
   * entry they correct may count twice (unverifiable.ts, correctionBeside); the CLI exits 1 naming each.
   */
  corrections_beside: StatementProblem[];
  /**
   * Statements imported that another file imported before carries under the same statement id and creation time
   * with other content (imported-before.ts): both files' lines stand, a STATEMENT_CONFLICT break; the CLI exits 1.
   */
  conflicts: StatementProblem[];
  /**
   * Of a file that does not add up, statements imported before from another file in the same currency that did not
   * add up then either (a re-saved export, imported-before.ts unbalancedResaved): nothing of them is published, so
   * their break stays the first import's, not a second one.
   */
  resaved: StatementProblem[];
  /** Of a file that does not add up, the statements published marked unbalanced (those not `resaved`). */
  marked: number;
  /** What made a malformed file unreadable (naming the line), or why a refused one was. */
  error: string | null;
}

/**
 * Envelopes per queue publish. Small: what is alive when the young generation is collected is the chunk being
 * made and posted, and copying it is the collector's work (1,000 took 400-600 ms of GC a 100k-entry import,
 * 5,000 took 700-840 ms). The writer thread groups chunks that queue up behind a transaction.
 */
const CHUNK = 1000;
/** Chunks waiting on the queue at once (8 MB of bodies at most): the writer thread keeps up, so this rarely waits. */
const IN_FLIGHT = 8;

export function fileSha256(bytes: Buffer | string): string {
  return hash('sha256', bytes, 'hex');
}

const NOT_A_STATEMENT = 'not a bank statement Puddle reads (camt.052/053/054 XML, BAI2 or CSV)';

/** Detect the format and read the file with its reader (the benchmark's parse-only figure). */
export function readBankFile(bytes: Buffer | string, opts: ImportOptions): { format: BankFormat; result: ReadResult } {
  // The encoding a byte order mark or an XML declaration names, else UTF-8; bytes that are not such text are
  // refused naming the line, never read as U+FFFD (decode.ts). A PDF or a spreadsheet is text in no encoding:
  // what it is tells the user more than which byte is no UTF-8.
  let text: string;
  try {
    text = decodeBankFile(bytes);
  } catch (err) {
    const bytewise = typeof bytes === 'string' ? bytes : bytes.toString('latin1');
    const format = opts.format ?? detectFormat(bytewise);
    const not = err instanceof BankFileError && isBankFormat(format) ? notAStatement(bytewise, format) : null;
    if (not) throw new BankFileError(`${NOT_A_STATEMENT}: ${not}`, 'line 1');
    throw err;
  }
  // A download cut short can leave a 0-byte file; read as a CSV it is "0 statements imported", which looks
  // like success. Refused before detection, so every format (and --format) says the same thing.
  if (/^\uFEFF?\s*$/.test(text)) throw new BankFileError('the file is empty (nothing but whitespace): a download cut short?', 'line 1');
  const format = opts.format ?? detectFormat(text);
  if (!isBankFormat(format)) throw new BankFileError(`unknown format '${format}' (camt, bai2 or csv)`, optionName(opts, 'format'));
  // A PDF or a note dropped with the statements is read as CSV by detection (it is neither XML nor BAI2); saying
  // it needs a CSV layout sends the user looking for the wrong fix.
  const not = notAStatement(text, format);
  if (not) throw new BankFileError(`${NOT_A_STATEMENT}: ${not}`, 'line 1');
  return { format, result: READERS[format](text, opts) };
}

function totalsOf(result: ReadResult): CurrencyTotals[] {
  const by = new Map<string, CurrencyTotals>();
  for (const s of result.statements) {
    for (const e of s.entries) {
      let t = by.get(e.currency);
      if (!t) by.set(e.currency, (t = { currency: e.currency, credits: 0, credits_minor: 0, debits: 0, debits_minor: 0 }));
      if (e.amount_minor >= 0) {
        t.credits++;
        t.credits_minor += e.amount_minor;
      } else {
        t.debits++;
        t.debits_minor -= e.amount_minor;
      }
    }
  }
  return [...by.values()];
}

/**
 * Import one file. `lake`, when given, is asked for this file's statements imported before (imported-before.ts),
 * and for the lines on its accounts and days, when it has entries that get content ids: lines an import under an
 * earlier id rule left (position ids, NtryRef ids: earlier-ids.ts), so that entries imported then keep their ids
 * instead of being counted twice, and lines of its entries imported before in another currency, which refuse it.
 */
export async function importBankFile(
  queue: Queue,
  file: { name: string | null; bytes: Buffer | string },
  opts: ImportOptions = {},
  lake?: QueryEngine,
  clock: Clock = systemClock,
): Promise<ImportOutcome> {
  const sha256 = fileSha256(file.bytes);
  const outcome: ImportOutcome = { status: 'malformed', format: null, file_sha256: sha256, statements: 0, entries: 0, lines: 0, kept_earlier_ids: 0, masked_records: 0, totals: [], interim: 0, problems: [], unverified: [], unchecked: [], corrections_beside: [], conflicts: [], resaved: [], marked: 0, error: null };
  let read;
  try {
    read = readBankFile(file.bytes, opts);
  } catch (err) {
    if (!(err instanceof BankFileError)) throw err;
    outcome.error = err.message;
    return outcome;
  }
  const { result } = read;
  outcome.format = result.statements[0]?.format ?? read.format;
  outcome.statements = result.statements.length;
  outcome.entries = result.statements.reduce((n, s) => n + s.entries.length, 0);
  outcome.totals = totalsOf(result);
  outcome.interim = result.statements.filter((s) => s.interim).length;
  const meta: BankFile = { name: file.name, sha256, received_at: receivedAt(clock), delivery_id: `import:${sha256.slice(0, 16)}:${randomUUID()}` };

  const perStatement = result.statements.map((s, i) => checkStatement(s, i));
  // A reader's problem belongs to the statement it names, or to the statement of the entry it names (a CSV row's
  // balance, `line 5`: the row's account's statement, not every account of the export, as until 2026-12-05); one
  // it cannot place (a file trailer) to all of them.
  const wheres = result.statements.map((s, i) => statementWhere(s, i).replace(/ \(line \d+\)$/, ''));
  let entryStatement: Map<string, number> | null = null;
  const unplaced: StatementProblem[] = [];
  for (const p of result.problems) {
    // `Stmt[1]` names `Stmt[1]/Ntry[3]` but not `Stmt[10]`.
    let i = wheres.findIndex((w) => p.where.startsWith(w) && !/^[\w[\]]/.test(p.where.slice(w.length)));
    if (i < 0) {
      // Built only when a problem needs it: a file with problems is rare, one with 100,000 entries is not.
      entryStatement ??= new Map(result.statements.flatMap((s, n) => s.entries.map((e) => [e.locator, n] as const)));
      i = entryStatement.get(p.where) ?? -1;
    }
    if (i >= 0) perStatement[i]!.push(p);
    else unplaced.push(p);
  }
  const problems = [...perStatement.flat(), ...unplaced];
  // The statements a file that does not add up marks unbalanced: those with problems of their own, or all of them.
  const unbalanced = perStatement.map((own) => own.length + unplaced.length > 0);

  // What the lake holds of these statements already: this file in another currency is refused before anything is
  // published (its lines would count twice), another file under the same id and creation time is said (below).
  // For a file that does not add up, the same query reads the unbalanced statements of its accounts too: this
  // file imported before from other bytes (a re-save), when that import did not add up either, is known only by
  // them (imported-before.ts unbalancedInOtherCurrency).
  const statementIds = result.statements.map((s, i) => statementId(s, i, meta));
  const unbalancedAccounts = result.statements.filter((s, i) => unbalanced[i] && currencyCompared(s, opts)).map((s) => s.account);
  let earlier: EarlierIssue[] = [];
  if (lake) {
    try {
      earlier = await earlierIssues(lake, statementIds, unbalancedAccounts);
    } catch (err) {
      // As for earlier ids: importing without knowing could count the file's lines twice, so nothing is published.
      throw new Error(`cannot read bank_statement to look for this file imported before: ${(err as Error).message}`, { cause: err });
    }
  }
  const changed =
    currencyChanged(result.statements, statementIds, sha256, earlier, opts) ??
    datesChanged(result.statements, statementIds, sha256, earlier, opts) ??
    (problems.length ? unbalancedInOtherCurrency(result.statements, statementIds, unbalanced, earlier, opts) : null);
  if (changed) {
    outcome.status = 'refused';
    outcome.error = changed;
    return outcome;
  }
  outcome.problems = problems;
  if (problems.length) {
    outcome.status = 'unbalanced';
    const resaved = unbalancedResaved(result.statements, statementIds, unbalanced, earlier, opts);
    outcome.resaved = resaved.flatMap((r) => r ?? []);
    const envelopes: Envelope[] = [];
    result.statements.forEach((s, i) => {
      if (!unbalanced[i] || resaved[i]) return;
      envelopes.push(...unbalancedEnvelopes(s, i, meta, [...perStatement[i]!, ...unplaced]));
      outcome.marked++;
    });
    if (envelopes.length) await queue.publish(envelopes);
    return outcome;
  }

  // Every record is checked before the first is published: a record its contract refuses makes the file malformed
  // with nothing of it imported.
  const seen = new Map<string, number>(); // the n of content ids counts across the file's statements
  const ids = result.statements.map((s) => lineIds(s, seen));
  const span = lake ? entriesSpan(result.statements) : null;
  if (lake && span) {
    let lines;
    try {
      lines = await spanLines(lake, span);
    } catch (err) {
      // Importing without knowing could count entries imported before twice: nothing is published.
      throw new Error(`cannot read bank_line to look for lines imported before: ${(err as Error).message}`, { cause: err });
    }
    // Lines of this file imported before in another currency (imported-before.ts), from another file: refused as
    // currencyChanged refuses the same file. Asked only here, of a file that adds up: one that does not publishes
    // no line (above), so none of it could count twice; it is refused (above) when it is a re-save of a file that
    // did not add up in another currency either, by that import's unbalanced statement, since no line of it landed.
    // Entries of this file that a file of another kind gave lines for (other-kind.ts): their ids differ, so both
    // would land. The span covers every entry for this, not only those with content ids.
    const other = linesFromOtherKind(result.statements, lines) ?? linesInOtherCurrency(result.statements, ids, lines, opts);
    if (other) {
      outcome.status = 'refused';
      outcome.error = other;
      return outcome;
    }
    outcome.kept_earlier_ids = keepEarlierIds(result.statements, ids, earlierIdLines(lines));
  }
  const records: CheckedRecord[] = [];
  try {
    result.statements.forEach((s, i) => checkedRecords(s, i, meta, records, ids[i]));
  } catch (err) {
    if (!(err instanceof BankFileError)) throw err;
    outcome.error = err.message;
    return outcome;
  }
  for (const r of records) {
    if (r.contract === 'bank_line') outcome.lines++;
    if (r.masked) outcome.masked_records++;
  }
  // Then envelopes are made (the hashing) and published a chunk at a time, each handed to the queue's writer
  // thread before the next is made, so the writer commits one chunk while this thread makes the next; up to
  // IN_FLIGHT wait at once. A queue failure part way leaves part of the file queued; importing it again is safe
  // (the same ids), and the error says to.
  const inFlight: Promise<void>[] = [];
  try {
    for (let i = 0; i < records.length; i += CHUNK) {
      const chunk = records.slice(i, i + CHUNK).map((r) => recordEnvelope(r, meta));
      const published = queue.publish(chunk);
      // Awaited below; this only keeps a failure from being reported as unhandled while the next chunk is made.
      published.catch(() => {});
      inFlight.push(published);
      // Let the queue hand the chunk on (its group commit runs from setImmediate) before making the next.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (inFlight.length >= IN_FLIGHT) await inFlight.shift();
    }
  } finally {
    // Every publish is awaited, so a failure is reported and none is left unobserved.
    await Promise.all(inFlight);
  }
  outcome.status = 'imported';
  const listed = opts.accountsWithoutBalances ?? [];
  outcome.unverified = result.statements.flatMap((s, i) => unverifiable(s, i, listed) ?? []);
  outcome.unchecked = result.statements.flatMap((s, i) => noBalances(s, i) ?? withoutBalances(s, i, listed) ?? []);
  outcome.corrections_beside = result.statements.flatMap((s, i) => correctionBeside(s, i) ?? []);
  outcome.conflicts = conflicts(result.statements, statementIds, sha256, earlier);
  return outcome;
}

/** What a file's import says, one line (or a few, for problems). */
const problemLines = (problems: readonly StatementProblem[]) => problems.map((p) => `  ${p.where}: ${p.message}\n`).join('');

export function describeImport(name: string, o: ImportOutcome): string {
  if (o.status === 'malformed') return `${name}: malformed, nothing imported: ${o.error}\n`;
  if (o.status === 'refused') return `${name}: refused, nothing imported: ${o.error}\n`;
  const money = o.totals
    .map((t) => `credits ${t.credits} = ${fromMinorUnits(t.credits_minor, t.currency)} ${t.currency}, debits ${t.debits} = ${fromMinorUnits(t.debits_minor, t.currency)} ${t.currency}`)
    .join('; ');
  const head = `${name}: ${o.format}, ${o.statements} statement${o.statements === 1 ? '' : 's'}, ${o.entries} ${o.entries === 1 ? 'entry' : 'entries'}${money ? ` (${money})` : ''}`;
  if (o.status === 'imported') {
    const kept = o.kept_earlier_ids
      ? ` (${o.kept_earlier_ids} of them imported before their ids changed: they keep the ids they were given then)`
      : '';
    // How many of them the lake already holds is not known here: an earlier import of the same file may still be
    // on the queue, not landed. Ids are the lines' own, so landing them again replaces, never adds.
    const sent = `${head}, ${o.lines} bank line${o.lines === 1 ? '' : 's'} sent${kept}; lines already imported are not counted twice\n`;
    // An interim report's lines are pending: say so, or its credits read as money in the bank.
    const interim = o.interim
      ? `${name}: ${o.interim === o.statements ? 'an interim report' : `${o.interim} of its statements are interim reports`} (BAI2 as-of-date modifier 1 or 3): its lines are pending until the bank's final report books them\n`
      : '';
    // Imported, yet not "adds up": nothing could be checked (unverifiable.ts).
    const unverified = o.unverified.length
      ? `${name}: imported, but not verified (no balances to check it against; a STATEMENT_UNVERIFIABLE break until the bank's statement with them is imported):\n${problemLines(o.unverified)}`
      : '';
    // A CSV or BAI2 file need carry no balances; a camt.053 does, unless its account is listed as one whose bank sends none.
    const why = o.format === 'camt.053' ? "its account's bank sends none, PUDDLE_RECON_ACCOUNTS_WITHOUT_BALANCES" : 'its format does not require them';
    const unchecked = o.unchecked.length
      ? `${name}: imported, but not verified: it lacks the balances to check it against (${why}: no break, exit 0; check it by hand):\n${problemLines(o.unchecked)}`
      : '';
    const beside = o.corrections_beside.length
      ? `${name}: imported, but a correction that replaces nothing (exit 1; check the day by hand):\n${problemLines(o.corrections_beside)}`
      : '';
    const conflicting = o.conflicts.length
      ? `${name}: imported, but it conflicts with a file imported before (exit 1; a STATEMENT_CONFLICT break in recon_breaks):\n${problemLines(o.conflicts)}`
      : '';
    // Said, never shown: what was masked is a donor's card number or address.
    const masked = o.masked_records
      ? `${name}: ${o.masked_records} ${o.masked_records === 1 ? 'line holds' : 'lines hold'} a card number or an email address in its text: masked in the lake (card digits but the last four, addresses as [email]); the file keeps them as received\n`
      : '';
    return `${sent}${interim}${masked}${unverified}${unchecked}${beside}${conflicting}`;
  }
  const resaved = o.resaved.length
    ? `${name}: imported before, saved again (no second STATEMENT_UNBALANCED break):\n${problemLines(o.resaved)}`
    : '';
  const marked = o.marked === 0 ? 'nothing published' : 'statement marked unbalanced, quarantined';
  return `${head}: does not add up, nothing imported (${marked}):\n${problemLines(o.problems)}${resaved}`;
}

