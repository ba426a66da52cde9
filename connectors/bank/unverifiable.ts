import { statementWhere } from './checks.js';
import type { Statement, StatementProblem } from './statement.js';

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

/** What a statement of record lacks for its balances to be checked; null when nothing (or when it is no camt.053). */
export function unverifiable(s: Statement, index: number): StatementProblem | null {
  if (s.format !== 'camt.053') return null;
  const missing: string[] = [];
  if (s.opening_balance_minor === null) missing.push('no booked opening balance (Bal/Tp/CdOrPrtry/Cd OPBD or PRCD)');
  if (s.closing_balance_minor === null) missing.push('no booked closing balance (CLBD or ITBD)');
  if (!missing.length) return null;
  const types = [...new Set(s.balance_types ?? [])].map((t) => (t === 'Prtry' ? "a bank's own type (Prtry)" : t));
  const carries = types.length ? `it carries only ${types.join(', ')}` : 'it carries no Bal';
  return {
    where: `${statementWhere(s, index)}: balances`,
    message: `${missing.join(' and ')} (${carries}): its entries cannot be checked against the bank's balances; ask the bank for the statement with them`,
  };
}
