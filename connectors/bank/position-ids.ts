import type { QueryEngine } from '../../core/ports.js';
import type { Statement } from './statement.js';

// Lakes imported into before content ids (before 2026-12-02) hold lines without a bank reference under position
// ids, `account/day/amount currency/n`. Importing one of those entries again (the same file, the camt.053 after
// the camt.052 imported before the upgrade, an export overlapping an earlier one) would now give it a content id,
// `account/day/amount currency/h/n`, and the old line would stay beside it: the money counted twice, and the lake
// can never lose the old line (raw is never rewritten). So before publishing, an import asks the lake for such
// lines on the file's accounts and days; an entry whose text and end-to-end id are those of one of them keeps
// that line's id (its later version replaces it, as any re-import does). An entry no old line matches is new, or
// was the one an old collision overwrote (two entries of one day and amount shared `/1`), and gets its content id.

/** A line as an import before content ids left it. */
export interface PositionLine {
  bank_line_id: string;
  account: string;
  day: string;
  amount_minor: number;
  currency: string;
  reference: string;
  end_to_end_id: string | null;
}

const IMPORT_FORMATS = ['camt.052', 'camt.053', 'camt.054', 'bai2', 'csv'];
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** The lake's position-id lines on these accounts between two days (inclusive), in DuckDB's and Athena's SQL alike. */
export async function positionLines(lake: QueryEngine, accounts: readonly string[], from: string, to: string): Promise<PositionLine[]> {
  if (!accounts.length || !DAY.test(from) || !DAY.test(to)) return [];
  const rows = await lake.query(
    'SELECT bank_line_id, account, CAST(coalesce(booking_date, value_date) AS VARCHAR) AS day, amount_minor, currency, reference, end_to_end_id ' +
      'FROM bank_line WHERE entry_reference IS NULL ' +
      `AND source_format IN (${IMPORT_FORMATS.map(quote).join(', ')}) ` +
      `AND account IN (${accounts.map(quote).join(', ')}) ` +
      `AND coalesce(booking_date, value_date) BETWEEN DATE ${quote(from)} AND DATE ${quote(to)}`,
  );
  const lines: PositionLine[] = [];
  for (const r of rows) {
    const line = {
      bank_line_id: String(r.bank_line_id),
      account: String(r.account),
      day: String(r.day),
      amount_minor: Number(r.amount_minor),
      currency: String(r.currency),
      reference: String(r.reference ?? ''),
      end_to_end_id: r.end_to_end_id === null || r.end_to_end_id === undefined ? null : String(r.end_to_end_id),
    };
    // A content id has the hash between the amount and n; a position id has n right after the amount.
    const prefix = `${line.account}/${line.day}/${line.amount_minor}${line.currency}/`;
    if (line.bank_line_id.startsWith(prefix) && /^\d+$/.test(line.bank_line_id.slice(prefix.length))) lines.push(line);
  }
  return lines;
}

const matchKey = (account: string, day: string, amount: number, currency: string, reference: string, e2e: string | null) =>
  JSON.stringify([account, day, amount, currency, reference, e2e]);

/** The days and accounts of the entries that got content ids (`ids[i][j]` is statement i's entry j's). */
export function contentIdSpan(statements: readonly Statement[], ids: readonly (readonly (string | null)[])[]): { accounts: string[]; from: string; to: string } | null {
  const accounts = new Set<string>();
  let from = '';
  let to = '';
  statements.forEach((s, i) =>
    s.entries.forEach((e, j) => {
      const day = e.booking_date ?? e.value_date;
      if (!ids[i]![j] || e.entry_reference || !day) return;
      accounts.add(s.account);
      if (!from || day < from) from = day;
      if (!to || day > to) to = day;
    }),
  );
  return accounts.size ? { accounts: [...accounts], from, to } : null;
}

/**
 * Give each entry that matches a position-id line (same account, day, amount, currency, text and end-to-end id)
 * that line's id, in place; lines alike in all of that go to the entries in the order of their n. Returns how
 * many entries kept an old id.
 */
export function keepPositionIds(statements: readonly Statement[], ids: (string | null)[][], lines: readonly PositionLine[]): number {
  const byKey = new Map<string, string[]>();
  const n = (id: string) => Number(id.slice(id.lastIndexOf('/') + 1));
  for (const l of [...lines].sort((a, b) => n(a.bank_line_id) - n(b.bank_line_id))) {
    const k = matchKey(l.account, l.day, l.amount_minor, l.currency, l.reference, l.end_to_end_id);
    let list = byKey.get(k);
    if (!list) byKey.set(k, (list = []));
    list.push(l.bank_line_id);
  }
  let kept = 0;
  statements.forEach((s, i) =>
    s.entries.forEach((e, j) => {
      const day = e.booking_date ?? e.value_date;
      if (!ids[i]![j] || e.entry_reference || !day) return;
      const old = byKey.get(matchKey(s.account, day, e.amount_minor, e.currency, e.reference, e.end_to_end_id))?.shift();
      if (old) {
        ids[i]![j] = old;
        kept++;
      }
    }),
  );
  return kept;
}
