import type { Ledger } from './ledger.js';
import { compileSearch, type FieldSpec } from './search-criteria.js';
import type { SandboxDispute } from './types.js';

type D = SandboxDispute;

const history = (pick: (e: D['status_history'][number]) => string | null) => (d: D) => d.status_history.map(pick);

/** Dispute search fields (dispute_search.js); effective and disbursement dates belong to status history events. */
export const DISPUTE_FIELDS: Readonly<Record<string, FieldSpec<D>>> = {
  received_date: { kind: 'date', values: (d) => [d.received_date] },
  reply_by_date: { kind: 'date', values: (d) => [d.reply_by_date] },
  effective_date: { kind: 'date', values: history((e) => e.effective_date) },
  disbursement_date: { kind: 'date', values: history((e) => e.disbursement_date) },
  amount_disputed: { kind: 'amount', values: (d) => [d.amount_disputed] },
  amount_won: { kind: 'amount', values: (d) => [d.amount_won] },
  status: { kind: 'multiple', values: (d) => [d.status] },
  kind: { kind: 'multiple', values: (d) => [d.kind] },
  reason: { kind: 'multiple', values: (d) => [d.reason] },
  reason_code: { kind: 'multiple', values: (d) => [d.reason_code] },
  merchant_account_id: { kind: 'multiple', values: (d) => [d.merchant_account_id] },
  transaction_source: { kind: 'multiple', values: () => ['api'] },
  chargeback_protection_level: { kind: 'multiple', values: () => ['not_protected'] },
  protection_level: { kind: 'multiple', values: () => ['not_protected'] },
  pre_dispute_program: { kind: 'multiple', values: () => ['none'] },
  id: { kind: 'text', value: (d) => d.id },
  case_number: { kind: 'text', value: (d) => d.case_number },
  reference_number: { kind: 'text', value: (d) => d.reference_number },
  transaction_id: { kind: 'text', value: (d) => d.transaction.id },
  customer_id: { kind: 'text', value: () => null },
};

/** Matching disputes in (created_at, id) order. */
export function searchDisputes(ledger: Ledger, search: unknown): SandboxDispute[] {
  const compiled = compileSearch(search, DISPUTE_FIELDS);
  return ledger.disputes.filter(compiled.matches).sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
}
