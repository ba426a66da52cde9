import { hash } from 'node:crypto';
import { quarantineEnvelope, type Origin } from '../../core/engine/envelopes.js';
import { makeEnvelope, type Envelope } from '../../core/envelope.js';
import { redactPersonalData, type Redacted } from '../../core/pii.js';
import { maskCardsAndEmails } from '../../core/contracts/free-text.js';
import { getContract } from '../../core/contracts/index.js';
import { BankFileError, type Statement, type StatementProblem } from './statement.js';

// Statements -> envelopes: one bank_statement per statement, one bank_line (v2) per booked or pending entry, one
// bank_line_detail per transaction of a batch booking. Ids are chosen so that the same entry read again (the same
// file twice, or the camt.052 that announced it and then the camt.053 that books it) gets the same bank_line_id.

export const BANK_SOURCE = 'bank';
/** The bank_statement version imports send (v3: `last_page`). */
const BANK_STATEMENT_VERSION = 3;

/** The file a statement came from. */
export interface BankFile {
  name: string | null;
  sha256: string;
  received_at: string;
  delivery_id: string;
}

export function statementId(s: Statement, index: number, file: BankFile): string {
  // The bank's statement id is unique per account (camt Stmt/Id); without one the file's hash and the position do.
  return s.statement_ref ? `${s.account}/${s.format}/${s.statement_ref}` : `${s.account}/${s.format}/sha256:${file.sha256.slice(0, 16)}/${index + 1}`;
}

/**
 * The part of a line id without a bank reference that its details give: 16 hex digits of their SHA-256, of their
 * text masked as it lands (maskedText). A hash of a card number beside its last four digits gives the number back
 * in a second (the other digits are a few million guesses); until 2026-12-06 the unmasked text was hashed (a user
 * test found it). An entry imported before then whose text held a card number or an email address gets another id
 * when its file is imported again.
 */
export function fingerprintHash(fingerprint: readonly string[]): string {
  return hash('sha256', fingerprint.map(maskCardsAndEmails).join('\n'), 'hex').slice(0, 16);
}

/**
 * The bank_line_id of each entry (null for information-only entries, which are not lines).
 *
 * - With the bank's reference for the booking (camt AcctSvcrRef, BAI2 bank reference): `account/ref`. The account
 *   servicer's reference is given when the entry is booked and repeated in every later report of it, so the 052 and
 *   the 053 agree.
 * - Without one: `account/booking date/amount currency/h/n`. So also a camt entry with only an NtryRef: banks number
 *   NtryRef per statement, and `account/1` of today's statement overwrote `account/1` of yesterday's, a line and its
 *   money gone from reconciliation (until 2026-12-02; lines imported under such an id keep it, earlier-ids.ts).
 *   h hashes the entry's fingerprint (the payment's end-to-end and transaction ids, its remittance text, the
 *   counterparty's name and account; a CSV row's text): two donors' 25.00 credits of one day, each in its own
 *   camt.054 or CSV export, differ there, so each is a line (a counter alone made both `.../2500GBP/1`, and the
 *   second overwrote the first). The same entry delivered
 *   again (the file twice, the camt.054 or 052 and then the 053 repeating it, an overlapping export) carries the
 *   same details, so the same h. Hashed, never in clear: the fingerprint holds names. n counts the entries of the
 *   file with that same date, amount, currency and h (1, 2, ...): what cannot be told apart otherwise. Not the
 *   entry's position, which differs between an intraday report and the statement.
 *   n counts across the whole file (pass one `seen` for all its statements): a BAI2 file may list the same account
 *   twice under one as-of date, and equal entries in the two blocks are two entries, not one.
 */
export function lineIds(s: Statement, seen = new Map<string, number>()): (string | null)[] {
  return s.entries.map((e) => {
    if (e.status === 'info') return null;
    if (e.booking_reference) return `${s.account}/${e.booking_reference}`;
    const k = `${s.account}/${e.booking_date ?? e.value_date ?? 'undated'}/${e.amount_minor}${e.currency}/${fingerprintHash(e.fingerprint)}`;
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    return `${k}/${n}`;
  });
}

function totals(s: Statement) {
  let credits = 0;
  let debits = 0;
  for (const e of s.entries) {
    if (e.currency !== s.currency) continue;
    if (e.amount_minor >= 0) credits += e.amount_minor;
    else debits -= e.amount_minor;
  }
  return { credits, debits };
}

/** How long the statement's `problems` text may grow before the rest is only counted (quarantine keeps them all). */
const PROBLEMS_CHARS = 1000;

/**
 * The problems as one text for the bank_statement (and so the STATEMENT_UNBALANCED break): place and message of
 * each, as the import prints them. They name elements, lines, amounts and counts, never a row's text.
 */
export function problemsText(problems: readonly StatementProblem[]): string | null {
  if (!problems.length) return null;
  let text = '';
  for (let i = 0; i < problems.length; i++) {
    const p = `${problems[i]!.where}: ${problems[i]!.message}`;
    if (text && text.length + p.length > PROBLEMS_CHARS) return `${text}; and ${problems.length - i} more`;
    text += (text ? '; ' : '') + p;
  }
  return text;
}

export function statementPayload(s: Statement, index: number, file: BankFile, balanced: boolean, problems: readonly StatementProblem[] = []): Record<string, unknown> {
  const t = totals(s);
  return {
    bank_statement_id: statementId(s, index, file),
    occurred_at: s.created_at,
    updated_at: null,
    account: s.account,
    currency: s.currency,
    source_format: s.format,
    period_from: s.period_from,
    period_to: s.period_to,
    opening_balance_minor: s.opening_balance_minor,
    closing_balance_minor: s.closing_balance_minor,
    entry_count: s.entries.length,
    credit_total_minor: t.credits,
    debit_total_minor: t.debits,
    balanced,
    file_sha256: file.sha256,
    file_name: file.name,
    problems: problemsText(problems),
    last_page: s.last_page ?? null,
  };
}

function origin(file: BankFile, format: string, raw: unknown): Origin {
  return { source: BANK_SOURCE, stream: format, delivery_id: file.delivery_id, received_at: file.received_at, raw: redactPersonalData(raw) };
}

/**
 * The raw trail's record of an entry: which file (by hash) it is in; the payload says where (source_position).
 * The bank file itself is the record as received (the drop folder keeps it in done/, identified by the same hash),
 * and the file name is on its bank_statement; copying every entry's fields into raw again doubled each envelope for
 * nothing the payload does not hold, and would put counterparty names, which may be a person's (a donor paying by
 * transfer), in the raw trail, which keeps no personal data (the payload leaves them out too: contracts/bank.ts).
 * (Not `file_name`: pii.ts redacts any key ending in "name".)
 */
function rawEntry(file: BankFile): unknown {
  return { file_sha256: file.sha256 };
}

/** The raw trail's record of a statement, balanced or not: which file, and where in it. */
function rawStatement(s: Statement, file: BankFile): unknown {
  return { file_sha256: file.sha256, file: file.name, locator: s.locator ?? null };
}

/** One record to publish: its contract, payload and raw, and where in the file it came from. */
interface BankRecord {
  contract: 'bank_statement' | 'bank_line' | 'bank_line_detail';
  version: number;
  payload: Record<string, unknown>;
  raw: Redacted;
  locator: string;
  /** Whether its text held a card number or an email address, masked (maskedText). */
  masked: boolean;
}

/** A record its contract accepted: the contract's normalised copy of the payload, ready to become an envelope. */
export interface CheckedRecord {
  contract: string;
  version: number;
  payload: Record<string, unknown>;
  raw: Redacted;
  stream: string;
  masked: boolean;
}

/**
 * A bank's text as it lands: card numbers masked but their last four digits, email addresses `[email]`
 * (maskCardsAndEmails). A donor may type either into the remittance text of a transfer, and the bank's file brings
 * it: refusing the line would leave the statement short, so the text lands masked, in the lake and the raw trail
 * alike. The producer refuses the same in a `bank_line`'s description (a 400); until 2026-12-06 an import took it
 * as it was (user test). The file itself is kept as received (the drop folder's done/).
 */
function maskedText(text: string | null): string | null {
  return text === null ? null : maskCardsAndEmails(text);
}

/** The payloads of a statement that adds up: the statement, its lines (`ids`, from lineIds) and their batch details. */
function* eachRecord(s: Statement, index: number, file: BankFile, ids: readonly (string | null)[]): Generator<BankRecord> {
  const stmtPayload = statementPayload(s, index, file, true);
  const statement_id = stmtPayload.bank_statement_id as string;
  const where = s.locator ?? `statement ${index + 1}`;
  yield { contract: 'bank_statement', version: BANK_STATEMENT_VERSION, payload: stmtPayload, raw: redactPersonalData(rawStatement(s, file)), locator: where, masked: false };
  // The same for every line of the file: redacted once and shared (it serialises the same into each envelope).
  const raw = redactPersonalData(rawEntry(file));
  for (let i = 0; i < s.entries.length; i++) {
    const id = ids[i];
    if (!id) continue;
    const e = s.entries[i]!;
    const day = e.booking_date ?? e.value_date;
    const occurred_at = day ? `${day}T00:00:00.000Z` : s.created_at;
    const reference = maskedText(e.reference);
    const description = maskedText(e.description);
    const payload = {
      bank_line_id: id,
      occurred_at,
      // The later report of an entry wins: a camt.053 (created after the day's camt.052) replaces its version.
      updated_at: s.created_at,
      account: s.account,
      amount_minor: e.amount_minor,
      currency: e.currency,
      reference,
      description,
      booking_date: e.booking_date,
      value_date: e.value_date,
      statement_id,
      entry_reference: e.entry_reference,
      end_to_end_id: e.end_to_end_id,
      bank_transaction_code: e.bank_transaction_code,
      // As read: the contract keeps it only when it names a payment provider (a donor's name never reaches the lake
      // or the raw trail), and every record is checked against its contract before it is published (checkedRecords).
      counterparty: e.counterparty,
      status: e.status,
      reversal: e.reversal,
      batch_count: e.batch_count,
      source_format: s.format,
      source_position: e.locator,
    };
    yield { contract: 'bank_line', version: 2, payload, raw, locator: e.locator, masked: reference !== e.reference || description !== e.description };
    for (let n = 0; n < e.details.length; n++) {
      const d = e.details[n]!;
      const detailReference = maskedText(d.reference);
      const detail = {
        bank_line_detail_id: `${id}/${n + 1}`,
        occurred_at,
        updated_at: s.created_at,
        bank_line_id: id,
        amount_minor: d.amount_minor,
        currency: d.currency,
        end_to_end_id: d.end_to_end_id,
        reference: detailReference,
        counterparty: d.counterparty,
      };
      yield { contract: 'bank_line_detail', version: 1, payload: detail, raw, locator: `${e.locator} TxDtls[${n + 1}]`, masked: detailReference !== d.reference };
    }
  }
}

/**
 * The records of a statement that adds up, each checked against its contract (and the contract's normalised copy
 * kept), appended to `out`. Throws a BankFileError naming the entry and the field at the first record its contract
 * refuses: landing would quarantine it (say, a booking date of 2026-02-30 or a 5,000-character reference), which
 * would import the file in part, so every record of a file is checked before any of it is published.
 */
export function checkedRecords(s: Statement, index: number, file: BankFile, out: CheckedRecord[] = [], ids: readonly (string | null)[] = lineIds(s)): CheckedRecord[] {
  for (const r of eachRecord(s, index, file, ids)) {
    const checked = getContract(r.contract, r.version)!.validate(r.payload);
    if (checked.errors) throw new BankFileError(checked.errors.map((e) => `${r.contract}.${e.path.replace(/^payload\./, '')} ${e.message}`).join('; '), r.locator);
    out.push({ contract: r.contract, version: r.version, payload: checked.value, raw: r.raw, stream: s.format, masked: r.masked });
  }
  return out;
}

/** The envelope of a checked record (its id is the hash of its content: the same record always gets the same id). */
export function recordEnvelope(r: CheckedRecord, file: BankFile): Envelope {
  return makeEnvelope({ contract: r.contract, version: r.version, payload: r.payload, source: BANK_SOURCE, stream: r.stream, delivery_id: file.delivery_id, received_at: file.received_at, raw: r.raw });
}

/** The envelopes of a statement that adds up (checkedRecords, then recordEnvelope for each). */
export function statementEnvelopes(s: Statement, index: number, file: BankFile, out: Envelope[] = [], ids: readonly (string | null)[] = lineIds(s)): Envelope[] {
  for (const r of checkedRecords(s, index, file, [], ids)) out.push(recordEnvelope(r, file));
  return out;
}

/**
 * A statement that does not add up: its bank_statement with balanced=false (the reconciliation shows it as a
 * STATEMENT_UNBALANCED break) and a quarantine row with the problems. None of its lines.
 */
export function unbalancedEnvelopes(s: Statement, index: number, file: BankFile, problems: readonly StatementProblem[]): Envelope[] {
  const payload = statementPayload(s, index, file, false, problems);
  const o = origin(file, s.format, rawStatement(s, file));
  return [
    makeEnvelope({ contract: 'bank_statement', version: BANK_STATEMENT_VERSION, payload, ...o }),
    quarantineEnvelope(
      { contract: 'bank_statement', version: BANK_STATEMENT_VERSION, payload },
      problems.map((p) => ({ path: p.where, message: p.message })),
      { ...o, record_key: payload.bank_statement_id as string, occurred_at: s.created_at },
    ),
  ];
}
