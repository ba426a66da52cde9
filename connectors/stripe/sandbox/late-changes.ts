import type { Ledger } from './ledger.js';
import { buildBalanceTransaction, buildDispute, buildRefund } from './stripe-objects.js';
import type { SandboxCharge, SandboxCustomer, SandboxDispute, SandboxRefund } from './types.js';

/** UK dispute fee, taken from the balance with the disputed amount. */
const DISPUTE_FEE = 2000;

export class SandboxStateError extends Error {}

/** A refund (full by default): the refund, a negative balance transaction, and the charge updated. */
export function refundCharge(ledger: Ledger, charge: SandboxCharge, at: number, amount?: number): SandboxRefund {
  const remaining = charge.amount - charge.amount_refunded;
  const value = amount ?? remaining;
  if (charge.status !== 'succeeded') throw new SandboxStateError(`charge ${charge.id} did not succeed; nothing to refund`);
  if (!Number.isInteger(value) || value <= 0 || value > remaining) {
    throw new SandboxStateError(`refund of ${value} on ${charge.id} exceeds the ${remaining} left to refund`);
  }
  const refundId = ledger.rand.id('re_3');
  const btId = `txn_3${refundId.slice(4)}`;
  const refund = ledger.store(ledger.refunds, buildRefund(refundId, at, charge, value, btId));
  ledger.storeBalanceTransaction(
    buildBalanceTransaction(btId, at, {
      amount: -value,
      fee: 0,
      currency: charge.currency,
      availableOn: at,
      type: 'refund',
      reportingCategory: 'refund',
      source: refundId,
      description: `REFUND FOR CHARGE (${charge.description as string})`,
    }),
  );
  const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
  charge.amount_refunded += value;
  charge.refunded = charge.amount_refunded === charge.amount;
  const eventAt = ledger.eventTime(at);
  ledger.emit('charge.refunded', charge, eventAt, previous);
  ledger.emit('refund.created', refund, eventAt);
  return refund;
}

/** A chargeback: the dispute, the withdrawal of amount + fee from the balance, and the charge marked disputed. */
export function openDispute(ledger: Ledger, charge: SandboxCharge, at: number): SandboxDispute {
  if (charge.status !== 'succeeded') throw new SandboxStateError(`charge ${charge.id} did not succeed; nothing to dispute`);
  if (charge.disputed) throw new SandboxStateError(`charge ${charge.id} is already disputed`);
  const disputeId = ledger.rand.id('dp_');
  const bt = ledger.storeBalanceTransaction(
    buildBalanceTransaction(ledger.rand.id('txn_'), at, {
      amount: -charge.amount,
      fee: DISPUTE_FEE,
      currency: charge.currency,
      availableOn: at,
      type: 'adjustment',
      reportingCategory: 'dispute',
      source: disputeId,
      description: `Chargeback withdrawal for ${charge.id}`,
    }),
  );
  const dispute = ledger.store(ledger.disputes, buildDispute(disputeId, at, charge, bt));
  const previous = { disputed: false };
  charge.disputed = true;
  const eventAt = ledger.eventTime(at);
  ledger.emit('charge.dispute.created', dispute, eventAt);
  ledger.emit('charge.dispute.funds_withdrawn', dispute, eventAt);
  ledger.emit('charge.updated', charge, eventAt, previous);
  return dispute;
}

/**
 * A customer deleted (e.g. a GDPR erasure): gone from lists and retrieves, so a list cursor naming it
 * answers 400 resource_missing with `param: 'starting_after'`, as Stripe does. (Stripe's retrieve
 * answers a `deleted: true` stub; this one answers 404, which no caller here tells apart.)
 */
export function deleteCustomer(ledger: Ledger, id: string, at: number): SandboxCustomer {
  const customer = ledger.customers.remove(id);
  if (!customer) throw new SandboxStateError(`no customer ${id} to delete`);
  ledger.byId.delete(id);
  for (const [supporter, c] of ledger.customerBySupporter) if (c.id === id) ledger.customerBySupporter.delete(supporter);
  ledger.emit('customer.deleted', customer, ledger.eventTime(at));
  return customer;
}
