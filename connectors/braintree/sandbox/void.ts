import type { Ledger } from './ledger.js';
import { isoSeconds } from './time.js';
import { SandboxStateError } from './transactions.js';
import type { SandboxTransaction, TransactionStatus } from './types.js';

/** The statuses the gateway voids from (PayPal's settlement_pending too, which the sandbox never has). */
const VOIDABLE: ReadonlySet<TransactionStatus> = new Set(['authorized', 'submitted_for_settlement']);

export function canVoid(tx: SandboxTransaction): boolean {
  return tx.type === 'sale' && VOIDABLE.has(tx.status);
}

/**
 * Void a sale before its settlement batch runs (a settled one is refunded instead): status `voided`,
 * a `voided` status event and `updated_at` at `at`. The sale stays in ledger.toSettle, but settleDue
 * settles only submitted_for_settlement transactions, so it is dropped there and, never settled, is
 * never queued for disbursement either.
 */
export function voidSale(ledger: Ledger, tx: SandboxTransaction, at: number): SandboxTransaction {
  if (!ledger.byId.has(tx.id)) throw new SandboxStateError(`no such transaction: ${tx.id}`);
  if (!canVoid(tx)) {
    throw new SandboxStateError(`transaction ${tx.id} is a ${tx.status} ${tx.type}; only authorized or submitted_for_settlement sales can be voided`);
  }
  const when = isoSeconds(at);
  tx.status = 'voided';
  tx.updated_at = when;
  tx.status_history.push({ status: 'voided', timestamp: when, amount: tx.amount, user: 'puddle_api', transaction_source: 'api' });
  return tx;
}
