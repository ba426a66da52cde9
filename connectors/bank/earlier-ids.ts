import { maskCardsAndEmails } from '../../core/contracts/free-text.js';
import type { QueryEngine } from '../../core/ports.js';
import { sqlString } from '../../puddles/sql-text.js';
import type { Statement } from './statement.js';

// Lines an import gave ids it no longer gives, which must keep them when their entries are imported again:
//
// - position ids, `account/day/amount currency/n`: a line without a bank reference, imported before content ids
//   (before 2026-12-02); it now gets `account/day/amount currency/h/n`.
// - NtryRef ids, `account/<NtryRef>`: a camt entry with an NtryRef but no AcctSvcrRef, imported before 2026-12-02;
//   NtryRef is numbered per statement by many banks, so it now gets a content id too.
//
// Importing one of those entries again (the same file, the camt.053 after the camt.052 imported before the upgrade,
// an export overlapping an earlier one) would give it its new id and leave the old line beside it: the money counted
// twice, and the lake can never lose the old line (raw is never rewritten). So before publishing, an import asks the
// lake for such lines on the file's accounts and days; an entry whose text and end-to-end id are those of one of
// them (and, for an NtryRef id, whose NtryRef is the id's) keeps that line's id, and its later version replaces the
// line, as any re-import does. An entry no old line matches is new, or was the one an old collision overwrote (two
// entries of one day and amount shared `/1`; two statements' entries shared NtryRef `1`), and gets its content id.

/** A line the lake holds on a file's accounts and days, as an import's checks read it. */
export interface LakeLine {
  bank_line_id: string;
  account: string;
  day: string;
  amount_minor: number;
  currency: string;
  reference: string;
  end_to_end_id: string | null;
  /** The entry's reference (camt NtryRef); for an NtryRef id, the one its id was made of. */
  entry_reference: string | null;
  source_format: string;
  /** When its latest version was imported, ISO 8601 in UTC with Z. */
  received_at: string;
}

const IMPORT_FORMATS = ['camt.052', 'camt.053', 'camt.054', 'bai2', 'csv'];
const CAMT_FORMATS = ['camt.052', 'camt.053', 'camt.054'];
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const text = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** A date and time with no zone: `2026-11-20 22:00:00.000` (Trino's text for a TIMESTAMP) or with a `T`. */
const ZONELESS = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(:\d{2}(\.\d+)?)?)$/;

/**
 * Times as ISO 8601 with Z, without zero milliseconds, as recon_breaks writes them: `2026-11-20T22:00:00Z`. Both
 * engines give ISO 8601 with Z (the Athena engine turns Trino's zoneless text for a `timestamp` column into it,
 * athena-query-engine.ts jsonValue, and passes a type it does not know on as text): a time that comes without its
 * zone even so is the lake's UTC, which Date would read as the machine's local time.
 */
export const lakeTime = (v: unknown) => {
  const text = v instanceof Date ? v.toISOString() : String(v);
  const zoneless = ZONELESS.exec(text);
  return new Date(zoneless ? `${zoneless[1]}T${zoneless[2]}Z` : text).toISOString().replace('.000Z', 'Z');
};

/**
 * The lines bank files gave on these accounts between two days (inclusive), in DuckDB's and Athena's SQL alike: one
 * query for both checks an import makes of them (earlierIdLines here, linesInOtherCurrency in imported-before.ts).
 */
export async function spanLines(lake: QueryEngine, span: { accounts: readonly string[]; from: string; to: string }): Promise<LakeLine[]> {
  const { accounts, from, to } = span;
  if (!accounts.length || !DAY.test(from) || !DAY.test(to)) return [];
  const rows = await lake.query(
    'SELECT bank_line_id, account, CAST(coalesce(booking_date, value_date) AS VARCHAR) AS day, amount_minor, currency, reference, end_to_end_id, entry_reference, source_format, _received_at ' +
      `FROM bank_line WHERE source_format IN (${IMPORT_FORMATS.map(sqlString).join(', ')}) ` +
      `AND account IN (${accounts.map(sqlString).join(', ')}) ` +
      `AND coalesce(booking_date, value_date) BETWEEN DATE ${sqlString(from)} AND DATE ${sqlString(to)}`,
  );
  return rows.map((r) => ({
    bank_line_id: String(r.bank_line_id),
    account: String(r.account),
    day: String(r.day),
    amount_minor: Number(r.amount_minor),
    currency: String(r.currency),
    reference: String(r.reference ?? ''),
    end_to_end_id: text(r.end_to_end_id),
    entry_reference: text(r.entry_reference),
    source_format: String(r.source_format),
    received_at: lakeTime(r._received_at),
  }));
}

/** Of the lines spanLines read, the position-id and NtryRef-id ones (an import under an earlier id rule left them). */
export function earlierIdLines(lines: readonly LakeLine[]): LakeLine[] {
  return lines.filter((l) => {
    // A line with an entry reference whose id is `account/<it>` is an NtryRef id or an AcctSvcrRef id (the same
    // shape): which one, the match on the entry's NtryRef and content decides.
    if (l.entry_reference !== null) return CAMT_FORMATS.includes(l.source_format) && l.bank_line_id === `${l.account}/${l.entry_reference}`;
    // A content id has the hash between the amount and n; a position id has n right after the amount.
    return /^\d+$/.test(afterAmount(l) ?? '');
  });
}

/**
 * What a line's id holds after `account/day/amount currency/` (to-envelopes.ts lineIds): `h/n` for a content id,
 * `n` for a position id; null for an id of another shape (a bank reference's).
 */
export function afterAmount(l: Pick<LakeLine, 'bank_line_id' | 'account' | 'day' | 'amount_minor' | 'currency'>): string | null {
  const prefix = `${l.account}/${l.day}/${l.amount_minor}${l.currency}/`;
  return l.bank_line_id.startsWith(prefix) ? l.bank_line_id.slice(prefix.length) : null;
}

// The reference as it lands (masked: to-envelopes.ts), on both sides: a line landed before masking, or since, matches
// the entry that made it.
const matchKey = (account: string, day: string, amount: number, currency: string, reference: string | null, e2e: string | null) =>
  JSON.stringify([account, day, amount, currency, reference === null ? null : maskCardsAndEmails(reference), e2e]);

/** The day a line stands on: the entry's booking date, else its value date (as spanLines reads `bank_line`). */
export const entryDay = (e: Statement['entries'][number]): string | null => e.booking_date ?? e.value_date;

/** Whether an entry's line id was made by lineIds from its details (it has no booking reference) and it is dated. */
export const contentIdDay = (e: Statement['entries'][number], id: string | null | undefined): string | null =>
  id && !e.booking_reference ? entryDay(e) : null;

/**
 * The accounts and days of every dated entry of the file: what spanLines reads for an import's checks (the entries
 * with content ids for keepEarlierIds and linesInOtherCurrency; all of them for other-kind.ts linesFromOtherKind).
 */
export function entriesSpan(statements: readonly Statement[]): { accounts: string[]; from: string; to: string } | null {
  const accounts = new Set<string>();
  let from = '';
  let to = '';
  for (const s of statements)
    for (const e of s.entries) {
      const day = entryDay(e);
      if (!day) continue;
      accounts.add(s.account);
      if (!from || day < from) from = day;
      if (!to || day > to) to = day;
    }
  return accounts.size ? { accounts: [...accounts], from, to } : null;
}

/**
 * Give each entry that matches an earlier line (same account, day, amount, currency, text and end-to-end id; for
 * an entry with an NtryRef, the line `account/<that NtryRef>`, else a position-id line) that line's id, in place;
 * position-id lines alike in all of that go to the entries in the order of their n. Returns how many entries kept
 * an earlier id.
 */
export function keepEarlierIds(statements: readonly Statement[], ids: (string | null)[][], lines: readonly LakeLine[]): number {
  const byKey = new Map<string, string[]>();
  const ntryRefIds = new Map<string, string>();
  const n = (id: string) => Number(id.slice(id.lastIndexOf('/') + 1));
  for (const l of [...lines].sort((a, b) => n(a.bank_line_id) - n(b.bank_line_id))) {
    const k = matchKey(l.account, l.day, l.amount_minor, l.currency, l.reference, l.end_to_end_id);
    if (l.entry_reference !== null) {
      ntryRefIds.set(`${l.bank_line_id}\u0000${k}`, l.bank_line_id);
      continue;
    }
    let list = byKey.get(k);
    if (!list) byKey.set(k, (list = []));
    list.push(l.bank_line_id);
  }
  let kept = 0;
  statements.forEach((s, i) =>
    s.entries.forEach((e, j) => {
      const day = contentIdDay(e, ids[i]![j]);
      if (!day) return;
      const k = matchKey(s.account, day, e.amount_minor, e.currency, e.reference, e.end_to_end_id);
      // Without a booking reference, a camt entry's entry_reference is its NtryRef: its old id was `account/<it>`.
      let old: string | undefined;
      if (e.entry_reference) {
        const id = `${s.account}/${e.entry_reference}`;
        old = ntryRefIds.get(`${id}\u0000${k}`);
        // One line, one entry: a statement that lists the entry twice keeps the id for the first.
        ntryRefIds.delete(`${id}\u0000${k}`);
      } else old = byKey.get(k)?.shift();
      if (old) {
        ids[i]![j] = old;
        kept++;
      }
    }),
  );
  return kept;
}
