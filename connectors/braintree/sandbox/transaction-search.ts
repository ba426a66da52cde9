import type { Ledger } from './ledger.js';
import { compileSearch, type FieldSpec } from './search-criteria.js';
import type { SandboxTransaction, TransactionStatus } from './types.js';

type Tx = SandboxTransaction;

const statusAt =
  (status: TransactionStatus) =>
  (t: Tx): (string | null)[] =>
    t.status_history.filter((e) => e.status === status).map((e) => e.timestamp);

/** The transaction search fields the sandbox answers (names as the SDK sends them, snake_case). */
function transactionFields(ledger: Ledger): Readonly<Record<string, FieldSpec<Tx>>> {
  return {
    created_at: { kind: 'datetime', values: (t) => [t.created_at] },
    authorized_at: { kind: 'datetime', values: statusAt('authorized') },
    submitted_for_settlement_at: { kind: 'datetime', values: statusAt('submitted_for_settlement') },
    settled_at: { kind: 'datetime', values: statusAt('settled') },
    processor_declined_at: { kind: 'datetime', values: statusAt('processor_declined') },
    voided_at: { kind: 'datetime', values: statusAt('voided') },
    // Never reached in the sandbox, but valid criteria on the gateway.
    authorization_expired_at: { kind: 'datetime', values: () => [] },
    failed_at: { kind: 'datetime', values: () => [] },
    gateway_rejected_at: { kind: 'datetime', values: () => [] },
    ach_return_responses_created_at: { kind: 'datetime', values: () => [] },
    disbursement_date: { kind: 'date', values: (t) => [t.disbursement_details?.disbursement_date ?? null] },
    dispute_date: { kind: 'date', values: (t) => t.dispute_ids.map((id) => ledger.disputesById.get(id)!.received_date) },
    amount: { kind: 'amount', values: (t) => [t.amount] },
    status: { kind: 'multiple', values: (t) => [t.status] },
    type: { kind: 'multiple', values: (t) => [t.type] },
    merchant_account_id: { kind: 'multiple', values: (t) => [t.merchant_account_id] },
    credit_card_card_type: { kind: 'multiple', values: (t) => [t.card_type] },
    payment_instrument_type: { kind: 'multiple', values: () => ['credit_card'] },
    source: { kind: 'multiple', values: (t) => [t.status_history[0]?.transaction_source ?? 'api'] },
    user: { kind: 'multiple', values: (t) => (t.status_history[0]?.user ? [t.status_history[0].user] : []) },
    id: { kind: 'text', value: (t) => t.id },
    order_id: { kind: 'text', value: (t) => t.order_id },
    settlement_batch_id: { kind: 'text', value: (t) => t.settlement_batch_id },
    currency: { kind: 'text', value: (t) => t.currency_iso_code },
    customer_id: { kind: 'text', value: (t) => t.customer.id },
    processor_authorization_code: { kind: 'text', value: (t) => t.processor_authorization_code },
    // `refund: true` finds the credits that refund a sale.
    refund: { kind: 'boolean', value: (t) => t.refunded_transaction_id !== null },
  };
}

/** Every transaction matching the criteria, in (created_at, id) order. */
export function searchTransactions(ledger: Ledger, search: unknown): SandboxTransaction[] {
  const compiled = compileSearch(search, transactionFields(ledger));
  if (compiled.ids) {
    const found = compiled.ids.map((id) => ledger.byId.get(id)).filter((t): t is Tx => t !== undefined && compiled.matches(t));
    return [...new Set(found)].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }
  let from = 0;
  let to = ledger.transactions.length;
  if (compiled.created) {
    from = Number.isFinite(compiled.created.min) ? ledger.lowerBound(compiled.created.min) : 0;
    to = Number.isFinite(compiled.created.max) ? ledger.upperBound(compiled.created.max) : to;
  }
  const out: Tx[] = [];
  for (let i = from; i < to; i++) {
    const t = ledger.transactions[i]!;
    if (compiled.matches(t)) out.push(t);
  }
  return out;
}
