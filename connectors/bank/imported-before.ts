import { fromMinorUnits } from '../../core/money.js';
import type { QueryEngine } from '../../core/ports.js';
import { sqlString } from '../../puddles/sql-text.js';
import { statementWhere } from './checks.js';
import { optionName, type ReadOptions, type Statement, type StatementProblem } from './statement.js';
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
// is not. An identical file imported again (the same bytes, the same currency) meets neither rule.

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
}

/**
 * Times as ISO 8601 with Z (a time printed without its zone reads as local), without zero milliseconds, as
 * recon_breaks writes them: `2026-11-20T22:00:00Z`. The local engine gives times as ISO 8601 with Z.
 */
const iso = (v: unknown) => new Date(String(v)).toISOString().replace('.000Z', 'Z');

/** The versions of these statements imported from bank files (not POST /v1/events), in DuckDB's and Athena's SQL alike. */
export async function earlierIssues(lake: QueryEngine, ids: readonly string[]): Promise<EarlierIssue[]> {
  if (!ids.length) return [];
  const rows = await lake.query(
    'SELECT bank_statement_id, occurred_at, currency, file_sha256, file_name, balanced, closing_balance_minor, _received_at ' +
      `FROM bank_statement_history WHERE _source = 'bank' AND bank_statement_id IN (${[...new Set(ids)].map(sqlString).join(', ')}) ` +
      'ORDER BY _received_at',
  );
  return rows.map((r) => ({
    bank_statement_id: String(r.bank_statement_id),
    created_at: iso(r.occurred_at),
    currency: String(r.currency),
    file_sha256: String(r.file_sha256),
    file_name: r.file_name === null || r.file_name === undefined ? null : String(r.file_name),
    balanced: r.balanced === true,
    closing_balance_minor: r.closing_balance_minor === null || r.closing_balance_minor === undefined ? null : Number(r.closing_balance_minor),
    received_at: iso(r._received_at),
  }));
}

const named = (s: Statement) => `the account ${ending(s)}${s.statement_ref ? `, statement ${s.statement_ref}` : ''}`;

/**
 * Why this file may not be imported: one of its statements was imported before from this very file in another
 * currency. Null when none was. `ids[i]` is statement i's bank_statement_id, `sha256` the file's.
 */
export function currencyChanged(statements: readonly Statement[], ids: readonly string[], sha256: string, earlier: readonly EarlierIssue[], opts: ReadOptions): string | null {
  for (const [i, s] of statements.entries()) {
    const before = earlier.find((e) => e.bank_statement_id === ids[i] && e.file_sha256 === sha256 && e.currency !== s.currency);
    if (!before) continue;
    const option = optionName(opts, 'currency');
    // No option imports a file again in another currency: the lines the first import gave are in the lake (and
    // the raw trail) for good, and no import withdraws a CSV export's lines (its id is the file's, so nothing
    // re-issues it). Letting the second currency in would only count the money twice.
    return (
      `${statementWhere(s, i)}: this file was imported on ${before.received_at} as ${before.currency} (${named(s)}) and is read now as ${s.currency}: ` +
      `imported again, its lines would stand beside the ${before.currency} ones, the money counted twice. If ${before.currency} is right, nothing ` +
      `needs doing (with ${option} ${before.currency} it imports again unchanged). If the file really is ${s.currency}, the ${before.currency} import ` +
      `was the mistake and no import undoes it (no option imports a file again in another currency): its ${before.currency} lines stay in ` +
      `bank_line, so reconcile that account's days by hand`
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
