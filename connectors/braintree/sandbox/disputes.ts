import type { Ledger } from './ledger.js';
import { disputeXml } from './objects-xml.js';
import { DISBURSEMENT_LAG_DAYS } from './settlement.js';
import { addDays, dayOf, isoSeconds } from './time.js';
import { SandboxStateError } from './transactions.js';
import type { SandboxDispute, SandboxTransaction } from './types.js';

const REPLY_DAYS = 20;

/**
 * A chargeback on a settled sale. The transaction lists it, but its `updated_at` does not move: on
 * Braintree disputes are found by searching disputes (received/effective date), not by transaction
 * changes. The disputed amount is withdrawn by the disbursement two days after the effective date.
 */
export function openDispute(ledger: Ledger, tx: SandboxTransaction, at: number): SandboxDispute {
  if (tx.type !== 'sale' || tx.status !== 'settled') throw new SandboxStateError(`transaction ${tx.id} is not a settled sale; nothing to dispute`);
  if (tx.dispute_ids.length > 0) throw new SandboxStateError(`transaction ${tx.id} is already disputed`);
  const when = isoSeconds(at);
  const day = dayOf(at);
  const dispute: SandboxDispute = {
    id: ledger.newId(),
    amount: tx.amount,
    amount_disputed: tx.amount,
    amount_won: tx.amount.replace(/\d/g, '0'),
    amount_minor: tx.amount_minor,
    currency_iso_code: tx.currency_iso_code,
    merchant_account_id: tx.merchant_account_id,
    case_number: `CB${ledger.rand.code(8)}`,
    reference_number: ledger.rand.code(12),
    kind: 'chargeback',
    reason: 'fraud',
    reason_code: '83',
    status: 'open',
    received_date: day,
    reply_by_date: addDays(day, REPLY_DAYS),
    date_opened: day,
    created_at: when,
    updated_at: when,
    transaction: { id: tx.id, amount: tx.amount, created_at: tx.created_at, order_id: tx.order_id },
    status_history: [{ status: 'open', timestamp: when, effective_date: day, disbursement_date: null }],
  };
  ledger.addDispute(dispute);
  tx.dispute_ids.push(dispute.id);
  ledger.toDisburse.push(Date.parse(`${addDays(day, DISBURSEMENT_LAG_DAYS)}T00:00:00Z`), { kind: 'dispute', dispute });
  ledger.notify({ kind: 'dispute_opened', timestamp: when, subjectId: dispute.id, subject: () => ({ name: 'dispute', value: disputeXml(dispute) }) });
  return dispute;
}

/**
 * The charity wins an open dispute at `at`: status `won`, a `won` event, and the disputed amount returned by
 * the disbursement two days after, as the withdrawal was (the won event's `disbursement_date` once it ran).
 */
export function winDispute(ledger: Ledger, dispute: SandboxDispute, at: number): SandboxDispute {
  if (dispute.status !== 'open') throw new SandboxStateError(`dispute ${dispute.id} is ${dispute.status}; only an open dispute can be won`);
  const when = isoSeconds(at);
  const day = dayOf(at);
  dispute.status = 'won';
  dispute.amount_won = dispute.amount_disputed;
  dispute.updated_at = when;
  dispute.status_history.push({ status: 'won', timestamp: when, effective_date: day, disbursement_date: null });
  ledger.toDisburse.push(Date.parse(`${addDays(day, DISBURSEMENT_LAG_DAYS)}T00:00:00Z`), { kind: 'dispute_won', dispute });
  ledger.notify({ kind: 'dispute_won', timestamp: when, subjectId: dispute.id, subject: () => ({ name: 'dispute', value: disputeXml(dispute) }) });
  return dispute;
}
